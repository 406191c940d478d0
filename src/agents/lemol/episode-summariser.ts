/**
 * LeMOL-EP's episode summariser (lemol-spec §4.5): each period of F events goes through a
 * bidirectional LSTM, forward and backward layers of `embeddingDim / 2` units each, from zero
 * initial states (not learned, as in the original), and their final outputs are concatenated into
 * the period's summary `e_k` (`embeddingDim`, 128 by default).
 *
 *   training  periods [N, F, E] → e [N, D]   (N = batch × periods in the chunk), with BPTT;
 *             periods of different lengths (episodes that end early) are padded at the end, the
 *             backward layer reads each one's valid part reversed, and each direction's output is
 *             taken at the period's last valid step
 *   play      one period of `count` events → e (plain TypeScript, on mirrored weights)
 */
import { tf } from "../../nn/backend.js";
import { LSTM, LSTMSequence, NativeLSTMRun, nativeLSTMKernels, PlainLSTM, RecurrentActivation } from "../../nn/lstm.js";
import { heapViews } from "../../nn/native-kernels.js";
import type { CheckpointReader, CheckpointWriter } from "../../storage/checkpoint.js";
import type { Rng } from "../../util/rng.js";

/** What the summariser's forward pass keeps for its backward pass (tfjs ops, or the native kernels). */
export type SummaryCache = TfSummaryCache | NativeSummaryCache;

interface TfSummaryCache {
  readonly native: false;
  readonly forward: LSTMSequence;
  readonly backward: LSTMSequence;
  /** With ragged periods: one-hot of each period's last valid step, [N, F]. */
  readonly last: tf.Tensor2D | null;
}

/** The native passes: their runs keep what the backward pass needs, until the next forward pass. */
interface NativeSummaryCache {
  readonly native: true;
}

/** Periods of different lengths: each one's valid part reversed (padded after), and the one-hot of its last step. */
export interface RaggedPeriods {
  readonly reversed: tf.Tensor3D;
  readonly last: tf.Tensor2D;
}

/**
 * Inputs for ragged periods [N, F, E] of `lengths[n]` valid steps each (zero-padded after): the
 * valid part of each period reversed, and the one-hot [N, F] of its last valid step.
 */
export function raggedPeriodInputs(periods: Float32Array, lengths: Int32Array, F: number, E: number): { reversed: Float32Array; last: Float32Array } {
  const N = lengths.length;
  const reversed = new Float32Array(N * F * E);
  const last = new Float32Array(N * F);
  for (let n = 0; n < N; n++) {
    const len = lengths[n];
    for (let t = 0; t < len; t++) reversed.set(periods.subarray((n * F + len - 1 - t) * E, (n * F + len - t) * E), (n * F + t) * E);
    if (len > 0) last[n * F + len - 1] = 1;
  }
  return { reversed, last };
}

export class EpisodeSummariser {
  readonly eventSize: number;
  /** Summary size D (`--episode_embedding_dim`); each direction has D/2 units. */
  readonly embeddingDim: number;
  readonly forwardLstm: LSTM;
  readonly backwardLstm: LSTM;
  private readonly plainForward: PlainLSTM;
  private readonly plainBackward: PlainLSTM;
  private readonly hf: Float64Array;
  private readonly cf: Float64Array;
  private readonly hb: Float64Array;
  private readonly cb: Float64Array;
  /** The native passes' buffers, for the last shape (see {@link forward}'s `native`). */
  private runs: {
    forward: NativeLSTMRun;
    backward: NativeLSTMRun;
    zeros: Float32Array;
    dHs: Float32Array;
    /** The last forward pass's periods (the caller's array), each period's valid part reversed, each one's last valid step. */
    xs?: Float32Array;
    reversed: Float32Array;
    lastStep: Int32Array;
    grads: Float32Array[];
  } | null = null;
  private readonly forwardViews: Float32Array[] = [];
  private readonly backwardViews: Float32Array[] = [];

  constructor(eventSize: number, embeddingDim: number, rng: Rng, recurrentActivation: RecurrentActivation, name: string) {
    if (!Number.isInteger(embeddingDim) || embeddingDim < 2 || embeddingDim % 2 !== 0) {
      throw new RangeError(`--episode_embedding_dim must be an even number >= 2 (half for each direction of the bidirectional LSTM), got ${embeddingDim}`);
    }
    this.eventSize = eventSize;
    this.embeddingDim = embeddingDim;
    const half = embeddingDim / 2;
    this.forwardLstm = new LSTM(eventSize, half, rng, { recurrentActivation, name: `${name}/forward` });
    this.backwardLstm = new LSTM(eventSize, half, rng, { recurrentActivation, name: `${name}/backward` });
    this.plainForward = this.forwardLstm.toPlain();
    this.plainBackward = this.backwardLstm.toPlain();
    this.hf = new Float64Array(half);
    this.cf = new Float64Array(half);
    this.hb = new Float64Array(half);
    this.cb = new Float64Array(half);
  }

  get params(): tf.Variable[] {
    return [...this.forwardLstm.params, ...this.backwardLstm.params];
  }

  /**
   * Summaries [N, D] of periods [N, F, E] (of full length, or `ragged`); call inside `tf.tidy`.
   * `native`: both directions' LSTMs on lemol's native kernels (the explicit backward pass only:
   * the summaries are then plain numbers to autodiff), when they are active.
   */
  forward(periods: tf.Tensor3D, ragged: RaggedPeriods | null = null, native = false): { summaries: tf.Tensor2D; cache: SummaryCache } {
    if (native && nativeLSTMKernels()) return this.forwardNative(periods, ragged);
    const [N, F] = periods.shape;
    const half = this.embeddingDim / 2;
    const zeros = tf.zeros([N, half]) as tf.Tensor2D;
    const forward = this.forwardLstm.forward(periods, zeros, zeros);
    const backward = this.backwardLstm.forward(ragged ? ragged.reversed : (tf.reverse(periods, 1) as tf.Tensor3D), zeros, zeros);
    if (!ragged) return { summaries: tf.concat([forward.h, backward.h], 1) as tf.Tensor2D, cache: { native: false, forward, backward, last: null } };
    // each direction's output at the period's last valid step
    const pick = (hs: tf.Tensor3D) => tf.sum(tf.mul(hs, tf.reshape(ragged.last, [N, F, 1])), 1) as tf.Tensor2D;
    return { summaries: tf.concat([pick(forward.hs), pick(backward.hs)], 1) as tf.Tensor2D, cache: { native: false, forward, backward, last: ragged.last } };
  }

  /** Parameter gradients (in `params` order) from d(loss)/d(summaries) [N, D]; call inside `tf.tidy`. */
  backward(cache: SummaryCache, dSummaries: tf.Tensor2D): tf.Tensor[] {
    if (cache.native === true) return this.backwardNative(dSummaries);
    const [N] = dSummaries.shape;
    const half = this.embeddingDim / 2;
    const F = cache.forward.steps.length;
    const dF = tf.slice(dSummaries, [0, 0], [N, half]) as tf.Tensor2D;
    const dB = tf.slice(dSummaries, [0, half], [N, half]) as tf.Tensor2D;
    if (cache.last) {
      // the output was taken at each period's last valid step
      const at = (d: tf.Tensor2D) => tf.mul(tf.reshape(cache.last!, [N, F, 1]), tf.reshape(d, [N, 1, half])) as tf.Tensor3D;
      return [...this.forwardLstm.backward(cache.forward, at(dF)).params, ...this.backwardLstm.backward(cache.backward, at(dB)).params];
    }
    const none = tf.zeros([N, F, half]) as tf.Tensor3D; // only the final outputs are used
    const f = this.forwardLstm.backward(cache.forward, none, dF);
    const b = this.backwardLstm.backward(cache.backward, none, dB);
    return [...f.params, ...b.params];
  }

  private nativeRuns(N: number, F: number) {
    const half = this.embeddingDim / 2;
    const act = this.forwardLstm.recurrentActivation;
    if (!this.runs || this.runs.forward.batch !== N || this.runs.forward.steps !== F)
      this.runs = {
        forward: new NativeLSTMRun(this.eventSize, half, N, F, act),
        backward: new NativeLSTMRun(this.eventSize, half, N, F, act),
        zeros: new Float32Array(N * half),
        dHs: new Float32Array(N * F * half),
        reversed: new Float32Array(N * F * this.eventSize),
        lastStep: new Int32Array(N),
        grads: [],
      };
    return this.runs;
  }

  /**
   * Summaries of periods `xs` [N, F, E] into `out` [N, D] on lemol's native kernels, plain arrays
   * throughout (the native OM trainer, om-native.ts): period n holds its first `lengths[n]` steps
   * (null: all F), the rest padding. The runs keep what {@link backwardArrays} needs, and `xs`
   * itself, which must not change before it.
   */
  forwardArrays(xs: Float32Array, N: number, F: number, lengths: Int32Array | null, out: Float32Array): void {
    const E = this.eventSize;
    const runs = this.nativeRuns(N, F);
    const { reversed, lastStep } = runs;
    // the backward layer reads each period's valid part reversed (padded after, as raggedPeriodInputs)
    if (lengths) reversed.fill(0);
    for (let n = 0; n < N; n++) {
      const len = lengths ? lengths[n] : F;
      lastStep[n] = len > 0 ? len - 1 : F - 1;
      for (let t = 0; t < len; t++) reversed.set(xs.subarray((n * F + len - 1 - t) * E, (n * F + len - t) * E), (n * F + t) * E);
    }
    this.runNative(runs, xs, out);
  }

  /**
   * Parameter gradients (in `params` order, views of the runs' buffers: valid until the next
   * native pass) from d(loss)/d(summaries) [N, D] for the last {@link forwardArrays}.
   */
  backwardArrays(dSummaries: Float32Array): Float32Array[] {
    const runs = this.runs;
    if (!runs || !runs.xs) throw new Error("EpisodeSummariser.backwardArrays: no native forward pass to go back through");
    const { forward, backward, zeros, dHs, lastStep } = runs;
    const N = forward.batch,
      F = forward.steps;
    const half = this.embeddingDim / 2;
    const D = this.embeddingDim;
    runs.grads.length = 0;
    for (const [run, lstm, input, off] of [
      [forward, this.forwardLstm, runs.xs, 0],
      [backward, this.backwardLstm, runs.reversed, half],
    ] as const) {
      // the gradient enters at each period's last valid step only
      dHs.fill(0);
      for (let n = 0; n < N; n++) dHs.set(dSummaries.subarray(n * D + off, n * D + off + half), (n * F + lastStep[n]) * half);
      run.backward(heapViews(lstm.params, lstm === this.forwardLstm ? this.forwardViews : this.backwardViews), input, zeros, zeros, dHs);
      runs.grads.push(run.dK, run.dR, run.db);
    }
    return runs.grads;
  }

  /** Both directions over `xs` and the runs' reversed periods, each output taken at the period's last valid step into `out`. */
  private runNative(runs: NonNullable<EpisodeSummariser["runs"]>, xs: Float32Array, out: Float32Array): void {
    const N = runs.forward.batch,
      F = runs.forward.steps;
    const half = this.embeddingDim / 2;
    runs.xs = xs;
    runs.forward.forward(heapViews(this.forwardLstm.params, this.forwardViews), xs, runs.zeros, runs.zeros);
    runs.backward.forward(heapViews(this.backwardLstm.params, this.backwardViews), runs.reversed, runs.zeros, runs.zeros);
    for (let n = 0; n < N; n++) {
      const at = (n * F + runs.lastStep[n]) * half;
      out.set(runs.forward.hs.subarray(at, at + half), n * this.embeddingDim);
      out.set(runs.backward.hs.subarray(at, at + half), n * this.embeddingDim + half);
    }
  }

  /** The native passes for the tfjs path's explicit backward pass: tensors in and out. */
  private forwardNative(periods: tf.Tensor3D, ragged: RaggedPeriods | null): { summaries: tf.Tensor2D; cache: SummaryCache } {
    const [N, F] = periods.shape;
    const xs = Float32Array.from(periods.dataSync() as Float32Array);
    let lengths: Int32Array | null = null;
    if (ragged) {
      // the period's length from the one-hot of its last valid step
      const last = ragged.last.dataSync();
      lengths = new Int32Array(N);
      for (let n = 0; n < N; n++) for (let t = 0; t < F; t++) if (last[n * F + t] === 1) lengths[n] = t + 1;
    }
    const out = new Float32Array(N * this.embeddingDim);
    this.forwardArrays(xs, N, F, lengths, out);
    return { summaries: tf.tensor2d(out, [N, this.embeddingDim]), cache: { native: true } };
  }

  private backwardNative(dSummaries: tf.Tensor2D): tf.Tensor[] {
    const half = this.embeddingDim / 2;
    const g = this.backwardArrays(dSummaries.dataSync() as Float32Array);
    const E = this.eventSize;
    return [0, 3].flatMap((k) => [tf.tensor2d(g[k], [E, 4 * half]), tf.tensor2d(g[k + 1], [half, 4 * half]), tf.tensor1d(g[k + 2])]);
  }

  /** The summary of `count` events stored back to back in `events`, into `out` (play). */
  summarise(events: Float64Array, count: number, out: Float64Array): void {
    const E = this.eventSize;
    const half = this.embeddingDim / 2;
    this.hf.fill(0);
    this.cf.fill(0);
    this.hb.fill(0);
    this.cb.fill(0);
    for (let k = 0; k < count; k++) this.plainForward.step(events, k * E, this.hf, this.cf);
    for (let k = count - 1; k >= 0; k--) this.plainBackward.step(events, k * E, this.hb, this.cb);
    for (let j = 0; j < half; j++) {
      out[j] = this.hf[j];
      out[half + j] = this.hb[j];
    }
  }

  /** Refreshes the plain copies used in play. */
  syncPlain(): void {
    this.forwardLstm.toPlain(this.plainForward);
    this.backwardLstm.toPlain(this.plainBackward);
  }

  saveTo(w: CheckpointWriter, prefix: string): void {
    w.variables(`${prefix}/forward`, this.forwardLstm.params);
    w.variables(`${prefix}/backward`, this.backwardLstm.params);
  }

  loadFrom(r: CheckpointReader, prefix: string): void {
    r.variables(`${prefix}/forward`, this.forwardLstm.params);
    r.variables(`${prefix}/backward`, this.backwardLstm.params);
    this.syncPlain();
  }

  dispose(): void {
    this.forwardLstm.dispose();
    this.backwardLstm.dispose();
  }
}
