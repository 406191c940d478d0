/**
 * The opponent model's training chunk in lemol's native kernels (the fast path, lemol-spec §4.4
 * and §4.5): the slow LSTM's forward pass over the batch of trajectories and its backward pass
 * through time (src/nn/native/om_lstm.cc) — over the events, or for LeMOL-EP over the periods'
 * summaries from the bidirectional summariser (episode-summariser.ts, the same LSTM kernels) —
 * the predictor's forward and backward passes (the addon's MLP kernels), the soft-label
 * cross-entropy and its gradient (a loop over the chunk's N × A logits here, masked for ragged
 * periods), and Adam (the addon's, `Adam.applyArrays`) — a handful of native calls a chunk
 * instead of ~1,000 tfjs ops, and no tensor.
 *
 * Its reference is the tfjs path (opponent-model.ts `forwardChunk`, om-backward.ts), which it
 * follows step for step: equal to float32 rounding (test/agents/lemol-native-om.test.ts states
 * the tolerance), and checked against float64 finite differences. It covers the per-step model
 * with the standard LSTM (both releases' alignments, hard_sigmoid or sigmoid gates) and LeMOL-EP
 * (full or ragged periods); the in-episode LSTM, the alternative cell, the ablation, the triplet
 * loss and a loss set by `setLoss` run on the tfjs path ({@link nativeTrainingRefusal} says why).
 *
 * The loss is defined once, by `crossEntropyLoss` in om-loss.ts: the loop below is its port, and
 * {@link checkNativeOMLoss} runs both on seeded probe chunks when a model first chooses its path.
 * An edit of `crossEntropyLoss` the loop does not follow sends the model to the tfjs path, where
 * it trains on the edited loss by autodiff (docs/contributing.md, "Change a loss").
 */
import { heapViews, nativeKernels } from "../../nn/native-kernels.js";
import { nativeLSTMKernels, NativeLSTMRun } from "../../nn/lstm.js";
import { tf } from "../../nn/backend.js";
import { Rng } from "../../util/rng.js";
import { PHASE, phaseTimer } from "../../util/phase-timer.js";
import { validRows, type OMLoss } from "./om-loss.js";
import type { EpisodeSummariser } from "./episode-summariser.js";
import type { LSTM } from "../../nn/lstm.js";
import type { MLP } from "../../nn/mlp.js";
import type { Adam } from "../../nn/optim.js";

/** What the native path reads of the opponent model (opponent-model.ts's `OpponentModel`). */
export interface NativeOM {
  readonly obsSize: number;
  readonly eventSize: number;
  readonly oppActionSize: number;
  readonly hidden: number;
  readonly lstm: LSTM;
  readonly initialH: tf.Variable;
  /** LeMOL-EP: the learned initial cell state (null for the per-step model: c0 := h0). */
  readonly initialC: tf.Variable | null;
  /** LeMOL-EP: the period summariser (null for the per-step model). */
  readonly summariser: EpisodeSummariser | null;
  /** LeMOL-EP's period length F (0 for the per-step model). */
  readonly period: number;
  readonly predictor: MLP;
  readonly optimiser: Adam;
  readonly loss: OMLoss | null;
  readonly defaultLoss: OMLoss;
  readonly nativeTraining: boolean;
  readonly blockProcessing: boolean;
  readonly inEpisode: unknown;
  readonly cell: unknown;
  readonly ablate: boolean;
  readonly triplet: unknown;
}

/** A training chunk (opponent-model.ts's `OMChunk`): B sequences of C steps, batch-major. */
export interface NativeChunk {
  inputs: Float32Array;
  obs: Float32Array;
  targets: Float32Array;
  B: number;
  C: number;
  state: { h: Float32Array; c: Float32Array; useInit: boolean };
  revision: "init" | "head";
  /** LeMOL-EP: the steps each period holds, [B·C/F] (the rest is padding, out of the loss); null: all. */
  lengths?: Int32Array | null;
}

/** Where an opponent model's chunks train ({@link chooseOMTrainingPath}), and why. */
export interface OMTrainingPath {
  /** `native`: this module; `tfjs`: the explicit backward pass (om-backward.ts); `tfjs-autodiff`: a loss by tfjs's autodiff. */
  path: "native" | "tfjs" | "tfjs-autodiff";
  reason: string;
}

/** Per model, the native loss checked against its default loss (once per loss): null when they agree, else why not. */
const lossChecks = new WeakMap<NativeOM, { loss: OMLoss; mismatch: string | null }>();
/** Per model, the explicit backward's loss (om-backward.ts) checked against its default loss, likewise. */
const explicitChecks = new WeakMap<NativeOM, { loss: OMLoss; mismatch: string | null }>();

/**
 * Where `om`'s chunks train now, and why: `native` when `om.nativeTraining` is on, nothing refuses
 * it ({@link nativeTrainingRefusal}) and the native loss computes `om.defaultLoss` (checked once
 * by {@link checkNativeOMLoss}; a mismatch is also written to the console); `tfjs-autodiff` for a
 * loss set by `setLoss` or a default loss the native path does not compute; else `tfjs`.
 */
export function chooseOMTrainingPath(
  om: NativeOM,
  autodiff: Parameters<typeof checkNativeOMLoss>[2],
  explicit: Parameters<typeof checkExplicitOMLoss>[2],
): OMTrainingPath {
  const refusal = om.nativeTraining ? nativeTrainingRefusal(om) : "native training is switched off (nativeTraining = false)";
  if (om.loss) return { path: "tfjs-autodiff", reason: refusal ?? "a loss set by setLoss trains by autodiff on the tfjs path" };
  if (refusal) {
    // the tfjs path's explicit backward (om-backward.ts) writes the cross-entropy out too: checked the same way
    let check = explicitChecks.get(om);
    if (check?.loss !== om.defaultLoss) {
      check = { loss: om.defaultLoss, mismatch: checkExplicitOMLoss(om, om.defaultLoss, explicit) };
      if (check.mismatch) console.warn(`lemol: ${check.mismatch}`);
      explicitChecks.set(om, check);
    }
    if (!check.mismatch) return { path: "tfjs", reason: refusal };
    if (om.triplet) throw new Error(`${check.mismatch}; the triplet loss trains only on that explicit path, so this model cannot train until it does`);
    return { path: "tfjs-autodiff", reason: `${refusal}; ${check.mismatch}` };
  }
  let check = lossChecks.get(om);
  if (check?.loss !== om.defaultLoss) {
    check = { loss: om.defaultLoss, mismatch: checkNativeOMLoss(om, om.defaultLoss, autodiff) };
    if (check.mismatch) console.warn(`lemol: ${check.mismatch}`);
    lossChecks.set(om, check);
  }
  return check.mismatch
    ? { path: "tfjs-autodiff", reason: check.mismatch }
    : { path: "native", reason: "native kernels, loss checked against crossEntropyLoss (agents/lemol/om-loss.ts)" };
}

/** Why `om`'s chunks cannot train on the native kernels (null when they can). */
export function nativeTrainingRefusal(om: NativeOM): string | null {
  if (!nativeLSTMKernels()) return "lemol's native kernels are not active (or the addon predates its LSTM kernels)";
  if (om.loss) return "a loss set by setLoss trains by autodiff on the tfjs path";
  if (om.inEpisode) return "the in-episode LSTM runs on the tfjs path";
  if (om.cell) return "the alternative cell runs on the tfjs path";
  if (om.ablate) return "the ablated model runs on the tfjs path";
  if (om.triplet) return "the triplet loss runs on the tfjs path";
  return null;
}

/** Loss, hit rate and the gradients of one chunk, as {@link NativeOMTrainer.gradients} returns them. */
export interface NativeChunkGradients {
  loss: number;
  accuracy: number;
  /** The chunk's logits [N·A] (a view of the trainer's buffer: valid until its next call). */
  logits: Float32Array;
  /** In the optimiser's order: LSTM kernel, recurrent kernel, bias, initial_h, predictor W0, b0, … */
  grads: Float32Array[];
}

/** Trains one opponent model's chunks natively; buffers are kept for the last chunk shape. */
export class NativeOMTrainer {
  private run: NativeLSTMRun | null = null;
  private bufs: {
    N: number;
    h0: Float32Array;
    c0: Float32Array;
    predIn: Float32Array;
    acts: Float32Array[];
    /** The hidden layers' activations (acts without the logits), for the backward pass. */
    hiddenActs: Float32Array[];
    dLogits: Float32Array;
    dx: Float32Array;
    dHs: Float32Array;
    gInit: Float32Array;
    gInitC: Float32Array;
    gPred: Float32Array[];
    /** LeMOL-EP: the periods' summaries [B·K, D] (the slow LSTM's input), their gradient, d/d(h0) through the lagged feature [B, H]. */
    summaries: Float32Array;
    dSummaries: Float32Array;
    dStart: Float32Array;
    /** One row's exp(logit − max), float64 as the loss loop computes them. */
    exps: Float64Array;
  } | null = null;
  private readonly weightViews: Float32Array[] = [];
  private readonly predViews: Float32Array[] = [];
  private lengths: Int32Array | null = null;
  private mask: { mask: Float32Array; count: number } | null = null;

  constructor(private readonly om: NativeOM) {
    const why = nativeTrainingRefusal(om);
    if (why) throw new Error(`native opponent-model training: ${why}`);
  }

  private buffers(B: number, C: number) {
    const om = this.om;
    const H = om.hidden;
    const N = B * C;
    const F = om.period;
    // the slow LSTM's steps: one per event, or one per period (LeMOL-EP)
    const K = F ? C / F : C;
    if (F && !Number.isInteger(K)) throw new RangeError(`LeMOL-EP: a chunk of ${C} steps is not a whole number of ${F}-step periods`);
    if (!this.run || this.run.batch !== B || this.run.steps !== K) {
      const D = om.summariser ? om.summariser.embeddingDim : 0;
      this.run = new NativeLSTMRun(om.summariser ? D : om.eventSize, H, B, K, om.lstm.recurrentActivation);
      const sizes = om.predictor.sizes;
      this.bufs = {
        N,
        h0: new Float32Array(B * H),
        c0: new Float32Array(om.initialC ? B * H : 0),
        predIn: new Float32Array(N * sizes[0]),
        acts: sizes.slice(1).map((n) => new Float32Array(N * n)),
        hiddenActs: [],
        dLogits: new Float32Array(N * om.oppActionSize),
        dx: new Float32Array(N * sizes[0]),
        dHs: new Float32Array(B * K * H),
        gInit: new Float32Array(H),
        gInitC: new Float32Array(om.initialC ? H : 0),
        gPred: om.predictor.params.map((p) => new Float32Array(p.size)),
        summaries: new Float32Array(B * K * D),
        dSummaries: new Float32Array(B * K * D),
        dStart: new Float32Array(om.summariser ? B * H : 0),
        exps: new Float64Array(om.oppActionSize),
      };
      this.bufs.hiddenActs = this.bufs.acts.slice(0, -1);
    }
    return { run: this.run, bufs: this.bufs!, K };
  }

  /** The rows that count for periods of `lengths` (kept while the same lengths come again), or null: all. */
  private validRows(lengths: Int32Array | null | undefined, N: number): { mask: Float32Array; count: number } | null {
    if (!lengths) return null;
    const same = this.lengths && this.lengths.length === lengths.length && this.lengths.every((v, i) => v === lengths[i]);
    if (!same || !this.mask || this.mask.mask.length !== N) {
      this.lengths = Int32Array.from(lengths);
      this.mask = validRows(lengths, this.om.period, N);
    }
    return this.mask;
  }

  /** Loss, accuracy and gradients of one chunk (the state at its start from `chunk.state`), without training. */
  gradients(chunk: NativeChunk): NativeChunkGradients {
    const om = this.om;
    const { inputs, obs, targets, B, C, state, revision } = chunk;
    const H = om.hidden,
      O = om.obsSize,
      A = om.oppActionSize;
    const X = O + H; // the predictor's input: [o ‖ LF]
    const { run, bufs, K } = this.buffers(B, C);
    const N = B * C;
    const F = om.period;
    const summariser = om.summariser;
    // the slow LSTM from the learned initial state (per-step: c0 := h0) or the state handed on
    const h0 = state.useInit ? bufs.h0 : state.h;
    if (state.useInit) {
      const init = om.initialH.dataSync() as Float32Array;
      for (let b = 0; b < B; b++) bufs.h0.set(init, b * H);
      if (om.initialC) {
        const initC = om.initialC.dataSync() as Float32Array;
        for (let b = 0; b < B; b++) bufs.c0.set(initC, b * H);
      }
    }
    const c0 = state.useInit ? (om.initialC ? bufs.c0 : bufs.h0) : state.c;
    const mask = this.validRows(chunk.lengths, N);
    // LeMOL-EP: the slow LSTM runs over the periods' summaries
    if (summariser) {
      const t0 = phaseTimer.start();
      summariser.forwardArrays(inputs, B * K, F, chunk.lengths ?? null, bufs.summaries);
      phaseTimer.stop(PHASE.ep_summarising, t0);
    }
    const slowIn = summariser ? bufs.summaries : inputs;
    // views of the variables' memory, taken after the last tfjs allocation (dataSync above)
    const w = heapViews(om.lstm.params, this.weightViews);
    run.forward(w, slowIn, h0, c0);
    // the predictor's input: o_k, and the learning feature — per step, h after e_k (init) or after
    // e_{k-1}, h0 first (head); LeMOL-EP, h before the step's period (h0 for the first)
    const predIn = bufs.predIn;
    const hs = run.hs;
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < C; k++) {
        const n = b * C + k;
        const to = n * X;
        for (let j = 0; j < O; j++) predIn[to + j] = obs[n * O + j];
        const slowStep = summariser ? Math.floor(k / F) - 1 : revision === "init" ? k : k - 1; // -1: h0
        if (slowStep < 0) predIn.set(h0.subarray(b * H, (b + 1) * H), to + O);
        else predIn.set(hs.subarray((b * K + slowStep) * H, (b * K + slowStep + 1) * H), to + O);
      }
    }
    const native = nativeKernels();
    if (!native) throw new Error("native opponent-model training: lemol's native kernels are no longer active");
    const pw = heapViews(om.predictor.params, this.predViews);
    native.mlpForward(predIn, N, pw, bufs.acts);
    const logits = bufs.acts[bufs.acts.length - 1];
    // mean soft-label cross-entropy over the rows that count; d/dlogits = (softmax · Σt − t) / count
    const dLogits = bufs.dLogits;
    const count = mask ? mask.count : N;
    const exps = bufs.exps;
    let loss = 0;
    let hits = 0;
    for (let n = 0; n < N; n++) {
      const z = n * A;
      if (mask && mask.mask[n] === 0) {
        dLogits.fill(0, z, z + A);
        continue;
      }
      let max = -Infinity,
        arg = 0,
        tArg = 0,
        tSum = 0;
      for (let j = 0; j < A; j++) {
        if (logits[z + j] > max) {
          max = logits[z + j];
          arg = j;
        }
        if (targets[z + j] > targets[z + tArg]) tArg = j;
        tSum += targets[z + j];
      }
      let sum = 0;
      for (let j = 0; j < A; j++) sum += exps[j] = Math.exp(logits[z + j] - max);
      const lse = max + Math.log(sum);
      for (let j = 0; j < A; j++) {
        loss -= targets[z + j] * (logits[z + j] - lse);
        dLogits[z + j] = ((exps[j] / sum) * tSum - targets[z + j]) / count;
      }
      if (arg === tArg) hits++;
    }
    native.mlpBackward(predIn, N, bufs.hiddenActs, dLogits, pw, bufs.gPred, bufs.dx);
    // d/d(the slow outputs) through the learning feature, and d/d(h0) where h0 is a feature
    const dHs = bufs.dHs;
    const dx = bufs.dx;
    if (summariser) {
      // period k's F steps all use h_{k-1}: their gradients summed, in step order
      const dStart = bufs.dStart;
      dHs.fill(0);
      dStart.fill(0);
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < K; k++) {
          const to = k === 0 ? dStart : dHs;
          const at = k === 0 ? b * H : (b * K + k - 1) * H;
          for (let f = 0; f < F; f++) {
            const from = (b * C + k * F + f) * X + O;
            for (let j = 0; j < H; j++) to[at + j] += dx[from + j];
          }
        }
      }
    } else {
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < C; k++) {
          const n = b * C + k;
          const from = (revision === "init" ? n : n + 1) * X + O;
          if (revision === "head" && k === C - 1) dHs.fill(0, n * H, (n + 1) * H);
          else dHs.set(dx.subarray(from, from + H), n * H);
        }
      }
    }
    run.backward(w, slowIn, h0, c0, dHs, summariser ? bufs.dSummaries : null);
    // the learned initial state feeds h0 (and the first feature) and c0 (per-step: c0 := h0); a
    // zero gradient when not used
    const gInit = bufs.gInit;
    gInit.fill(0);
    bufs.gInitC.fill(0);
    if (state.useInit) {
      for (let b = 0; b < B; b++) {
        const lf0 = b * C * X + O;
        for (let j = 0; j < H; j++) {
          const i = b * H + j;
          if (summariser) {
            gInit[j] += run.dh0[i] + bufs.dStart[i];
            bufs.gInitC[j] += run.dc0[i];
          } else {
            const both = run.dh0[i] + run.dc0[i];
            gInit[j] += revision === "head" ? both + dx[lf0 + j] : both;
          }
        }
      }
    }
    const grads = [run.dK, run.dR, run.db, gInit];
    if (summariser) {
      const t0 = phaseTimer.start();
      grads.push(bufs.gInitC, ...summariser.backwardArrays(bufs.dSummaries));
      phaseTimer.stop(PHASE.ep_summarising, t0);
    }
    // reported as float32, as the tfjs path's
    return { loss: Math.fround(loss / count), accuracy: Math.fround(hits / count), logits, grads: [...grads, ...bufs.gPred] };
  }

  /** One truncated-BPTT step (as `OpponentModel.trainChunk`): gradients, one Adam step, the state handed on. */
  trainChunk(chunk: NativeChunk): { loss: number; accuracy: number; triplet: number } {
    const r = this.gradients(chunk);
    this.om.optimiser.applyArrays(r.grads);
    const run = this.run!;
    const st = chunk.state;
    if (st.h.length === run.h.length) st.h.set(run.h);
    else st.h = Float32Array.from(run.h);
    if (st.c.length === run.c.length) st.c.set(run.c);
    else st.c = Float32Array.from(run.c);
    chunk.state.useInit = false;
    return { loss: r.loss, accuracy: r.accuracy, triplet: NaN };
  }
}

/**
 * The tolerance the native path is tested to against the tfjs path (test/agents/lemol-native-om.test.ts):
 * the loss to 1e-5 of itself, each gradient to 2e-5 of its variable's largest.
 */
export const NATIVE_OM_TOLERANCE = { loss: 1e-5, grad: 2e-5 } as const;

/**
 * Small seeded chunks (the same every run) to check the native loss on: B = 2 sequences of C = 3
 * steps; for LeMOL-EP, of 2 periods, once with full periods and once ragged (the masked loss).
 */
export function probeChunks(om: NativeOM): NativeChunk[] {
  const F = om.period;
  const B = 2,
    C = F ? 2 * F : 3,
    N = B * C,
    A = om.oppActionSize;
  const rng = Rng.stream(30, "om-native/probe");
  const normal = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
  const targets = new Float32Array(N * A);
  for (let r = 0; r < N; r++) {
    let sum = 0;
    for (let j = 0; j < A; j++) sum += targets[r * A + j] = Math.exp(2 * rng.normal());
    for (let j = 0; j < A; j++) targets[r * A + j] /= sum;
  }
  const state = { h: normal(B * om.hidden, 0.5), c: normal(B * om.hidden, 0.5), useInit: true };
  const probe: NativeChunk = { inputs: normal(N * om.eventSize), obs: normal(N * om.obsSize), targets, B, C, state, revision: "head" };
  if (!F) return [probe];
  const ragged = Int32Array.from([F, Math.max(1, F - 2), 1, F]);
  return [probe, { ...probe, state: { ...state }, lengths: ragged }];
}

/**
 * Whether the native chunk computes `reference` (the default loss, `crossEntropyLoss` unless a
 * test stands in an edit): on {@link probeChunks} the native loss must equal `reference` on the
 * same logits, and — when tfjs's gradients are registered (`enableAutodiff`; an experiment does
 * so) — the native chunk's gradients those of `reference` by autodiff through the tfjs chunk
 * (`autodiff`), within {@link NATIVE_OM_TOLERANCE}. Null when it does, else one line naming what
 * to change. Meant to run once per model, when it first chooses its training path.
 */
export function checkNativeOMLoss(
  om: NativeOM,
  reference: OMLoss,
  autodiff: (chunk: NativeChunk, loss: OMLoss) => { loss: number; grads: Float32Array[] },
): string | null {
  const differs = (what: string) =>
    `crossEntropyLoss in agents/lemol/om-loss.ts differs from the native loss in agents/lemol/om-native.ts (${what}): ` +
    'training on the tfjs path; port the change to om-native.ts (docs/contributing.md, "Change a loss") to train natively again';
  for (const probe of probeChunks(om)) {
    const nat = new NativeOMTrainer(om).gradients(probe);
    const N = probe.B * probe.C,
      A = om.oppActionSize;
    const valid = probe.lengths ? validRows(probe.lengths, om.period, N).mask : null;
    const ref = tf.tidy(
      () => reference(tf.tensor2d(nat.logits, [N, A]), tf.tensor2d(probe.targets, [N, A]), valid && tf.tensor2d(valid, [N, 1])).dataSync()[0],
    );
    const which = probe.lengths ? "ragged periods" : "";
    if (!(Math.abs(nat.loss - ref) <= NATIVE_OM_TOLERANCE.loss * Math.abs(ref)))
      return differs(`the probe's loss ${nat.loss} vs ${ref}${which && `, ${which}`}`);
    if (!tf.getGradient("LogSoftmax")) continue; // no autodiff registered: the loss's value is what can be checked
    const grads = nat.grads.map((g) => Float32Array.from(g)); // copied before autodiff allocates (the native buffers may view the wasm heap)
    const byAutodiff = autodiff(probe, reference);
    for (const [i, g] of byAutodiff.grads.entries()) {
      const scale = Math.max(1e-6, ...g.map(Math.abs));
      for (let k = 0; k < g.length; k++)
        if (!(Math.abs(grads[i][k] - g[k]) <= NATIVE_OM_TOLERANCE.grad * scale))
          return differs(`gradient ${i}[${k}] ${grads[i][k]} vs ${g[k]} by autodiff${which && `, ${which}`}`);
    }
  }
  return null;
}

/**
 * Whether the tfjs path's explicit backward (om-backward.ts, which writes the soft-label
 * cross-entropy and its gradient out) computes `reference`: on {@link probeChunks}, the loss it
 * reports must equal `reference` on the same logits (and mask), within
 * {@link NATIVE_OM_TOLERANCE}. A loss's value pins its gradient, so an edit the explicit pass does
 * not follow shows here. `explicit` gives a chunk's loss by the explicit pass (no triplet term) and
 * its logits. Null when it does, else one line naming what to change.
 */
export function checkExplicitOMLoss(om: NativeOM, reference: OMLoss, explicit: (chunk: NativeChunk) => { loss: number; logits: Float32Array }): string | null {
  for (const probe of probeChunks(om)) {
    const N = probe.B * probe.C,
      A = om.oppActionSize;
    const got = explicit({ ...probe, state: { ...probe.state } });
    const valid = probe.lengths ? validRows(probe.lengths, om.period, N) : null;
    const ref = tf.tidy(
      () => reference(tf.tensor2d(got.logits, [N, A]), tf.tensor2d(probe.targets, [N, A]), valid ? tf.tensor2d(valid.mask, [N, 1]) : null).dataSync()[0],
    );
    if (!(Math.abs(got.loss - ref) <= NATIVE_OM_TOLERANCE.loss * Math.abs(ref)))
      return (
        `crossEntropyLoss in agents/lemol/om-loss.ts differs from the explicit backward in agents/lemol/om-backward.ts (the probe's loss ${got.loss} vs ${ref}${probe.lengths ? ", ragged periods" : ""}): ` +
        'training by autodiff on the tfjs path; port the change to om-backward.ts (docs/contributing.md, "Change a loss") to use the explicit pass again'
      );
  }
  return null;
}
