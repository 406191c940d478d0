// The update benchmark's GEMM bound rests on its list of a round's GEMMs (bench/update.ts
// roundGemms): this checks the list against the GEMMs lemol's native kernels actually run in one
// MADDPG update round of both agents.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { roundGemms, roundGemmsOf } from "../../bench/update.js";
import { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { createTrainers } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { initBackend } from "../../src/nn/backend.js";
import { GemmCall, nativeAvailable, nativeGemmLog } from "../../src/nn/native-kernels.js";
import { TrainingRunner } from "../../src/train/runner.js";
import { experiment } from "../helpers/experiment.js";

const key = (g: GemmCall) => `${g.m}x${g.k}x${g.n}${g.tn ? "t" : ""}`;

describe("the update benchmark's GEMMs", { skip: nativeAvailable() ? false : "native kernels not built" }, () => {
  it("are exactly those one MADDPG update round runs (so its FLOPs and GEMM bound are right)", async () => {
    const info = await initBackend("wasm");
    assert.match(info.kernels, /^native/);
    const batch = 64;
    const env = new MultiAgentEnv("simple_push", { seed: 0 });
    const trainers = createTrainers(env, { badPolicy: "maddpg", goodPolicy: "maddpg", seed: 0, config: { batchSize: batch, agentUpdateFreq: 1 } });
    const run = new TrainingRunner(env, trainers, { learn: false });
    while (trainers[0].replay.length < batch * 25) run.step();
    nativeGemmLog(true);
    for (const tr of trainers) tr.preupdate();
    for (const tr of trainers) assert.ok(tr.update(trainers, 0), "an update ran");
    const ran = nativeGemmLog(false)!.map(key).sort();
    const listed = roundGemms(env.obsSizes, env.actionSizes, 64, batch).map(key).sort();
    assert.equal(ran.length, 62);
    assert.deepEqual(listed, ran);
    trainers.forEach((t) => t.dispose());
  });
});

describe("the experiment benchmark's round GEMMs for LeMOL", { skip: nativeAvailable() ? false : "native kernels not built" }, () => {
  it("are exactly those one LeMOL vs MADDPG update round runs (roundGemmsOf from the networks' widths)", async () => {
    await initBackend("wasm");
    const batch = 64;
    const exp = await experiment({ batch_size: batch, max_episode_len: 5, num_episodes: 200, agent_update_freq: 1, n_opp_cycles: 1, traj_per_iter: 1 });
    const nets = exp.pairing.map((t) => {
      assert.ok(t instanceof ActorCriticTrainer);
      return { actor: t.actor.sizes, critic: t.critic.sizes };
    });
    assert.ok(exp.lemol, "a LeMOL agent plays");
    // past exploration (batch × episode length steps), each step runs one update round of both agents
    for (let t = 0; t <= batch * 5; t++) exp.step();
    nativeGemmLog(true);
    exp.step();
    const ran = nativeGemmLog(false)!.map(key).sort();
    assert.ok(ran.length > 0, "the step ran an update round");
    assert.deepEqual(roundGemmsOf(nets, batch).map(key).sort(), ran);
    // (and they are not MADDPG's: LeMOL's actor takes [o ‖ m])
    const env = new MultiAgentEnv("simple_push", { seed: 0 });
    assert.notDeepEqual(roundGemms(env.obsSizes, env.actionSizes, nets[0].critic[1], batch).map(key).sort(), ran);
    exp.dispose();
  });
});
