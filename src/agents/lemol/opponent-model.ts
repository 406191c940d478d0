/**
 * LeMOL's opponent model (lemol-spec §4.4–4.7): a slow LSTM tracks how the opponent learns; its
 * hidden state, the "learning feature" LF, conditions a predictor `softmax(MLP([x ‖ LF]))` of the
 * opponent's action.
 *
 *   per-step (§4.4, default)  the slow LSTM runs over events e_t = [a_opp ‖ o_L ‖ a_L ‖ r_L ‖ done];
 *                             its initial state is learned (`initial_h`), and as in the original's
 *                             non-EP graph the cell state starts from `initial_h` too (c0 := h0)
 *   LeMOL-EP (§4.5)           each period of F events is summarised by a bidirectional LSTM
 *                             (episode-summariser.ts) and the slow LSTM takes one step per period,
 *                             from learned `initial_h` and `initial_c`; every step of period k
 *                             uses h_{k−1}, the representation before seeing period k
 *   in-episode LSTM (§4.6)    x = u_t, an LSTM over the observations within each period (learned
 *                             initial state, reset every period/episode); otherwise x = o_t
 *   ablation (§4.3/§4.4)      the predictor sees x only; the slow LSTM is neither used nor trained
 *   alternative cell (§4.8)   per-step only: an MLP on [a_opp of the event ‖ h] feeds the LSTM
 *                             a learning feature next to the event (alternative-cell.ts)
 *   triplet loss (§4.7)       + weight_i · L_trip on the slow states of the chunk (triplet.ts)
 *
 * In play the slow LSTM advances on the last F events every F steps and the predictor runs per
 * step, in plain TypeScript on mirrored weights. Training is truncated BPTT over chunks with the
 * final slow state handed on as plain numbers, soft-label cross-entropy, Adam at `omlr`, no
 * clipping. The backward passes are written out (the fast path); `setLoss` trains on any other
 * loss of the logits with tfjs's autodiff instead (om-loss.ts).
 *
 * Alignment of a per-step training chunk (lemol-spec §4.4 table):
 *   init  predictor at k sees (o_k, h after e_k) and predicts a_opp at k+1 (the caller shifts targets)
 *   head  predictor at k sees (o_k, h after e_{k-1}) (h0 at k = 0) and predicts a_opp at k
 * LeMOL-EP is always lagged by one period (both releases), with the later release's data handling.
 */
import { tf } from "../../nn/backend.js";
import { LSTM, LSTMSequence, PlainLSTM, RecurrentActivation } from "../../nn/lstm.js";
import { MLP, PlainMLP, mlpSizes, uniqueSuffix } from "../../nn/mlp.js";
import { Adam } from "../../nn/optim.js";
import type { CheckpointReader, CheckpointWriter } from "../../storage/checkpoint.js";
import { concatColumns, softmaxRows } from "../../nn/ops.js";
import { PHASE, phaseTimer } from "../../util/phase-timer.js";
import { Rng } from "../../util/rng.js";
import { AlternativeCell, AlternativeSequence } from "./alternative-cell.js";
import { EpisodeSummariser, RaggedPeriods, SummaryCache, raggedPeriodInputs } from "./episode-summariser.js";
import { explicitChunkGradients } from "./om-backward.js";
import { chooseOMTrainingPath, NativeOMTrainer, OMTrainingPath } from "./om-native.js";
import { autodiffChunk, crossEntropyLoss, OM_DEFAULT, OMLoss, validRows } from "./om-loss.js";
import { BehaviourCloningBaseline } from "./bc-baseline.js";
import { TripletOptions, tripletMinStates, tripletWeight } from "./triplet.js";

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
  /** LeMOL-EP (`--block_processing`): period length F and summary size (`--episode_embedding_dim`). */
  blockProcessing?: { period: number; embeddingDim: number } | null;
  /** `--recurrent_om_prediction`: in-episode LSTM units (`--in_ep_lstm_dim`); needs block processing. */
  inEpisodeUnits?: number | null;
  /** `--ablate_lemol_lstm`: the predictor without the learning feature. */
  ablate?: boolean;
  /** `--use_triplet_representation_loss` and its options. */
  triplet?: TripletOptions | null;
  /** The stream the triplet loss draws its indices from. */
  tripletRng?: Rng;
  /** `--use_alternative_lstm` with `--learning_feature_dim`: the experimental cell (per-step model only). */
  alternativeCell?: { learningFeatureDim: number } | null;
  /** The stream that initialises the behaviour-cloning baseline trained beside the OM (bc-baseline.ts); none without it. */
  baselineRng?: Rng | null;
}

/** The recurrent state handed from chunk to chunk during training, [B, H] each. */
export interface ChunkState {
  h: Float32Array;
  c: Float32Array;
  /** Start from the learned initial state instead of (h, c) (the first chunk). */
  useInit: boolean;
}

/** One training chunk: B sequences of C steps each, batch-major (lemol-spec §5.3). */
export interface OMChunk {
  /** Events [B·C·E]. */
  inputs: Float32Array;
  /** LeMOL's observations [B·C·O]. */
  obs: Float32Array;
  /** Soft labels [B·C·A]. */
  targets: Float32Array;
  B: number;
  /** Steps per sequence; for EP a whole number of periods of F steps. */
  C: number;
  /** The slow LSTM's state at the chunk's start (`trainChunk` replaces it with the state at its end). */
  state: ChunkState;
  revision: Revision;
  /** EP: the steps each period holds, [B·C/F] (episodes that ended early; the rest is padding, out of the loss). */
  lengths?: Int32Array | null;
}

export interface ChunkResult {
  /** Cross-entropy plus the weighted triplet term. */
  loss: number;
  accuracy: number;
  /** The unweighted triplet loss of the chunk (NaN when the triplet loss is off or the chunk too short). */
  triplet: number;
}

/** The in-episode LSTM's state in play, reset at each episode's first step. */
export interface InEpisodeState {
  h: Float64Array;
  c: Float64Array;
}

export class OpponentModel {
  readonly obsSize: number;
  readonly actionSize: number;
  readonly oppActionSize: number;
  readonly eventSize: number;
  readonly hidden: number;
  /** Period length F of LeMOL-EP, or 0 for the per-step model. */
  readonly period: number;
  readonly ablate: boolean;
  readonly triplet: TripletOptions | null;
  /** The slow LSTM: over events (per step) or over period summaries (EP); with the alternative cell, the cell's LSTM. */
  readonly lstm: LSTM;
  /** The experimental cell (`--use_alternative_lstm`), null for the standard LSTM. */
  readonly cell: AlternativeCell | null;
  /** The learned initial state, [1, H], zero-initialised. */
  readonly initialH: tf.Variable;
  /** EP only: the learned initial cell state (the per-step model uses c0 := h0). */
  readonly initialC: tf.Variable | null;
  readonly summariser: EpisodeSummariser | null;
  /** The in-episode LSTM over observations and its learned initial state. */
  readonly inEpisode: { lstm: LSTM; initialH: tf.Variable; initialC: tf.Variable } | null;
  readonly predictor: MLP;
  readonly optimiser: Adam;
  /** The behaviour-cloning baseline on o_t, trained on the OM's chunks (null when not asked for). */
  readonly baseline: BehaviourCloningBaseline | null;
  /** Training chunks so far (the original's `om_learning_iter`; never reset). */
  iterations = 0;

  /**
   * Train on lemol's native kernels where this model and the loss allow (om-native.ts; default
   * true). False: the tfjs path, the reference the native one is tested against.
   */
  nativeTraining = true;

  /** @internal the triplet loss's index draws */
  readonly tripletRng: Rng | null;
  private lossFn: OMLoss | null = null;
  private nativeTrainer: NativeOMTrainer | null = null;
  /**
   * The loss chunks train on when none is set by {@link setLoss}: `crossEntropyLoss` (om-loss.ts,
   * `OM_DEFAULT` when the model is built), the definition the native path is checked against
   * ({@link trainingPath}).
   */
  defaultLoss: OMLoss = OM_DEFAULT.loss;
  private readonly plainLstm: PlainLSTM;
  private readonly plainPredictor: PlainMLP;
  private readonly plainInitialH: Float64Array;
  private readonly plainInitialC: Float64Array;
  private readonly plainInEpisode: { lstm: PlainLSTM; h: Float64Array; c: Float64Array } | null;
  private readonly summary: Float64Array;
  private readonly predIn: Float64Array;
  private readonly logits: Float64Array;

  constructor(o: OpponentModelOptions) {
    this.obsSize = o.obsSize;
    this.actionSize = o.actionSize;
    this.oppActionSize = o.oppActionSize;
    this.eventSize = o.oppActionSize + o.obsSize + o.actionSize + 2;
    this.hidden = o.hidden;
    this.ablate = o.ablate ?? false;
    this.triplet = o.triplet ?? null;
    const ep = o.blockProcessing ?? null;
    if (o.inEpisodeUnits && !ep) throw new RangeError("the in-episode OM (--recurrent_om_prediction) needs periods: use it with --block_processing");
    this.period = ep ? ep.period : 0;
    const name = o.name ?? "opponent_model";
    const act = o.recurrentActivation;
    this.summariser = ep ? new EpisodeSummariser(this.eventSize, ep.embeddingDim, o.rng, act ?? "hard_sigmoid", `${name}/episode_summariser`) : null;
    const slowIn = ep ? ep.embeddingDim : this.eventSize;
    if (o.alternativeCell && ep)
      throw new RangeError("the alternative LSTM cell (--use_alternative_lstm) is the per-step model's: it does not combine with --block_processing");
    this.cell = o.alternativeCell
      ? new AlternativeCell(slowIn, o.hidden, o.alternativeCell.learningFeatureDim, o.oppActionSize, o.rng, act, `${name}/alternative_cell`)
      : null;
    this.lstm = this.cell ? this.cell.lstm : new LSTM(slowIn, o.hidden, o.rng, { recurrentActivation: act, name: `${name}/lstm` });
    const zeros = (n: number, what: string) => tf.tidy(() => tf.variable(tf.zeros([1, n]), true, `${name}/${what}#${uniqueSuffix()}`));
    this.initialH = zeros(o.hidden, "initial_h");
    this.initialC = ep ? zeros(o.hidden, "initial_c") : null;
    const U = o.inEpisodeUnits ?? 0;
    this.inEpisode = U
      ? {
          lstm: new LSTM(o.obsSize, U, o.rng, { recurrentActivation: act, name: `${name}/in_episode_lstm` }),
          initialH: zeros(U, "in_ep_initial_h"),
          initialC: zeros(U, "in_ep_initial_c"),
        }
      : null;
    const x = U || o.obsSize;
    this.predictor = new MLP(mlpSizes(this.ablate ? x : x + o.hidden, o.oppActionSize, o.numUnits), o.rng, `${name}/predictor`);
    this.tripletRng = this.triplet ? (o.tripletRng ?? Rng.stream(0, `${name}/triplet`)) : null;
    this.optimiser = new Adam(this.trainedVariables(), { learningRate: o.omlr, epsilon: 1e-8, clipNorm: null });
    this.baseline = o.baselineRng ? new BehaviourCloningBaseline(o.obsSize, o.oppActionSize, o.numUnits, o.omlr, o.baselineRng, `${name}/bc_baseline`) : null;
    this.plainLstm = this.lstm.toPlain();
    this.plainPredictor = this.predictor.toPlain();
    this.plainInitialH = new Float64Array(o.hidden);
    this.plainInitialC = new Float64Array(o.hidden);
    this.plainInEpisode = this.inEpisode ? { lstm: this.inEpisode.lstm.toPlain(), h: new Float64Array(U), c: new Float64Array(U) } : null;
    this.summary = new Float64Array(ep ? ep.embeddingDim : 0);
    this.predIn = new Float64Array(this.predictor.sizes[0]);
    this.logits = new Float64Array(o.oppActionSize);
  }

  /** Whether this is LeMOL-EP (block processing). */
  get blockProcessing(): boolean {
    return this.period > 0;
  }

  /** Units of the in-episode LSTM (0 without it). */
  get inEpisodeUnits(): number {
    return this.inEpisode?.lstm.units ?? 0;
  }

  /**
   * The variables OM training updates, in the optimiser's order: the slow LSTM and its initial
   * state and the EP summariser (unless ablated), the in-episode LSTM and its initial state, the
   * predictor. (The per-step model's order is [lstm, initial_h, predictor], as before EP existed.)
   */
  private trainedVariables(): tf.Variable[] {
    const vars: tf.Variable[] = [];
    if (!this.ablate) {
      vars.push(...(this.cell ? this.cell.params : this.lstm.params), this.initialH);
      if (this.initialC) vars.push(this.initialC);
      if (this.summariser) vars.push(...this.summariser.params);
    }
    if (this.inEpisode) vars.push(...this.inEpisode.lstm.params, this.inEpisode.initialH, this.inEpisode.initialC);
    vars.push(...this.predictor.params);
    return vars;
  }

  /** The model's variables by checkpoint name under `prefix` (what saveTo writes and loadFrom reads). */
  private checkpointVariables(prefix: string): [string, tf.Variable[]][] {
    const parts: [string, tf.Variable[]][] = [[`${prefix}/lstm`, this.lstm.params]];
    if (this.cell) parts.push([`${prefix}/learning_feature`, this.cell.mlp.params]);
    parts.push([`${prefix}/initial_h`, [this.initialH]]);
    if (this.initialC) parts.push([`${prefix}/initial_c`, [this.initialC]]);
    if (this.inEpisode) {
      parts.push([`${prefix}/in_episode_lstm`, this.inEpisode.lstm.params]);
      parts.push([`${prefix}/in_episode_initial`, [this.inEpisode.initialH, this.inEpisode.initialC]]);
    }
    parts.push([`${prefix}/predictor`, this.predictor.params]);
    return parts;
  }

  /** Writes weights, optimiser state and the iteration count under `prefix`. */
  saveTo(w: CheckpointWriter, prefix: string): void {
    for (const [name, vars] of this.checkpointVariables(prefix)) w.variables(name, vars);
    this.summariser?.saveTo(w, `${prefix}/episode_summariser`);
    w.adam(`${prefix}/adam`, this.optimiser);
    w.value(`${prefix}/iterations`, this.iterations);
    if (this.tripletRng) w.rng(`${prefix}/triplet_rng`, this.tripletRng);
    this.baseline?.saveTo(w, `${prefix}/bc_baseline`);
  }

  /** Reads what {@link saveTo} wrote and refreshes the plain copies. */
  loadFrom(r: CheckpointReader, prefix: string): void {
    for (const [name, vars] of this.checkpointVariables(prefix)) r.variables(name, vars);
    this.summariser?.loadFrom(r, `${prefix}/episode_summariser`);
    r.adam(`${prefix}/adam`, this.optimiser);
    this.iterations = r.value<number>(`${prefix}/iterations`);
    if (this.tripletRng) r.rng(`${prefix}/triplet_rng`, this.tripletRng);
    this.baseline?.loadFrom(r, `${prefix}/bc_baseline`);
    this.syncPlain();
  }

  /** Refreshes the plain-TypeScript copies used in play (after training or loading). */
  syncPlain(): void {
    this.lstm.toPlain(this.plainLstm);
    this.cell?.syncPlain();
    this.predictor.toPlain(this.plainPredictor);
    this.plainInitialH.set(this.initialH.dataSync());
    this.plainInitialC.set(this.initialC ? this.initialC.dataSync() : this.initialH.dataSync());
    this.summariser?.syncPlain();
    this.baseline?.syncPlain();
    if (this.inEpisode && this.plainInEpisode) {
      this.inEpisode.lstm.toPlain(this.plainInEpisode.lstm);
      this.plainInEpisode.h.set(this.inEpisode.initialH.dataSync());
      this.plainInEpisode.c.set(this.inEpisode.initialC.dataSync());
    }
  }

  // --- play ---

  /** Sets (h, c) to the learned initial state (per-step model: `c0 := h0`). */
  initialState(h: Float64Array, c: Float64Array): void {
    h.set(this.plainInitialH);
    c.set(this.plainInitialC);
  }

  /**
   * Advances (h, c) over `count` events stored back to back in `events`, starting from the learned
   * initial state when `useInit` (the original's `OM.step`): one step per event, or (EP) one step
   * on the period's summary. The ablated model does not use the slow LSTM and leaves (h, c) alone.
   */
  advance(events: Float64Array, count: number, h: Float64Array, c: Float64Array, useInit: boolean): void {
    if (this.ablate) return;
    if (useInit) this.initialState(h, c);
    if (this.summariser) {
      this.summariser.summarise(events, count, this.summary);
      this.plainLstm.step(this.summary, 0, h, c);
      return;
    }
    const slow = this.cell ?? this.plainLstm;
    for (let k = 0; k < count; k++) slow.step(events, k * this.eventSize, h, c);
  }

  /**
   * The predicted opponent action distribution `softmax(MLP([x ‖ LF]))` into `out` (the original's
   * `OM.act`). x is the observation, or with the in-episode LSTM its output after one step on the
   * observation from `inEpisode` (reset to the learned initial state first when `resetInEpisode`).
   */
  predict(obs: ArrayLike<number>, h: Float64Array, useInit: boolean, out: Float64Array, outOff = 0, inEpisode?: InEpisodeState, resetInEpisode = false): void {
    const x = this.predIn;
    let n = 0;
    if (this.plainInEpisode) {
      if (!inEpisode) throw new Error("this opponent model has an in-episode LSTM: predict() needs its state");
      if (resetInEpisode) this.initialInEpisodeState(inEpisode);
      this.plainInEpisode.lstm.step(obs, 0, inEpisode.h, inEpisode.c);
      for (; n < inEpisode.h.length; n++) x[n] = inEpisode.h[n];
    } else {
      for (; n < this.obsSize; n++) x[n] = obs[n];
    }
    if (!this.ablate) {
      const lf = useInit ? this.plainInitialH : h;
      for (let k = 0; k < this.hidden; k++) x[n + k] = lf[k];
    }
    this.plainPredictor.forward(x, 0, this.logits);
    let max = -Infinity;
    for (let k = 0; k < this.oppActionSize; k++) if (this.logits[k] > max) max = this.logits[k];
    let sum = 0;
    for (let k = 0; k < this.oppActionSize; k++) sum += out[outOff + k] = Math.exp(this.logits[k] - max);
    for (let k = 0; k < this.oppActionSize; k++) out[outOff + k] /= sum;
  }

  /** Sets an in-episode state to the learned initial one. */
  initialInEpisodeState(s: InEpisodeState): void {
    if (!this.plainInEpisode) return;
    s.h.set(this.plainInEpisode.h);
    s.c.set(this.plainInEpisode.c);
  }

  /**
   * Predicted opponent action probabilities [B, A] for a batch of observations with the slow state
   * `lf` [H] for every row (the fully decentralised LeMOL's update, lemol-spec §4.3), and with the
   * in-episode LSTM stepped from the given states [B, U]. Call inside `tf.tidy`.
   */
  predictBatch(obs: tf.Tensor2D, lf: Float64Array, inEpisode: { h: tf.Tensor2D; c: tf.Tensor2D } | null): tf.Tensor2D {
    const B = obs.shape[0];
    let x = obs;
    if (this.inEpisode) {
      if (!inEpisode) throw new Error("this opponent model has an in-episode LSTM: predictBatch() needs its states");
      x = this.inEpisode.lstm.forward(tf.reshape(obs, [B, 1, this.obsSize]) as tf.Tensor3D, inEpisode.h, inEpisode.c).h;
    }
    const input = this.ablate ? x : concatColumns([x, tf.tile(tf.tensor2d(Float32Array.from(lf), [1, this.hidden]), [B, 1]) as tf.Tensor2D]);
    return softmaxRows(this.predictor.apply(input));
  }

  // --- training ---

  /** Steps per chunk for a chunk length given in the original's unit (steps, or periods for EP). */
  chunkSteps(chunkLength: number): number {
    return this.blockProcessing ? chunkLength * this.period : chunkLength;
  }

  /** Whether a chunk of C steps is long enough for the triplet loss. */
  /** @internal */
  tripletFits(C: number): boolean {
    if (!this.triplet || this.ablate) return false;
    const states = (this.blockProcessing ? C / this.period : C) + 1;
    return states >= tripletMinStates(this.triplet);
  }

  /** The forward pass of one chunk (its targets aside): returns what the backward pass needs. */
  private forwardChunk(chunk: Omit<OMChunk, "targets">, nativeSummariser = false) {
    const { inputs, obs, B, C, state, revision } = chunk;
    const lengths = chunk.lengths ?? null;
    const H = this.hidden;
    const F = this.period;
    const K = F ? C / F : C; // slow-LSTM steps in the chunk
    if (F && !Number.isInteger(K)) throw new RangeError(`LeMOL-EP: a chunk of ${C} steps is not a whole number of ${F}-step periods`);

    // x: the observation, or the in-episode LSTM's output over each period from its learned initial state
    let x: tf.Tensor2D = tf.tensor2d(obs, [B * C, this.obsSize]);
    let inEp: LSTMSequence | null = null;
    if (this.inEpisode) {
      const N = B * K;
      const U = this.inEpisode.lstm.units;
      inEp = this.inEpisode.lstm.forward(
        tf.reshape(x, [N, F, this.obsSize]) as tf.Tensor3D,
        tf.tile(this.inEpisode.initialH, [N, 1]) as tf.Tensor2D,
        tf.tile(this.inEpisode.initialC, [N, 1]) as tf.Tensor2D,
      );
      x = tf.reshape(inEp.hs, [B * C, U]) as tf.Tensor2D;
    }

    // the slow LSTM and the learning feature at every step (not run when ablated)
    let slow: { seq: LSTMSequence | AlternativeSequence; summary: SummaryCache | null; h0: tf.Tensor2D } | null = null;
    let predIn = x;
    if (!this.ablate) {
      const h0 = (state.useInit ? tf.tile(this.initialH, [B, 1]) : tf.tensor2d(state.h, [B, H])) as tf.Tensor2D;
      const c0 = (state.useInit ? (this.initialC ? tf.tile(this.initialC, [B, 1]) : h0) : tf.tensor2d(state.c, [B, H])) as tf.Tensor2D; // per-step: c0 := h0
      const events = tf.tensor3d(inputs, [B, C, this.eventSize]);
      let lf: tf.Tensor3D;
      let summary: SummaryCache | null = null;
      let seq: LSTMSequence | AlternativeSequence;
      if (this.summariser) {
        let ragged: RaggedPeriods | null = null;
        if (lengths) {
          const r = raggedPeriodInputs(inputs, lengths, F, this.eventSize);
          ragged = { reversed: tf.tensor3d(r.reversed, [B * K, F, this.eventSize]), last: tf.tensor2d(r.last, [B * K, F]) };
        }
        const t0 = phaseTimer.start();
        const s = this.summariser.forward(tf.reshape(events, [B * K, F, this.eventSize]) as tf.Tensor3D, ragged, nativeSummariser);
        phaseTimer.stop(PHASE.ep_summarising, t0);
        summary = s.cache;
        seq = this.lstm.forward(tf.reshape(s.summaries, [B, K, this.summariser.embeddingDim]) as tf.Tensor3D, h0, c0);
        // period k uses h_{k−1}: [h0, h_1 … h_{K−1}], each repeated F times
        const lagged = tf.concat([tf.reshape(h0, [B, 1, H]), tf.slice(seq.hs, [0, 0, 0], [B, K - 1, H])], 1);
        lf = tf.reshape(tf.tile(tf.reshape(lagged, [B, K, 1, H]), [1, 1, F, 1]), [B, C, H]) as tf.Tensor3D;
      } else {
        seq = this.cell ? this.cell.forward(events, h0, c0) : this.lstm.forward(events, h0, c0);
        // after e_k (init) or after e_{k-1}, with h0 first (head)
        lf = revision === "init" ? seq.hs : (tf.concat([tf.reshape(h0, [B, 1, H]), tf.slice(seq.hs, [0, 0, 0], [B, C - 1, H])], 1) as tf.Tensor3D);
      }
      slow = { seq, summary, h0 };
      predIn = concatColumns([x, tf.reshape(lf, [B * C, H]) as tf.Tensor2D]);
    }
    const cache = this.predictor.forward(predIn);
    return { cache, slow, inEp, K, xWidth: x.shape[1] };
  }

  /** Logits [B·C, A] of a chunk without training, and the final slow state (for checks and analysis). */
  chunkLogits(chunk: Omit<OMChunk, "targets">): { logits: Float32Array; h: Float32Array; c: Float32Array } {
    return tf.tidy(() => {
      const { cache, slow } = this.forwardChunk(chunk);
      const n = chunk.B * this.hidden;
      return {
        logits: cache.out.dataSync() as Float32Array,
        h: slow ? (slow.seq.h.dataSync() as Float32Array) : new Float32Array(n),
        c: slow ? (slow.seq.c.dataSync() as Float32Array) : new Float32Array(n),
      };
    });
  }

  /** Loss and gradients of one chunk by the explicit backward pass (om-backward.ts; call inside `tf.tidy`). */
  private chunkGradients(chunk: OMChunk, tripletScale: number) {
    // LeMOL-EP's summariser on the native kernels when training natively (the explicit path only: autodiff needs its ops)
    return explicitChunkGradients(this, this.forwardChunk(chunk, this.nativeTraining), chunk, tripletScale);
  }

  /**
   * Gradients of one chunk's loss as plain arrays, without training (for gradient checks), in the
   * order of the optimiser's variables.
   */
  gradients(chunk: OMChunk, tripletScale = 0): { loss: number; grads: Float32Array[] } {
    return tf.tidy(() => {
      const r = this.chunkGradients(chunk, tripletScale);
      return { loss: r.loss.dataSync()[0], grads: r.grads.map((g) => Float32Array.from(g.dataSync() as Float32Array)) };
    });
  }

  /**
   * Trains on `loss` (a function of the chunk's logits, targets and mask) with the gradients from
   * autodiff (call `enableAutodiff()` first), or, with null, on the cross-entropy with the explicit
   * backward pass again. The triplet loss belongs to the explicit path.
   */
  setLoss(loss: OMLoss | null): void {
    if (loss && this.triplet)
      throw new Error("the triplet representation loss is computed by the explicit path: it does not combine with a loss set by setLoss");
    this.lossFn = loss;
  }

  /** Where {@link trainChunk} trains now, and why (om-native.ts `chooseOMTrainingPath`). */
  get trainingPath(): OMTrainingPath {
    return chooseOMTrainingPath(
      this,
      (chunk, loss) => this.autodiffGradients(chunk, loss),
      (chunk) => ({ loss: this.gradients(chunk, 0).loss, logits: this.chunkLogits(chunk).logits }),
    );
  }

  /** Whether {@link trainChunk} runs on the native kernels now ({@link trainingPath}). */
  get trainsNatively(): boolean {
    return this.trainingPath.path === "native";
  }

  /** Why chunks train on the tfjs path rather than the native kernels (null when they train natively). */
  get trainingPathNote(): string | null {
    const p = this.trainingPath;
    return p.path === "native" ? null : p.reason;
  }

  /** The loss set by {@link setLoss}, if any. */
  get loss(): OMLoss | null {
    return this.lossFn;
  }

  /** Loss and gradients of one chunk under `loss` (default: the cross-entropy) by autodiff, in {@link gradients}' order. */
  autodiffGradients(chunk: OMChunk, loss: OMLoss = crossEntropyLoss): { loss: number; grads: Float32Array[] } {
    return tf.tidy(() => {
      const r = this.autodiffStep(chunk, loss);
      r.h?.dispose();
      r.c?.dispose();
      return { loss: r.loss.dataSync()[0], grads: r.grads.map((g) => Float32Array.from(g.dataSync() as Float32Array)) };
    });
  }

  private autodiffStep(chunk: OMChunk, loss: OMLoss) {
    const N = chunk.B * chunk.C;
    const valid = chunk.lengths ? validRows(chunk.lengths, this.period, N) : null;
    const mask = valid ? { rows: tf.tensor2d(valid.mask, [N, 1]), count: valid.count } : null;
    const forward = () => {
      const { cache, slow } = this.forwardChunk(chunk);
      return { logits: cache.out, h: slow?.seq.h ?? null, c: slow?.seq.c ?? null };
    };
    return autodiffChunk(forward, this.trainedVariables(), loss, tf.tensor2d(chunk.targets, [N, this.oppActionSize]), mask);
  }

  /** Names of the trained variables, in the optimiser's (and {@link gradients}') order. */
  get trainedVariableNames(): string[] {
    return this.trainedVariables().map((v) => v.name);
  }

  /** The trained variables themselves (for checks). */
  get variables(): tf.Variable[] {
    return this.trainedVariables();
  }

  /**
   * One truncated-BPTT step on a chunk: soft-label cross-entropy against its targets (plus the
   * weighted triplet loss of chunk `chunkIndex` of the pass), one Adam step. Accuracy and loss are
   * those of the forward pass before the step (lemol-spec §5.3). `chunk.state` is replaced by the
   * chunk's final slow state.
   */
  trainChunk(chunk: OMChunk, chunkIndex = 0): ChunkResult {
    const path = this.trainingPath.path;
    if (path === "native") {
      this.nativeTrainer ??= new NativeOMTrainer(this);
      const r = this.nativeTrainer.trainChunk(chunk);
      this.iterations++;
      return r;
    }
    const { state } = chunk;
    const scale = this.triplet ? tripletWeight(this.triplet, chunkIndex) : 0;
    const autodiffLoss = path === "tfjs-autodiff" ? (this.lossFn ?? this.defaultLoss) : null;
    const result = tf.tidy(() => {
      const r = autodiffLoss ? { ...this.autodiffStep(chunk, autodiffLoss), triplet: NaN } : this.chunkGradients(chunk, scale);
      this.optimiser.apply(r.grads);
      const out = {
        stats: tf.stack([r.loss, r.hits]).dataSync(),
        triplet: r.triplet,
        h: r.h ? (r.h.dataSync() as Float32Array) : new Float32Array(0),
        c: r.c ? (r.c.dataSync() as Float32Array) : new Float32Array(0),
      };
      // the autodiff path's final state was kept out of its gradient scope
      if (autodiffLoss) {
        r.h?.dispose();
        r.c?.dispose();
      }
      return out;
    });
    if (result.h.length > 0) {
      state.h = Float32Array.from(result.h);
      state.c = Float32Array.from(result.c);
    }
    state.useInit = false;
    this.iterations++;
    return { loss: result.stats[0], accuracy: result.stats[1], triplet: result.triplet };
  }

  dispose(): void {
    for (const x of [this.cell ?? this.lstm, this.initialH, this.initialC, this.summariser, this.predictor, this.optimiser, this.baseline]) x?.dispose();
    if (this.inEpisode) for (const x of [this.inEpisode.lstm, this.inEpisode.initialH, this.inEpisode.initialC]) x.dispose();
  }
}
