// The acceptance test: every golden trajectory of the original Python MPE is reproduced to 1e-9.
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { MultiAgentEnv, SCENARIO_NAMES } from "../../src/index.js";
import { goldenFileList, loadGolden } from "../helpers/golden.js";
import { checkGolden } from "../../src/envs/conformance.js";

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

describe("checkGolden on a damaged file", () => {
  it("names a per-agent list of the wrong length or type (observations, rewards, dones) at its step, instead of reading past it", () => {
    const file = files.find((f) => f.includes("simple_push__onehot"))!;
    const damaged = (edit: (g: ReturnType<typeof loadGolden>) => void) => {
      const g = loadGolden(file);
      edit(g);
      return checkGolden(g).mismatch;
    };
    assert.equal(checkGolden(loadGolden(file)).mismatch, null, "the intact file passes");
    const agents = loadGolden(file).initial_obs.length;
    assert.deepEqual(
      damaged((g) => g.steps[3].rewards.pop()),
      { scenario: "simple_push", step: 3, field: "length", agent: -1, index: -1, expected: agents - 1, got: agents },
    );
    assert.deepEqual(
      damaged((g) => ((g.steps[2] as { dones: unknown }).dones = "no")),
      { scenario: "simple_push", step: 2, field: "length", agent: -1, index: -1, expected: "array", got: agents },
    );
    assert.deepEqual(
      damaged((g) => g.steps[4].obs.push([0])),
      { scenario: "simple_push", step: 4, field: "length", agent: -1, index: -1, expected: agents + 1, got: agents },
    );
  });
});
