// The fused MADDPG update (maddpg-fused.ts: the update on the native kernels over plain arrays)
// gives the tfjs path's numbers bit for bit: weights, optimiser state, statistics and random
// streams after a run of updates, for MADDPG and DDPG, batch sizes with and without a power of
// two, within one row block of the kernels and across several, two and three agents; and it is
// taken only where it applies.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ActorCriticTrainer, UpdateStats } from "../../src/agents/actor-critic.js";
import { FusedMADDPGUpdate } from "../../src/agents/maddpg-fused.js";
import { createTrainers } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { TrainingRunner } from "../../src/train/runner.js";
import * as fs from "node:fs";
import { experiment } from "../helpers/experiment.js";
import { makeLeMOL } from "../helpers/lemol.js";
import { nativeSkip } from "../helpers/native.js";
import { callsDuring, ready, tf } from "../helpers/tf.js";

const skip = nativeSkip();

/** Where to look when the paths disagree (the maths itself is checked first, by test/agents/maddpg-maths.test.ts). */
const DIFFERS =
  "the fused update (agents/maddpg-fused.ts: learn's steps; nn/native/fused_update.cc: criticTrain, actorTrain) and the tfjs path (agents/actor-critic.ts: criticStep, actorStep) differ in";

interface Outcome {
  stats: UpdateStats[];
  state: Uint32Array[];
  streams: unknown[];
  /** Per update: the tfjs kernels it ran (none on the fused path). */
  kernels: number[];
}

/** How many tfjs kernels `fn` runs. */
const kernelsDuring = (fn: () => void) => callsDuring(tf.engine(), "runKernel", fn);

/** Trainers of `scenario` with their buffers past exploration. */
function game(scenario: string, bad: string, good: string, config: object) {
  const env = new MultiAgentEnv(scenario, { seed: 3 });
  const trainers = createTrainers(env, { badPolicy: bad, goodPolicy: good, seed: 3, config }) as ActorCriticTrainer[];
  const runner = new TrainingRunner(env, trainers, { learn: false });
  const c = trainers[0].config;
  while (trainers[0].replay.length < c.batchSize * c.maxEpisodeLen) runner.step();
  return { trainers, runner };
}

/** Runs `updates` rounds of every agent's update past exploration, fused or through tfjs ops. */
function run(scenario: string, bad: string, good: string, config: object, updates: number, fused: boolean): Outcome {
  FusedMADDPGUpdate.enabled = fused;
  try {
    const { trainers, runner } = game(scenario, bad, good, config);
    // the path is chosen once, before the run (its check of the maths runs tfjs ops)
    for (const tr of trainers) tr.updatePath(trainers);
    const stats: UpdateStats[] = [];
    const kernels: number[] = [];
    for (let t = 0; t < updates; t++) {
      for (const tr of trainers) {
        kernels.push(
          kernelsDuring(() => {
            const s = tr.update(trainers, t);
            if (s) stats.push(s);
          }),
        );
      }
      runner.step(); // the buffers move on between rounds
    }
    const bits = (a: Float32Array) => new Uint32Array(a.slice().buffer);
    const state: Uint32Array[] = [];
    for (const tr of trainers) {
      for (const net of [tr.actor, tr.critic, tr.targetActor, tr.targetCritic]) for (const p of net.params) state.push(bits(p.dataSync() as Float32Array));
      for (const o of tr.optimisers) for (const a of [...o.getState().m, ...o.getState().v]) state.push(bits(a));
    }
    const streams = trainers.map((tr) => Object.values(tr.rngs).map((r) => r.getState()));
    trainers.forEach((tr) => tr.dispose());
    return { stats, state, streams, kernels };
  } finally {
    FusedMADDPGUpdate.enabled = true;
  }
}

describe("fused MADDPG update", { skip }, () => {
  before(ready);

  const cases: [string, string, string, string, object][] = [
    ["MADDPG on simple_push, batch 64", "simple_push", "maddpg", "maddpg", { batchSize: 64, numUnits: 32 }],
    ["DDPG on simple_push, batch 50 (the mean's division is not a power of two)", "simple_push", "ddpg", "ddpg", { batchSize: 50, numUnits: 16 }],
    ["MADDPG on simple_spread (three agents), batch 40", "simple_spread", "maddpg", "maddpg", { batchSize: 40, numUnits: 24 }],
    // the kernels take rows in blocks of 64 (the last block up to 127): sums carried across blocks
    ["MADDPG on simple_push, batch 300 (row blocks of 64, 64, 64, 108)", "simple_push", "maddpg", "maddpg", { batchSize: 300, numUnits: 32 }],
  ];
  for (const [name, scenario, bad, good, config] of cases) {
    it(`gives the tfjs path's numbers bit for bit: ${name}`, () => {
      const viaTf = run(scenario, bad, good, config, 12, false);
      const fused = run(scenario, bad, good, config, 12, true);
      assert.equal(fused.stats.length, 12 * (scenario === "simple_spread" ? 3 : 2));
      assert.ok(
        viaTf.kernels.every((n) => n > 0),
        "switched off: every update through tfjs ops",
      );
      assert.ok(
        fused.kernels.every((n) => n === 0),
        "fused: no tfjs kernel",
      );
      assert.deepEqual(fused.stats, viaTf.stats, `${DIFFERS} the statistics`);
      assert.equal(fused.state.length, viaTf.state.length);
      fused.state.forEach((a, k) => assert.deepEqual(a, viaTf.state[k], `${DIFFERS} weights / optimiser state ${k}`));
      assert.deepEqual(fused.streams, viaTf.streams, `${DIFFERS} the random streams (the order of noise draws)`);
    });
  }

  for (const [name, extra] of [
    ["LeMOL vs MADDPG", {}],
    ["LeMOL with its decentralised critic vs MADDPG", { decentralise_lemol_obs: true }],
    // row blocks with LeMOL's inputs given as column parts (the actor's [o, m], the target conditioned on the opponent's)
    ["LeMOL vs MADDPG, batch 150 (row blocks of 64 and 86)", { batch_size: 150, max_episode_len: 5, num_episodes: 160 }],
  ] as const) {
    it(`gives the tfjs path's experiment bit for bit: ${name} (metrics, weights, opponent model)`, async () => {
      const runs: { metrics: string; weights: Uint32Array[] }[] = [];
      for (const fused of [false, true]) {
        FusedMADDPGUpdate.enabled = fused;
        try {
          const exp = await experiment({
            num_episodes: 50,
            n_opp_cycles: 1,
            traj_per_iter: 1,
            agent_update_freq: 1,
            om_training_iters: 1,
            save_rate: 1000,
            ...extra,
          });
          await exp.run();
          const weights = exp.allTrainers.flatMap((tr) => {
            const a = tr as ActorCriticTrainer;
            return [a.actor, a.critic, a.targetActor, a.targetCritic].flatMap((net) =>
              net.params.map((p) => new Uint32Array((p.dataSync() as Float32Array).slice().buffer)),
            );
          });
          runs.push({ metrics: fs.readFileSync(exp.runDir.metricsFile, "utf8"), weights });
          exp.dispose();
        } finally {
          FusedMADDPGUpdate.enabled = true;
        }
      }
      assert.ok(runs[0].metrics.split("\n").length > 10, "metrics were logged");
      assert.equal(runs[1].metrics, runs[0].metrics, `${DIFFERS} the metrics`);
      runs[1].weights.forEach((w, k) => assert.deepEqual(w, runs[0].weights[k], `${DIFFERS} weights ${k}`));
    });
  }

  it("is not taken by M3DDPG (its worst case stays on tfjs); is taken beside LeMOL, whose target action is conditioned on its opponent's", () => {
    const { trainers } = game("simple_push", "mmmaddpg", "maddpg", { batchSize: 32, numUnits: 16 });
    for (const tr of trainers) tr.updatePath(trainers);
    const viaTf = trainers.map((tr) => kernelsDuring(() => assert.ok(tr.update(trainers, 0))) > 0);
    assert.deepEqual(viaTf, [true, false], "M3DDPG through tfjs, the MADDPG agent beside it fused");
    const lemol = makeLeMOL(0, {}, { batchSize: 32, numUnits: 16 });
    assert.equal(lemol.fusedTarget, "opponent");
    assert.equal(trainers[1].updatePath(trainers).path, "fused");
    assert.equal(trainers[1].updatePath([lemol, trainers[1]]).path, "fused", "beside LeMOL");
    assert.deepEqual(trainers[0].updatePath(trainers), { path: "tfjs", reason: "M3DDPG's worst-case actions run on tfjs ops" }, "adversarial (M3DDPG) learner");
    trainers.forEach((tr) => tr.dispose());
    lemol.dispose();
  });
});
