// PPO (lemol-spec §6.1, corrected per §8 item 21): returns and advantages, the clipped objective,
// backward passes against finite differences, acting, KL early stopping, learning on a contextual
// bandit, determinism, resets, checkpoints and tensor hygiene.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import {
  categoricalLogp,
  categoricalLogpBackward,
  clippedSurrogate,
  discountedCumsum,
  gaeAdvantages,
  gaussianLogp,
  gaussianLogpBackward,
  LOG_STD_INIT,
  PPOAgentTrainer,
  PPOConfig,
  PPOStats,
} from "../../src/agents/ppo/agent.js";
import { TanhMLP } from "../../src/nn/tanh-mlp.js";
import { CheckpointWriter, loadCheckpoint, saveCheckpoint } from "../../src/storage/checkpoint.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, numericDerivative, ready, tf, values } from "../helpers/tf.js";

// --- helpers ---

function agent(discrete: boolean, config: Partial<PPOConfig> = {}, seed = 1, obsSize = 3, actionSize = 5): PPOAgentTrainer {
  return new PPOAgentTrainer({ name: "ppo-good_agent_0", agentIndex: 0, obsSize, actionSize, discrete, config, seed });
}

/**
 * One-step contextual bandit: obs = one-hot of a context c ∈ {0, 1, 2}; discrete: reward 1 when
 * argmax(action) = c; continuous: reward action[c] (the soft action's mass on c). Every step ends
 * its episode (a true `done`). Runs until `updates` updates; returns their stats and every action.
 */
function runBandit(a: PPOAgentTrainer, env: Rng, updates: number, t0 = 0): { stats: PPOStats[]; actions: number[]; t: number } {
  const obs = new Float64Array(3);
  const act = new Float64Array(a.actionSize);
  const stats: PPOStats[] = [];
  const actions: number[] = [];
  let t = t0;
  while (stats.length < updates) {
    const c = env.int(3);
    obs.fill(0);
    obs[c] = 1;
    a.act(obs, act);
    actions.push(...act);
    let am = 0;
    for (let j = 1; j < act.length; j++) if (act[j] > act[am]) am = j;
    const r = a.discrete ? (am === c ? 1 : 0) : act[c];
    a.experience(obs, act, r, obs, true, false);
    const s = a.update([a], t++);
    if (s) stats.push(s);
  }
  return { stats, actions, t };
}

function weights(a: PPOAgentTrainer): number[][] {
  return [...a.policy.params, ...a.valueNet.params, ...(a.logStd ? [a.logStd] : [])].map(values);
}

/** Float64 reference forward of a tanh MLP on a batch (row-major x [B, sizes[0]]). */
function refTanhMLP(sizes: readonly number[], p: readonly Float64Array[], x: Float64Array, B: number): Float64Array {
  let h = x;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nIn = sizes[l],
      nOut = sizes[l + 1];
    const out = new Float64Array(B * nOut);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < nOut; j++) {
        let s = p[2 * l + 1][j];
        for (let i = 0; i < nIn; i++) s += h[b * nIn + i] * p[2 * l][i * nOut + j];
        out[b * nOut + j] = l + 2 < sizes.length ? Math.tanh(s) : s;
      }
    h = out;
  }
  return h;
}

const f32 = (xs: ArrayLike<number>) => Float64Array.from(xs, Math.fround);

describe("PPO: returns and advantages", () => {
  it("discounted cumulative sums", () => {
    assertClose(discountedCumsum([1, 2, 3], 0.5), [2.75, 3.5, 3], 1e-12, "cumsum");
    assertClose(discountedCumsum([1, 1, 1, 1], 1), [4, 3, 2, 1], 1e-12, "cumsum γ=1");
  });

  it("GAE-λ and reward-to-go on hand-computed numbers: true done (bootstrap 0) vs time limit (bootstrap V)", () => {
    // rewards [1, 0, 2], values [0.5, 1, 1.5], γ = 0.9, λ = 0.8, γλ = 0.72
    const rew = [1, 0, 2],
      val = [0.5, 1, 1.5];
    // done: δ = [1 + 0.9·1 − 0.5, 0 + 0.9·1.5 − 1, 2 + 0 − 1.5] = [1.4, 0.35, 0.5]
    //   A2 = 0.5, A1 = 0.35 + 0.72·0.5 = 0.71, A0 = 1.4 + 0.72·0.71 = 1.9112; R = [2.62, 1.8, 2]
    const done = gaeAdvantages(rew, val, 0, 0.9, 0.8);
    assertClose(done.adv, [1.9112, 0.71, 0.5], 1e-12, "adv (done)");
    assertClose(done.ret, [2.62, 1.8, 2], 1e-12, "ret (done)");
    // time limit with V(o_3) = 2: δ2 = 2 + 0.9·2 − 1.5 = 2.3, A1 = 0.35 + 0.72·2.3 = 2.006,
    //   A0 = 1.4 + 0.72·2.006 = 2.84432; R2 = 2 + 1.8 = 3.8, R1 = 3.42, R0 = 4.078
    const cut = gaeAdvantages(rew, val, 2, 0.9, 0.8);
    assertClose(cut.adv, [2.84432, 2.006, 2.3], 1e-12, "adv (time limit)");
    assertClose(cut.ret, [4.078, 3.42, 3.8], 1e-12, "ret (time limit)");
  });

  it("λ = 1 gives A = R − V and λ = 0 gives A = δ (4-step path)", () => {
    const rew = [0.3, -1, 2, 0.5],
      val = [1, 0.2, -0.4, 0.9],
      last = 0.7,
      g = 0.95;
    const one = gaeAdvantages(rew, val, last, g, 1);
    assertClose(
      one.adv,
      one.ret.map((r, t) => r - val[t]),
      1e-12,
      "λ=1",
    );
    const zero = gaeAdvantages(rew, val, last, g, 0);
    const next = [...val.slice(1), last];
    assertClose(
      zero.adv,
      rew.map((r, t) => r + g * next[t] - val[t]),
      1e-12,
      "λ=0",
    );
  });
});

describe("PPO: the clipped objective", () => {
  it("loss, KL and gradient on hand-computed numbers (inside / outside the clip, both signs of A)", () => {
    // ε = 0.2; per sample (r, A) → min(r·A, clip(r)·A), d/dlogp of that term
    //   (1.1, +1) → 1.1 (inside), grad r·A = 1.1      (1.5, +1) → 1.2 (clipped), grad 0
    //   (0.5, +1) → 0.5 (below: unclipped min), 0.5   (0.5, −2) → −1.6 (clipped), grad 0
    //   (1.5, −2) → −3 (above: unclipped min), −3     (0.9, −1) → −0.9 (inside), −0.9
    const r = [1.1, 1.5, 0.5, 0.5, 1.5, 0.9];
    const A = [1, 1, 1, -2, -2, -1];
    const logpOld = [-1, -2, -0.5, -3, -1.2, -0.1];
    const logp = r.map((x, i) => Math.log(x) + logpOld[i]);
    const d = new Float64Array(6);
    const out = clippedSurrogate(logp, logpOld, A, 0.2, d);
    assert.ok(Math.abs(out.loss - -(1.1 + 1.2 + 0.5 - 1.6 - 3 - 0.9) / 6) < 1e-12, `loss ${out.loss}`);
    assert.ok(Math.abs(out.loss - 0.45) < 1e-12);
    assert.ok(Math.abs(out.kl - -r.reduce((s, x) => s + Math.log(x), 0) / 6) < 1e-12, `kl ${out.kl}`);
    assertClose(d, [-1.1 / 6, 0, -0.5 / 6, 0, 3 / 6, 0.9 / 6], 1e-12, "dLoss/dlogp");
    assert.equal(out.clipFrac, 2 / 6);
    // and the gradient is the loss's derivative (away from the kinks)
    const x = Float64Array.from(logp);
    for (let i = 0; i < 6; i++) {
      const num = numericDerivative(() => clippedSurrogate(x, logpOld, A, 0.2).loss, x, i, 1e-7);
      assert.ok(Math.abs(num - d[i]) < 1e-6, `sample ${i}: numeric ${num} vs ${d[i]}`);
    }
  });
});

describe("PPO: backward passes against finite differences", () => {
  before(ready);

  it("tanh MLP: parameter and input gradients", () => {
    const sizes = [3, 4, 4, 2];
    const net = new TanhMLP(sizes, new Rng(3), "t");
    const rng = new Rng(4);
    const B = 3;
    const x = f32(Array.from({ length: B * 3 }, () => rng.normal()));
    const c = f32(Array.from({ length: B * 2 }, () => rng.normal())); // loss = Σ c ⊙ out
    const p = net.params.map((v) => Float64Array.from(v.dataSync()));
    const loss = () => refTanhMLP(sizes, p, x, B).reduce((s, o, k) => s + c[k] * o, 0);
    const [grads, dx, out] = tf.tidy(() => {
      const cache = net.forward(tf.tensor2d(Float32Array.from(x), [B, 3]));
      const g = net.backward(cache, tf.tensor2d(Float32Array.from(c), [B, 2]), true);
      return [g.params.map(values), values(g.input!), values(cache.out)];
    });
    assertClose(out, refTanhMLP(sizes, p, x, B), 1e-5, "forward");
    p.forEach((arr, k) => {
      const num = Array.from(arr, (_, i) => numericDerivative(loss, arr, i, 1e-6));
      assertClose(grads[k], num, 1e-4, `param ${k}`);
    });
    assertClose(
      dx,
      Array.from(x, (_, i) => numericDerivative(loss, x, i, 1e-6)),
      1e-4,
      "input",
    );
    // the plain forward pass agrees
    const plain = net.toPlain();
    const o = new Float64Array(2);
    plain.forward(x, 3, o);
    assertClose(o, out.slice(2, 4), 1e-5, "plain forward");
    net.dispose();
  });

  it("Gaussian log-probability and its gradients with respect to μ and log σ", () => {
    const B = 4,
      n = 3;
    const rng = new Rng(5);
    const mu = f32(Array.from({ length: B * n }, () => rng.normal()));
    const ls = f32(Array.from({ length: n }, () => 0.3 * rng.normal()));
    const z = f32(Array.from({ length: B * n }, () => rng.normal()));
    const g = f32(Array.from({ length: B }, () => rng.normal()));
    const ref = (b: number) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += -0.5 * ((z[b * n + j] - mu[b * n + j]) / Math.exp(ls[j])) ** 2 - ls[j] - 0.5 * Math.log(2 * Math.PI);
      return s;
    };
    const loss = () => g.reduce((s, gb, b) => s + gb * ref(b), 0);
    const [logp, dMu, dLs] = tf.tidy(() => {
      const muT = tf.tensor2d(Float32Array.from(mu), [B, n]),
        lsT = tf.tensor1d(Float32Array.from(ls)),
        zT = tf.tensor2d(Float32Array.from(z), [B, n]);
      const bw = gaussianLogpBackward(muT, lsT, zT, tf.tensor1d(Float32Array.from(g)));
      return [values(gaussianLogp(muT, lsT, zT)), values(bw.dMu), values(bw.dLogStd)];
    });
    assertClose(
      logp,
      Array.from({ length: B }, (_, b) => ref(b)),
      1e-5,
      "logp",
    );
    assertClose(
      dMu,
      Array.from(mu, (_, i) => numericDerivative(loss, mu, i, 1e-6)),
      1e-4,
      "dμ",
    );
    assertClose(
      dLs,
      Array.from(ls, (_, i) => numericDerivative(loss, ls, i, 1e-6)),
      1e-4,
      "d log σ",
    );
  });

  it("categorical log-probability and its gradient with respect to the logits", () => {
    const B = 4,
      n = 5;
    const rng = new Rng(6);
    const logits = f32(Array.from({ length: B * n }, () => 2 * rng.normal()));
    const k = Array.from({ length: B }, () => rng.int(n));
    const oh = new Float32Array(B * n);
    k.forEach((kb, b) => (oh[b * n + kb] = 1));
    const g = f32(Array.from({ length: B }, () => rng.normal()));
    const ref = (b: number) => {
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, logits[b * n + j]);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(logits[b * n + j] - m);
      return logits[b * n + k[b]] - m - Math.log(s);
    };
    const loss = () => g.reduce((s, gb, b) => s + gb * ref(b), 0);
    const [logp, dLogits] = tf.tidy(() => {
      const l = tf.tensor2d(Float32Array.from(logits), [B, n]),
        o = tf.tensor2d(oh, [B, n]);
      return [values(categoricalLogp(l, o)), values(categoricalLogpBackward(l, o, tf.tensor1d(Float32Array.from(g))))];
    });
    assertClose(
      logp,
      Array.from({ length: B }, (_, b) => ref(b)),
      1e-5,
      "logp",
    );
    assertClose(
      dLogits,
      Array.from(logits, (_, i) => numericDerivative(loss, logits, i, 1e-6)),
      1e-4,
      "dlogits",
    );
  });
});

describe("PPO agent", () => {
  before(ready);

  it("acts discretely with the one-hot of a *sample* (not the mode), remembering its log-probability", () => {
    const a = agent(true, { numUnits: 8, historyLength: 4000 }, 2, 3, 4);
    // large logits so that the distribution is far from uniform
    tf.tidy(() => a.policy.params[4].assign(tf.mul(a.policy.params[4], 6)));
    a.syncActingWeights();
    const obs = [0.5, -1, 0.25];
    const probs = tf.tidy(() => values(tf.softmax(a.policy.apply(tf.tensor2d([obs], [1, 3])))));
    const counts = [0, 0, 0, 0];
    const out = new Float64Array(4);
    for (let s = 0; s < 4000; s++) {
      a.act(obs, out);
      assert.equal(
        out.reduce((x, y) => x + y, 0),
        1,
      );
      const k = out.indexOf(1);
      assert.ok(k >= 0 && out.every((v) => v === 0 || v === 1), "one-hot");
      counts[k]++;
      a.experience(obs, out, 0, obs, false, false);
      assert.equal(a.buffer.sample[s], k, "stores k");
      assert.ok(Math.abs(a.buffer.logp[s] - Math.log(probs[k])) < 1e-5, "logp of the sample");
    }
    assert.ok(Math.max(...probs) < 0.9 && Math.max(...probs) > 0.3, `test needs a skewed but not deterministic policy: ${probs}`);
    counts.forEach((c, j) => assert.ok(Math.abs(c / 4000 - probs[j]) < 0.03, `frequency of ${j}: ${c / 4000} vs p = ${probs[j]}`));
    assert.ok(Math.abs(a.buffer.val[0] - tf.tidy(() => values(a.valueNet.apply(tf.tensor2d([obs], [1, 3])))[0])) < 1e-5, "V(o)");
    a.dispose();
  });

  it("acts continuously with softmax(z), z = μ + σε, remembering z and log N(z) (as training evaluates it)", () => {
    const a = agent(false, { numUnits: 8, historyLength: 20 }, 3, 3, 5);
    const rng = new Rng(9);
    const out = new Float64Array(5);
    const obs: number[][] = [];
    for (let s = 0; s < 20; s++) {
      const o = [rng.normal(), rng.normal(), rng.normal()];
      obs.push(o);
      a.act(o, out);
      a.experience(o, out, 0, o, false, false);
      const zs = Array.from(a.buffer.sample.subarray(s * 5, s * 5 + 5));
      const e = zs.map((v) => Math.exp(v));
      const sum = e.reduce((x, y) => x + y, 0);
      assertClose(
        out,
        e.map((v) => v / sum),
        1e-12,
        `action ${s} = softmax(z)`,
      );
    }
    const [logp, mu] = tf.tidy(() => {
      const muT = a.policy.apply(tf.tensor2d(obs.flat(), [20, 3]));
      return [values(gaussianLogp(muT, a.logStd!, tf.tensor2d(a.buffer.sample, [20, 5]))), values(muT)];
    });
    assertClose(a.buffer.logp, logp, 1e-4, "stored logp = training's logp of the stored z");
    // the samples are spread around μ with σ = exp(-0.5)
    let sq = 0;
    for (let i = 0; i < 100; i++) sq += (a.buffer.sample[i] - mu[i]) ** 2;
    assert.ok(Math.abs(Math.sqrt(sq / 100) - Math.exp(LOG_STD_INIT)) < 0.15, `spread ${Math.sqrt(sq / 100)}`);
    a.dispose();
  });

  it("ends paths at done (bootstrap 0), at the time limit and at a full buffer (bootstrap V(o')), with per-path slices", () => {
    const H = 7;
    const a = agent(false, { numUnits: 8, historyLength: H, agentUpdateFreq: 4, trainCycles: 3, gamma: 0.9, lambda: 0.8 }, 4, 3, 2);
    const rng = new Rng(11);
    const out = new Float64Array(2);
    // path A: steps 0-2 end with done; path B: steps 3-4 end with the time limit; path C: 5-6 cut by the full buffer
    const ends: Record<number, [boolean, boolean]> = { 2: [true, false], 4: [false, true] };
    const check = (round: number, t0: number) => {
      const next: number[][] = [];
      for (let s = 0; s < H; s++) {
        const o = [rng.normal(), rng.normal(), rng.normal()];
        const o2 = [rng.normal(), rng.normal(), rng.normal()];
        next.push(o2);
        a.act(o, out);
        const [done, terminal] = ends[s] ?? [false, false];
        a.experience(o, out, rng.normal(), o2, done, terminal);
      }
      const b = a.buffer;
      assert.equal(b.ptr, H);
      const slice = (x: Float64Array, s: number, e: number) => Array.from(x.subarray(s, e));
      for (const [s, e, last] of [
        [0, 3, 0],
        [3, 5, a.valueOf(next[4])],
        [5, 7, a.valueOf(next[6])],
      ] as const) {
        const want = gaeAdvantages(slice(b.rew, s, e), slice(b.val, s, e), last, 0.9, 0.8);
        assertClose(slice(b.adv, s, e), want.adv, 1e-12, `round ${round} path [${s}, ${e}) adv`);
        assertClose(slice(b.ret, s, e), want.ret, 1e-12, `round ${round} path [${s}, ${e}) ret`);
      }
      assert.notEqual(a.valueOf(next[4]), 0, "the bootstrap value is not trivially 0");
      // the buffer is full at step t0 + 6; the cadence (t % 4 == 0) comes round later: steps in between are dropped
      let t = t0 + H - 1;
      const dropped = a.droppedSteps;
      while (t % 4 !== 0) {
        assert.equal(a.update([a], t), null);
        a.act([0, 0, 0], out);
        a.experience([0, 0, 0], out, 0, [0, 0, 0], false, false);
        t++;
      }
      assert.ok(a.droppedSteps > dropped);
      const stats = a.update([a], t);
      assert.ok(stats && stats.policySteps <= 3);
      assert.equal(a.buffer.ptr, 0, "cleared after the update");
      return t + 1;
    };
    const t1 = check(1, 0);
    check(2, t1); // the second round's slices start at 0 again (the original's ran past the buffer)
    // every step entered the replay buffer, with done = done || terminal
    assert.equal(a.replay.length, 2 * H + a.droppedSteps);
    const batch = a.replay.newBatch(H);
    a.replay.gather(
      Int32Array.from({ length: H }, (_, i) => i),
      batch,
    );
    assert.deepEqual(Array.from(batch.done), [0, 0, 1, 0, 1, 0, 0]);
    a.dispose();
  });

  it("stops the policy steps early on the approximate KL (huge learning rate), and runs them all when the target is loose", () => {
    const run = (config: Partial<PPOConfig>) => {
      const a = agent(true, { numUnits: 16, historyLength: 100, trainCycles: 30, ...config }, 5);
      const { stats } = runBandit(a, new Rng(1), 1);
      a.dispose();
      return stats[0];
    };
    const huge = run({ piLr: 0.1 });
    assert.ok(huge.policySteps < 30, `stopped after ${huge.policySteps} steps`);
    assert.ok(huge.kl > 1.5 * 0.01, `the final policy's KL ${huge.kl} exceeds 1.5 × target`);
    const loose = run({ targetKl: 1e9 });
    assert.equal(loose.policySteps, 30);
    // the first evaluation is at the collecting policy: ratio 1, loss −mean(normalised A) = 0
    assert.ok(Math.abs(loose.piLoss) < 1e-4, `piLoss before the update ${loose.piLoss}`);
  });

  it("learns a discrete contextual bandit (mean reward from ~0.2 to > 0.6 in 8 updates)", () => {
    const a = agent(true, {}, 1);
    const { stats } = runBandit(a, new Rng(7), 8);
    const r = stats.map((s) => s.meanReturn);
    assert.ok(r[0] < 0.35, `first batch ${r[0]} near the random level 0.2`);
    assert.ok(r[7] > 0.6, `after 8 updates ${r.map((x) => x.toFixed(2))}`);
    assert.ok(stats.every((s) => Number.isFinite(s.vLoss) && Number.isFinite(s.piLoss)));
    a.dispose();
  });

  it("learns a continuous (soft-action) contextual bandit (mean reward from ~0.2 to > 0.45 in 15 updates)", () => {
    const a = agent(false, {}, 1);
    const { stats } = runBandit(a, new Rng(7), 15);
    const r = stats.map((s) => s.meanReturn);
    assert.ok(r[0] < 0.3, `first batch ${r[0]} near the random level 0.2`);
    assert.ok(r[14] > 0.45, `after 15 updates ${r.map((x) => x.toFixed(2))}`);
    a.dispose();
  });

  it("gives partners a deterministic target action: softmax(μ), or the one-hot of the argmax", () => {
    for (const discrete of [false, true]) {
      const a = agent(discrete, { numUnits: 8 }, 6);
      const obs = tf.tensor2d([1, 0, 0, 0.3, -2, 1, 0, 0, 5], [3, 3]);
      const before = tf.memory().numTensors;
      const [act, logits] = tf.tidy(() => [values(a.targetActionTensor(obs)), values(a.policy.apply(obs))]);
      assert.equal(tf.memory().numTensors, before);
      for (let b = 0; b < 3; b++) {
        const l = logits.slice(5 * b, 5 * b + 5);
        const row = act.slice(5 * b, 5 * b + 5);
        if (discrete) {
          const k = l.indexOf(Math.max(...l));
          assert.deepEqual(
            row,
            [0, 1, 2, 3, 4].map((j) => (j === k ? 1 : 0)),
          );
        } else {
          const e = l.map((x) => Math.exp(x));
          const s = e.reduce((x, y) => x + y, 0);
          assertClose(
            row,
            e.map((x) => x / s),
            1e-6,
            "softmax(μ)",
          );
        }
      }
      obs.dispose();
      a.dispose();
    }
  });

  it("is deterministic: the same seed gives identical actions and weights; another seed does not", () => {
    const run = (seed: number) => {
      const a = agent(false, { numUnits: 16, historyLength: 50, trainCycles: 10 }, seed);
      const { actions, stats } = runBandit(a, new Rng(3), 3);
      const w = weights(a);
      a.dispose();
      return { actions, stats, w };
    };
    const x = run(10),
      y = run(10),
      z = run(11);
    assert.deepEqual(y.actions, x.actions);
    assert.deepEqual(y.stats, x.stats);
    assert.deepEqual(y.w, x.w);
    assert.notDeepEqual(z.actions, x.actions);
    assert.notDeepEqual(z.w, x.w);
  });

  it("resetLearner gives new weights and log σ = −0.5 and empties the buffers, keeping the Adam states", () => {
    const a = agent(false, { numUnits: 16, historyLength: 50, trainCycles: 10 }, 12);
    const { t } = runBandit(a, new Rng(3), 2);
    const pi = a.piOptimiser.getState(),
      vf = a.vfOptimiser.getState();
    assert.ok(pi.step > 0 && vf.step === 20);
    assert.notDeepEqual(values(a.logStd!), Array(5).fill(Math.fround(LOG_STD_INIT)), "log σ moved in training");
    const w = weights(a);
    a.act([1, 0, 0], new Float64Array(5));
    a.experience([1, 0, 0], new Float64Array(5), 0, [1, 0, 0], false, false);
    a.resetLearner();
    const w2 = weights(a);
    for (let k = 0; k < w.length - 1; k += 2) assert.notDeepEqual(w2[k], w[k], `kernel ${k} re-drawn`);
    assert.deepEqual(values(a.logStd!), Array(5).fill(Math.fround(LOG_STD_INIT)));
    assert.equal(a.buffer.ptr, 0);
    assert.equal(a.replay.length, 0);
    assert.deepEqual(a.piOptimiser.getState(), pi);
    assert.deepEqual(a.vfOptimiser.getState(), vf);
    // acting uses the new weights
    const out = new Float64Array(5);
    a.act([1, 0, 0], out);
    const mu = tf.tidy(() => values(a.policy.apply(tf.tensor2d([1, 0, 0], [1, 3]))));
    a.experience([1, 0, 0], out, 0, [1, 0, 0], false, false);
    const e = Array.from(a.buffer.sample.subarray(0, 5), (v, j) => (v - mu[j]) / Math.exp(LOG_STD_INIT));
    assert.ok(
      e.every((v) => Math.abs(v) < 5),
      "sample around the new μ",
    );
    runBandit(a, new Rng(3), 1, t);
    a.dispose();
  });

  it("continues identically after a checkpoint round trip (mid-buffer, with the replay buffer)", () => {
    for (const discrete of [false, true]) {
      const cfg = { numUnits: 16, historyLength: 40, trainCycles: 8 };
      const a = agent(discrete, cfg, 13);
      const env = new Rng(21);
      let { t } = runBandit(a, env, 2);
      // 15 more steps into the buffer, then a pending act
      const obs = [0, 1, 0];
      const out = new Float64Array(5);
      for (let s = 0; s < 15; s++) {
        a.act(obs, out);
        a.experience(obs, out, s % 3, obs, s % 5 === 4, false);
        assert.equal(a.update([a], t++), null);
      }
      a.act(obs, out);
      const w = new CheckpointWriter();
      a.saveTo(w, "agents/0", { replay: true });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-ppo-"));
      const r = loadCheckpoint(saveCheckpoint(dir, "c", { config: {} }, w));
      const b = agent(discrete, cfg, 999); // another seed: everything must come from the checkpoint
      assert.deepEqual(b.loadFrom(r, "agents/0"), { replay: true });
      assert.equal(b.replay.length, a.replay.length);
      assert.equal(b.buffer.ptr, 15);
      const envB = env.clone();
      for (const x of [a, b]) x.experience(obs, out, 1, obs, true, false);
      const ra = runBandit(a, env, 2, t);
      const rb = runBandit(b, envB, 2, t);
      assert.deepEqual(rb.actions, ra.actions);
      assert.deepEqual(rb.stats, ra.stats);
      assert.deepEqual(weights(b), weights(a));
      assert.deepEqual(b.piOptimiser.getState(), a.piOptimiser.getState());
      a.dispose();
      b.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not leak tensors: numTensors stays flat over many updates", () => {
    for (const discrete of [false, true]) {
      const a = agent(discrete, { numUnits: 16, historyLength: 32, trainCycles: 6 }, 14);
      const env = new Rng(5);
      let { t } = runBandit(a, env, 2);
      const base = tf.memory().numTensors;
      ({ t } = runBandit(a, env, 40, t));
      const obs = tf.tensor2d([1, 0, 0], [1, 3]);
      tf.tidy(() => {
        a.targetActionTensor(obs);
      });
      obs.dispose();
      assert.equal(tf.memory().numTensors, base);
      const n = tf.memory().numTensors;
      a.dispose();
      assert.ok(tf.memory().numTensors < n, "dispose frees the agent's tensors");
    }
  });

  it("rejects misuse: experience without act, contradicting discrete flags, bad config", () => {
    const a = agent(true, { numUnits: 4 });
    assert.throws(() => a.experience([0, 0, 0], [0, 0, 0, 0, 1], 0, [0, 0, 0], false, false), /without a preceding act/);
    a.dispose();
    assert.throws(
      () => new PPOAgentTrainer({ name: "x", agentIndex: 0, obsSize: 3, actionSize: 5, discrete: true, config: { discrete: false }, seed: 1 }),
      /disagree/,
    );
    assert.throws(() => agent(false, { historyLength: 0 }), /historyLength/);
    assert.throws(() => agent(false, { clipRatio: 0 }), /clipRatio/);
  });
});
