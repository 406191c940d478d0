// Native opponent-model training (om-native.ts, src/nn/native/om_lstm.cc) against its references:
// the tfjs path's gradients (equal to float32 rounding: within 2e-5 of each variable's largest
// gradient, measured ~5e-7), a float64 implementation of the chunk's loss differentiated by
// central differences, and the tfjs path's training over several chunks (state handed on).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OpponentModel, OpponentModelOptions, OMChunk, Revision } from "../../src/agents/lemol/opponent-model.js";
import * as fs from "node:fs";
import type { LeMOLAgentTrainer } from "../../src/agents/lemol/agent.js";
import { checkNativeOMLoss, NativeOMTrainer } from "../../src/agents/lemol/om-native.js";
import { crossEntropyLoss, OM_DEFAULT, OMLoss } from "../../src/agents/lemol/om-loss.js";
import { enableAutodiff } from "../../src/nn/gradients.js";
import type { ExperimentConfig } from "../../src/train/config.js";
import { Experiment } from "../../src/train/experiment.js";
import { OMPhase } from "../../src/train/om-phase.js";
import { tmpRun } from "../helpers/experiment.js";
import { randomPredictorBiases } from "../helpers/lemol.js";
import { runProbe } from "../helpers/native.js";
import { NativeLSTMRun, PlainLSTM, RecurrentActivation } from "../../src/nn/lstm.js";
import { nativeStatus } from "../../src/nn/native-kernels.js";
import { Rng } from "../../src/util/rng.js";
import { ready, tf } from "../helpers/tf.js";

const H = 6;

/** The small opponent model the checks below build (with a fresh Rng(5) each). */
const SMALL_OM = { obsSize: 4, actionSize: 3, oppActionSize: 3, hidden: H, numUnits: 7, omlr: 1e-2 };

function model(act: RecurrentActivation, extra: Partial<OpponentModelOptions> = {}) {
  const om = new OpponentModel({ ...SMALL_OM, recurrentActivation: act, rng: new Rng(5), ...extra });
  // random predictor biases and initial state: no row sits on a ReLU kink, the initial state's path is exercised
  const r = new Rng(17);
  randomPredictorBiases(om, r);
  om.initialH.assign(
    tf.tensor(
      Float32Array.from({ length: H }, () => 0.3 * r.normal()),
      [1, H],
    ),
  );
  om.syncPlain();
  return om;
}

function chunk(om: OpponentModel, B: number, C: number, useInit: boolean, revision: Revision, seed = 11): OMChunk {
  const rng = new Rng(seed);
  const inputs = Float32Array.from({ length: B * C * om.eventSize }, () => rng.normal());
  const obs = Float32Array.from({ length: B * C * om.obsSize }, () => rng.normal());
  const A = om.oppActionSize;
  const targets = new Float32Array(B * C * A);
  for (let r = 0; r < B * C; r++) {
    let s = 0;
    for (let k = 0; k < A; k++) s += targets[r * A + k] = Math.exp(2 * rng.normal());
    for (let k = 0; k < A; k++) targets[r * A + k] /= s;
  }
  const state = {
    h: Float32Array.from({ length: B * H }, () => 0.5 * rng.normal()),
    c: Float32Array.from({ length: B * H }, () => 0.5 * rng.normal()),
    useInit,
  };
  return { inputs, obs, targets, B, C, state, revision };
}

/** One LSTM step in float64 (Keras gates i, f, c~, o) on input x, updating h and c in place. */
function lstmStepF64(w: Float64Array[], x: ArrayLike<number>, h: number[], c: number[], hard: boolean): void {
  const [K, R, bias] = w;
  const U = h.length,
    G = 4 * U,
    D = x.length;
  const sig = (z: number) => (hard ? Math.min(1, Math.max(0, 0.2 * z + 0.5)) : 1 / (1 + Math.exp(-z)));
  const z = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    let s = bias[j];
    for (let d = 0; d < D; d++) s += x[d] * K[d * G + j];
    for (let d = 0; d < U; d++) s += h[d] * R[d * G + j];
    z[j] = s;
  }
  for (let u = 0; u < U; u++) {
    c[u] = sig(z[U + u]) * c[u] + sig(z[u]) * Math.tanh(z[2 * U + u]);
    h[u] = sig(z[3 * U + u]) * Math.tanh(c[u]);
  }
}

/** The predictor's soft-label cross-entropy in float64 on one row's input x (weights W0, b0, …). */
function rowLossF64(pred: Float64Array[], x: number[], targets: Float32Array, row: number): number {
  for (let l = 0; l < pred.length; l += 2) {
    const W = pred[l],
      bl = pred[l + 1];
    const out = Array.from(bl);
    for (let i = 0; i < x.length; i++) for (let j = 0; j < out.length; j++) out[j] += x[i] * W[i * out.length + j];
    x = l + 2 < pred.length ? out.map((y) => Math.max(0, y)) : out;
  }
  const A = x.length;
  const max = Math.max(...x);
  const lse = max + Math.log(x.reduce((s, y) => s + Math.exp(y - max), 0));
  let loss = 0;
  for (let j = 0; j < A; j++) loss -= targets[row * A + j] * (x[j] - lse);
  return loss;
}

/** The chunk's mean cross-entropy in float64 from the variables' values `v` (optimiser order). */
function lossF64(om: OpponentModel, v: Float64Array[], ch: OMChunk): number {
  const { inputs, obs, B, C, state, revision } = ch;
  const E = om.eventSize,
    O = om.obsSize;
  const init = v[3];
  const pred = v.slice(4);
  const hard = om.lstm.recurrentActivation === "hard_sigmoid";
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const h = state.useInit ? Array.from(init) : Array.from(state.h.subarray(b * H, (b + 1) * H));
    const c = state.useInit ? Array.from(init) : Array.from(state.c.subarray(b * H, (b + 1) * H));
    for (let k = 0; k < C; k++) {
      const n = b * C + k;
      const before = h.slice();
      lstmStepF64(v, inputs.subarray(n * E, (n + 1) * E), h, c, hard);
      loss += rowLossF64(pred, [...Array.from(obs.subarray(n * O, (n + 1) * O)), ...(revision === "init" ? h : before)], ch.targets, n);
    }
  }
  return loss / (B * C);
}

/**
 * LeMOL-EP's chunk loss in float64 (lemol-spec §4.5): each period's valid steps summarised by the
 * bidirectional LSTM from zero states, the slow LSTM one step per summary from (h0, c0), period k's
 * steps predicted with h_{k−1} (h0 for the first); the mean over the valid rows. `v` in the
 * optimiser's order: slow LSTM, initial_h, initial_c, the summariser's two LSTMs, the predictor.
 */
function lossF64EP(om: OpponentModel, v: Float64Array[], ch: OMChunk): number {
  const { inputs, obs, B, C, state } = ch;
  const E = om.eventSize,
    O = om.obsSize,
    F = om.period,
    K = C / F;
  const half = om.summariser!.embeddingDim / 2;
  const [initH, initC] = [v[3], v[4]];
  const fwd = v.slice(5, 8),
    bwd = v.slice(8, 11),
    pred = v.slice(11);
  const hard = om.lstm.recurrentActivation === "hard_sigmoid";
  let loss = 0,
    rows = 0;
  for (let b = 0; b < B; b++) {
    const h = state.useInit ? Array.from(initH) : Array.from(state.h.subarray(b * H, (b + 1) * H));
    const c = state.useInit ? Array.from(initC) : Array.from(state.c.subarray(b * H, (b + 1) * H));
    for (let k = 0; k < K; k++) {
      const len = ch.lengths ? ch.lengths[b * K + k] : F;
      const event = (t: number) => inputs.subarray((b * C + k * F + t) * E, (b * C + k * F + t + 1) * E);
      const zeros = () => new Array<number>(half).fill(0);
      const [hf, cf, hb, cb] = [zeros(), zeros(), zeros(), zeros()];
      for (let t = 0; t < len; t++) lstmStepF64(fwd, event(t), hf, cf, hard);
      for (let t = len - 1; t >= 0; t--) lstmStepF64(bwd, event(t), hb, cb, hard);
      const before = h.slice();
      for (let t = 0; t < len; t++, rows++) {
        const n = b * C + k * F + t;
        loss += rowLossF64(pred, [...Array.from(obs.subarray(n * O, (n + 1) * O)), ...before], ch.targets, n);
      }
      lstmStepF64(v, [...hf, ...hb], h, c, hard);
    }
  }
  return loss / rows;
}

/** Checks `grads` against central differences of `lossOf` along one random direction per variable. */
function checkAgainstF64(om: OpponentModel, grads: Float32Array[], lossOf: (v: Float64Array[]) => number, zeroGrad: (i: number) => boolean): void {
  const v = om.variables.map((x) => Float64Array.from(x.dataSync()));
  const dir = new Rng(9);
  v.forEach((x, i) => {
    const d = Float64Array.from({ length: x.length }, () => dir.normal());
    const norm = Math.hypot(...d);
    const analytic = grads[i].reduce((s, g, k) => s + (g * d[k]) / norm, 0);
    const eps = 1e-5;
    const keep = Float64Array.from(x);
    for (let k = 0; k < x.length; k++) x[k] = keep[k] + (eps * d[k]) / norm;
    const up = lossOf(v);
    for (let k = 0; k < x.length; k++) x[k] = keep[k] - (eps * d[k]) / norm;
    const down = lossOf(v);
    x.set(keep);
    const numeric = (up - down) / (2 * eps);
    if (zeroGrad(i)) assert.equal(analytic, 0, `${om.trainedVariableNames[i]}: no gradient expected`);
    else assert.ok(Math.abs(analytic - numeric) <= 1e-4 * Math.max(1e-3, Math.abs(numeric)) + 1e-7, `${om.trainedVariableNames[i]}: ${analytic} vs ${numeric}`);
  });
}

/** A LeMOL-EP model (periods of F steps, summaries of 8) with random learned initial states. */
function epModel(F: number, extra: Partial<OpponentModelOptions> = {}) {
  const om = model("hard_sigmoid", { blockProcessing: { period: F, embeddingDim: 8 }, ...extra });
  const r = new Rng(19);
  om.initialC!.assign(
    tf.tensor(
      Float32Array.from({ length: H }, () => 0.3 * r.normal()),
      [1, H],
    ),
  );
  om.syncPlain();
  return om;
}

/** Ragged period lengths for B = 2 sequences of 3 periods of 4 steps. */
const RAGGED = Int32Array.from([4, 2, 3, 1, 4, 3]);

describe("native opponent-model training", () => {
  before(async () => {
    await ready();
    assert.ok(nativeStatus().active, "these tests need lemol's native kernels (npm run build:native)");
  });

  for (const act of ["hard_sigmoid", "sigmoid"] as const)
    for (const revision of ["init", "head"] as const)
      for (const useInit of [true, false])
        it(`gradients equal the tfjs path's to float32 rounding (${act}, ${revision}, ${useInit ? "learned initial state" : "state handed on"})`, () => {
          const om = model(act);
          const ch = chunk(om, 3, 7, useInit, revision);
          const ref = om.gradients(ch);
          const nat = new NativeOMTrainer(om).gradients(ch);
          assert.ok(Math.abs(nat.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${nat.loss} vs ${ref.loss}`);
          assert.equal(nat.grads.length, ref.grads.length);
          ref.grads.forEach((g, i) => {
            const scale = Math.max(...g.map(Math.abs));
            // the learned initial state gets a zero gradient when the handed-on state is used
            if (i === 3 && !useInit) return assert.deepEqual(Array.from(nat.grads[i]), Array.from(g));
            assert.ok(scale > 0, `${om.trainedVariableNames[i]}: the reference gradient is zero`);
            for (let k = 0; k < g.length; k++)
              assert.ok(Math.abs(nat.grads[i][k] - g[k]) <= 2e-5 * scale, `${om.trainedVariableNames[i]}[${k}]: ${nat.grads[i][k]} vs ${g[k]}`);
          });
          om.dispose();
        });

  for (const revision of ["init", "head"] as const)
    for (const useInit of [true, false])
      it(`gradients match float64 central differences (${revision}, ${useInit ? "learned initial state" : "state handed on"})`, () => {
        const om = model("sigmoid");
        const ch = chunk(om, 2, 5, useInit, revision);
        const nat = new NativeOMTrainer(om).gradients(ch);
        // the initial state gets no gradient when the handed-on state is used
        checkAgainstF64(
          om,
          nat.grads,
          (v) => lossF64(om, v, ch),
          (i) => !useInit && i === 3,
        );
        om.dispose();
      });

  for (const ragged of [false, true])
    for (const useInit of [true, false]) {
      const what = `${ragged ? "ragged periods" : "full periods"}, ${useInit ? "learned initial state" : "state handed on"}`;
      it(`LeMOL-EP natively: gradients equal the tfjs path's to float32 rounding (${what})`, () => {
        const om = epModel(4);
        const ch = { ...chunk(om, 2, 12, useInit, "head"), lengths: ragged ? RAGGED : null };
        assert.equal(om.trainingPath.path, "native");
        const nat = new NativeOMTrainer(om).gradients(ch);
        const natGrads = nat.grads.map((g) => Float32Array.from(g));
        om.nativeTraining = false; // the reference: the slow LSTM, summariser and predictor as tfjs ops
        const ref = om.gradients(ch);
        assert.ok(Math.abs(nat.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${nat.loss} vs ${ref.loss}`);
        assert.equal(natGrads.length, ref.grads.length);
        const names = om.trainedVariableNames;
        ref.grads.forEach((g, i) => {
          const scale = Math.max(...g.map(Math.abs));
          // the learned initial states get zero gradients when the handed-on state is used
          if (!useInit && (i === 3 || i === 4)) return assert.deepEqual(Array.from(natGrads[i]), Array.from(g), names[i]);
          assert.ok(scale > 0, `${names[i]}: the reference gradient is zero`);
          for (let k = 0; k < g.length; k++) assert.ok(Math.abs(natGrads[i][k] - g[k]) <= 2e-5 * scale, `${names[i]}[${k}]: ${natGrads[i][k]} vs ${g[k]}`);
        });
        om.dispose();
      });
      it(`LeMOL-EP natively: gradients match float64 central differences (${what})`, () => {
        const om = epModel(4, { recurrentActivation: "sigmoid" });
        const ch = { ...chunk(om, 2, 12, useInit, "head"), lengths: ragged ? RAGGED : null };
        const nat = new NativeOMTrainer(om).gradients(ch);
        const v0 = om.variables.map((x) => Float64Array.from(x.dataSync()));
        assert.ok(Math.abs(nat.loss - lossF64EP(om, v0, ch)) <= 1e-5 * Math.abs(nat.loss), "the float64 loss is the chunk's loss");
        checkAgainstF64(
          om,
          nat.grads,
          (v) => lossF64EP(om, v, ch),
          (i) => !useInit && (i === 3 || i === 4),
        );
        om.dispose();
      });
    }

  for (const ragged of [false, true])
    it(`LeMOL-EP's summariser on the native kernels gives the tfjs path's gradients to float32 rounding (${ragged ? "ragged periods" : "full periods"})`, () => {
      const F = 4;
      const om = model("hard_sigmoid", { blockProcessing: { period: F, embeddingDim: 8 } });
      const B = 2,
        K = 3;
      const ch = { ...chunk(om, B, K * F, true, "head"), lengths: ragged ? Int32Array.from([4, 2, 3, 1, 4, 3]) : null };
      const nat = om.gradients(ch);
      om.nativeTraining = false;
      const ref = om.gradients(ch);
      assert.ok(Math.abs(nat.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${nat.loss} vs ${ref.loss}`);
      const names = om.trainedVariableNames;
      let summariserVars = 0;
      ref.grads.forEach((g, i) => {
        const scale = Math.max(...g.map(Math.abs));
        if (names[i].includes("episode_summariser")) {
          summariserVars++;
          assert.ok(scale > 0, `${names[i]}: the reference gradient is zero`);
        }
        for (let k = 0; k < g.length; k++)
          assert.ok(Math.abs(nat.grads[i][k] - g[k]) <= 2e-5 * Math.max(scale, 1e-6), `${names[i]}[${k}]: ${nat.grads[i][k]} vs ${g[k]}`);
      });
      assert.equal(summariserVars, 6);
      om.dispose();
    });

  it("trains chunk after chunk as the tfjs path does (losses, weights, the state handed on)", () => {
    const ref = model("hard_sigmoid");
    const nat = model("hard_sigmoid");
    ref.nativeTraining = false;
    assert.equal(ref.trainsNatively, false);
    assert.equal(nat.trainsNatively, true);
    const a = chunk(ref, 3, 8, true, "head");
    const b = chunk(nat, 3, 8, true, "head");
    for (let i = 0; i < 4; i++) {
      const ra = ref.trainChunk({ ...a, state: a.state });
      const rb = nat.trainChunk({ ...b, state: b.state });
      assert.ok(Math.abs(ra.loss - rb.loss) <= 1e-5, `chunk ${i}: loss ${rb.loss} vs ${ra.loss}`);
      assert.ok(Math.abs(rb.accuracy - ra.accuracy) <= 1e-6, `chunk ${i}: accuracy ${rb.accuracy} vs ${ra.accuracy}`);
      assert.equal(b.state.useInit, false);
      for (let k = 0; k < a.state.h.length; k++)
        assert.ok(Math.abs(a.state.h[k] - b.state.h[k]) <= 1e-5 && Math.abs(a.state.c[k] - b.state.c[k]) <= 1e-5, `chunk ${i}: state[${k}]`);
    }
    assert.equal(nat.iterations, 4);
    ref.variables.forEach((x, i) => {
      const p = x.dataSync(),
        q = nat.variables[i].dataSync();
      for (let k = 0; k < p.length; k++) assert.ok(Math.abs(p[k] - q[k]) <= 1e-5, `${ref.trainedVariableNames[i]}[${k}]: ${q[k]} vs ${p[k]}`);
    });
    ref.dispose();
    nat.dispose();
  });

  it("LeMOL-EP trains chunk after chunk as the tfjs path does, natively without a tensor", () => {
    for (const lengths of [null, RAGGED]) {
      const ref = epModel(4);
      const nat = epModel(4);
      ref.nativeTraining = false;
      assert.equal(nat.trainsNatively, true);
      const a = { ...chunk(ref, 2, 12, true, "head"), lengths };
      const b = { ...chunk(nat, 2, 12, true, "head"), lengths };
      let tensors = 0;
      for (let i = 0; i < 4; i++) {
        const ra = ref.trainChunk({ ...a, state: a.state });
        if (i === 1) tensors = tf.memory().numTensors; // after the first chunk (the path's one-off loss check) and the reference's
        const rb = nat.trainChunk({ ...b, state: b.state });
        if (i >= 1) assert.equal(tf.memory().numTensors, tensors, `chunk ${i}: a native chunk leaves no tensor behind`);
        assert.ok(Math.abs(ra.loss - rb.loss) <= 1e-5, `chunk ${i}: loss ${rb.loss} vs ${ra.loss}`);
        assert.ok(Math.abs(rb.accuracy - ra.accuracy) <= 1e-6, `chunk ${i}: accuracy ${rb.accuracy} vs ${ra.accuracy}`);
        for (let k = 0; k < a.state.h.length; k++)
          assert.ok(Math.abs(a.state.h[k] - b.state.h[k]) <= 1e-5 && Math.abs(a.state.c[k] - b.state.c[k]) <= 1e-5, `chunk ${i}: state[${k}]`);
      }
      ref.variables.forEach((x, i) => {
        const p = x.dataSync(),
          q = nat.variables[i].dataSync();
        for (let k = 0; k < p.length; k++) assert.ok(Math.abs(p[k] - q[k]) <= 1e-5, `${ref.trainedVariableNames[i]}[${k}]: ${q[k]} vs ${p[k]}`);
      });
      ref.dispose();
      nat.dispose();
    }
  });

  it("a loss set by setLoss, and the variants it does not cover, train on the tfjs path and say why", () => {
    const om = model("hard_sigmoid");
    assert.equal(om.trainingPathNote, null);
    om.setLoss(crossEntropyLoss);
    assert.equal(om.trainsNatively, false);
    assert.match(om.trainingPathNote!, /setLoss/);
    om.setLoss(null);
    assert.equal(om.trainsNatively, true);
    om.dispose();
    const ep = new OpponentModel({ ...SMALL_OM, rng: new Rng(5), blockProcessing: { period: 4, embeddingDim: 6 } });
    assert.equal(ep.trainingPathNote, null, "LeMOL-EP trains natively");
    ep.dispose();
    const recurrent = new OpponentModel({ ...SMALL_OM, rng: new Rng(5), blockProcessing: { period: 4, embeddingDim: 6 }, inEpisodeUnits: 2 });
    assert.match(recurrent.trainingPathNote!, /in-episode LSTM/);
    assert.throws(() => new NativeOMTrainer(recurrent), /in-episode LSTM/);
    recurrent.dispose();
  });

  for (const act of ["hard_sigmoid", "sigmoid"] as const)
    it(`the play step's native pre-activations give TypeScript's numbers bit for bit (${act})`, () => {
      const lstm = new PlainLSTM(9, 16, act);
      const rng = new Rng(4);
      for (const w of [lstm.kernel, lstm.recurrent, lstm.bias]) for (let k = 0; k < w.length; k++) w[k] = 0.4 * rng.normal();
      const x = Float64Array.from({ length: 3 * 9 }, (_, k) => (k % 4 === 1 ? 0 : rng.normal())); // zeros are skipped by both
      const hN = new Float64Array(16),
        cN = new Float64Array(16),
        hT = new Float64Array(16),
        cT = new Float64Array(16);
      for (let t = 0; t < 3; t++) {
        lstm.step(x, t * 9, hN, cN); // a Float64Array input: the native kernel
        lstm.step(Array.from(x), t * 9, hT, cT); // a plain array: the TypeScript loop
        assert.deepEqual(Array.from(hN), Array.from(hT), `h after step ${t}`);
        assert.deepEqual(Array.from(cN), Array.from(cT), `c after step ${t}`);
      }
    });

  it("the native LSTM refuses arrays of the wrong size, naming them", () => {
    const run = new NativeLSTMRun(3, 4, 2, 5, "hard_sigmoid");
    const w = [new Float32Array(3 * 16), new Float32Array(4 * 16), new Float32Array(16)];
    assert.throws(() => run.forward(w, new Float32Array(2 * 5 * 3 - 1), new Float32Array(8), new Float32Array(8)), /xs: expected 30 floats, got 29/);
    assert.throws(() => run.forward([w[0], w[1], new Float32Array(15)], new Float32Array(30), new Float32Array(8), new Float32Array(8)), /bias: expected 16/);
  });
});

// The one-place rule (issue 29): crossEntropyLoss (om-loss.ts) is the OM's loss; the native port is
// checked against it when a model chooses its path, and an edit it does not follow trains by autodiff.
describe("the opponent model's loss, written once", () => {
  /** crossEntropyLoss edited as a researcher might: label smoothing (the same shape, other numbers). */
  const smoothed: OMLoss = (logits, targets, mask) => crossEntropyLoss(logits, tf.add(tf.mul(targets, 0.9), 0.1 / 3) as tf.Tensor2D, mask);

  before(async () => {
    await ready();
    await enableAutodiff();
  });

  it("the native path is taken while its loss computes crossEntropyLoss (checked on the probe chunk)", () => {
    const om = model("hard_sigmoid");
    assert.equal(om.trainingPath.path, "native");
    assert.equal(
      checkNativeOMLoss(om, crossEntropyLoss, (c, l) => om.autodiffGradients(c, l)),
      null,
    );
    om.dispose();
  });

  it("an edited default loss is found, named, and trained on by autodiff: other numbers, the edit's", () => {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => warnings.push(m);
    const edited = model("hard_sigmoid");
    const standard = model("hard_sigmoid");
    try {
      edited.defaultLoss = smoothed;
      const path = edited.trainingPath;
      assert.equal(path.path, "tfjs-autodiff");
      const message = "crossEntropyLoss in agents/lemol/om-loss.ts differs from the native loss in agents/lemol/om-native.ts";
      assert.ok(path.reason.startsWith(message), path.reason);
      assert.equal(warnings.length, 1, "one warning, when the path is chosen");
      assert.ok(warnings[0].includes(message), warnings[0]);
      const ch = chunk(edited, 3, 7, true, "head");
      const expected = edited.autodiffGradients(ch, smoothed).loss;
      const a = edited.trainChunk({ ...ch, state: { ...ch.state } });
      const b = standard.trainChunk({ ...ch, state: { ...ch.state } });
      assert.ok(Math.abs(a.loss - expected) <= 1e-6 * Math.abs(expected), `trained on the edit: ${a.loss} vs ${expected}`);
      assert.ok(Math.abs(a.loss - b.loss) > 1e-3, `the edit moved the loss: ${a.loss} vs ${b.loss}`);
      edited.variables.forEach((v, i) => {
        const p = v.dataSync(),
          q = standard.variables[i].dataSync();
        if (i === 0)
          assert.ok(
            p.some((x, k) => x !== q[k]),
            "the edit moved the weights",
          );
      });
      // the check runs once per default loss
      void edited.trainingPath;
      assert.equal(warnings.length, 1);
    } finally {
      console.warn = warn;
      edited.dispose();
      standard.dispose();
    }
  });

  it("LeMOL-EP: the check covers full and ragged periods (an edit of the masked loss alone is found)", () => {
    const warn = console.warn;
    console.warn = () => {};
    // label smoothing where rows are masked (LeMOL-EP's ragged periods) only
    const maskedEdit: OMLoss = (logits, targets, mask) => (mask ? smoothed(logits, targets, mask) : crossEntropyLoss(logits, targets, null));
    try {
      const ep = epModel(4);
      assert.equal(ep.trainingPath.path, "native");
      ep.defaultLoss = maskedEdit;
      assert.equal(ep.trainingPath.path, "tfjs-autodiff");
      assert.match(ep.trainingPath.reason, /differs from the native loss .*ragged periods/);
      ep.defaultLoss = smoothed;
      assert.equal(ep.trainingPath.path, "tfjs-autodiff", "an edit of the full periods' loss too");
      ep.dispose();
      // the per-step model has no masked rows: the masked edit does not concern it
      const perStep = model("hard_sigmoid");
      perStep.defaultLoss = maskedEdit;
      assert.equal(perStep.trainingPath.path, "native");
      perStep.dispose();
    } finally {
      console.warn = warn;
    }
  });

  it("the tfjs path's explicit backward is checked the same way: an edit it does not follow trains by autodiff, or refuses with the triplet loss", () => {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => warnings.push(m);
    const message = "crossEntropyLoss in agents/lemol/om-loss.ts differs from the explicit backward in agents/lemol/om-backward.ts";
    const models = [model("hard_sigmoid", { ablate: true }), model("hard_sigmoid")];
    models[1].nativeTraining = false; // the reference path
    try {
      for (const om of models) {
        assert.equal(om.trainingPath.path, "tfjs", "the explicit pass computes crossEntropyLoss");
        om.defaultLoss = smoothed;
        const path = om.trainingPath;
        assert.equal(path.path, "tfjs-autodiff");
        assert.ok(path.reason.includes(message), path.reason);
        const ch = chunk(om, 3, 7, true, "head");
        const expected = om.autodiffGradients(ch, smoothed).loss;
        const got = om.trainChunk({ ...ch, state: { ...ch.state } }).loss;
        assert.ok(Math.abs(got - expected) <= 1e-6 * Math.abs(expected), `trained on the edit: ${got} vs ${expected}`);
      }
      assert.equal(warnings.filter((w) => w.includes(message)).length, 2, "one warning per model");
      const triplet = model("hard_sigmoid", { triplet: { positiveDistance: 3, negativeDistance: 40, weight: 0.1, decayBase: 15 } });
      assert.equal(triplet.trainingPath.path, "tfjs");
      triplet.defaultLoss = smoothed;
      assert.throws(() => triplet.trainingPath, /differs from the explicit backward .*the triplet loss trains only on that explicit path/);
      triplet.dispose();
    } finally {
      console.warn = warn;
      for (const om of models) om.dispose();
    }
  });

  it("a run records its OM training path in the manifest and its start line; an edited default loss changes it", async () => {
    for (const edit of [false, true]) {
      const lines: string[] = [];
      const warn = console.warn;
      if (edit) {
        OM_DEFAULT.loss = smoothed;
        console.warn = () => {};
      }
      try {
        const exp = await Experiment.create(
          { scenario: "simple_push", bad_policy: "lemol", good_policy: "maddpg", num_episodes: 30, batch_size: 16, chunk_length: 8, run_dir: tmpRun() },
          { print: (l) => lines.push(l) },
        );
        try {
          const paths = JSON.parse(fs.readFileSync(exp.runDir.manifestFile, "utf8")).om_training_paths;
          const [name] = Object.keys(paths);
          assert.equal(Object.keys(paths).length, 1);
          assert.equal(paths[name].path, edit ? "tfjs-autodiff" : "native");
          const line = lines.find((l) => l.startsWith("  opponent-model training: "));
          if (edit)
            assert.match(line ?? "", new RegExp(`^  opponent-model training: tfjs-autodiff: ${name} \\(crossEntropyLoss in agents/lemol/om-loss.ts differs`));
          else assert.equal(line, `  opponent-model training: native: ${name}`, lines.join("\n"));
        } finally {
          exp.dispose();
        }
      } finally {
        OM_DEFAULT.loss = crossEntropyLoss;
        console.warn = warn;
      }
    }
  });

  it("the OM training phase says in one line that a loss set by setLoss trains on the tfjs path", () => {
    const om = model("hard_sigmoid");
    om.setLoss(crossEntropyLoss);
    const learner = { name: "lemol-x", om, resetPlayState() {} } as unknown as LeMOLAgentTrainer;
    const cfg = { om_training_iters: 0 } as ExperimentConfig;
    const lines: string[] = [];
    // no pass runs: the training starts and ends at once
    assert.deepEqual(
      new OMPhase([learner], cfg, 0, false, new Rng(1)).next((l) => lines.push(l)),
      { next: "done", summaries: [] },
    );
    assert.deepEqual(lines, [
      "Starting LeMOL Opponent Model Training",
      "lemol-x: opponent-model training on the tfjs reference path (a loss set by setLoss trains by autodiff on the tfjs path)",
      "LeMOL Opponent Model Training Complete",
    ]);
    om.dispose();
  });
});

describe("the OM's native kernels on the shared ISA choice", () => {
  it("follow LEMOL_NATIVE_ISA as the addon's GEMM does: AVX-512 and AVX2 the same bits, the generic variant its own", (t) => {
    const run = (isa?: string) => runProbe<{ isa: string; hash: string }>("test/helpers/om-isa-probe.ts", isa ? { LEMOL_NATIVE_ISA: isa } : {});
    const widest = run();
    const generic = run("generic");
    assert.equal(generic.isa, "generic");
    // the generic variant has no FMA: its rounding shows that the OM's kernels took the shared choice
    assert.notEqual(generic.hash, widest.hash, `${widest.isa} and generic gave the same bits`);
    if (widest.isa !== "avx512") {
      t.skip(`this CPU's widest variant is ${widest.isa}; no AVX2 to compare with AVX-512`);
      return;
    }
    const avx2 = run("avx2");
    assert.equal(avx2.isa, "avx2");
    assert.equal(avx2.hash, widest.hash);
  });
});
