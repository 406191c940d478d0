/**
 * Every loader, fed random bytes, random JSON and damaged versions of valid files, either reads
 * them or throws its own typed error naming the problem — never a stray TypeError/RangeError from
 * deep inside, never a hang, never a silent wrong result for a damaged checkpoint.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { StateError } from "../../src/envs/state.js";
import { SCENARIO_NAMES, UnknownScenarioError } from "../../src/envs/scenarios/index.js";
import { CheckpointError, CheckpointWriter, loadCheckpoint, saveCheckpoint } from "../../src/storage/checkpoint.js";
import { parseMetricsCsv } from "../../src/train/metrics.js";
import { decodeNpy, decodeNpz, encodeNpz, NpzError } from "../../src/storage/npz.js";
import { Rng } from "../../src/util/rng.js";

const rng = new Rng(99);
const ROUNDS = 300;

function randomBytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

/** Random JSON of bounded depth: the shapes loaders see from hand-edited or foreign files. */
function randomJson(depth = 0): unknown {
  const pick = rng.int(depth > 3 ? 5 : 8);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rng.uniform() < 0.5;
    case 2:
      return [0, -1, 1e308, NaN, 3.5, 2 ** 40, -0][rng.int(7)];
    case 3:
      return ["", "x", "simple_push", "agent 0", "\u0000"][rng.int(5)];
    case 4:
      return rng.int(100);
    case 5:
      return Array.from({ length: rng.int(5) }, () => randomJson(depth + 1));
    default: {
      const keys = [
        "scenario",
        "world",
        "agents",
        "landmarks",
        "p_pos",
        "p_vel",
        "c",
        "color",
        "scenario_state",
        "dim_c",
        "format",
        "arrays",
        "values",
        "sha256",
        "shape",
        "dtype",
        "name",
      ];
      return Object.fromEntries(Array.from({ length: rng.int(6) }, () => [keys[rng.int(keys.length)], randomJson(depth + 1)]));
    }
  }
}

/** Mutates a valid buffer: flipped bytes, truncation, or junk appended. */
function damage(valid: Uint8Array): Uint8Array {
  const b = Uint8Array.from(valid);
  const kind = rng.int(3);
  if (kind === 0) {
    for (let k = 0; k < 1 + rng.int(8); k++) b[rng.int(b.length)] ^= 1 + rng.int(255);
    return b;
  }
  if (kind === 1) return b.subarray(0, rng.int(b.length));
  return Uint8Array.from([...b, ...randomBytes(1 + rng.int(64))]);
}

type ErrorClass = new (...args: never[]) => Error;
function expectOnly(classes: ErrorClass | ErrorClass[], fn: () => unknown, what: string): void {
  const allowed = Array.isArray(classes) ? classes : [classes];
  try {
    fn();
  } catch (e) {
    assert.ok(
      allowed.some((c) => e instanceof c),
      `${what}: threw ${(e as Error).name}: ${(e as Error).message} instead of ${allowed.map((c) => c.name).join(" or ")}`,
    );
    assert.ok((e as Error).message.length > 0);
  }
}

describe("loaders under fuzzing", () => {
  it("npy/npz: random bytes, damaged archives", () => {
    const valid = encodeNpz({ a: { data: Float64Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] }, b: { data: Float64Array.from([7]), shape: [1] } });
    for (let i = 0; i < ROUNDS; i++) {
      expectOnly(NpzError, () => decodeNpz(randomBytes(rng.int(300))), "decodeNpz(random)");
      expectOnly(NpzError, () => decodeNpy(randomBytes(rng.int(200))), "decodeNpy(random)");
      expectOnly(NpzError, () => decodeNpz(damage(valid)), "decodeNpz(damaged)");
    }
  });

  it("environment states: random JSON and damaged valid states, for every scenario", () => {
    for (const name of SCENARIO_NAMES) {
      const valid = new MultiAgentEnv(name, { seed: 1 }).saveState();
      const text = JSON.stringify(valid);
      for (let i = 0; i < ROUNDS / 10; i++) {
        expectOnly([StateError, UnknownScenarioError], () => MultiAgentEnv.fromState(randomJson()), `${name}: fromState(random)`);
        // replace one field somewhere in the valid state with random JSON
        const s = JSON.parse(text);
        const paths: [Record<string, unknown>, string][] = [];
        const walk = (o: unknown) => {
          if (o && typeof o === "object")
            for (const [k, v] of Object.entries(o)) {
              paths.push([o as Record<string, unknown>, k]);
              walk(v);
            }
        };
        walk(s);
        const [obj, key] = paths[rng.int(paths.length)];
        obj[key] = randomJson(2);
        expectOnly(StateError, () => new MultiAgentEnv(name, { seed: 1 }).loadState(s), `${name}: loadState(damaged .${key})`);
      }
    }
  });

  it("metrics CSV: random text and damaged valid files", () => {
    const valid =
      "cycle,trajectory,opponent,episode,train_step,om_iter,agent,metric,value\n0,0,maddpg,0,24,,a,episode_reward,-1.5\n0,,,,,3,a,om_training_loss,0.25\n";
    const bytes = new TextEncoder().encode(valid);
    for (let i = 0; i < ROUNDS; i++) {
      expectOnly(Error, () => parseMetricsCsv(new TextDecoder().decode(randomBytes(rng.int(200)))), "parseMetricsCsv(random)");
      const text = new TextDecoder().decode(damage(bytes));
      try {
        const rows = parseMetricsCsv(text);
        for (const r of rows) assert.equal(typeof r.value, "number");
      } catch (e) {
        assert.match((e as Error).message, /^metrics\.csv(:\d+)?: /, `damaged metrics: ${(e as Error).message}`);
      }
    }
  });

  it("checkpoints: random headers and damaged arrays never load as valid", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-fuzz-"));
    const w = new CheckpointWriter();
    w.array(
      "x",
      Float32Array.from({ length: 64 }, (_, k) => k),
    );
    w.array("y", Float64Array.from([1, 2, 3]));
    w.value("v", { a: 1 });
    const where = saveCheckpoint(dir, "c", { config: {} }, w);
    const header = fs.readFileSync(path.join(where, "header.json"));
    const bin = fs.readFileSync(path.join(where, "arrays.bin"));
    for (let i = 0; i < ROUNDS / 3; i++) {
      fs.writeFileSync(path.join(where, "header.json"), rng.uniform() < 0.5 ? JSON.stringify(randomJson()) : Buffer.from(damage(header)));
      expectOnly(CheckpointError, () => loadCheckpoint(where), "loadCheckpoint(random header)");
      fs.writeFileSync(path.join(where, "header.json"), header);
      const damaged = damage(bin);
      fs.writeFileSync(path.join(where, "arrays.bin"), damaged);
      if (!Buffer.from(damaged).equals(bin))
        assert.throws(
          () => loadCheckpoint(where),
          (e: Error) => e instanceof CheckpointError && /corrupted or truncated/.test(e.message),
        );
      fs.writeFileSync(path.join(where, "arrays.bin"), bin);
    }
    const r = loadCheckpoint(where);
    assert.deepEqual(Array.from(r.f64("y", 3)), [1, 2, 3]);
    assert.throws(() => r.f32("y"), /"y" is f64, expected f32/);
    assert.throws(() => r.f32("x", 65), /"x" has 64 values, expected 65/);
    assert.throws(() => r.value("w"), /value "w" is missing/);
  });
});
