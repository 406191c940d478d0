// maddpg-pytorch's departures from openai/maddpg in the MADDPG update itself (bench/third-party,
// docs/learning.md), each an option that is off by default: --normalise_rewards (each sampled
// batch's rewards standardised by the agent's whole buffer, its ReplayBuffer.sample(norm_rews=True)).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { FusedMADDPGUpdate } from "../../src/agents/maddpg-fused.js";
import { createTrainers } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { ReplayBuffer } from "../../src/storage/replay.js";
import { TrainingRunner } from "../../src/train/runner.js";
import { ready } from "../helpers/tf.js";

/** Mean and population std (numpy's, ddof 0) of `xs` in float64. */
function moments(xs: ArrayLike<number>): { mean: number; std: number } {
  let m = 0;
  for (let k = 0; k < xs.length; k++) m += xs[k];
  m /= xs.length;
  let v = 0;
  for (let k = 0; k < xs.length; k++) v += (xs[k] - m) ** 2;
  return { mean: m, std: Math.sqrt(v / xs.length) };
}

/** simple_speaker_listener's MADDPG trainers (batch 64) with their buffers filled past exploration, by acting only. */
function game(config: object) {
  const env = new MultiAgentEnv("simple_speaker_listener", { seed: 5 });
  const trainers = createTrainers(env, {
    badPolicy: "maddpg",
    goodPolicy: "maddpg",
    seed: 5,
    config: { batchSize: 64, numUnits: 16, agentUpdateFreq: 1, timeLimitTerminal: false, ...config },
  }) as ActorCriticTrainer[];
  const runner = new TrainingRunner(env, trainers, { learn: false });
  while (trainers[0].replay.length < 64 * 25) runner.step();
  return trainers;
}

describe("--normalise_rewards", () => {
  before(ready);

  it("the replay buffer keeps its rewards' mean and std through a ring overwrite and a clear", () => {
    const buf = new ReplayBuffer(1, 1, 5, 2);
    const rewards = [-3.3, 0.1, 7.77, -12.5, 2, 4.25, -0.6];
    for (const r of rewards) buf.add([0], [0], r, [0], false);
    // capacity 5: the first two rewards were overwritten; the stored values are float32
    const expected = moments(Float32Array.from(rewards.slice(2)));
    assert.ok(Math.abs(buf.rewardMean() - expected.mean) < 1e-12, `mean ${buf.rewardMean()} vs ${expected.mean}`);
    assert.ok(Math.abs(buf.rewardStd() - expected.std) < 1e-12, `std ${buf.rewardStd()} vs ${expected.std}`);
    buf.clear();
    assert.equal(buf.rewardMean(), 0);
    assert.equal(buf.rewardStd(), 0);
    buf.add([0], [0], 1.5, [0], false);
    buf.add([0], [0], -0.5, [0], false);
    assert.equal(buf.rewardMean(), 0.5);
    assert.equal(buf.rewardStd(), 1);
  });

  for (const fused of [true, false]) {
    it(`standardises the sampled rewards by the agent's whole buffer before the update (${fused ? "fused" : "tfjs"} path); off by default`, () => {
      FusedMADDPGUpdate.enabled = fused;
      try {
        const reported = (normaliseRewards: boolean) => {
          const trainers = game({ normaliseRewards });
          const listener = trainers[1];
          const stats = listener.update(trainers, 0)!;
          assert.equal(listener.updatePath(trainers).path, fused ? "fused" : "tfjs");
          // the rewards at the indices this update drew, as stored
          const index = (listener as unknown as { index: Int32Array }).index;
          const raw = listener.replay.newBatch(index.length);
          listener.replay.gather(index, raw);
          const all = new Float32Array(listener.replay.length);
          const probe = listener.replay.newBatch(all.length);
          listener.replay.gather(
            Int32Array.from(all, (_, k) => k),
            probe,
          );
          const whole = moments(probe.rew);
          const out = { reward: stats.reward, raw: moments(raw.rew).mean, normalised: (moments(raw.rew).mean - whole.mean) / whole.std };
          trainers.forEach((t) => t.dispose());
          return out;
        };
        const off = reported(false);
        assert.ok(Math.abs(off.reward - off.raw) < 1e-4, `default: the batch's raw mean reward ${off.raw}, reported ${off.reward}`);
        const on = reported(true);
        assert.ok(Math.abs(on.raw - on.normalised) > 0.1, "the test needs raw and standardised rewards that differ");
        assert.ok(Math.abs(on.reward - on.normalised) < 1e-4, `--normalise_rewards: the standardised mean ${on.normalised}, reported ${on.reward}`);
      } finally {
        FusedMADDPGUpdate.enabled = true;
      }
    });
  }
});
