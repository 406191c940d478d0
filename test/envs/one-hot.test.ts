// The one one-hot rule (envs/one-hot.ts): which actions an environment plays as arg-max, which
// movement it one-hots in place (so that is stored), which messages go out one-hot; and the
// learners the one factory builds follow it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLearner } from "../../src/agents/policies.js";
import { lemolOptionsOf } from "../../src/agents/lemol/flags.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { oneHotRule } from "../../src/envs/one-hot.js";
import { UAVEnv } from "../../src/envs/uav.js";
import { initBackend } from "../../src/nn/backend.js";
import { buildRun } from "../../src/train/build.js";
import { resolveConfig } from "../../src/train/config.js";

describe("oneHotRule", () => {
  it("MPE: nothing is one-hot by default; --discrete_actions one-hots (and stores) every movable agent's movement", () => {
    const soft = oneHotRule(new MultiAgentEnv("simple_speaker_listener", { seed: 1 }));
    assert.deepEqual(soft, { discrete: false, movement: [false, false], message: [null, null] });
    // the speaker does not move, the listener does
    const hard = oneHotRule(new MultiAgentEnv("simple_speaker_listener", { seed: 1, forceDiscreteAction: true }));
    assert.deepEqual(hard, { discrete: true, movement: [false, true], message: [null, null] });
  });

  it("MPE: --discrete_messages one-hots each speaking agent's message, the last dim_c numbers of its action", () => {
    const env = new MultiAgentEnv("simple_speaker_listener", { seed: 1 });
    const rule = oneHotRule(env, { discreteMessages: true });
    const dimC = env.world.layout.dimC;
    assert.ok(dimC > 0);
    // the speaker speaks (its whole action is the message), the listener is silent
    assert.deepEqual(rule.message, [[env.actionSizes[0] - dimC, dimC], null]);
    assert.deepEqual(rule.movement, [false, false]);
  });

  it("UAV: the env plays arg-max actions (discrete) without changing them, so nothing stored is one-hot", () => {
    const rule = oneHotRule(new UAVEnv({ seed: 1 }), { discreteMessages: true });
    assert.deepEqual(rule, { discrete: true, movement: [false, false], message: [null, null] });
  });

  it("is the rule an experiment's set-up carries (buildRun), from --discrete_actions and --discrete_messages", async () => {
    await initBackend("cpu");
    const small = { bad_policy: "maddpg", num_units: 4, batch_size: 4, replay_buffer_capacity: 100 };
    const run = buildRun(resolveConfig({ ...small, scenario: "simple_speaker_listener", discrete_actions: true, discrete_messages: true }), () => {});
    assert.deepEqual(run.oneHot, oneHotRule(run.env, { discreteMessages: true }));
    assert.equal(run.oneHot.discrete, true);
    assert.deepEqual(run.oneHot.movement, [false, true]);
    assert.equal(buildRun(resolveConfig({ ...small, scenario: "uav" }), () => {}).oneHot.discrete, true);
    assert.equal(buildRun(resolveConfig(small), () => {}).oneHot.discrete, false);
  });

  it("is what the learners of the one factory follow: PPO acts categorically and LeMOL's m is one-hot exactly where the env is discrete", async () => {
    await initBackend("cpu");
    const cfg = resolveConfig({ num_units: 4, batch_size: 4, replay_buffer_capacity: 100 });
    for (const [env, discrete] of [
      [new UAVEnv({ seed: 1 }), true],
      [new MultiAgentEnv("simple_push", { seed: 1 }), false],
      [new MultiAgentEnv("simple_push", { seed: 1, forceDiscreteAction: true }), true],
    ] as const) {
      const common = { env, agentIndex: 0, side: "bad" as const, seed: 3, config: { numUnits: 4, batchSize: 4, replayBufferCapacity: 100 } };
      const ppo = createLearner({ ...common, policy: "ppo", ppo: { numUnits: 4, historyLength: 8 } });
      assert.equal(ppo.discrete, discrete, "PPO");
      const lemol = createLearner({ ...common, policy: "lemol", lemol: lemolOptionsOf(cfg, !discrete, false) });
      assert.equal(lemol.options.discreteActions, discrete, "LeMOL");
      ppo.dispose();
      lemol.dispose();
    }
  });
});
