// The later release's LeMOL variants (lemol-spec §4.3–4.7): LeMOL-EP's block processing, the
// in-episode LSTM, the ablation, the triplet loss and the decentralised critics. Dimensions
// (§9.2 item 1), gradients against finite differences, play computing the same function as
// training, the triplet loss on hand-computed numbers, and EP's chunk count (§9.2 item 4).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { LeMOLOptions } from "../../src/agents/lemol/agent.js";
import { chunkPlan } from "../../src/agents/lemol/om-training.js";
import { OpponentModel, OpponentModelOptions } from "../../src/agents/lemol/opponent-model.js";
import { CheckpointReader, CheckpointWriter } from "../../src/storage/checkpoint.js";
import { drawTripletIndices, tripletLoss, tripletWeight } from "../../src/agents/lemol/triplet.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, ready, tf } from "../helpers/tf.js";
import { makeLeMOL, randomPredictorBiases } from "../helpers/lemol.js";

function lemol(agentIndex: number, extra: Partial<LeMOLOptions> = {}, config: object = {}) {
  return makeLeMOL(agentIndex, { revision: "head", ...extra }, { maxEpisodeLen: 25, numUnits: 64, agentUpdateFreq: 25, ...config });
}

/**
 * A small opponent model for numeric checks: sigmoid gates (no kinks), and random predictor
 * biases — with the zero initial biases a row whose first layer is all dead sits exactly on a
 * ReLU kink of the second, where the subgradient and a difference quotient disagree.
 */
function smallOM(extra: Partial<OpponentModelOptions> = {}) {
  const om = new OpponentModel({
    obsSize: 3,
    actionSize: 2,
    oppActionSize: 3,
    hidden: 4,
    numUnits: 6,
    omlr: 1e-3,
    recurrentActivation: "sigmoid",
    rng: new Rng(5),
    ...extra,
  });
  const r = new Rng(17);
  randomPredictorBiases(om, r);
  om.syncPlain();
  return om;
}

/** One sequence's logits over a chunk of C steps from the learned initial state (the later release's). */
function logitsFromStart(om: OpponentModel, inputs: Float32Array, obs: Float32Array, C: number, lengths: Int32Array | null = null): Float32Array {
  return om.chunkLogits({ inputs, obs, B: 1, C, state: { h: new Float32Array(4), c: new Float32Array(4), useInit: true }, revision: "head", lengths }).logits;
}

function chunkData(om: OpponentModel, B: number, C: number, seed: number) {
  const rng = new Rng(seed);
  const inputs = Float32Array.from({ length: B * C * om.eventSize }, () => rng.normal());
  const obs = Float32Array.from({ length: B * C * om.obsSize }, () => rng.normal());
  const targets = new Float32Array(B * C * om.oppActionSize);
  for (let r = 0; r < B * C; r++) {
    // soft targets, as the continuous-action experience files hold
    let s = 0;
    for (let k = 0; k < om.oppActionSize; k++) s += targets[r * om.oppActionSize + k] = Math.exp(2 * rng.normal());
    for (let k = 0; k < om.oppActionSize; k++) targets[r * om.oppActionSize + k] /= s;
  }
  return { inputs, obs, targets };
}

/**
 * Checks every trained variable's gradient along a random direction against a central
 * difference of the loss (float32 forward passes, so a loose relative tolerance).
 */
function checkGradients(om: OpponentModel, B: number, C: number, useInit: boolean, revision: "init" | "head", tripletScale = 0, tripletRng?: Rng) {
  const { inputs, obs, targets } = chunkData(om, B, C, 11);
  const hc = new Rng(3);
  const state = () => ({
    h: Float32Array.from({ length: B * om.hidden }, () => 0.5 * hc.normal()),
    c: Float32Array.from({ length: B * om.hidden }, () => 0.5 * hc.normal()),
    useInit,
  });
  const s0 = state();
  const rngState = tripletRng?.getState();
  const loss = () => {
    if (tripletRng) tripletRng.setState(rngState!); // the same triplet indices for every evaluation
    return om.gradients({ inputs, obs, targets, B, C, state: { h: s0.h, c: s0.c, useInit }, revision }, tripletScale);
  };
  const { grads } = loss();
  const names = om.trainedVariableNames;
  const dir = new Rng(9);
  om.variables.forEach((v, i) => {
    // a unit direction: every entry moves little (few ReLU/clip kinks crossed), the loss enough (float32)
    const d = Float32Array.from({ length: v.size }, () => dir.normal());
    const norm = Math.hypot(...d);
    for (let k = 0; k < d.length; k++) d[k] /= norm;
    const analytic = grads[i].reduce((s, g, k) => s + g * d[k], 0);
    const orig = v.dataSync().slice() as Float32Array;
    const at = (eps: number) => {
      v.assign(
        tf.tensor(
          orig.map((x, k) => x + eps * d[k]),
          v.shape,
        ),
      );
      return loss().loss;
    };
    // ReLU and clip kinks near the point spoil a difference quotient at some step sizes, float32
    // rounding (~1e-6 in the loss) at small ones: the gradient must match at one of several
    const tries = [1e-2, 3e-3, 1e-3].map((eps) => {
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      return { eps, numeric, ok: Math.abs(numeric - analytic) <= 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic)) + 3e-6 / eps };
    });
    v.assign(tf.tensor(orig, v.shape));
    assert.ok(
      tries.some((t) => t.ok),
      `${names[i]}: analytic ${analytic}, numeric ${tries.map((t) => `${t.numeric} (eps ${t.eps})`).join(", ")}`,
    );
  });
  return grads;
}

describe("LeMOL variants", () => {
  before(ready);

  it("has the dimensions of lemol-spec §9.2 item 1 for EP, recurrent, ablated and decentralised LeMOL", () => {
    const ep = lemol(0, { blockProcessing: { embeddingDim: 128 } });
    assert.equal(ep.om.summariser!.embeddingDim, 128, "BiLSTM summary 64 + 64");
    assert.equal(ep.om.summariser!.forwardLstm.units, 64);
    assert.equal(ep.om.lstm.inputSize, 128, "the slow LSTM steps on summaries");
    assert.equal(ep.om.predictor.sizes[0], 8 + 64, "EP predictor on obs ‖ LF");
    const rec = lemol(0, { blockProcessing: { embeddingDim: 128 }, inEpisodeUnits: 32 });
    assert.equal(rec.om.predictor.sizes[0], 96, "recurrent predictor on u (32) ‖ LF (64)");
    assert.equal(rec.om.inEpisode!.lstm.inputSize, 8);
    assert.equal(lemol(0, { ablate: true }).om.predictor.sizes[0], 8, "ablated: obs only");
    assert.equal(lemol(0, { ablate: true, blockProcessing: { embeddingDim: 128 }, inEpisodeUnits: 32 }).om.predictor.sizes[0], 32, "ablated recurrent: u only");
    assert.equal(lemol(0, { decentralise: "obs" }).critic.sizes[0], 18, "decentralised critic as adversary: own obs 8 + actions 10");
    assert.equal(lemol(1, { decentralise: "full" }).critic.sizes[0], 29, "as good agent: 19 + 10");
    assert.equal(lemol(0).critic.sizes[0], 37);
    assert.throws(() => lemol(0, { inEpisodeUnits: 32 }), /needs periods/);
    assert.throws(() => lemol(0, { blockProcessing: { embeddingDim: 7 } }), /even/);
  });

  it("trains only what each variant trains", () => {
    const names = (om: OpponentModel) => om.trainedVariableNames.map((n) => n.replace(/#\d+$/, "").split("/").slice(-2).join("/"));
    assert.deepEqual(names(smallOM()), [
      "lstm/kernel",
      "lstm/recurrent_kernel",
      "lstm/bias",
      "opponent_model/initial_h",
      "predictor/W0",
      "predictor/b0",
      "predictor/W1",
      "predictor/b1",
      "predictor/W2",
      "predictor/b2",
    ]);
    const ablated = names(smallOM({ ablate: true }));
    assert.ok(
      ablated.every((n) => n.startsWith("predictor/")),
      `ablated trains the predictor only: ${ablated}`,
    );
    const ep = names(smallOM({ blockProcessing: { period: 3, embeddingDim: 4 }, inEpisodeUnits: 2 }));
    for (const part of ["opponent_model/initial_c", "forward/kernel", "backward/kernel", "in_episode_lstm/kernel", "opponent_model/in_ep_initial_h"])
      assert.ok(ep.includes(part), `${part} in ${ep}`);
  });

  it("computes exact gradients (finite differences) for the per-step model at both revisions", () => {
    for (const revision of ["init", "head"] as const) {
      checkGradients(smallOM(), 2, 5, true, revision);
      checkGradients(smallOM(), 2, 5, false, revision);
    }
  });

  it("computes exact gradients for LeMOL-EP, with the in-episode LSTM, and ablated", () => {
    const ep = { period: 3, embeddingDim: 4 };
    const g = checkGradients(smallOM({ blockProcessing: ep }), 2, 9, true, "head");
    assert.ok(
      g.every((x) => x.some((v) => v !== 0)),
      "every EP variable gets a gradient from the first chunk, initial_c included",
    );
    checkGradients(smallOM({ blockProcessing: ep }), 2, 9, false, "head");
    checkGradients(smallOM({ blockProcessing: ep, inEpisodeUnits: 2 }), 2, 9, true, "head");
    checkGradients(smallOM({ blockProcessing: ep, inEpisodeUnits: 2, ablate: true }), 2, 9, true, "head");
    checkGradients(smallOM({ ablate: true }), 2, 5, true, "head");
  });

  it("computes exact gradients with the alternative cell (an MLP learning feature inside the recurrence)", () => {
    const alternativeCell = { learningFeatureDim: 3 };
    const g = checkGradients(smallOM({ alternativeCell }), 2, 5, true, "head");
    assert.equal(g.length, 3 + 6 + 1 + 6, "LSTM, learning-feature MLP, initial_h, predictor");
    checkGradients(smallOM({ alternativeCell }), 2, 5, false, "init");
    assert.throws(() => smallOM({ alternativeCell, blockProcessing: { period: 2, embeddingDim: 4 } }), /does not combine with --block_processing/);
  });

  it("plays the function it trains: the alternative cell step by step equals the chunk's forward pass", () => {
    const om = smallOM({ alternativeCell: { learningFeatureDim: 3 }, recurrentActivation: "hard_sigmoid" });
    const C = 6;
    const { inputs, obs } = chunkData(om, 1, C, 23);
    const logits = logitsFromStart(om, inputs, obs, C);
    const h = new Float64Array(4),
      c = new Float64Array(4);
    const p = new Float64Array(3);
    for (let t = 0; t < C; t++) {
      om.predict(obs.subarray(t * 3, t * 3 + 3), h, t === 0, p);
      const row = logits.subarray(t * 3, t * 3 + 3);
      const m = Math.max(...row);
      const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      assertClose(
        p,
        Array.from(row, (v) => Math.exp(v - m) / z),
        1e-5,
        `step ${t}`,
      );
      om.advance(Float64Array.from(inputs.subarray(t * om.eventSize, (t + 1) * om.eventSize)), 1, h, c, t === 0);
    }
  });

  it("computes exact gradients with the triplet loss, per step and per period", () => {
    const triplet = { positiveDistance: 1, negativeDistance: 2, weight: 0.1, decayBase: 15 };
    const r1 = new Rng(4);
    checkGradients(smallOM({ triplet, tripletRng: r1 }), 3, 6, true, "head", 5, r1);
    const r2 = new Rng(6);
    checkGradients(smallOM({ triplet, tripletRng: r2, blockProcessing: { period: 2, embeddingDim: 4 } }), 3, 10, true, "head", 5, r2);
    // the triplet term changes the gradient of the slow LSTM, and not the predictor's
    const r3 = new Rng(8);
    const om = smallOM({ triplet, tripletRng: r3 });
    const { inputs, obs, targets } = chunkData(om, 3, 6, 1);
    const st = () => ({ h: new Float32Array(12), c: new Float32Array(12), useInit: true });
    const s = r3.getState();
    const without = om.gradients({ inputs, obs, targets, B: 3, C: 6, state: st(), revision: "head" }, 0).grads;
    r3.setState(s);
    const withT = om.gradients({ inputs, obs, targets, B: 3, C: 6, state: st(), revision: "head" }, 5).grads;
    assert.ok(
      withT[0].some((v, k) => Math.abs(v - without[0][k]) > 1e-7),
      "slow LSTM kernel gradient changes",
    );
    assertClose(withT[withT.length - 1], without[without.length - 1], 1e-7, "predictor output bias unchanged");
  });

  it("plays the function it trains: EP (with the in-episode LSTM) step by step equals the chunk's forward pass", () => {
    for (const inEpisodeUnits of [null, 3]) {
      const F = 4;
      const om = smallOM({ blockProcessing: { period: F, embeddingDim: 6 }, inEpisodeUnits, recurrentActivation: "hard_sigmoid" });
      // give the learned initial states non-zero values, so that using them is visible
      tf.tidy(() => {
        om.initialH.assign(tf.randomNormal([1, 4], 0, 0.5, "float32", 1));
        om.initialC!.assign(tf.randomNormal([1, 4], 0, 0.5, "float32", 2));
        if (om.inEpisode) om.inEpisode.initialH.assign(tf.randomNormal([1, 3], 0, 0.5, "float32", 3));
      });
      om.syncPlain();
      const K = 3,
        C = K * F;
      const { inputs, obs } = chunkData(om, 1, C, 21);
      const logits = logitsFromStart(om, inputs, obs, C);
      const h = new Float64Array(4),
        c = new Float64Array(4);
      const inEp = { h: new Float64Array(3), c: new Float64Array(3) };
      let useInit = true;
      const p = new Float64Array(3);
      for (let t = 0; t < C; t++) {
        if (t > 0 && t % F === 0) {
          om.advance(Float64Array.from(inputs.subarray((t - F) * om.eventSize, t * om.eventSize)), F, h, c, useInit);
          useInit = false;
        }
        om.predict(obs.subarray(t * 3, t * 3 + 3), h, useInit, p, 0, inEpisodeUnits ? inEp : undefined, t % F === 0);
        const row = logits.subarray(t * 3, t * 3 + 3);
        const m = Math.max(...row);
        const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
        assertClose(
          p,
          Array.from(row, (v) => Math.exp(v - m) / z),
          1e-5,
          `in-episode ${inEpisodeUnits}: step ${t}`,
        );
      }
    }
  });

  it("computes exact gradients for LeMOL-EP over episodes of different lengths (padded, left out of the loss)", () => {
    const ep = { period: 4, embeddingDim: 4 };
    const lengths = Int32Array.from([4, 2, 1, 3, 4, 2]); // B = 2 sequences x 3 periods
    for (const extra of [{}, { inEpisodeUnits: 2 }]) {
      const om = smallOM({ blockProcessing: ep, ...extra });
      const B = 2,
        C = 12;
      const { inputs, obs, targets } = chunkData(om, B, C, 31);
      const loss = (inp: Float32Array) =>
        om.gradients({ inputs: inp, obs, targets, B, C, state: { h: new Float32Array(8), c: new Float32Array(8), useInit: true }, revision: "head", lengths });
      // what lies in the padding changes nothing
      const junk = Float32Array.from(inputs);
      for (let n = 0; n < lengths.length; n++)
        for (let t = lengths[n]; t < 4; t++) for (let k = 0; k < om.eventSize; k++) junk[(n * 4 + t) * om.eventSize + k] += 5;
      const a = loss(inputs),
        b = loss(junk);
      assert.equal(a.loss, b.loss, "padding events do not change the loss");
      a.grads.forEach((g, i) => assertClose(g, b.grads[i], 1e-6, `gradient ${i} with padding changed`));
      // and the gradients are exact
      const dir = new Rng(2);
      om.variables.forEach((v, i) => {
        const d = Float32Array.from({ length: v.size }, () => dir.normal());
        const norm = Math.hypot(...d);
        const analytic = a.grads[i].reduce((s, g, k) => s + (g * d[k]) / norm, 0);
        const orig = v.dataSync().slice() as Float32Array;
        const at = (eps: number) => {
          v.assign(
            tf.tensor(
              orig.map((x, k) => x + (eps * d[k]) / norm),
              v.shape,
            ),
          );
          return loss(inputs).loss;
        };
        const ok = [1e-2, 3e-3, 1e-3].some((eps) => {
          const numeric = (at(eps) - at(-eps)) / (2 * eps);
          return Math.abs(numeric - analytic) <= 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic)) + 3e-6 / eps;
        });
        v.assign(tf.tensor(orig, v.shape));
        assert.ok(ok, `${om.trainedVariableNames[i]}: analytic ${analytic}`);
      });
    }
  });

  it("plays the function it trains over episodes of different lengths (the UAV grid world's periods)", () => {
    const F = 4;
    const om = smallOM({ blockProcessing: { period: F, embeddingDim: 6 }, inEpisodeUnits: 3, recurrentActivation: "hard_sigmoid" });
    const lengths = Int32Array.from([3, 1, 4]);
    const C = lengths.length * F;
    const { inputs, obs } = chunkData(om, 1, C, 41);
    const logits = logitsFromStart(om, inputs, obs, C, lengths);
    const h = new Float64Array(4),
      c = new Float64Array(4);
    const inEp = { h: new Float64Array(3), c: new Float64Array(3) };
    const p = new Float64Array(3);
    for (let k = 0; k < lengths.length; k++) {
      if (k > 0)
        om.advance(
          Float64Array.from(inputs.subarray((k - 1) * F * om.eventSize, ((k - 1) * F + lengths[k - 1]) * om.eventSize)),
          lengths[k - 1],
          h,
          c,
          k === 1,
        );
      for (let t = 0; t < lengths[k]; t++) {
        const row = k * F + t;
        om.predict(obs.subarray(row * 3, row * 3 + 3), h, k === 0, p, 0, inEp, t === 0);
        const l = logits.subarray(row * 3, row * 3 + 3);
        const m = Math.max(...l);
        const z = l.reduce((s, v) => s + Math.exp(v - m), 0);
        assertClose(
          p,
          Array.from(l, (v) => Math.exp(v - m) / z),
          1e-5,
          `episode ${k} step ${t}`,
        );
      }
    }
  });

  it("defines the triplet loss on hand-computed numbers, and its gradient", () => {
    // B = 1, H = 1, states A = [0, 1, 3, 6]; P = 1, N = 2 → K = 3: early p ∈ {0}, late p ∈ {3}
    const o = { positiveDistance: 1, negativeDistance: 2, weight: 0.1, decayBase: 15 };
    const idx = drawTripletIndices(3, 1, o, new Rng(1));
    assert.deepEqual([idx.early.pos[0], idx.early.ref[0], idx.early.neg[0]], [0, 1, 3]);
    assert.deepEqual([idx.late.pos[0], idx.late.ref[0], idx.late.neg[0]], [3, 2, 0]);
    const A = Float32Array.from([0, 1, 3, 6]);
    // l_pos_early = (1-0)² = 1, l_neg_early = (1-6)² = 25, l_pos_late = (3-6)² = 9, l_neg_late = (3-0)² = 9
    const D = 25 + 9 - (1 + 9);
    const want = (1 / (1 + Math.exp(D))) ** 2;
    const grad = new Float32Array(4);
    assert.ok(Math.abs(tripletLoss(A, 1, 4, 1, idx, grad) - want) < 1e-12 * Math.max(1, want) + 1e-30);
    // D is large: the loss is ~0 with a vanishing gradient; a closer configuration has a real one
    const A2 = Float32Array.from([0, 0.5, 0.7, 0.9]);
    const g2 = new Float32Array(4);
    tripletLoss(A2, 1, 4, 1, idx, g2);
    for (let t = 0; t < 4; t++) {
      const e = 1e-3;
      const up = Float32Array.from(A2);
      up[t] += e;
      const down = Float32Array.from(A2);
      down[t] -= e;
      const numeric = (tripletLoss(up, 1, 4, 1, idx) - tripletLoss(down, 1, 4, 1, idx)) / (2 * e);
      assert.ok(Math.abs(numeric - g2[t]) < 1e-4, `dL/dA[${t}]: ${g2[t]} vs ${numeric}`);
    }
    // the (B, B, H) quirk: every sequence is paired with every sampled offset
    const B = 2;
    const idxB = {
      early: { ref: Int32Array.from([1, 2]), pos: Int32Array.from([0, 0]), neg: Int32Array.from([3, 3]) },
      late: { ref: Int32Array.from([2, 2]), pos: Int32Array.from([3, 3]), neg: Int32Array.from([0, 0]) },
    };
    const AB = Float32Array.from([0, 1, 2, 3, 0, 2, 4, 6]);
    const lposE = ((1 - 0) ** 2 + (2 - 0) ** 2 + (2 - 0) ** 2 + (4 - 0) ** 2) / B;
    const lnegE = ((1 - 3) ** 2 + (2 - 3) ** 2 + (2 - 6) ** 2 + (4 - 6) ** 2) / B;
    const lposL = (2 * (2 - 3) ** 2 + 2 * (4 - 6) ** 2) / B;
    const lnegL = (2 * (2 - 0) ** 2 + 2 * (4 - 0) ** 2) / B;
    const wantB = (1 / (1 + Math.exp(lnegE + lnegL - lposE - lposL))) ** 2;
    assert.ok(Math.abs(tripletLoss(AB, B, 4, 1, idxB) - wantB) < 1e-12);
    assert.equal(tripletWeight(o, 0), 0.1);
    assert.ok(Math.abs(tripletWeight(o, 15) - 0.05) < 1e-15);
  });

  it("draws triplet indices in range, with the spec's distances", () => {
    const o = { positiveDistance: 3, negativeDistance: 40, weight: 0.1, decayBase: 15 };
    const K = 64;
    const rng = new Rng(2);
    for (let n = 0; n < 200; n++) {
      const { early, late } = drawTripletIndices(K, 8, o, rng);
      for (let b = 0; b < 8; b++) {
        assert.ok(early.pos[b] >= 0 && early.pos[b] <= K - 43);
        assert.ok(early.ref[b] - early.pos[b] >= 1 && early.ref[b] - early.pos[b] <= 3);
        assert.ok(early.neg[b] - early.pos[b] >= 41 && early.neg[b] - early.pos[b] <= 43 && early.neg[b] <= K);
        assert.ok(late.pos[b] >= 43 && late.pos[b] <= K);
        assert.ok(late.pos[b] - late.ref[b] >= 1 && late.pos[b] - late.ref[b] <= 3);
        assert.ok(late.pos[b] - late.neg[b] >= 41 && late.neg[b] >= 0);
      }
    }
    assert.throws(() => drawTripletIndices(42, 8, o, rng), /too short/);
  });

  it("checkpoints every variant whole: each variable and the iteration count come back", () => {
    const variants: [string, Partial<OpponentModelOptions>][] = [
      ["per-step", {}],
      ["EP", { blockProcessing: { period: 5, embeddingDim: 4 } }],
      ["EP + in-episode LSTM", { blockProcessing: { period: 5, embeddingDim: 4 }, inEpisodeUnits: 2 }],
      ["alternative cell", { alternativeCell: { learningFeatureDim: 2 } }],
      ["with the BC baseline", { baselineRng: new Rng(8) }],
    ];
    for (const [name, extra] of variants) {
      const make = (seed: number) =>
        new OpponentModel({ obsSize: 3, actionSize: 2, oppActionSize: 3, hidden: 4, numUnits: 6, omlr: 1e-3, rng: new Rng(seed), ...extra });
      const a = make(5);
      // values no initialiser gives, so a variable left out of the checkpoint stays visibly different
      const r = new Rng(11);
      for (const v of a.variables)
        v.assign(
          tf.tensor(
            Float32Array.from({ length: v.size }, () => r.normal()),
            v.shape,
          ),
        );
      a.iterations = 7;
      const w = new CheckpointWriter();
      a.saveTo(w, "om");
      const b = make(99);
      b.loadFrom(new CheckpointReader({ values: w.values } as never, new Map(w.arrays.map((x) => [x.name, x])), "test"), "om");
      assert.equal(b.iterations, 7, name);
      assert.equal(b.variables.length, a.variables.length, name);
      a.variables.forEach((v, k) => assert.deepEqual(Array.from(b.variables[k].dataSync()), Array.from(v.dataSync()), `${name}: ${v.name}`));
      if (a.baseline)
        assert.deepEqual(Array.from(b.baseline!.mlp.params[0].dataSync()), Array.from(a.baseline.mlp.params[0].dataSync()), `${name}: the baseline`);
      a.dispose();
      b.dispose();
    }
  });

  it("plans LeMOL-EP's chunk count (lemol-spec §9.2 item 4: 156 per call at the later release's defaults)", () => {
    const om = lemol(0, { blockProcessing: { embeddingDim: 128 } }).om;
    assert.equal(om.chunkSteps(64), 1600);
    assert.equal(chunkPlan(275_600, 25_600, om.chunkSteps(64), "head").chunks, 156);
  });
});
