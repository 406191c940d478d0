// The acceptance test: every golden trajectory of the original Python MPE is reproduced to 1e-9.
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { MultiAgentEnv, SCENARIO_NAMES } from "../../src/index.js";
import { goldenFileList, loadGolden } from "../helpers/golden.js";

const TOL = 1e-9;
const files = goldenFileList();

function assertVec(got: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(got.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(got[i] - expected[i]);
    if (!(d <= TOL)) assert.fail(`${what}[${i}]: expected ${expected[i]}, got ${got[i]} (|diff| = ${d})`);
  }
}

describe("MPE conformance against the original Python trajectories", () => {
  it("finds golden files for every scenario", () => {
    const covered = new Set(files.map((f) => loadGolden(f).scenario));
    for (const s of SCENARIO_NAMES) assert.ok(covered.has(s), `no golden file for ${s}`);
  });

  for (const file of files) {
    it(path.basename(file), () => {
      const g = loadGolden(file);
      // built from initial_state only: no reset, no RNG
      const env = new MultiAgentEnv(g.scenario, { discreteActionSpace: g.discrete_action_space }, g.initial_state);
      const obs0 = env.observations();
      assert.equal(obs0.length, g.initial_obs.length);
      g.initial_obs.forEach((o, a) => assertVec(obs0[a], o, `initial_obs agent ${a}`));
      assert.ok(g.steps.length > 0);
      g.steps.forEach((s, t) => {
        const r = env.step(s.actions);
        s.obs.forEach((o, a) => assertVec(r.obs[a], o, `step ${t} obs agent ${a}`));
        assertVec(r.rewards, s.rewards, `step ${t} rewards`);
        assert.deepEqual(r.dones, s.dones, `step ${t} dones`);
      });
    });
  }
});
