// The env step and reset allocate nothing. Measured in a child process with --expose-gc (heap bytes
// per call after warm-up); one boxed double or array per step would show as >= 16 bytes per step.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "../helpers/golden.js";

describe("allocation-free stepping", () => {
  it("steps and resets every scenario (single and vectorised), and acts, without allocating", () => {
    // optimised code is compiled and installed synchronously during the warm-up, not by a background
    // compile landing mid-measurement under load (one CI run saw 4.31 B/step on simple_world_comm,
    // not reproduced in 10 runs here, loaded or not)
    const r = spawnSync(process.execPath, ["--expose-gc", "--no-concurrent-recompilation", "--import", "tsx", path.join(REPO, "test/helpers/alloc-probe.ts")], {
      cwd: REPO,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Record<string, { step: number; reset: number }>;
    assert.equal(Object.keys(result).length, 11);
    for (const [name, { step, reset }] of Object.entries(result)) {
      assert.ok(step < 1, `${name}: ${step.toFixed(2)} bytes allocated per step`);
      assert.ok(reset < 1, `${name}: ${reset.toFixed(2)} bytes allocated per reset`);
    }
  });
});
