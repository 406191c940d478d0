// MADDPG's update against an independent float64 reference written here (lemol-spec §4.1), on a
// 3-agent game (simple_spread): the batch is rebuilt from this test's own log of the played
// transitions at the index lemol drew (so every agent's rows must come from the same time step),
// the target actions come from each agent's own target actor with the noise lemol drew, and the
// critic and actor gradients, the clipped Adam steps and the polyak targets must agree to float32
// precision. Both ways of storing the time limit are checked (the TD target must bootstrap at the
// time limit exactly when `timeLimitTerminal` is off), with the native and the composite kernels.
import { nativeSkip } from "../helpers/native.js";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { MADDPGAgentTrainer } from "../../src/agents/maddpg.js";
import { createTrainers } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { activateNative, deactivateNative } from "../../src/nn/native-kernels.js";
import type { Adam } from "../../src/nn/optim.js";
import { TrainingRunner } from "../../src/train/runner.js";
import { ready, tf } from "../helpers/tf.js";

// --- a float64 reference: row-major matrices and a ReLU MLP with its backward pass ---

interface Mat {
  r: number;
  c: number;
  d: Float64Array;
}
const mat = (r: number, c: number, d = new Float64Array(r * c)): Mat => ({ r, c, d });

function matMul(a: Mat, b: Mat, transA = false, transB = false): Mat {
  const [m, k] = transA ? [a.c, a.r] : [a.r, a.c];
  const n = transB ? b.r : b.c;
  const out = mat(m, n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a.d[p * a.c + i] : a.d[i * a.c + p]) * (transB ? b.d[j * b.c + p] : b.d[p * b.c + j]);
      out.d[i * n + j] = s;
    }
  return out;
}

function hcat(ms: Mat[]): Mat {
  const c = ms.reduce((s, m) => s + m.c, 0);
  const out = mat(ms[0].r, c);
  for (let i = 0; i < out.r; i++) {
    let off = 0;
    for (const m of ms) {
      for (let j = 0; j < m.c; j++) out.d[i * c + off + j] = m.d[i * m.c + j];
      off += m.c;
    }
  }
  return out;
}

function columns(m: Mat, start: number, width: number): Mat {
  const out = mat(m.r, width);
  for (let i = 0; i < m.r; i++) for (let j = 0; j < width; j++) out.d[i * width + j] = m.d[i * m.c + start + j];
  return out;
}

/** Row-wise softmax of a + b. */
function softmax(a: Mat, b: Mat): Mat {
  const out = mat(a.r, a.c);
  for (let i = 0; i < a.r; i++) {
    let max = -Infinity;
    for (let j = 0; j < a.c; j++) max = Math.max(max, a.d[i * a.c + j] + b.d[i * a.c + j]);
    let s = 0;
    for (let j = 0; j < a.c; j++) s += out.d[i * a.c + j] = Math.exp(a.d[i * a.c + j] + b.d[i * a.c + j] - max);
    for (let j = 0; j < a.c; j++) out.d[i * a.c + j] /= s;
  }
  return out;
}

/** Weights [W0, b0, W1, b1, W2, b2] with W as [in, out]. */
type Net = Float64Array[];

function forward(net: Net, x: Mat): { acts: Mat[]; out: Mat } {
  const acts = [x];
  let h = x;
  const layers = net.length / 2;
  for (let l = 0; l < layers; l++) {
    const W = net[2 * l],
      b = net[2 * l + 1];
    const z = matMul(h, mat(h.c, b.length, W));
    for (let i = 0; i < z.r; i++)
      for (let j = 0; j < z.c; j++) {
        const v = z.d[i * z.c + j] + b[j];
        z.d[i * z.c + j] = l < layers - 1 ? Math.max(0, v) : v;
      }
    if (l < layers - 1) acts.push(z);
    h = z;
  }
  return { acts, out: h };
}

/** Parameter gradients and the input gradient for d(loss)/d(out) = dOut. */
function backward(net: Net, f: { acts: Mat[] }, dOut: Mat): { grads: Float64Array[]; dx: Mat } {
  const layers = net.length / 2;
  const grads: Float64Array[] = new Array(net.length);
  let dz = dOut;
  let dx = dOut;
  for (let l = layers - 1; l >= 0; l--) {
    const inp = f.acts[l];
    const W = mat(inp.c, dz.c, net[2 * l]);
    grads[2 * l] = matMul(inp, dz, true).d;
    grads[2 * l + 1] = new Float64Array(dz.c);
    for (let i = 0; i < dz.r; i++) for (let j = 0; j < dz.c; j++) grads[2 * l + 1][j] += dz.d[i * dz.c + j];
    const dIn = matMul(dz, W, false, true);
    if (l > 0) for (let k = 0; k < dIn.d.length; k++) if (inp.d[k] <= 0) dIn.d[k] = 0;
    if (l > 0) dz = dIn;
    else dx = dIn;
  }
  return { grads, dx };
}

/** TF1 Adam's first step from zero moments, after clipping each gradient to L2 norm `clip`. */
function adamFirstStep(params: Net, grads: Float64Array[], lr: number, clip: number): Net {
  const lrT = (lr * Math.sqrt(1 - 0.999)) / (1 - 0.9);
  return params.map((p, i) => {
    const g = grads[i];
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    const scale = clip / Math.max(norm, clip);
    return p.map((x, k) => {
      const gk = g[k] * scale;
      const m = 0.1 * gk,
        v = 0.001 * gk * gk;
      return x - (lrT * m) / (Math.sqrt(v) + 1e-8);
    });
  });
}

// --- comparing with lemol ---

const weights = (vars: readonly tf.Variable[]): Net => vars.map((v) => Float64Array.from(v.dataSync()));

/** Asserts every element agrees to `rel` of the array's largest magnitude (float32 arithmetic in lemol). */
function assertAgree(got: readonly Float64Array[] | Float64Array[], want: readonly Float64Array[], rel: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: number of arrays`);
  got.forEach((g, i) => {
    const scale = Math.max(1e-12, ...Array.from(want[i], Math.abs));
    for (let k = 0; k < g.length; k++) {
      if (!(Math.abs(g[k] - want[i][k]) <= rel * scale)) assert.fail(`${what} ${i}[${k}]: lemol ${g[k]}, reference ${want[i][k]} (scale ${scale})`);
    }
  });
}

interface Logged {
  obs: Float64Array;
  act: Float64Array;
  rew: number;
  obsNext: Float64Array;
  done: boolean;
  terminal: boolean;
}

/** Records the gradients of every step, through tfjs tensors or plain arrays (the fused update). */
function spyGradients(opt: Adam, into: Float64Array[][]): void {
  const apply = opt.apply.bind(opt);
  opt.apply = (grads) => {
    into.push(grads.map((g) => Float64Array.from(g.dataSync())));
    apply(grads);
  };
  const applyArrays = opt.applyArrays.bind(opt);
  opt.applyArrays = (grads) => {
    into.push(grads.map((g) => Float64Array.from(g)));
    applyArrays(grads);
  };
}

function checkUpdate(timeLimitTerminal: boolean): void {
  const B = 64,
    lr = 0.01,
    gamma = 0.95,
    polyak = 0.01;
  const env = new MultiAgentEnv("simple_spread", { seed: 4 });
  const trainers = createTrainers(env, {
    badPolicy: "maddpg",
    goodPolicy: "maddpg",
    seed: 4,
    config: { batchSize: B, numUnits: 16, maxEpisodeLen: 25, lr, gamma, polyak, timeLimitTerminal },
  });
  assert.equal(trainers.length, 3);
  // this test's own record of what every agent was given, step by step
  const log: Logged[][] = trainers.map(() => []);
  trainers.forEach((t, a) => {
    const store = t.experience.bind(t);
    t.experience = (obs, act, rew, obsNext, done, terminal = false) => {
      log[a].push({ obs: Float64Array.from(obs), act: Float64Array.from(act), rew, obsNext: Float64Array.from(obsNext), done, terminal });
      store(obs, act, rew, obsNext, done, terminal);
    };
  });
  const run = new TrainingRunner(env, trainers, { learn: false });
  while (trainers[0].replay.length < B * 25) run.step();

  const self: MADDPGAgentTrainer = trainers[0];
  const before = trainers.map((t) => ({
    actor: weights(t.actor.params),
    critic: weights(t.critic.params),
    targetActor: weights(t.targetActor.params),
    targetCritic: weights(t.targetCritic.params),
  }));
  // what lemol draws: the batch index and the noise of every use
  const drawn: { index: Int32Array | null } = { index: null };
  const makeIndex = self.replay.makeIndex.bind(self.replay);
  self.replay.makeIndex = (rng, out) => (drawn.index = Int32Array.from(makeIndex(rng, out)));
  const noise = new Map<string, Mat>();
  // (every draw goes through noiseArray, on the tfjs path and the fused one)
  const s = self as unknown as { noiseArray(pd: { noiseSize: number }, rows: number, slot: string): Float32Array };
  const draw = s.noiseArray.bind(self);
  s.noiseArray = (pd, rows, slot) => {
    const z = draw(pd, rows, slot);
    noise.set(slot, mat(rows, pd.noiseSize, Float64Array.from(z)));
    return z;
  };
  const criticGrads: Float64Array[][] = [],
    actorGrads: Float64Array[][] = [];
  spyGradients(self.criticOptimiser, criticGrads);
  spyGradients(self.actorOptimiser, actorGrads);

  const stats = self.update(trainers, 0);
  const index = drawn.index;
  assert.ok(stats && index, "the update ran");
  assert.equal(criticGrads.length, 1);
  assert.equal(actorGrads.length, 1);

  // the reference batch: rows of this test's log at lemol's index, the same time step for every agent
  const rows = (a: number, f: (l: Logged) => ArrayLike<number>, width: number) => {
    const m = mat(B, width);
    index.forEach((i, b) => m.d.set(f(log[a][i]), b * width));
    return m;
  };
  const obs = trainers.map((t, a) => rows(a, (l) => l.obs, t.obsSize));
  const act = trainers.map((t, a) => rows(a, (l) => l.act, t.pd.actionSize));
  const obsNext = trainers.map((t, a) => rows(a, (l) => l.obsNext, t.obsSize));
  const rew = rows(0, (l) => [l.rew], 1);
  const done = rows(0, (l) => [l.done || (timeLimitTerminal && l.terminal) ? 1 : 0], 1);
  const timeLimitRows = index.filter((i) => log[0][i].terminal).length;
  assert.ok(timeLimitRows > 0, "the batch holds time-limit transitions");

  // 1. target actions from each agent's own target actor; 2. the TD target
  const actNext = trainers.map((_, j) => softmax(forward(before[j].targetActor, obsNext[j]).out, noise.get(`target${j}`)!));
  const qNext = forward(before[0].targetCritic, hcat([...obsNext, ...actNext])).out;
  const y = mat(B, 1);
  for (let b = 0; b < B; b++) y.d[b] = rew.d[b] + gamma * (1 - done.d[b]) * qNext.d[b];
  // 3. the critic's gradient of mean (Q − y)², then its clipped Adam step
  const fq = forward(before[0].critic, hcat([...obs, ...act]));
  const dq = mat(B, 1);
  let qLoss = 0;
  for (let b = 0; b < B; b++) {
    const e = fq.out.d[b] - y.d[b];
    qLoss += (e * e) / B;
    dq.d[b] = (2 * e) / B;
  }
  assertAgree(criticGrads[0], backward(before[0].critic, fq, dq).grads, 2e-5, "critic gradient");
  const criticAfter = weights(self.critic.params);
  assertAgree(criticAfter, adamFirstStep(before[0].critic, criticGrads[0], lr, 0.5), 1e-5, "critic after its Adam step");
  // 4. the actor's gradient through the updated critic, at a fresh sample of its own action
  const fa = forward(before[0].actor, obs[0]);
  const sample = softmax(fa.out, noise.get("actor")!);
  const fc = forward(criticAfter, hcat([...obs, sample, act[1], act[2]]));
  const dInput = backward(criticAfter, fc, mat(B, 1, new Float64Array(B).fill(-1 / B))).dx;
  const column = obs.reduce((c, o) => c + o.c, 0);
  const dSample = columns(dInput, column, 5);
  const dLogits = mat(B, 5);
  for (let b = 0; b < B; b++) {
    let dot = 0;
    for (let k = 0; k < 5; k++) dot += dSample.d[b * 5 + k] * sample.d[b * 5 + k];
    for (let k = 0; k < 5; k++) dLogits.d[b * 5 + k] = sample.d[b * 5 + k] * (dSample.d[b * 5 + k] - dot) + (2e-3 * fa.out.d[b * 5 + k]) / (B * 5);
  }
  assertAgree(actorGrads[0], backward(before[0].actor, fa, dLogits).grads, 2e-5, "actor gradient");
  const actorAfter = weights(self.actor.params);
  assertAgree(actorAfter, adamFirstStep(before[0].actor, actorGrads[0], lr, 0.5), 1e-5, "actor after its Adam step");
  // 5. the targets move 1% towards the updated networks; the other agents are untouched
  const follow = (target: Net, online: Net) => target.map((t, i) => t.map((x, k) => (1 - polyak) * x + polyak * online[i][k]));
  assertAgree(weights(self.targetCritic.params), follow(before[0].targetCritic, criticAfter), 1e-6, "target critic");
  assertAgree(weights(self.targetActor.params), follow(before[0].targetActor, actorAfter), 1e-6, "target actor");
  for (const j of [1, 2]) assertAgree(weights(trainers[j].critic.params), before[j].critic, 0, `agent ${j}'s critic`);
  // the reported statistics are the reference's
  const meanY = y.d.reduce((a, b) => a + b, 0) / B;
  assert.ok(Math.abs(stats.qLoss - qLoss) <= 1e-4 * Math.max(1, qLoss), `q loss ${stats.qLoss} vs ${qLoss}`);
  assert.ok(Math.abs(stats.targetQ - meanY) <= 1e-4 * Math.max(1, Math.abs(meanY)), `mean y ${stats.targetQ} vs ${meanY}`);
  trainers.forEach((t) => t.dispose());
}

describe("MADDPG's update against an independent reference (3 agents)", () => {
  before(ready);
  for (const kernels of ["native", "composite"] as const) {
    for (const timeLimitTerminal of [true, false]) {
      it(`agrees to float32 precision: ${kernels} kernels, time limit ${timeLimitTerminal ? "terminal" : "bootstrapped"}`, (t) => {
        if (kernels === "native" && !activateNative()) {
          const skip = nativeSkip(); // throws when the addon is expected (LEMOL_EXPECT_NATIVE=1)
          return t.skip(skip || "native kernels not active");
        }
        if (kernels === "composite") deactivateNative();
        try {
          checkUpdate(timeLimitTerminal);
        } finally {
          activateNative();
        }
      });
    }
  }
});
