// The PettingZoo/MPE2-style parallel API over the same core.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MultiAgentEnv, ParallelEnv } from "../../src/index.js";

describe("ParallelEnv", () => {
  it("returns dictionaries keyed by agent name with the same numbers as MultiAgentEnv", () => {
    const par = new ParallelEnv("simple_push", { seed: 4 });
    const env = new MultiAgentEnv("simple_push", { seed: 4 });
    const { observations, infos } = par.reset({ seed: 12 });
    const obs = env.reset(12);
    assert.deepEqual(Object.keys(observations), ["adversary_0", "agent_0"]);
    assert.deepEqual(infos, { adversary_0: {}, agent_0: {} });
    assert.deepEqual(Array.from(observations.agent_0), Array.from(obs[1]));
    const a = [0, 1, 0, 0, 0];
    const b = [0, 0, 0, 0.5, 0.5];
    const r = par.step({ adversary_0: a, agent_0: b });
    const s = env.step([a, b]);
    assert.equal(r.rewards.adversary_0, s.rewards[0]);
    assert.equal(r.rewards.agent_0, s.rewards[1]);
    assert.deepEqual(Array.from(r.observations.adversary_0), Array.from(s.obs[0]));
    assert.deepEqual(r.terminations, { adversary_0: false, agent_0: false });
  });

  it("truncates after maxCycles steps, then refuses to step until reset", () => {
    const par = new ParallelEnv("simple_tag", { maxCycles: 3 });
    par.reset({ seed: 1 });
    const noop = Object.fromEntries(par.possibleAgents.map((n) => [n, [1, 0, 0, 0, 0]]));
    assert.deepEqual(par.step(noop).truncations.agent_0, false);
    par.step(noop);
    const last = par.step(noop);
    assert.ok(Object.values(last.truncations).every((t) => t));
    assert.deepEqual(par.agents, []);
    assert.throws(() => par.step(noop), /the episode is over .*call reset\(\)/);
    par.reset();
    assert.equal(par.agents.length, 4);
  });

  it("keeps results safe to hold across steps", () => {
    const par = new ParallelEnv("simple", { seed: 2 });
    const first = par.reset().observations.agent_0;
    const copy = Array.from(first);
    par.step({ agent_0: [0, 1, 0, 0, 0] });
    assert.deepEqual(Array.from(first), copy);
  });

  it("accepts a number for a one-number action (integer actions)", () => {
    const par = new ParallelEnv("simple", { discreteActionInput: true });
    par.reset({ seed: 3 });
    const before = par.state().agents[0].p_pos[0];
    par.step({ agent_0: 2 });
    assert.ok(par.state().agents[0].p_pos[0] > before, "2 means +x with integer input");
  });

  it("rejects unknown and missing agents", () => {
    const par = new ParallelEnv("simple_push");
    par.reset();
    assert.throws(() => par.step({ agent_0: [1, 0, 0, 0, 0] }), /missing action for agent "adversary_0"/);
    assert.throws(() => par.step({ agent_0: [1, 0, 0, 0, 0], adversary_0: [1, 0, 0, 0, 0], agent_7: [1] }), /unknown agent "agent_7"/);
    assert.throws(() => par.observationSpace("nobody"), /unknown agent "nobody"/);
    assert.throws(() => new ParallelEnv("simple", { maxCycles: 0 }), /maxCycles must be a positive integer/);
  });
});
