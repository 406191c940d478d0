/**
 * The opponent model's loss and its gradient written out (the fast path, lemol-spec §4.4–4.7):
 * soft-label cross-entropy of the predictor's logits (masked for LeMOL-EP's ragged periods), plus
 * the weighted triplet loss on the slow states, back through the predictor, the slow LSTM (or the
 * alternative cell, or LeMOL-EP's summariser), the learned initial states and the in-episode LSTM.
 * om-loss.ts trains on any other loss with autodiff; a test checks the two agree.
 */
import { tf } from "../../nn/backend.js";
import type { LSTM, LSTMSequence } from "../../nn/lstm.js";
import type { MLP, MLPCache } from "../../nn/mlp.js";
import { sliceColumns, softmaxRows } from "../../nn/ops.js";
import { PHASE, phaseTimer } from "../../util/phase-timer.js";
import type { Rng } from "../../util/rng.js";
import type { AlternativeCell, AlternativeSequence } from "./alternative-cell.js";
import type { EpisodeSummariser, SummaryCache } from "./episode-summariser.js";
import { validRows } from "./om-loss.js";
import { drawTripletIndices, tripletLoss, TripletOptions } from "./triplet.js";

/** What the backward pass reads of the model. */
export interface ExplicitOM {
  readonly hidden: number;
  readonly oppActionSize: number;
  readonly period: number;
  readonly triplet: TripletOptions | null;
  readonly lstm: LSTM;
  readonly cell: AlternativeCell | null;
  readonly initialC: tf.Variable | null;
  readonly summariser: EpisodeSummariser | null;
  readonly inEpisode: { lstm: LSTM } | null;
  readonly predictor: MLP;
  readonly tripletRng: Rng | null;
  tripletFits(C: number): boolean;
}

/** A chunk's forward pass, as the backward pass needs it. */
export interface ChunkForwardPass {
  cache: MLPCache;
  slow: { seq: LSTMSequence | AlternativeSequence; summary: SummaryCache | null; h0: tf.Tensor2D } | null;
  inEp: LSTMSequence | null;
  /** Slow-LSTM steps in the chunk. */
  K: number;
  /** Width of the predictor's input before the learning feature. */
  xWidth: number;
}

/** The chunk's state at its start: the slow LSTM's (h, c), or the learned initial state. */
export interface ChunkStart {
  useInit: boolean;
}

/**
 * Loss and gradients of one chunk (call inside `tf.tidy`): soft-label cross-entropy against
 * `targets` [B·C·A], plus `tripletScale` × the triplet loss. Gradients follow the model's
 * trained variables.
 */
export function explicitChunkGradients(
  om: ExplicitOM,
  fwd: ChunkForwardPass,
  chunk: { targets: Float32Array; B: number; C: number; state: ChunkStart; revision: "init" | "head"; lengths?: Int32Array | null },
  tripletScale: number,
) {
  const { targets, B, C, state, revision } = chunk;
  const lengths = chunk.lengths ?? null;
  const H = om.hidden;
  const A = om.oppActionSize;
  const N = B * C;
  const { cache, slow, inEp, K, xWidth } = fwd;
  const logits = cache.out;
  const t = tf.tensor2d(targets, [N, A]);
  let loss: tf.Scalar;
  let hits: tf.Tensor;
  let dLogits: tf.Tensor2D;
  if (!lengths) {
    loss = tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    hits = tf.mean(tf.cast(tf.equal(tf.argMax(t, 1), tf.argMax(logits, 1)), "float32"));
    // d(mean CE)/d(logits) = (softmax · Σt − t) / N
    dLogits = tf.div(tf.sub(tf.mul(softmaxRows(logits), tf.sum(t, 1, true)), t), N) as tf.Tensor2D;
  } else {
    // ragged periods: the padding rows are left out of the mean
    const { mask: valid, count } = validRows(lengths, om.period, N);
    const mask = tf.tensor2d(valid, [N, 1]);
    loss = tf.div(tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(t, tf.logSoftmax(logits)), 1, true), mask))), count) as tf.Scalar;
    hits = tf.div(tf.sum(tf.mul(tf.cast(tf.equal(tf.argMax(t, 1), tf.argMax(logits, 1)), "float32"), tf.reshape(mask, [N]))), count);
    dLogits = tf.div(tf.mul(tf.sub(tf.mul(softmaxRows(logits), tf.sum(t, 1, true)), t), mask), count) as tf.Tensor2D;
  }
  const pg = om.predictor.backward(cache, dLogits, true);
  const grads: tf.Tensor[] = [];
  let triplet = NaN;

  if (slow) {
    const dLf = tf.reshape(sliceColumns(pg.input!, xWidth, H), [B, C, H]) as tf.Tensor3D;
    // d/d(slow outputs h_1..h_K) and d/d(h0) through the learning feature
    let dHs: tf.Tensor3D;
    let dStart: tf.Tensor2D | null = null;
    if (om.summariser) {
      const F = om.period;
      const dLagged = tf.sum(tf.reshape(dLf, [B, K, F, H]), 2) as tf.Tensor3D; // the F repeats
      dHs = tf.concat([tf.slice(dLagged, [0, 1, 0], [B, K - 1, H]), tf.zeros([B, 1, H])], 1) as tf.Tensor3D;
      dStart = tf.reshape(tf.slice(dLagged, [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
    } else if (revision === "head") {
      // LF_k = h after e_{k-1}: the gradient at k belongs to step k-1, and LF_0 is the start state
      dHs = tf.concat([tf.slice(dLf, [0, 1, 0], [B, C - 1, H]), tf.zeros([B, 1, H])], 1) as tf.Tensor3D;
      dStart = tf.reshape(tf.slice(dLf, [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
    } else {
      dHs = dLf;
    }
    if (tripletScale > 0 && om.triplet && om.tripletFits(C)) {
      // states A = [h0, h_1 … h_K]
      const S = K + 1;
      const states = tf.concat([tf.reshape(slow.h0, [B, 1, H]), slow.seq.hs], 1).dataSync() as Float32Array;
      const dA = new Float32Array(B * S * H);
      triplet = tripletLoss(states, B, S, H, drawTripletIndices(K, B, om.triplet, om.tripletRng!), dA, tripletScale);
      loss = tf.add(loss, tripletScale * triplet) as tf.Scalar;
      const dAt = tf.tensor3d(dA, [B, S, H]);
      dHs = tf.add(dHs, tf.slice(dAt, [0, 1, 0], [B, K, H])) as tf.Tensor3D;
      const d0 = tf.reshape(tf.slice(dAt, [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
      dStart = dStart ? (tf.add(dStart, d0) as tf.Tensor2D) : d0;
    }
    const lg = om.cell ? om.cell.backward(slow.seq as AlternativeSequence, dHs) : om.lstm.backward(slow.seq as LSTMSequence, dHs);
    grads.push(...lg.params);
    // the initial state feeds h0 (and LF_0 / A_0) and c0: zero gradient when it was not used (Adam momentum still moves it, as TF1 does)
    const sumRows = (g: tf.Tensor2D) => tf.reshape(tf.sum(g, 0), [1, H]);
    if (om.initialC) {
      grads.push(state.useInit ? sumRows((dStart ? tf.add(lg.h0, dStart) : lg.h0) as tf.Tensor2D) : tf.zeros([1, H]));
      grads.push(state.useInit ? sumRows(lg.c0) : tf.zeros([1, H]));
      const t0 = phaseTimer.start();
      grads.push(...om.summariser!.backward(slow.summary!, tf.reshape(lg.xs, [B * K, om.summariser!.embeddingDim]) as tf.Tensor2D));
      phaseTimer.stop(PHASE.ep_summarising, t0);
    } else {
      // c0 := h0 (summed in the order of the first release of this code, so its numbers are unchanged)
      const both = tf.add(lg.h0, lg.c0) as tf.Tensor2D;
      grads.push(state.useInit ? sumRows((dStart ? tf.add(both, dStart) : both) as tf.Tensor2D) : tf.zeros([1, H]));
    }
  }
  if (om.inEpisode && inEp) {
    const U = om.inEpisode.lstm.units;
    const NK = B * K;
    const dU = tf.reshape(sliceColumns(pg.input!, 0, U), [NK, om.period, U]) as tf.Tensor3D;
    const ig = om.inEpisode.lstm.backward(inEp, dU);
    grads.push(...ig.params, tf.reshape(tf.sum(ig.h0, 0), [1, U]), tf.reshape(tf.sum(ig.c0, 0), [1, U]));
  }
  grads.push(...pg.params);
  return { grads, loss, hits, triplet, h: slow?.seq.h ?? null, c: slow?.seq.c ?? null };
}
