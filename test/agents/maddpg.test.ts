// MADDPG / DDPG / M3DDPG trainers: shapes, cadence, the M3DDPG worst case (spec §9.2 item 7),
// resets, determinism and tensor hygiene.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { MADDPGAgentTrainer, worstCaseActions } from "../../src/agents/maddpg.js";
import { createTrainers, UnknownPolicyError } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { MLP } from "../../src/nn/mlp.js";
import { activateNative, deactivateNative } from "../../src/nn/native-kernels.js";
import { TrainingRunner } from "../../src/train/runner.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, ready, tf, values } from "../helpers/tf.js";

const small = { batchSize: 32, maxEpisodeLen: 25, numUnits: 16 };

function pushTrainers(bad = "maddpg", good = "maddpg", seed = 1, config: object = small) {
  const env = new MultiAgentEnv("simple_push", { seed });
  return { env, trainers: createTrainers(env, { badPolicy: bad, goodPolicy: good, seed, config }) };
}

describe("MADDPG trainers", () => {
  before(ready);

  it("have the dimensions of lemol-spec §1 on simple_push", () => {
    const { trainers } = pushTrainers("maddpg", "maddpg", 1, {});
    const [bad, good] = trainers;
    assert.deepEqual(bad.actor.sizes, [8, 64, 64, 5]);
    assert.deepEqual(good.actor.sizes, [19, 64, 64, 5]);
    assert.deepEqual(bad.critic.sizes, [37, 64, 64, 1], "centralised critic: 8 + 19 + 5 + 5");
    assert.deepEqual(good.critic.sizes, [37, 64, 64, 1]);
    assert.deepEqual([bad.name, good.name], ["maddpg-bad_agent_0", "maddpg-good_agent_1"]);
    const ddpg = pushTrainers("ddpg", "ddpg", 1, {}).trainers;
    assert.deepEqual([ddpg[0].critic.sizes[0], ddpg[1].critic.sizes[0]], [13, 24], "local critic: own obs + own action");
    trainers.concat(ddpg).forEach((t) => t.dispose());
  });

  it("initialise target networks independently (never copies of the online nets)", () => {
    const { trainers } = pushTrainers();
    const t = trainers[0];
    assert.notDeepEqual(values(t.targetActor.params[0]), values(t.actor.params[0]));
    assert.notDeepEqual(values(t.targetCritic.params[0]), values(t.critic.params[0]));
    trainers.forEach((x) => x.dispose());
  });

  it("update only after batch_size x max_episode_len transitions and on the update cadence", () => {
    const { env, trainers } = pushTrainers("maddpg", "maddpg", 2, { ...small, agentUpdateFreq: 25 });
    const run = new TrainingRunner(env, trainers);
    while (trainers[0].replay.length < 32 * 25 - 1) assert.deepEqual(run.step().updates, [null, null]);
    // the buffer reaches 800 after train_step 799; the first update is at train_step 800 (800 % 25 == 0)
    let first = -1;
    while (first < 0) {
      const t = run.trainStep;
      if (run.step().updates[0]) first = t;
    }
    assert.equal(first, 800);
    assert.ok(trainers[0].initialExplorationDone);
    for (let k = 1; k < 25; k++) assert.equal(run.step().updates[0], null, "off cadence");
    assert.ok(run.step().updates[0], "next update 25 steps later");
    trainers.forEach((x) => x.dispose());
  });

  it("M3DDPG moves the other agent's target action by -adv_eps·w/|w| under a linear critic, and leaves its own", () => {
    // critic = w·x, built exactly from ReLUs: h1 = [relu(x), relu(-x)], h2 = h1, out = [w; -w]·h2
    const n = 6,
      B = 3;
    const critic = new MLP([n, 2 * n, 2 * n, 1], new Rng(1));
    const w = [0.5, -1, 2, 0.3, -0.7, 1.1];
    const W0 = new Float32Array(n * 2 * n),
      W1 = new Float32Array(4 * n * n),
      W2 = new Float32Array(2 * n);
    for (let k = 0; k < n; k++) {
      W0[k * 2 * n + k] = 1;
      W0[k * 2 * n + n + k] = -1;
      W2[k] = w[k];
      W2[n + k] = -w[k];
    }
    for (let k = 0; k < 2 * n; k++) W1[k * 2 * n + k] = 1;
    critic.setWeights([W0, new Float32Array(2 * n), W1, new Float32Array(2 * n), W2, new Float32Array(1)]);
    // input = [obs (2) | own action (2) | other action (2)]
    const rng = new Rng(2);
    const x = Float32Array.from({ length: B * n }, () => rng.normal());
    const [own, other] = tf.tidy(() => {
      const input = tf.tensor2d(x, [B, n]);
      const acts = [tf.slice(input, [0, 2], [B, 2]) as tf.Tensor2D, tf.slice(input, [0, 4], [B, 2]) as tf.Tensor2D];
      const r = worstCaseActions(
        critic,
        input,
        acts,
        0,
        (j) => 2 + 2 * j,
        () => 1e-3,
      );
      return [values(r[0]), values(r[1])];
    });
    const wj = [w[4], w[5]];
    const nw = Math.hypot(...wj);
    for (let b = 0; b < B; b++) {
      assertClose(own.slice(2 * b, 2 * b + 2), [x[b * n + 2], x[b * n + 3]], 0, `own action row ${b}`);
      assertClose(other.slice(2 * b, 2 * b + 2), [x[b * n + 4] - (1e-3 * wj[0]) / nw, x[b * n + 5] - (1e-3 * wj[1]) / nw], 1e-6, `other row ${b}`);
    }
    critic.dispose();
  });

  it("M3DDPG with adv_eps = 0 is MADDPG exactly (same losses, bit for bit)", () => {
    const stats = ["maddpg", "mmmaddpg"].map((policy) => {
      const { env, trainers } = pushTrainers(policy, policy, 3, { ...small, advEps: 0 });
      const run = new TrainingRunner(env, trainers);
      const out: number[] = [];
      while (out.length < 20) for (const u of run.step().updates) if (u) out.push(u.qLoss, u.pLoss, u.targetQ);
      trainers.forEach((t) => t.dispose());
      return out;
    });
    assert.deepEqual(stats[1], stats[0]);
  });

  it("M3DDPG with adv_eps > 0: the actor loss through the same critic is MADDPG's bit for bit (the original never perturbs the actor's input; spec §9.2 item 7)", () => {
    // the critics frozen (their Adam steps skipped), so that both actor losses go through the same
    // critic, while the worst case still moves the TD target
    const run = (policy: string) => {
      const { env, trainers } = pushTrainers(policy, policy, 3, { ...small, advEps: 0.5 });
      for (const t of trainers) {
        t.criticOptimiser.apply = () => {};
        t.criticOptimiser.applyArrays = () => {};
      }
      const r = new TrainingRunner(env, trainers);
      const out: { pLoss: number; targetQNext: number }[] = [];
      while (out.length < 6) for (const u of r.step().updates) if (u) out.push({ pLoss: u.pLoss, targetQNext: u.targetQNext });
      trainers.forEach((t) => t.dispose());
      return out;
    };
    const maddpg = run("maddpg"),
      m3 = run("mmmaddpg");
    assert.deepEqual(
      m3.map((u) => u.pLoss),
      maddpg.map((u) => u.pLoss),
      "actor losses",
    );
    assert.ok(
      m3.every((u, k) => u.targetQNext !== maddpg[k].targetQNext),
      "the perturbation is active: every TD target differs",
    );
  });

  it("M3DDPG with adv_eps > 0 changes the TD target", () => {
    const run = (policy: string) => {
      const { env, trainers } = pushTrainers(policy, policy, 3, { ...small, advEps: 0.5 });
      const r = new TrainingRunner(env, trainers);
      let u = null;
      while (!u) u = r.step().updates[0];
      trainers.forEach((t) => t.dispose());
      return u;
    };
    const a = run("maddpg"),
      b = run("mmmaddpg");
    assert.notEqual(a.targetQNext, b.targetQNext);
    assert.equal(a.reward, b.reward, "same sampled batch");
  });

  it("resetLearner gives new weights and an empty buffer but keeps the Adam state", () => {
    const { env, trainers } = pushTrainers("maddpg", "maddpg", 4);
    const run = new TrainingRunner(env, trainers);
    while (!run.step().updates[0]);
    const t = trainers[0];
    const adam = t.actorOptimiser.getState();
    const w = values(t.actor.params[0]);
    t.resetLearner();
    assert.equal(t.replay.length, 0);
    assert.notDeepEqual(values(t.actor.params[0]), w);
    assert.deepEqual(t.actorOptimiser.getState(), adam);
    assert.ok(t.initialExplorationDone, "MADDPG keeps its flag (lemol-spec §2.3)");
    trainers.forEach((x) => x.dispose());
  });

  it("give identical losses for 200 updates with the same seed, twice in a row", () => {
    const losses = () => {
      const { env, trainers } = pushTrainers("maddpg", "mmmaddpg", 5);
      const run = new TrainingRunner(env, trainers);
      const out: number[] = [];
      while (out.length < 200 * 2) for (const u of run.step().updates) if (u) out.push(u.qLoss, u.pLoss);
      trainers.forEach((t) => t.dispose());
      return out;
    };
    const a = losses();
    const b = losses();
    assert.equal(a.length, 400);
    assert.deepEqual(b, a);
    assert.ok(a.every(Number.isFinite));
  });

  it("do not leak tensors: numTensors stays flat over 2,000 updates", () => {
    const { env, trainers } = pushTrainers("maddpg", "mmmaddpg", 6, { ...small, batchSize: 16, adversarialActor: true });
    const run = new TrainingRunner(env, trainers);
    let updates = 0;
    let base = -1;
    while (updates < 2000) {
      const o = run.step();
      if (o.updates[0]) {
        updates++;
        if (updates === 10) base = tf.memory().numTensors;
      }
    }
    assert.ok(base > 0);
    assert.equal(tf.memory().numTensors, base);
    trainers.forEach((x) => x.dispose());
  });

  it("learn the same way with the native and the composite kernels (losses agree closely)", () => {
    const losses = (native: boolean) => {
      if (native) activateNative();
      else deactivateNative();
      const { env, trainers } = pushTrainers("maddpg", "mmmaddpg", 7);
      const run = new TrainingRunner(env, trainers);
      const out: number[] = [];
      while (out.length < 10 * 2) for (const u of run.step().updates) if (u) out.push(u.qLoss, u.pLoss);
      trainers.forEach((t) => t.dispose());
      activateNative();
      return out;
    };
    const composite = losses(false);
    const native = losses(true);
    assertClose(native, composite, 1e-3, "losses", 1);
  });

  it("reject unknown policy names, listing the known ones", () => {
    assert.throws(
      () => pushTrainers("maddpgg"),
      (e: Error) => e instanceof UnknownPolicyError && /unknown bad policy "maddpgg"; expected one of: maddpg, ddpg, mmmaddpg/.test(e.message),
    );
  });

  it("work on scenarios with more agents and with continuous actions", () => {
    const env = new MultiAgentEnv("simple_tag", { seed: 1, discreteActionSpace: false });
    const trainers = createTrainers(env, { badPolicy: "maddpg", goodPolicy: "ddpg", seed: 1, config: { ...small, batchSize: 8 } });
    assert.equal(trainers[0].pd.kind, "diag_gaussian");
    assert.deepEqual(trainers[0].actor.sizes, [16, 16, 16, 4]);
    const run = new TrainingRunner(env, trainers);
    let n = 0;
    while (n < 3) for (const u of run.step().updates) if (u && Number.isFinite(u.qLoss)) n++;
    trainers.forEach((t: MADDPGAgentTrainer) => t.dispose());
  });
});
