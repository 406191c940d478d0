/**
 * The LeMOL agent (lemol-spec §4.3): a MADDPG agent whose actor and target actor take
 * `[own obs ‖ m]`, where m is its opponent model's prediction of the opponent's current action.
 *
 *   act(o, m)        Gumbel-softmax sample of π_L([o ‖ m])
 *   predict          m for this step (§4.3 "How m is produced"): the oracle's truth, the true action
 *                    during exploration (init), or softmax(OM([o ‖ LF])) after advancing the slow
 *                    LSTM on the last F events every F post-exploration steps
 *   update           every F steps after exploration, as MADDPG except:
 *     1. a'_opp = π'_opp(o'_opp) first, then a'_L = π'_L([o'_L ‖ a'_opp]) (true target, not the OM)
 *     2. y = r + γ(1 − d)·Q'(o', a'_L, a'_opp); critic step on the stored actions
 *     3. actor: −mean Q(o, π_L([o_L ‖ m_stored]), a_opp stored) + 1e-3·mean(logits²)
 *     4. polyak; the first update of a trajectory turns in-play tracking on
 *   variants (later release): `decentralise: "obs"` gives the critic [o_L ‖ a_0 ‖ a_1]; `"full"`
 *   also replaces the opponent's target action and the actor's m and a_opp by the OM's prediction
 *   from LeMOL's current slow state (no centralised information at all). The OM's own variants
 *   (LeMOL-EP, the in-episode LSTM, ablation, triplet loss) live in opponent-model.ts.
 *
 * The opponent model persists across trajectories (that is the meta-learning); `resetLearner`
 * re-randomises only the actor, the critic and their targets.
 */
import { tf } from "../../nn/backend.js";
import { concatColumns, sliceColumns } from "../../nn/ops.js";
import { Rng } from "../../util/rng.js";
import { ActorCriticTrainer, Partner, TrainerOptions, UpdateStats, sum } from "../actor-critic.js";
import { FusedMADDPGUpdate } from "../maddpg-fused.js";
import type { StepContext, StepEnd, Transition } from "../learner.js";
import type { CheckpointReader, CheckpointWriter } from "../../storage/checkpoint.js";
import { ExperienceRecorder } from "../../storage/experience.js";
import type { NdArray } from "../../storage/npz.js";
import { InEpisodeState, OpponentModel } from "./opponent-model.js";
import { OnlineBehaviourCloning } from "./bc-baseline.js";
import { IN_PLAY_WINDOW_METRICS, InPlayScore, InPlayWindow, oneHotInPlace, PlayFlags } from "./in-play.js";
import type { LeMOLOptions } from "./flags.js";

export type { LeMOLOptions } from "./flags.js";

export { argmax, xentHead, xentInit, type InPlayWindow } from "./in-play.js";

export interface LeMOLTrainerOptions extends TrainerOptions {
  lemol: LeMOLOptions;
}

export class LeMOLAgentTrainer extends ActorCriticTrainer {
  override readonly targetNeedsOpponent = true;
  override readonly actsLast = true;
  /** Its target action is conditioned on the opponent's (see targetAction). */
  override readonly fusedTarget: "opponent" | null = null;
  private fused: FusedMADDPGUpdate | null = null;
  readonly options: LeMOLOptions;
  readonly om: OpponentModel;
  readonly opponentIndex: number;
  readonly oppActionSize: number;
  /** The slow LSTM's state in play, and whether the learned initial state is still in use. */
  readonly h: Float64Array;
  readonly c: Float64Array;
  useInitialState = true;
  /** Whether in-play accuracy is being tracked (on from the first update of a trajectory). */
  tracking = false;
  /** Whether this step's m is the truth fed during INIT's exploration (not scored). */
  private fedTruth = false;
  /** Evaluating loaded policies: the OM predicts from the first step, and accuracy is tracked throughout. */
  evaluating = false;
  /** m: the OM's prediction of the opponent's action at the last step (what LeMOL acted on). */
  readonly prediction: Float64Array;
  /** The opponent's action at the last step, as the environment played it. */
  readonly lastOpponentAction: Float64Array;
  /** Steps since every learner left exploration (LeMOL's period clock, lemol-spec §2.4). */
  postExplorationSteps = 0;
  /** Periods that follow episodes: events recorded in the current episode, and whether recording has begun. */
  private periodEvents = 0;
  private recordingPeriods = false;
  /** The trajectory's experience, for the OM training between cycles (lemol-spec §2.6). */
  readonly recorder: ExperienceRecorder;

  /** The in-episode LSTM's state in play (with `--recurrent_om_prediction`), and its value before this step. */
  readonly inEpisode: InEpisodeState | null;
  private readonly inEpisodePrev: InEpisodeState | null;
  private readonly decentralise: "none" | "obs" | "full";
  private readonly events: Float64Array;
  private readonly actorIn: Float64Array;
  private readonly extra: Float64Array;
  private influenceIn: Float32Array | null = null;
  /** Room for the learned initial state, when the fully decentralised update needs it. */
  private readonly initialLF: { h: Float64Array; c: Float64Array };
  private readonly oracleRng: Rng;
  /** The in-play accuracy window under way (lemol-spec §5.1). */
  private readonly inPlay: InPlayScore;
  /** The online behaviour-cloning baseline scored beside the OM (bc-baseline.ts); its stream is a play stream (the same in any worker). */
  private readonly onlineCloning: OnlineBehaviourCloning;

  constructor(opts: LeMOLTrainerOptions) {
    const opp = 1 - opts.agentIndex;
    if (opts.obsSizes.length !== 2) throw new RangeError(`LeMOL needs a two-player game; this one has ${opts.obsSizes.length} agents`);
    const decentralise = opts.lemol.decentralise ?? "none";
    const U = opts.lemol.inEpisodeUnits ?? 0;
    // the critic sees every observation, or (decentralised) only LeMOL's own
    const criticObs = decentralise === "none" ? sum(opts.obsSizes) : opts.obsSizes[opts.agentIndex];
    // replay extras: m, and for the fully decentralised update with the in-episode LSTM its states before and after the step
    const extra = opts.actionSizes[opp] + (decentralise === "full" ? 4 * U : 0);
    super(opts, opts.actionSizes[opp], criticObs + sum(opts.actionSizes), extra);
    this.options = opts.lemol;
    this.fusedTarget = this.pd.kind === "soft_categorical" ? "opponent" : null;
    this.decentralise = decentralise;
    this.opponentIndex = opp;
    this.oppActionSize = opts.actionSizes[opp];
    const key = opts.streamKey ?? opts.name;
    this.om = new OpponentModel({
      obsSize: this.obsSize,
      actionSize: this.pd.actionSize,
      oppActionSize: this.oppActionSize,
      hidden: opts.lemol.lstmHiddenDim,
      numUnits: this.config.numUnits,
      omlr: opts.lemol.omlr,
      recurrentActivation: opts.lemol.recurrentActivation,
      rng: Rng.stream(opts.seed, `${key}/om-init`),
      name: `${opts.name}/om`,
      blockProcessing: opts.lemol.blockProcessing ? { period: this.periodCapacity(opts.lemol), embeddingDim: opts.lemol.blockProcessing.embeddingDim } : null,
      inEpisodeUnits: U || null,
      ablate: opts.lemol.ablate ?? false,
      triplet: opts.lemol.triplet ?? null,
      tripletRng: Rng.stream(opts.seed, `${key}/om-triplet`),
      alternativeCell: opts.lemol.alternativeCell ?? null,
      baselineRng: Rng.stream(opts.seed, `${key}/om-bc-baseline`),
    });
    this.inEpisode = U ? { h: new Float64Array(U), c: new Float64Array(U) } : null;
    this.inEpisodePrev = U ? { h: new Float64Array(U), c: new Float64Array(U) } : null;
    this.extra = new Float64Array(extra);
    this.initialLF = { h: new Float64Array(opts.lemol.lstmHiddenDim), c: new Float64Array(opts.lemol.lstmHiddenDim) };
    this.oracleRng = Rng.stream(opts.seed, `${key}/oracle`);
    this.h = new Float64Array(opts.lemol.lstmHiddenDim);
    this.c = new Float64Array(opts.lemol.lstmHiddenDim);
    this.events = new Float64Array(this.periodCapacity(opts.lemol) * this.om.eventSize);
    this.actorIn = new Float64Array(this.obsSize + this.oppActionSize);
    this.prediction = new Float64Array(this.oppActionSize);
    this.lastOpponentAction = new Float64Array(this.oppActionSize);
    this.recorder = new ExperienceRecorder(this.obsSize, this.pd.actionSize, this.oppActionSize);
    const onlineRng = Rng.stream(opts.seed, `${key}/om-online-bc`);
    this.onlineCloning = new OnlineBehaviourCloning(this.obsSize, this.oppActionSize, this.config.numUnits, onlineRng, `${opts.name}/online_bc`);
    this.inPlay = new InPlayScore(this.oppActionSize, opts.lemol.revision, this.om.baseline, this.onlineCloning);
    this.resetPlayState();
  }

  /** Events a period holds at most: F, or with episodic periods the longest episode. */
  private periodCapacity(o: LeMOLOptions): number {
    return o.episodicPeriods ? this.config.maxEpisodeLen : this.config.agentUpdateFreq;
  }

  /**
   * A step of play (lemol-spec §2.4 step 1): m from the opponent model, given the opponent's action
   * just chosen (LeMOL acts last); the slow LSTM first consumes the last period's events when a
   * period has ended; then LeMOL's action on `[obs ‖ m]`.
   */
  override act(obs: ArrayLike<number>, out: Float64Array, ctx?: StepContext): void {
    if (!ctx) throw new Error(`${this.name}: LeMOL acts within a step (it needs its opponent's action): use the training loop`);
    const m = this.prediction;
    const oppAction = ctx.actions[this.opponentIndex];
    if (this.options.episodicPeriods) {
      // periods follow episodes: at an episode's start the slow LSTM takes the previous one
      const first = ctx.episodeStep === 0;
      const count = first ? this.periodEvents : 0;
      if (first) {
        this.periodEvents = 0;
        if (ctx.evaluating || ctx.trainStep >= this.config.batchSize * this.config.maxEpisodeLen) this.recordingPeriods = true;
      }
      this.predict(obs, oppAction, count > 0, ctx.episodeStep, m, count);
    } else {
      const F = this.config.agentUpdateFreq;
      const updateLF = this.postExplorationSteps >= F && this.postExplorationSteps % F === 0;
      this.predict(obs, oppAction, updateLF, ctx.episodeStep, m);
    }
    this.actOn(obs, m, out);
    const every = this.options.influenceLogFreq;
    if (every && ctx.trainStep % every === 0) ctx.sink.metric(this, "om_influence", this.omInfluence(obs, m));
  }

  /**
   * After the environment step (§2.4 steps 2-3): the event for the slow LSTM, the experience-file
   * row, and the transition with the m LeMOL acted on (or, evaluating, only the score of m).
   */
  override observe(t: Transition, ctx: StepContext): void {
    const L = this.agentIndex;
    const opp = this.opponentIndex;
    const finished = t.done || t.terminal;
    const m = this.prediction;
    if (!this.options.episodicPeriods)
      this.recordEvent(this.postExplorationSteps % this.config.agentUpdateFreq, t.stored[opp], t.obs[L], t.stored[L], t.rewards[L], finished);
    else if (this.recordingPeriods) this.recordEvent(this.periodEvents++, t.stored[opp], t.obs[L], t.stored[L], t.rewards[L], finished);
    this.recorder.add(t.obs[L], t.stored[L], t.rewards[L], finished, t.stored[opp], m, t.policy[L], t.policy[opp]);
    this.lastOpponentAction.set(t.stored[opp]);
    if (ctx.evaluating) {
      this.score(m, t.stored[opp], t.obs[L]);
      this.inPlay.noteAction(t.stored[opp], t.obs[L]);
    } else this.experience(t.obs[L], t.stored[L], t.rewards[L], t.obsNext[L], t.done, t.terminal, m, t.stored[opp]);
  }

  /**
   * Once everyone has updated: the in-play accuracy window every `inPlayLogFreq` steps (lemol-spec
   * §5.1), then the period clock advances once exploration is over (INIT: LeMOL's own flag; HEAD:
   * every learner's).
   */
  override afterStep(end: StepEnd): void {
    if (end.allUpdated && end.trainStep % (this.options.inPlayLogFreq ?? 100) === 0 && this.tracking) {
      const w = this.takeInPlayWindow();
      if (w) {
        for (const [metric, field] of IN_PLAY_WINDOW_METRICS) end.sink.metric(this, metric, w[field]);
        end.sink.emit("om_window", { trainStep: end.trainStep, ...w });
      }
    }
    if (this.options.revision === "init" ? this.initialExplorationDone : end.allExplored) this.postExplorationSteps++;
  }

  /** A new trajectory: fresh learner (the OM kept), or evaluating from the loaded weights; the play clocks restart. */
  override startTrajectory(mode: "learn" | "evaluate"): void {
    if (mode === "learn") this.resetLearner();
    else {
      this.initialExplorationDone = true;
      this.evaluating = true;
      this.tracking = true;
      this.resetPlayState();
    }
    this.postExplorationSteps = 0;
    this.periodEvents = 0;
    this.recordingPeriods = false;
    this.recorder.clear();
    this.inPlay.newTrajectory();
  }

  /** The trajectory's experience file (null if nothing was recorded). */
  override trajectoryOutput(): Record<string, NdArray> | null {
    return this.recorder.rows > 0 ? this.recorder.arrays() : null;
  }

  /** Samples LeMOL's action from its own observation and the opponent prediction m. */
  actOn(obs: ArrayLike<number>, m: ArrayLike<number>, out: Float64Array): void {
    const x = this.actorIn;
    for (let k = 0; k < this.obsSize; k++) x[k] = obs[k];
    for (let k = 0; k < this.oppActionSize; k++) x[this.obsSize + k] = m[k];
    this.plainActor.forward(x, 0, this.logits);
    this.pd.samplePlain(this.logits, 0, this.rngs.act, out, 0);
  }

  /**
   * m for this step (the original's `get_lemol_om_pred`). `oppAction` is the opponent's action
   * just chosen (it acts first); `updateLearningFeature` says the slow LSTM should consume the
   * last F events now; `episodeStep` counts steps within the episode from 0.
   */
  predict(
    obs: ArrayLike<number>,
    oppAction: ArrayLike<number>,
    updateLearningFeature: boolean,
    episodeStep: number,
    m: Float64Array,
    periodEvents = this.config.agentUpdateFreq,
  ): void {
    const o = this.options;
    const P = this.oppActionSize;
    this.fedTruth = false;
    if (o.oracle.enabled) {
      const window = episodeStep < o.oracle.before || episodeStep > o.oracle.after;
      // the later release adds `or U' < lemol_oracle_baseline_acc` (drawn only when needed, as Python's `or`)
      const truth =
        (window && this.oracleRng.uniform() < o.oracle.proportion) || (o.revision === "head" && this.oracleRng.uniform() < (o.oracle.baselineAccuracy ?? 0));
      if (truth) this.copyAction(oppAction, m);
      else this.randomPrediction(m);
      return;
    }
    const exploring = !this.evaluating && this.replay.length <= this.config.batchSize * this.config.maxEpisodeLen;
    this.fedTruth = o.revision === "init" && exploring;
    if (this.fedTruth) {
      // INIT feeds the true opponent action during exploration (lemol-spec §8 item 5)
      this.copyAction(oppAction, m);
      return;
    }
    if (updateLearningFeature && !exploring) {
      this.om.advance(this.events, periodEvents, this.h, this.c, this.useInitialState);
      this.useInitialState = false;
    }
    if (this.inEpisode) {
      // the in-episode LSTM restarts from its learned initial state at each episode's first step
      if (episodeStep === 0) this.om.initialInEpisodeState(this.inEpisode);
      this.inEpisodePrev!.h.set(this.inEpisode.h);
      this.inEpisodePrev!.c.set(this.inEpisode.c);
    }
    this.om.predict(obs, this.h, this.useInitialState, m, 0, this.inEpisode ?? undefined);
    if (o.discreteActions) oneHotInPlace(m, P);
  }

  /**
   * Stores the event of this step in slot `slot` (= post-exploration steps mod F):
   * `[a_opp ‖ o_L ‖ a_L ‖ r_L ‖ done]` with the actions as executed (one-hot in discrete mode).
   */
  recordEvent(slot: number, oppAction: ArrayLike<number>, obs: ArrayLike<number>, action: ArrayLike<number>, reward: number, done: boolean): void {
    let k = slot * this.om.eventSize;
    const e = this.events;
    for (let j = 0; j < this.oppActionSize; j++) e[k++] = oppAction[j];
    for (let j = 0; j < this.obsSize; j++) e[k++] = obs[j];
    for (let j = 0; j < this.pd.actionSize; j++) e[k++] = action[j];
    e[k++] = reward;
    e[k++] = done ? 1 : 0;
  }

  /**
   * Stores one transition with the m LeMOL acted on; while tracking, scores m against the
   * opponent's executed action (lemol-spec §5.1).
   */
  experience(
    obs: ArrayLike<number>,
    act: ArrayLike<number>,
    rew: number,
    obsNext: ArrayLike<number>,
    done: boolean,
    terminal: boolean,
    m: ArrayLike<number>,
    oppAction: ArrayLike<number>,
  ): void {
    const x = this.extra;
    for (let k = 0; k < this.oppActionSize; k++) x[k] = m[k];
    if (this.decentralise === "full" && this.inEpisode) {
      // the in-episode states before and after this step, for the OM's prediction at o and o'
      const states = [this.inEpisodePrev!.h, this.inEpisodePrev!.c, this.inEpisode.h, this.inEpisode.c]; // U each
      states.forEach((s, j) => x.set(s, this.oppActionSize + j * s.length));
    }
    this.replay.add(obs, act, rew, obsNext, this.storedDone(done, terminal), x);
    // INIT still feeds the truth at the step exploration ends (the buffer fills as it is stored)
    // while tracking has begun: not a prediction, not scored (else every first window read 1.0)
    if (!this.fedTruth) this.score(m, oppAction, obs);
    this.inPlay.noteAction(oppAction, obs);
  }

  /**
   * The OM's influence on the policy (`--log_om_influence`): mean((∂ logits_π / ∂ m)²) at the
   * actor input [obs ‖ m].
   */
  omInfluence(obs: ArrayLike<number>, m: ArrayLike<number>): number {
    const n = this.obsSize + this.oppActionSize;
    const L = this.pd.paramSize;
    // one row per logit: the backward pass of the identity gives each logit's input gradient
    const x = (this.influenceIn ??= new Float32Array(L * n));
    for (let r = 0; r < L; r++) {
      for (let k = 0; k < this.obsSize; k++) x[r * n + k] = obs[k];
      for (let k = 0; k < this.oppActionSize; k++) x[r * n + this.obsSize + k] = m[k];
    }
    return tf.tidy(() => {
      const cache = this.actor.forward(tf.tensor2d(x, [L, n]));
      const jacobian = this.actor.inputGrad(cache, tf.eye(L) as tf.Tensor2D);
      return tf.mean(tf.square(sliceColumns(jacobian, this.obsSize, this.oppActionSize))).dataSync()[0];
    });
  }

  /** LeMOL's current learning feature (the slow state in play, or the learned initial one). */
  private learningFeature(): Float64Array {
    if (!this.useInitialState) return this.h;
    this.om.initialState(this.initialLF.h, this.initialLF.c);
    return this.initialLF.h;
  }

  /** While tracking, scores the prediction m made from `obs` (and the baselines) against the opponent's executed action. */
  score(m: ArrayLike<number>, oppAction: ArrayLike<number>, obs: ArrayLike<number>): void {
    if (this.tracking) this.inPlay.score(m, oppAction, obs);
  }

  /** The tracking window since the last call (null if empty), then a fresh window. */
  takeInPlayWindow(): InPlayWindow | null {
    return this.inPlay.take();
  }

  targetAction(obsNext: tf.Tensor2D, noise: tf.Tensor2D, opponentTarget: tf.Tensor2D | null): tf.Tensor2D {
    if (!opponentTarget) throw new Error(`${this.name}: the target action needs the opponent's target action`);
    return this.pd.sample(this.targetActor.apply(concatColumns([obsNext, opponentTarget])), noise);
  }

  /** Fully decentralised, the opponent's target action is the OM's prediction: only LeMOL's own takes noise. */
  protected override targetNoiseAgents(agents: readonly Partner[]): number[] {
    return this.decentralise === "full" ? [this.agentIndex] : super.targetNoiseAgents(agents);
  }

  /** In-play tracking starts at the first update of a trajectory (lemol-spec §5.1). */
  protected override onFirstUpdate(): void {
    this.tracking = true;
  }

  protected learn(agents: readonly Partner[]): UpdateStats {
    const cfg = this.config;
    const B = cfg.batchSize;
    const i = this.agentIndex;
    const opp = this.opponentIndex;
    const full = this.decentralise === "full";
    if (this.updatePath(agents).path === "fused") {
      this.fused ??= new FusedMADDPGUpdate({
        trainer: this,
        criticSees: { obs: this.decentralise === "none" ? "all" : "own", act: "all" },
        actorExtra: this.oppActionSize,
        actionColumn: (j) => this.actionColumn(j),
        drawNoise: (agents) => this.drawUpdateNoise(agents),
      });
      return this.finishUpdate(this.fused.learn(agents as readonly ActorCriticTrainer[], (meanwhile) => this.sampleBatches(agents, meanwhile)));
    }
    const batches = this.sampleBatches(agents);
    const noise = this.drawUpdateNoise(agents);
    const lf = full ? this.learningFeature() : null;
    const stats = tf.tidy(() => {
      const { obs, act, obsNext, rew, done } = this.batchTensors(agents, batches);
      const P = this.oppActionSize;
      const extra = tf.tensor2d(batches[i].extra, [B, this.replay.extraSize]);
      let m = extra.shape[1] === P ? (extra as tf.Tensor2D) : sliceColumns(extra, 0, P);

      // 1-2. the opponent's target action (its target actor, or fully decentralised the OM's
      // prediction at o'), then LeMOL's conditioned on it; TD target
      let actNext: tf.Tensor2D[];
      let actActor = act;
      if (full) {
        const U = this.om.inEpisodeUnits;
        const state = (k: number) => (U ? sliceColumns(extra, P + k * U, U) : null);
        const before = U ? { h: state(0)!, c: state(1)! } : null;
        const after = U ? { h: state(2)!, c: state(3)! } : null;
        const oppNext = this.om.predictBatch(obsNext[i], lf!, after);
        actNext = agents.map(() => oppNext);
        actNext[i] = this.targetAction(obsNext[i], tf.tensor2d(noise.target[i]!, [B, this.pd.noiseSize]), oppNext);
        // the actor's m and the opponent action its critic sees are the OM's fresh prediction at o
        m = this.om.predictBatch(obs[i], lf!, before);
        actActor = act.map((a, j) => (j === opp ? m : a));
      } else {
        actNext = this.targetActions(agents, obsNext, noise);
      }
      const qNext = this.targetCritic.apply(this.criticInput(obsNext, actNext));
      const y = this.tdTarget(rew, done, qNext);

      // critic on the stored (true) actions
      const { q, qLoss } = this.criticStep(obs, act, y);

      // 3. actor on [o_L ‖ m as stored], against the stored opponent action (or both from the OM)
      const pLoss = this.actorStep(this.actor.forward(concatColumns([obs[i], m])), obs, actActor, noise.actor);

      // 4. targets
      this.followTargets();
      return this.stats(qLoss, pLoss, q, y, rew, qNext);
    });
    return this.finishUpdate(stats);
  }

  override get playStreams(): Record<string, Rng> {
    return { ...this.rngs, oracle: this.oracleRng, online_bc: this.onlineCloning.rng };
  }

  /** New learner for a new trajectory; the opponent model is kept, the in-play state restarts. */
  override resetLearner(): void {
    super.resetLearner();
    this.initialExplorationDone = false;
    this.tracking = false;
    this.resetPlayState();
    this.takeInPlayWindow(); // the original keeps stale values here (a misspelt clear); we start clean
  }

  override saveWeightsTo(w: CheckpointWriter, prefix: string): void {
    super.saveWeightsTo(w, prefix);
    this.om.saveTo(w, `${prefix}/om`);
  }

  override saveTo(w: CheckpointWriter, prefix: string, options: { replay: boolean }): void {
    super.saveTo(w, prefix, options);
    w.array(`${prefix}/play/h`, Float64Array.from(this.h));
    w.array(`${prefix}/play/c`, Float64Array.from(this.c));
    w.array(`${prefix}/play/events`, Float64Array.from(this.events));
    const flags: PlayFlags = {
      useInitialState: this.useInitialState,
      tracking: this.tracking,
      ...this.inPlay.sums(),
      postExplorationSteps: this.postExplorationSteps,
      periodEvents: this.periodEvents,
      recordingPeriods: this.recordingPeriods,
    };
    w.value(`${prefix}/play/flags`, flags);
    w.array(`${prefix}/play/prediction`, Float64Array.from(this.prediction));
    w.array(`${prefix}/play/opponent_action`, Float64Array.from(this.lastOpponentAction));
    this.recorder.saveTo(w, `${prefix}/experience`);
    w.rng(`${prefix}/rng/oracle`, this.oracleRng);
    this.onlineCloning.saveTo(w, `${prefix}/play/online_bc`);
    if (this.inEpisode) {
      w.array(`${prefix}/play/in_episode`, Float64Array.from([...this.inEpisode.h, ...this.inEpisode.c, ...this.inEpisodePrev!.h, ...this.inEpisodePrev!.c]));
    }
  }

  override loadWeightsFrom(r: CheckpointReader, prefix: string): void {
    super.loadWeightsFrom(r, prefix);
    this.om.loadFrom(r, `${prefix}/om`);
  }

  override loadFrom(r: CheckpointReader, prefix: string): { replay: boolean } {
    const out = super.loadFrom(r, prefix); // the OM comes with the weights
    this.h.set(r.f64(`${prefix}/play/h`, this.h.length));
    this.c.set(r.f64(`${prefix}/play/c`, this.c.length));
    this.events.set(r.f64(`${prefix}/play/events`, this.events.length));
    const f = r.value<PlayFlags>(`${prefix}/play/flags`);
    this.postExplorationSteps = f.postExplorationSteps;
    this.periodEvents = f.periodEvents;
    this.recordingPeriods = f.recordingPeriods;
    this.prediction.set(r.f64(`${prefix}/play/prediction`, this.prediction.length));
    this.lastOpponentAction.set(r.f64(`${prefix}/play/opponent_action`, this.lastOpponentAction.length));
    this.recorder.loadFrom(r, `${prefix}/experience`);
    this.useInitialState = f.useInitialState;
    this.tracking = f.tracking;
    this.inPlay.setSums(f);
    r.rng(`${prefix}/rng/oracle`, this.oracleRng);
    this.onlineCloning.loadFrom(r, `${prefix}/play/online_bc`);
    if (this.inEpisode) {
      const U = this.inEpisode.h.length;
      const v = r.f64(`${prefix}/play/in_episode`, 4 * U);
      this.inEpisode.h.set(v.subarray(0, U));
      this.inEpisode.c.set(v.subarray(U, 2 * U));
      this.inEpisodePrev!.h.set(v.subarray(2 * U, 3 * U));
      this.inEpisodePrev!.c.set(v.subarray(3 * U, 4 * U));
    }
    return out;
  }

  /** Back to the learned initial state for play (a new trajectory, or after OM training). */
  resetPlayState(): void {
    this.om.initialState(this.h, this.c);
    this.useInitialState = true;
    this.events.fill(0);
    if (this.inEpisode) this.om.initialInEpisodeState(this.inEpisode);
  }

  protected override chooseUpdatePath(agents: readonly Partner[]): ReturnType<typeof FusedMADDPGUpdate.choose> {
    return FusedMADDPGUpdate.choose(this, this.decentralise === "full" ? "fully decentralised LeMOL's OM predictions run on tfjs ops" : null, agents);
  }

  /** Decentralised (`--decentralise_lemol_obs`): LeMOL's own observation then all actions. */
  protected override criticInput(obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[]): tf.Tensor2D {
    return this.decentralise === "none" ? super.criticInput(obs, act) : concatColumns([obs[this.agentIndex], ...act]);
  }

  protected override actionColumn(j: number): number {
    if (this.decentralise === "none") return super.actionColumn(j);
    let c = this.obsSize;
    for (let k = 0; k < j; k++) c += this.actionSizes[k];
    return c;
  }

  override dispose(): void {
    super.dispose();
    this.om.dispose();
    this.onlineCloning.dispose();
  }

  private copyAction(src: ArrayLike<number>, m: Float64Array): void {
    for (let k = 0; k < this.oppActionSize; k++) m[k] = src[k];
    if (this.options.discreteActions) oneHotInPlace(m, this.oppActionSize);
  }

  /** The oracle's noise: a random one-hot (discrete) or a Dirichlet(1, ..., 1) sample. */
  private randomPrediction(m: Float64Array): void {
    const P = this.oppActionSize;
    if (this.options.discreteActions) {
      m.fill(0);
      m[this.oracleRng.int(P)] = 1;
      return;
    }
    let s = 0;
    for (let k = 0; k < P; k++) s += m[k] = -Math.log(1 - this.oracleRng.uniform());
    for (let k = 0; k < P; k++) m[k] /= s;
  }
}
