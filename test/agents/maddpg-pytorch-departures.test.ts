// maddpg-pytorch's departures from openai/maddpg in the MADDPG update itself (bench/third-party,
// docs/learning.md), each an option that is off by default: --normalise_rewards (each sampled
// batch's rewards standardised by the agent's whole buffer, its ReplayBuffer.sample(norm_rews=True))
// and --argmax_update_actions (arg-max one-hot target and partner actions, a straight-through hard
// own action in the actor's loss: its algorithms/maddpg.py), --pytorch_init (nn.Linear's default
// initialisation, targets starting as copies: its utils/networks.py and utils/agents.py) and
// --sample_without_replacement (distinct batch indices: its utils/buffer.py).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { before, describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { FusedMADDPGUpdate } from "../../src/agents/maddpg-fused.js";
import { argmaxOneHot } from "../../src/agents/maddpg-maths.js";
import type { MLP } from "../../src/nn/mlp.js";
import { createTrainers } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { CheckpointReader, CheckpointWriter } from "../../src/storage/checkpoint.js";
import { ReplayBuffer } from "../../src/storage/replay.js";
import { checkRun } from "../../src/train/build.js";
import { resolveConfig } from "../../src/train/config.js";
import { TrainingRunner } from "../../src/train/runner.js";
import { makeLeMOL } from "../helpers/lemol.js";
import { experiment, stopAndResume } from "../helpers/experiment.js";
import { ready, tf } from "../helpers/tf.js";

/** Mean and population std (numpy's, ddof 0) of `xs` in float64. */
function moments(xs: ArrayLike<number>): { mean: number; std: number } {
  let m = 0;
  for (let k = 0; k < xs.length; k++) m += xs[k];
  m /= xs.length;
  let v = 0;
  for (let k = 0; k < xs.length; k++) v += (xs[k] - m) ** 2;
  return { mean: m, std: Math.sqrt(v / xs.length) };
}

/** simple_speaker_listener's MADDPG trainers (batch 64) with their buffers filled (past exploration by default), by acting only. */
function game(config: object, fill = 64 * 25) {
  const env = new MultiAgentEnv("simple_speaker_listener", { seed: 5 });
  const trainers = createTrainers(env, {
    badPolicy: "maddpg",
    goodPolicy: "maddpg",
    seed: 5,
    config: { batchSize: 64, numUnits: 16, agentUpdateFreq: 1, timeLimitTerminal: false, ...config },
  }) as ActorCriticTrainer[];
  const runner = new TrainingRunner(env, trainers, { learn: false });
  while (trainers[0].replay.length < fill) runner.step();
  return trainers;
}

describe("--normalise_rewards", () => {
  before(ready);

  it("the replay buffer keeps its rewards' mean and std through a ring overwrite, a checkpoint and a clear", () => {
    const buf = new ReplayBuffer(1, 1, 5, 2);
    const rewards = [-3.3, 0.1, 7.77, -12.5, 2, 4.25, -0.6];
    for (const r of rewards) buf.add([0], [0], r, [0], false);
    // capacity 5: the first two rewards were overwritten; the stored values are float32
    const expected = moments(Float32Array.from(rewards.slice(2)));
    assert.ok(Math.abs(buf.rewardMean() - expected.mean) < 1e-12, `mean ${buf.rewardMean()} vs ${expected.mean}`);
    assert.ok(Math.abs(buf.rewardStd() - expected.std) < 1e-12, `std ${buf.rewardStd()} vs ${expected.std}`);
    // a checkpoint's buffer brings its moments back
    const w = new CheckpointWriter();
    buf.saveTo(w, "replay");
    const reloaded = new ReplayBuffer(1, 1, 5, 2);
    reloaded.loadFrom(new CheckpointReader({ values: w.values } as never, new Map(w.arrays.map((x) => [x.name, x])), "test"), "replay");
    assert.ok(Math.abs(reloaded.rewardMean() - expected.mean) < 1e-12 && Math.abs(reloaded.rewardStd() - expected.std) < 1e-12, "reloaded moments");
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

describe("--argmax_update_actions", () => {
  before(ready);

  it("argmaxOneHot marks each block's largest entry", () => {
    const x = tf.tensor2d([
      [0.1, 2, -1, 5, 4],
      [3, 2, 1, -2, -1],
    ]);
    assert.deepEqual(argmaxOneHot(x, [3, 2]).arraySync(), [
      [0, 1, 0, 1, 0],
      [1, 0, 0, 0, 1],
    ]);
    assert.deepEqual(argmaxOneHot(x, [5]).arraySync(), [
      [0, 0, 0, 1, 0],
      [1, 0, 0, 0, 0],
    ]);
    x.dispose();
  });

  /** Rows of `x` (one agent's actions) that are not a single one-hot. */
  const notOneHot = (x: number[][]) => x.filter((r) => r.filter((v) => v === 1).length !== 1 || r.some((v) => v !== 0 && v !== 1)).length;

  for (const on of [true, false]) {
    it(`${on ? "sends the critics arg-max target and partner actions and a hard own action" : "is off by default: Gumbel samples and the buffer's actions"}`, () => {
      // off: through tfjs ops too, to see what the critics are given (the fused path computes the same, test/agents/maddpg-fused)
      if (!on) FusedMADDPGUpdate.enabled = false;
      const trainers = game({ argmaxUpdateActions: on });
      const [speaker, listener] = trainers;
      // what the listener's update gives its critics: the target critic's input (TD target) and the
      // online critic's inputs (its own step, then the actor's)
      const seen: { target: number[][][][]; online: number[][][][] } = { target: [], online: [] };
      const split = (x: tf.Tensor2D) => {
        const rows = x.arraySync() as number[][];
        // simple_speaker_listener: obs 3 (speaker) + 11 (listener), then actions 3 + 5
        return [rows.map((r) => r.slice(0, 3)), rows.map((r) => r.slice(3, 14)), rows.map((r) => r.slice(14, 17)), rows.map((r) => r.slice(17, 22))];
      };
      const spy = (net: MLP, key: "target" | "online", method: "apply" | "forward") => {
        const original = net[method].bind(net) as (x: tf.Tensor2D) => never;
        (net as unknown as Record<string, unknown>)[method] = (x: tf.Tensor2D) => {
          seen[key].push(split(x));
          return original(x);
        };
      };
      spy(listener.targetCritic, "target", "apply");
      spy(listener.critic, "online", "forward");
      const before = listener.actor.params[0].dataSync().slice();
      const speakerTarget = speaker.targetActor.params[0].dataSync().slice();
      listener.update(trainers, 0);
      FusedMADDPGUpdate.enabled = true;
      const path = listener.updatePath(trainers);
      if (on) {
        assert.equal(path.path, "tfjs");
        assert.match(path.reason, /argmax_update_actions/);
      }
      assert.equal(seen.target.length, 1);
      assert.equal(seen.online.length, 2, "the critic's step, then the actor's");
      const [tObsS, tObsL, tActS, tActL] = seen.target[0];
      const [, , bufActS, bufActL] = seen.online[0];
      const [aObsS, , aActS, aActL] = seen.online[1];
      if (on) {
        assert.equal(notOneHot(tActS) + notOneHot(tActL), 0, "target actions are one-hots");
        // ... the target policies' arg-max at the next observations
        const expectT = (tr: typeof speaker, o: number[][]) => argmaxOneHot(tr.targetActor.apply(tf.tensor2d(o)), [tr.pd.actionSize]).arraySync();
        assert.deepEqual(tActS, expectT(speaker, tObsS));
        assert.deepEqual(tActL, expectT(listener, tObsL));
        assert.equal(notOneHot(aActS) + notOneHot(aActL), 0, "the actor's critic input holds one-hots");
        // the speaker's (the partner's) action there is its current policy's arg-max, not the buffer's
        assert.deepEqual(aActS, argmaxOneHot(speaker.actor.apply(tf.tensor2d(aObsS)), [3]).arraySync());
        assert.notDeepEqual(aActS, bufActS);
      } else {
        assert.ok(notOneHot(tActS) > 0 && notOneHot(aActL) > 0, "soft Gumbel samples");
        assert.deepEqual(aActS, bufActS, "the partner's stored action");
      }
      assert.ok(notOneHot(bufActL) > 0, "the critic's own step reads the buffer's soft actions either way");
      // the actor is stepped (its gradient flows through the soft sample: argmaxOneHot has none)
      assert.notDeepEqual(listener.actor.params[0].dataSync(), before);
      assert.deepEqual(speaker.targetActor.params[0].dataSync(), speakerTarget);
      trainers.forEach((t) => t.dispose());
    });
  }

  it("is refused by LeMOL and in a game with a LeMOL partner", () => {
    const config = { batchSize: 4, maxEpisodeLen: 5, numUnits: 16, argmaxUpdateActions: true };
    const lemol = makeLeMOL(0, {}, config);
    const env = new MultiAgentEnv("simple_push", { seed: 1 });
    const maddpg = createTrainers(env, { badPolicy: "maddpg", goodPolicy: "maddpg", seed: 1, config })[1];
    assert.throws(() => lemol.updatePath([lemol, maddpg]), /argmax_update_actions is implemented for MADDPG, DDPG and M3DDPG only, not LeMOLAgentTrainer/);
    assert.throws(
      () => maddpg.updatePath([lemol, maddpg]),
      /argmax_update_actions needs every agent to be MADDPG, DDPG or M3DDPG; agent 0 is lemol-bad_agent_0/,
    );
    lemol.dispose();
    maddpg.dispose();
  });

  it("is refused before a run that plays LeMOL or PPO starts", () => {
    assert.throws(
      () => checkRun(resolveConfig({ argmax_update_actions: true }), () => {}),
      /argmax_update_actions is implemented for MADDPG, DDPG and M3DDPG only; this run also plays lemol/,
    );
    assert.doesNotThrow(() => checkRun(resolveConfig({ argmax_update_actions: true, bad_policy: "maddpg", good_policy: "ddpg" }), () => {}));
  });
});

describe("--pytorch_init", () => {
  before(ready);

  /** Whether every layer of `net` lies within PyTorch's nn.Linear bound ±1/√fanIn with non-zero biases. */
  const pytorchLike = (net: MLP) =>
    net.params.every((p, k) => {
      const lim = 1 / Math.sqrt(net.sizes[Math.floor(k / 2)]);
      const v = p.dataSync();
      // spread over the range (not Glorot's narrower kernels, not zero biases); the critic's one bias is only non-zero
      return v.every((x) => Math.abs(x) <= lim) && v.every((x) => x !== 0) && (v.length < 8 || v.some((x) => Math.abs(x) > lim / 2));
    });
  const same = (a: MLP, b: MLP) => a.params.every((p, k) => tf.util.arraysEqual(p.dataSync(), b.params[k].dataSync()));

  for (const fused of [true, false]) {
    it(`starts actors and critics as nn.Linear, targets as their copies, and the update moves each separately (${fused ? "fused" : "tfjs"} path)`, () => {
      FusedMADDPGUpdate.enabled = fused;
      try {
        // polyak 0.5, so that the target's step is large enough to check
        const trainers = game({ pytorchInit: true, polyak: 0.5 });
        for (const t of trainers) {
          for (const net of [t.actor, t.critic]) assert.ok(pytorchLike(net), `${net.name}: nn.Linear's default`);
          assert.ok(same(t.targetActor, t.actor) && same(t.targetCritic, t.critic), `${t.name}: targets start as copies`);
        }
        const listener = trainers[1];
        const targetBefore = listener.targetActor.params.map((p) => p.dataSync().slice());
        listener.update(trainers, 0);
        assert.equal(listener.updatePath(trainers).path, fused ? "fused" : "tfjs");
        // θ' ← ½θ' + ½θ from the copy: the online actor moved, the target half way (their storage is not shared)
        assert.ok(!same(listener.targetActor, listener.actor), "target and online differ after an update");
        listener.targetActor.params.forEach((p, k) => {
          const online = listener.actor.params[k].dataSync();
          p.dataSync().forEach((v, e) => assert.ok(Math.abs(v - (0.5 * targetBefore[k][e] + 0.5 * online[e])) < 1e-6, `target ${k}[${e}]`));
        });
        // a new trajectory starts the same way
        listener.startTrajectory("learn");
        assert.ok(pytorchLike(listener.actor) && pytorchLike(listener.critic) && same(listener.targetActor, listener.actor));
        trainers.forEach((t) => t.dispose());
      } finally {
        FusedMADDPGUpdate.enabled = true;
      }
    });
  }

  it("is off by default: Glorot kernels, zero biases, independently drawn targets", () => {
    const trainers = game({}, 64);
    for (const t of trainers) {
      for (const net of [t.actor, t.critic])
        net.params.forEach(
          (p, k) =>
            k % 2 === 1 &&
            assert.ok(
              p.dataSync().every((x) => x === 0),
              `${net.name}: zero biases`,
            ),
        );
      assert.ok(!same(t.targetActor, t.actor) && !same(t.targetCritic, t.critic));
    }
    trainers.forEach((t) => t.dispose());
  });
});

describe("--sample_without_replacement", () => {
  before(ready);

  for (const fused of [true, false]) {
    it(`draws each batch's transitions distinct (${fused ? "fused" : "tfjs"} path); off by default`, () => {
      FusedMADDPGUpdate.enabled = fused;
      try {
        // a buffer of exactly one batch: without replacement the batch is all of it, with replacement it repeats
        const drawn = (sampleWithoutReplacement: boolean) => {
          const trainers = game({ sampleWithoutReplacement, learningStarts: 64 }, 64);
          const listener = trainers[1];
          listener.update(trainers, 0);
          assert.equal(listener.updatePath(trainers).path, fused ? "fused" : "tfjs");
          const index = [...(listener as unknown as { index: Int32Array }).index];
          trainers.forEach((t) => t.dispose());
          return index;
        };
        assert.deepEqual(
          drawn(true).sort((a, b) => a - b),
          Array.from({ length: 64 }, (_, k) => k),
        );
        assert.ok(new Set(drawn(false)).size < 64, "by default indices repeat");
      } finally {
        FusedMADDPGUpdate.enabled = true;
      }
    });
  }

  it("refuses an update from fewer transitions than a batch, and a run whose updates would start there", () => {
    const trainers = game({ sampleWithoutReplacement: true, learningStarts: 32 }, 32);
    assert.throws(() => trainers[1].update(trainers, 0), /cannot draw 64 distinct transitions from a buffer of 32/);
    trainers.forEach((t) => t.dispose());
    const run = (learning_starts: number | null) => () =>
      checkRun(resolveConfig({ sample_without_replacement: true, learning_starts, bad_policy: "maddpg", good_policy: "maddpg" }), () => {});
    assert.throws(run(1000), /sample_without_replacement draws batch_size \(1024\) distinct transitions: learning_starts \(1000\) must be at least that/);
    assert.doesNotThrow(run(1024));
    assert.doesNotThrow(run(null)); // batch_size x max_episode_len
  });
});

describe("--input_batchnorm", () => {
  before(ready);

  const vals = (v: tf.Variable) => [...v.dataSync()];

  it("normalises every network's input: batch statistics in the update (tfjs path, said why), running ones when acting; checkpoints keep them", () => {
    const trainers = game({ inputBatchnorm: true, polyak: 0.5 });
    const [speaker, listener] = trainers;
    for (const t of trainers) for (const net of [t.actor, t.critic, t.targetActor, t.targetCritic]) assert.ok(net.norm, `${net.name} has an input norm`);
    listener.update(trainers, 0);
    const path = listener.updatePath(trainers);
    assert.equal(path.path, "tfjs");
    assert.match(path.reason, /--input_batchnorm/);
    const norm = listener.actor.norm!;
    // the update trained the scale and shift (Adam's first step moves each by about lr) and the targets followed half way
    assert.ok(vals(norm.scale).every((v) => v !== 1) && vals(norm.shift).every((v) => v !== 0), "scale and shift trained");
    const targetScale = vals(listener.targetActor.norm!.scale);
    vals(norm.scale).forEach((v, k) => assert.ok(Math.abs(targetScale[k] - (0.5 + 0.5 * v)) < 1e-6, `target scale ${k}`));
    // the running statistics moved towards the batch's (the actor ran once in the update), the speaker's stayed
    assert.ok(
      vals(norm.runningMean).some((v) => Math.abs(v) > 1e-3),
      "running mean moved",
    );
    assert.deepEqual(
      vals(speaker.actor.norm!.runningMean),
      new Array(3).fill(0),
      "the speaker's actor has not run in the listener's update (its target actor has)",
    );
    // acting normalises by the running statistics
    const obs = Float64Array.from({ length: 11 }, (_, k) => 0.3 * k - 1);
    const plainOut = new Float64Array(5);
    (listener as unknown as { plainActor: { forward(x: ArrayLike<number>, o: number, out: Float64Array): void } }).plainActor.forward(obs, 0, plainOut);
    const [mu, v, g, b] = [norm.runningMean, norm.runningVar, norm.scale, norm.shift].map(vals);
    const normed = Array.from(obs, (x, k) => ((x - mu[k]) / Math.sqrt(v[k] + 1e-5)) * g[k] + b[k]);
    const direct = tf.tidy(() => {
      const saved = listener.actor.norm;
      // the MLP alone on the eval-mode normalised input
      (listener.actor as unknown as { norm: null }).norm = null;
      try {
        return [...listener.actor.apply(tf.tensor2d([normed])).dataSync()];
      } finally {
        (listener.actor as unknown as { norm: typeof saved }).norm = saved;
      }
    });
    plainOut.forEach((o, k) => assert.ok(Math.abs(o - direct[k]) < 1e-4, `acting logit ${k}: ${o} vs ${direct[k]}`));
    // a checkpoint keeps the scale, shift and running statistics of all four networks
    const w = new CheckpointWriter();
    listener.saveTo(w, "t", { replay: false });
    const fresh = game({ inputBatchnorm: true }, 0)[1];
    fresh.loadFrom(new CheckpointReader({ values: w.values } as never, new Map(w.arrays.map((x) => [x.name, x])), "test"), "t");
    for (const k of ["actor", "critic", "targetActor", "targetCritic"] as const)
      listener[k].norm!.variables.forEach((x, n) => assert.deepEqual(vals(fresh[k].norm!.variables[n]), vals(x), `${k} norm ${n}`));
    const freshOut = new Float64Array(5);
    (fresh as unknown as { plainActor: { forward(x: ArrayLike<number>, o: number, out: Float64Array): void } }).plainActor.forward(obs, 0, freshOut);
    assert.deepEqual(freshOut, plainOut, "the restored actor acts the same");
    trainers.forEach((t) => t.dispose());
    fresh.dispose();
  });

  it("is off by default: no input norm, the fused update", () => {
    const trainers = game({}, 64);
    assert.ok(trainers.every((t) => !t.actor.norm && !t.critic.norm && t.actor.trainable === t.actor.params));
    assert.equal(trainers[1].updatePath(trainers).path, "fused");
    trainers.forEach((t) => t.dispose());
  });

  it("resumes a run stopped mid-trajectory exactly (the running statistics are in the checkpoint)", async () => {
    const opts = {
      good_policy: "maddpg",
      bad_policy: "maddpg",
      input_batchnorm: true,
      num_episodes: 40,
      traj_per_iter: 1,
      n_opp_cycles: 1,
      learning_starts: 64,
      checkpoint_replay: true,
    };
    const whole = await experiment(opts);
    await whole.run();
    const resumed = await stopAndResume({ ...(await import("../helpers/experiment.js")).REDUCED, ...opts }, 20);
    assert.ok(whole.metrics.select("q_loss").length > 0, "the run updated");
    const rows = (e: typeof whole) => fs.readFileSync(e.runDir.metricsFile, "utf8").split("\n");
    const [a, b] = [rows(resumed), rows(whole)];
    const k = a.findIndex((r, i) => r !== b[i]);
    assert.ok(k < 0 && a.length === b.length, `row ${k} of ${a.length} / ${b.length}: ${a[k]} vs ${b[k]}`);
    whole.dispose();
    resumed.dispose();
  });

  it("is refused by LeMOL, before a run that plays it starts", () => {
    const lemol = makeLeMOL(0, {}, { batchSize: 4, maxEpisodeLen: 5, numUnits: 16, inputBatchnorm: true });
    assert.throws(() => lemol.updatePath([lemol]), /input_batchnorm is implemented for MADDPG, DDPG and M3DDPG only, not LeMOLAgentTrainer/);
    lemol.dispose();
    assert.throws(
      () => checkRun(resolveConfig({ input_batchnorm: true }), () => {}),
      /input_batchnorm is implemented for MADDPG, DDPG and M3DDPG only; this run also plays lemol/,
    );
  });
});
