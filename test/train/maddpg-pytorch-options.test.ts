// Options that try maddpg-pytorch's departures from openai/maddpg on lemol (bench/third-party):
// --learning_starts (the first update once the buffer holds that many transitions, instead of
// batch_size x max_episode_len) and --grad_clip_global (clip the norm over all of a network's
// gradients). --discrete_messages has its own file.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { resolveConfig } from "../../src/train/config.js";
import { experiment } from "../helpers/experiment.js";
import { ready } from "../helpers/tf.js";

describe("--learning_starts", () => {
  before(ready);

  /** The episode of each agent's first critic loss in 40 episodes of MADDPG vs MADDPG (batch 32, 25 steps, an update every 5 steps). */
  const firstUpdates = async (learningStarts: number | null) => {
    const exp = await experiment({
      good_policy: "maddpg",
      bad_policy: "maddpg",
      num_episodes: 40,
      traj_per_iter: 1,
      n_opp_cycles: 1,
      learning_starts: learningStarts,
    });
    await exp.run();
    const rows = exp.metrics.select("q_loss");
    exp.dispose();
    return [...new Set(rows.map((r) => r.agent!))].map((agent) => Math.min(...rows.filter((r) => r.agent === agent).map((r) => r.episode!)));
  };

  it("starts updates at batch_size x max_episode_len by default and at --learning_starts when given", async () => {
    // the first update is at the first step t with t % 5 == 0 once the buffer holds the threshold
    // (t + 1 transitions at step t): step 800 (episode 32) by default, step 35 (episode 1) from 32
    assert.deepEqual(await firstUpdates(null), [32, 32], "32 x 25 = 800 transitions");
    assert.deepEqual(await firstUpdates(32), [1, 1], "32 transitions");
  });

  it("refuses a start the buffer can never reach", () => {
    assert.throws(
      () => resolveConfig({ learning_starts: 2000, replay_buffer_capacity: 1000, batch_size: 8 }),
      /learning_starts 2000 is more transitions than replay_buffer_capacity 1000 holds/,
    );
  });

  it("--grad_clip_global gives every MADDPG actor and critic optimiser the global clip; by default each clips per variable", async () => {
    const scopes = async (global: boolean) => {
      const exp = await experiment({ good_policy: "maddpg", bad_policy: "maddpg", grad_clip_global: global });
      const out = (exp.pairing as ActorCriticTrainer[]).flatMap((t) => [t.actorOptimiser.config.clipScope, t.criticOptimiser.config.clipScope]);
      exp.dispose();
      return out;
    };
    assert.deepEqual(await scopes(true), ["global", "global", "global", "global"]);
    assert.deepEqual(await scopes(false), ["variable", "variable", "variable", "variable"]);
  });
});
