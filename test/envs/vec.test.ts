// VecEnv: N environments stepped together give exactly the numbers of N single environments.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ActionError, MultiAgentEnv, Rng, VecEnv, randomAction } from "../../src/index.js";

describe("VecEnv", () => {
  for (const [name, continuous] of [
    ["simple_push", false],
    ["simple_world_comm", false],
    ["simple_tag", true],
    ["simple_crypto", false],
  ] as const) {
    it(`${name}${continuous ? " (continuous)" : ""}: equals N single envs, including a mid-episode reset of one env`, () => {
      const n = 5;
      const opts = { seed: 100, discreteActionSpace: !continuous };
      const vec = new VecEnv(name, n, opts);
      const singles = Array.from({ length: n }, (_, e) => new MultiAgentEnv(name, { ...opts, seed: 100 + e }));
      const rng = new Rng(9);
      const flat = new Float64Array(n * vec.actionTotal);
      const check = () => {
        for (let e = 0; e < n; e++) {
          const obs = singles[e].observations();
          for (let a = 0; a < vec.nAgents; a++) assert.deepEqual(Array.from(vec.obsOf(e, a)), Array.from(obs[a]), `env ${e} agent ${a}`);
        }
      };
      check();
      for (let t = 0; t < 30; t++) {
        for (let e = 0; e < n; e++) {
          for (let a = 0; a < vec.nAgents; a++)
            randomAction(singles[0].actionSpaces[a], singles[0].actionMode, rng, flat, e * vec.actionTotal + vec.actionOffsets[a], "prob");
        }
        const r = vec.step(flat);
        for (let e = 0; e < n; e++) {
          const acts = vec.actionSizes.map((s, a) => flat.subarray(e * vec.actionTotal + vec.actionOffsets[a], e * vec.actionTotal + vec.actionOffsets[a] + s));
          const sr = singles[e].step(acts);
          assert.deepEqual(Array.from(r.rewards.subarray(e * vec.nAgents, (e + 1) * vec.nAgents)), Array.from(sr.rewards));
        }
        check();
        if (t === 12) {
          vec.resetEnv(3);
          singles[3].reset();
          check();
        }
      }
      vec.reset(7);
      singles.forEach((s, e) => s.reset(7 + e));
      check();
    });
  }

  it("round-trips one env's state without touching the others", () => {
    const vec = new VecEnv("simple_spread", 3, { seed: 1 });
    const s2 = vec.saveState(2);
    const before0 = vec.saveState(0);
    vec.loadState(1, s2);
    assert.deepEqual(vec.saveState(1), s2);
    assert.deepEqual(vec.saveState(0), before0);
    assert.deepEqual(Array.from(vec.obsOf(1, 0)), Array.from(vec.obsOf(2, 0)));
  });

  it("names the environment and agent of a bad action, and checks the buffer length", () => {
    const vec = new VecEnv("simple_push", 4);
    const acts = new Float64Array(4 * vec.actionTotal);
    acts[2 * vec.actionTotal + vec.actionOffsets[1] + 3] = NaN;
    assert.throws(
      () => vec.step(acts),
      (e: Error) => e instanceof ActionError && /^env 2: action of agent 1: element 3 is NaN/.test(e.message),
    );
    assert.throws(() => vec.step(new Float64Array(5)), /expected 40 numbers \(4 envs x 10\), got 5/);
    assert.throws(() => vec.resetEnv(4), /environment index 4 is out of range \[0, 4\)/);
    assert.throws(() => new VecEnv("simple_push", 0), /nEnvs must be a positive integer/);
  });
});
