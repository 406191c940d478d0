// The one learner factory (createLearner): the experiment (buildRun) and createTrainers build the
// same learner for the same slot — name, streams, weights — and it refuses what cannot be built.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { createLearner, createTrainers, UnknownPolicyError } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { initBackend } from "../../src/nn/backend.js";
import { buildRun, maddpgConfigOf } from "../../src/train/build.js";
import { resolveConfig } from "../../src/train/config.js";

const SMALL = { num_units: 8, batch_size: 4, replay_buffer_capacity: 200, seed: 5 };

const weights = (t: ActorCriticTrainer) => t.actor.params.map((p) => Array.from(p.dataSync()));

describe("createLearner, the one learner factory", () => {
  it("builds for the experiment what createTrainers builds: same names and streams, hence the same initial weights", async () => {
    await initBackend("cpu");
    const cfg = resolveConfig({ ...SMALL, bad_policy: "ddpg", good_policy: "maddpg" });
    const run = buildRun(cfg, () => {});
    const quick = createTrainers(new MultiAgentEnv("simple_push", { seed: 1 }), {
      badPolicy: "ddpg",
      goodPolicy: "maddpg",
      seed: 5,
      config: maddpgConfigOf(cfg),
    });
    const built = [run.trainers.get("ddpg/0"), run.trainers.get("maddpg/1")] as ActorCriticTrainer[];
    assert.deepEqual(
      built.map((t) => t.name),
      quick.map((t) => t.name),
    );
    assert.deepEqual(
      built.map((t) => t.name),
      ["ddpg-bad_agent_0", "maddpg-good_agent_1"],
    );
    for (let a = 0; a < 2; a++) assert.deepEqual(weights(built[a]), weights(quick[a]), `agent ${a}`);
    for (const t of [...run.trainers.values(), ...quick]) t.dispose();
  });

  it("keys a varying side's streams by the policy too (two policies in one slot start apart)", async () => {
    await initBackend("cpu");
    const env = new MultiAgentEnv("simple_push", { seed: 1 });
    const common = { env, agentIndex: 1, side: "good" as const, seed: 5, config: { numUnits: 8, batchSize: 4, replayBufferCapacity: 200 } };
    const fixed = [createLearner({ ...common, policy: "maddpg" }), createLearner({ ...common, policy: "ddpg" })];
    assert.deepEqual(weights(fixed[0])[0], weights(fixed[1])[0], "one slot, one stream: the same first layer whatever the algorithm");
    const varying = createLearner({ ...common, policy: "ddpg", varying: true });
    assert.notDeepEqual(weights(varying)[0], weights(fixed[1])[0]);
    for (const t of [...fixed, varying]) t.dispose();
  });

  it("refuses an unknown policy and a LeMOL learner without its options, naming what is missing", () => {
    const env = new MultiAgentEnv("simple_push", { seed: 1 });
    const common = { env, agentIndex: 0, side: "bad" as const, seed: 1 };
    assert.throws(() => createLearner({ ...common, policy: "dqn" as "ppo" }), UnknownPolicyError);
    assert.throws(() => createLearner({ ...common, policy: "lemol" }), /lemol-bad_agent_0: a LeMOL learner needs its options \(setup\.lemol/);
  });
});
