/**
 * LeMOL's opponent model, non-EP (lemol-spec §4.4): a slow LSTM over events
 * `e_t = [a_opp ‖ o_L ‖ a_L ‖ r_L ‖ done]` tracks how the opponent learns; its hidden state, the
 * "learning feature" LF, conditions a predictor `softmax(MLP([o_L ‖ LF]))` of the opponent's
 * action. The LSTM's initial state is learned (`initial_h`); as in the original's non-EP graph the
 * cell state starts from `initial_h` too (`c0 := h0`; the original's `initial_c` gets no gradient).
 *
 * In play the LSTM advances on the last `F` events every `F` steps and the predictor runs per step,
 * both in plain TypeScript on mirrored weights. Training is truncated BPTT over chunks of
 * `chunk_length` steps with the final state handed on as plain numbers, soft-label cross-entropy,
 * Adam at `omlr`, no clipping.
 *
 * Alignment of a training chunk (lemol-spec §4.4 table):
 *   init  predictor at k sees (o_k, h after e_k) and predicts a_opp at k+1 (the caller shifts targets)
 *   head  predictor at k sees (o_k, h after e_{k-1}) (h0 at k = 0) and predicts a_opp at k
 */
import { tf } from "../../nn/backend.js";
import { LSTM, PlainLSTM, RecurrentActivation } from "../../nn/lstm.js";
import { MLP, PlainMLP, mlpSizes, uniqueSuffix } from "../../nn/mlp.js";
import { Adam } from "../../nn/optim.js";
import type { CheckpointReader, CheckpointWriter } from "../../train/checkpoint.js";
import { concatColumns, sliceColumns, softmaxRows } from "../../nn/ops.js";
import type { Rng } from "../../util/rng.js";

/** Which release's data alignment to follow. */
export type Revision = "init" | "head";

export interface OpponentModelOptions {
  /** LeMOL's observation size. */
  obsSize: number;
  /** LeMOL's own action size. */
  actionSize: number;
  /** The opponent's action size (what is predicted). */
  oppActionSize: number;
  /** Slow LSTM units (`--lstm_hidden_dim`). */
  hidden: number;
  /** Predictor MLP units (`--num_units`). */
  numUnits: number;
  /** OM learning rate (`--omlr`). */
  omlr: number;
  recurrentActivation?: RecurrentActivation;
  rng: Rng;
  name?: string;
}

/** The recurrent state handed from chunk to chunk during training, [B, H] each. */
export interface ChunkState {
  h: Float32Array;
  c: Float32Array;
  /** Start from the learned initial state instead of (h, c) (the first chunk). */
  useInit: boolean;
}

export interface ChunkResult {
  loss: number;
  accuracy: number;
}

export class OpponentModel {
  readonly obsSize: number;
  readonly actionSize: number;
  readonly oppActionSize: number;
  readonly eventSize: number;
  readonly hidden: number;
  readonly lstm: LSTM;
  /** The learned initial state, [1, H], zero-initialised. */
  readonly initialH: tf.Variable;
  readonly predictor: MLP;
  readonly optimiser: Adam;
  /** Training chunks so far (the original's `om_learning_iter`; never reset). */
  iterations = 0;

  private readonly plainLstm: PlainLSTM;
  private readonly plainPredictor: PlainMLP;
  private readonly plainInitialH: Float64Array;
  private readonly predIn: Float64Array;
  private readonly logits: Float64Array;

  constructor(o: OpponentModelOptions) {
    this.obsSize = o.obsSize;
    this.actionSize = o.actionSize;
    this.oppActionSize = o.oppActionSize;
    this.eventSize = o.oppActionSize + o.obsSize + o.actionSize + 2;
    this.hidden = o.hidden;
    const name = o.name ?? "opponent_model";
    this.lstm = new LSTM(this.eventSize, o.hidden, o.rng, { recurrentActivation: o.recurrentActivation, name: `${name}/lstm` });
    this.initialH = tf.tidy(() => tf.variable(tf.zeros([1, o.hidden]), true, `${name}/initial_h#${uniqueSuffix()}`));
    this.predictor = new MLP(mlpSizes(o.obsSize + o.hidden, o.oppActionSize, o.numUnits), o.rng, `${name}/predictor`);
    this.optimiser = new Adam([...this.lstm.params, this.initialH, ...this.predictor.params], { learningRate: o.omlr, epsilon: 1e-8, clipNorm: null });
    this.plainLstm = this.lstm.toPlain();
    this.plainPredictor = this.predictor.toPlain();
    this.plainInitialH = new Float64Array(o.hidden);
    this.predIn = new Float64Array(o.obsSize + o.hidden);
    this.logits = new Float64Array(o.oppActionSize);
  }

  /** Writes weights, optimiser state and the iteration count under `prefix`. */
  saveTo(w: CheckpointWriter, prefix: string): void {
    w.variables(`${prefix}/lstm`, this.lstm.params);
    w.variables(`${prefix}/initial_h`, [this.initialH]);
    w.variables(`${prefix}/predictor`, this.predictor.params);
    w.adam(`${prefix}/adam`, this.optimiser);
    w.value(`${prefix}/iterations`, this.iterations);
  }

  /** Reads what {@link saveTo} wrote and refreshes the plain copies. */
  loadFrom(r: CheckpointReader, prefix: string): void {
    r.variables(`${prefix}/lstm`, this.lstm.params);
    r.variables(`${prefix}/initial_h`, [this.initialH]);
    r.variables(`${prefix}/predictor`, this.predictor.params);
    r.adam(`${prefix}/adam`, this.optimiser);
    this.iterations = r.value<number>(`${prefix}/iterations`);
    this.syncPlain();
  }

  /** Refreshes the plain-TypeScript copies used in play (after training or loading). */
  syncPlain(): void {
    this.lstm.toPlain(this.plainLstm);
    this.predictor.toPlain(this.plainPredictor);
    this.plainInitialH.set(this.initialH.dataSync());
  }

  // --- play ---

  /** Sets (h, c) to the learned initial state (`c0 := h0`). */
  initialState(h: Float64Array, c: Float64Array): void {
    h.set(this.plainInitialH);
    c.set(this.plainInitialH);
  }

  /**
   * Advances (h, c) over `count` events stored back to back in `events`, starting from the learned
   * initial state when `useInit` (the original's `OM.step`).
   */
  advance(events: Float64Array, count: number, h: Float64Array, c: Float64Array, useInit: boolean): void {
    if (useInit) this.initialState(h, c);
    for (let k = 0; k < count; k++) this.plainLstm.step(events, k * this.eventSize, h, c);
  }

  /** The predicted opponent action distribution `softmax(MLP([obs ‖ LF]))` into `out` (the original's `OM.act`). */
  predict(obs: ArrayLike<number>, h: Float64Array, useInit: boolean, out: Float64Array, outOff = 0): void {
    const x = this.predIn;
    for (let k = 0; k < this.obsSize; k++) x[k] = obs[k];
    const lf = useInit ? this.plainInitialH : h;
    for (let k = 0; k < this.hidden; k++) x[this.obsSize + k] = lf[k];
    this.plainPredictor.forward(x, 0, this.logits);
    let max = -Infinity;
    for (let k = 0; k < this.oppActionSize; k++) if (this.logits[k] > max) max = this.logits[k];
    let sum = 0;
    for (let k = 0; k < this.oppActionSize; k++) sum += out[outOff + k] = Math.exp(this.logits[k] - max);
    for (let k = 0; k < this.oppActionSize; k++) out[outOff + k] /= sum;
  }

  // --- training ---

  /**
   * The forward pass of one chunk: returns what the backward pass needs. `inputs` [B·C·E] events,
   * `obs` [B·C·O], in batch-major order.
   */
  private forwardChunk(inputs: Float32Array, obs: Float32Array, B: number, C: number, state: ChunkState, revision: Revision) {
    const H = this.hidden;
    const h0 = state.useInit ? tf.tile(this.initialH, [B, 1]) : tf.tensor2d(state.h, [B, H]);
    const c0 = state.useInit ? h0 : tf.tensor2d(state.c, [B, H]); // c0 := h0 (the original's non-EP graph)
    const seq = this.lstm.forward(tf.tensor3d(inputs, [B, C, this.eventSize]), h0 as tf.Tensor2D, c0 as tf.Tensor2D);
    // the learning feature at each position: after e_k (init) or after e_{k-1}, with h0 first (head)
    const lf = revision === "init" ? seq.hs : (tf.concat([tf.reshape(h0, [B, 1, H]), tf.slice(seq.hs, [0, 0, 0], [B, C - 1, H])], 1) as tf.Tensor3D);
    const predIn = concatColumns([tf.tensor2d(obs, [B * C, this.obsSize]), tf.reshape(lf, [B * C, H]) as tf.Tensor2D]);
    const cache = this.predictor.forward(predIn);
    return { seq, cache, h0: h0 as tf.Tensor2D };
  }

  /** Logits [B·C, A] of a chunk without training (for checks and analysis). */
  chunkLogits(inputs: Float32Array, obs: Float32Array, B: number, C: number, state: ChunkState, revision: Revision): { logits: Float32Array; h: Float32Array; c: Float32Array } {
    return tf.tidy(() => {
      const { seq, cache } = this.forwardChunk(inputs, obs, B, C, state, revision);
      return { logits: cache.out.dataSync() as Float32Array, h: seq.h.dataSync() as Float32Array, c: seq.c.dataSync() as Float32Array };
    });
  }

  /**
   * One truncated-BPTT step on a chunk: soft-label cross-entropy against `targets` [B·C·A], one
   * Adam step on the LSTM, the initial state and the predictor. Accuracy and loss are those of the
   * forward pass before the step (lemol-spec §5.3). `state` is replaced by the chunk's final state.
   */
  trainChunk(inputs: Float32Array, obs: Float32Array, targets: Float32Array, B: number, C: number, state: ChunkState, revision: Revision): ChunkResult {
    const H = this.hidden;
    const A = this.oppActionSize;
    const N = B * C;
    const result = tf.tidy(() => {
      const { seq, cache, h0 } = this.forwardChunk(inputs, obs, B, C, state, revision);
      const logits = cache.out;
      const t = tf.tensor2d(targets, [N, A]);
      const loss = tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(logits)), 1)));
      const hits = tf.mean(tf.cast(tf.equal(tf.argMax(t, 1), tf.argMax(logits, 1)), "float32"));
      // d(mean CE)/d(logits) = (softmax · Σt − t) / N
      const dLogits = tf.div(tf.sub(tf.mul(softmaxRows(logits), tf.sum(t, 1, true)), t), N) as tf.Tensor2D;
      const pg = this.predictor.backward(cache, dLogits, true);
      const dLf = tf.reshape(sliceColumns(pg.input!, this.obsSize, H), [B, C, H]) as tf.Tensor3D;
      let dHs: tf.Tensor3D = dLf;
      let dStart: tf.Tensor2D | null = null;
      if (revision === "head") {
        // LF_k = h after e_{k-1}: the gradient at k belongs to step k-1, and LF_0 is the start state
        dHs = tf.concat([tf.slice(dLf, [0, 1, 0], [B, C - 1, H]), tf.zeros([B, 1, H])], 1) as tf.Tensor3D;
        dStart = tf.reshape(tf.slice(dLf, [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
      }
      const lg = this.lstm.backward(seq, dHs);
      // initial_h feeds h0 and c0 (and, at head, LF_0); zero gradient when not used (Adam momentum still moves it, as TF1 does)
      const dInitial = state.useInit
        ? tf.reshape(tf.sum(dStart ? tf.add(tf.add(lg.h0, lg.c0), dStart) : tf.add(lg.h0, lg.c0), 0), [1, H])
        : tf.zeros([1, H]);
      void h0;
      this.optimiser.apply([...lg.params, dInitial, ...pg.params]);
      return { stats: tf.stack([loss, hits]).dataSync(), h: seq.h.dataSync() as Float32Array, c: seq.c.dataSync() as Float32Array };
    });
    state.h = Float32Array.from(result.h);
    state.c = Float32Array.from(result.c);
    state.useInit = false;
    this.iterations++;
    return { loss: result.stats[0], accuracy: result.stats[1] };
  }

  dispose(): void {
    this.lstm.dispose();
    this.initialH.dispose();
    this.predictor.dispose();
    this.optimiser.dispose();
  }
}
