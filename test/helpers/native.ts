// Whether tests of the native kernels run: skipped where the addon is not built, except when it is
// expected (LEMOL_EXPECT_NATIVE=1, set by scripts/test.sh, which builds it): then its absence fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { activateNative, deactivateNative, nativeStatus } from "../../src/nn/native-kernels.js";
import type { Rng } from "../../src/util/rng.js";

/** `describe`'s skip option for native tests: false (run them), a reason to skip, or a throw when the addon is expected. */
export function nativeSkip(): string | false {
  const status = nativeStatus();
  if (status.available) return false;
  if (process.env.LEMOL_EXPECT_NATIVE === "1")
    throw new Error(`LEMOL_EXPECT_NATIVE=1 (scripts/test.sh builds the addon) but the native kernels are not available: ${status.reason}`);
  return `native kernels not built (${status.reason})`;
}

/** Runs fn with the composite kernels, then with the native ones, returning both results. */
export function bothPaths<T>(fn: () => T): [T, T] {
  deactivateNative();
  const composite = fn();
  activateNative();
  const native = fn();
  return [composite, native];
}

/** n normal draws from rng, times scale, as float32. */
export const randomF32 = (rng: Rng, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => scale * rng.normal());

/**
 * Runs a probe script (test/helpers/*-probe.ts) in a fresh Node process with `env` added to this
 * one's environment — native variants are chosen once per process — and returns the JSON of its
 * last output line; fails with the probe's stderr if it exits non-zero.
 */
export function runProbe<T>(script: string, env: Record<string, string> = {}): T {
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as T;
}
