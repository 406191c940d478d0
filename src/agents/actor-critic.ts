/**
 * What MADDPG-family trainers share: an actor and a critic with independently initialised target
 * copies, their Adam optimisers, the replay buffer, the random streams, and the update plumbing
 * (sampling aligned batches from every agent's buffer, building critic inputs, noise tensors,
 * reading back statistics). The algorithms themselves live in `maddpg.ts` and `lemol/agent.ts`.
 */
import type { ActionSpace } from "../envs/spaces.js";
import { tf } from "../nn/backend.js";
import { ActionDistribution, distributionFor } from "../nn/distributions.js";
import { MLP, MLPCache, PlainMLP, mlpSizes } from "../nn/mlp.js";
import { concatColumns, sliceColumns } from "../nn/ops.js";
import { Adam, polyakUpdate } from "../nn/optim.js";
import { ReplayBatch, ReplayBuffer } from "../storage/replay.js";
import type { Learner, LearnerStats, StepContext, StepEnd, Transition } from "./learner.js";
import type { NdArray } from "../storage/npz.js";
import type { CheckpointReader, CheckpointWriter } from "../storage/checkpoint.js";
import { Rng } from "../util/rng.js";
import { ActorCriticMaths, MADDPG_MATHS, UpdatePath, argmaxOneHot, categoricalBlocks, standardiseRewards } from "./maddpg-maths.js";
import { MADDPG_DEFAULTS, MADDPGConfig } from "./maddpg-config.js";

export { MADDPG_DEFAULTS, type MADDPGConfig } from "./maddpg-config.js";

/** The training noise of one update, drawn in one place ({@link ActorCriticTrainer.drawUpdateNoise}). */
export interface UpdateNoise {
  /** Per agent, the noise of its target action (null: its target action takes none). */
  readonly target: readonly (Float32Array | null)[];
  /** The actor's fresh sample's. */
  readonly actor: Float32Array;
}

/** What one update returns (the original's list, named): means over the sampled batch. */
export interface UpdateStats {
  qLoss: number;
  pLoss: number;
  /** mean Q(o, a) before the critic step. */
  qValue: number;
  /** mean TD target y. */
  targetQ: number;
  /** mean reward of the sampled batch (not an episode reward). */
  reward: number;
  /** mean Q'(o', a'). */
  targetQNext: number;
  /** std of y. */
  targetQStd: number;
}

export interface TrainerOptions {
  /** e.g. `maddpg-bad_agent_0`. */
  name: string;
  agentIndex: number;
  /** Observation length of every agent of the game. */
  obsSizes: readonly number[];
  /** Action sample length of every agent of the game (what the critic sees). */
  actionSizes: readonly number[];
  /** This agent's action space. */
  actionSpace: ActionSpace;
  config?: Partial<MADDPGConfig>;
  /** Seed of this agent's random streams (initialisation, acting, training noise, replay sampling). */
  seed: number;
  /**
   * Names this agent's streams (default: `name`). Keyed by the agent's slot (e.g. `bad_agent_0`),
   * two runs that differ only in the algorithm start from identical weights and noise.
   */
  streamKey?: string;
  /**
   * The update's losses (default {@link MADDPG_MATHS}, agents/maddpg-maths.ts). Other functions
   * keep the fused native update only if it computes them bit for bit (checkFusedMaths); otherwise
   * the update runs on tfjs ops, and {@link ActorCriticTrainer.updatePath} says why.
   */
  maths?: Readonly<ActorCriticMaths>;
}

/**
 * A learner that is not of this family (PPO) as a partner in a centralised update: its replay
 * buffer is read at the sampled indices, and it gives a target action for next observations.
 */
export interface PolicyPartner {
  readonly replay: ReplayBuffer;
  readonly targetNeedsOpponent: boolean;
  /** Target actions for a batch of next observations (call inside `tf.tidy`). */
  targetActionTensor(obsNext: tf.Tensor2D): tf.Tensor2D;
}

/** Any agent of the game an update reads from. */
export type Partner = Learner;

/** Whether `a` gives target actions for a centralised update (a {@link PolicyPartner}: PPO). */
function isPolicyPartner(a: Partner): a is Partner & PolicyPartner {
  return typeof (a as Partial<PolicyPartner>).targetActionTensor === "function";
}

/** The MADDPG family as {@link Learner}s (lemol-spec §4: act, experience, preupdate, update). */
export abstract class ActorCriticTrainer implements Learner {
  readonly name: string;
  readonly agentIndex: number;
  readonly config: Readonly<MADDPGConfig>;
  readonly obsSize: number;
  readonly obsSizes: readonly number[];
  readonly actionSizes: readonly number[];
  readonly pd: ActionDistribution;
  readonly actor: MLP;
  readonly critic: MLP;
  readonly targetActor: MLP;
  readonly targetCritic: MLP;
  readonly actorOptimiser: Adam;
  readonly criticOptimiser: Adam;
  readonly replay: ReplayBuffer;
  /** Set by the first update (the original's `initial_exploration_done`). */
  initialExplorationDone = false;
  /** Random streams: weights, acting noise, training noise, replay indices. */
  readonly rngs: { init: Rng; act: Rng; noise: Rng; replay: Rng };
  /** The update's TD target and losses (agents/maddpg-maths.ts). */
  readonly maths: Readonly<ActorCriticMaths>;
  /** Whether the target action needs the opponent's target action first (LeMOL). */
  readonly targetNeedsOpponent: boolean = false;
  /**
   * The target action as the fused update computes it (maddpg-fused.ts): softmax(π'(o') + Gumbel)
   * on the agent's own next observation ("own", MADDPG), or on [o' ‖ the opponent's target action]
   * ("opponent", LeMOL); null: only through tfjs ops.
   */
  readonly fusedTarget: "own" | "opponent" | null = null;
  readonly actsLast: boolean = false;
  readonly updatesOnCadence = true;
  readonly updateMetrics = ["q_loss", "p_loss", "q_value"] as const;
  readonly checkpointProbe = "actor/0";

  protected readonly plainActor: PlainMLP;
  protected readonly logits: Float64Array;
  protected readonly index: Int32Array;
  private readonly batches = new Map<Partner, ReplayBatch>();
  private readonly noiseBuffers = new Map<string, Float32Array>();

  /**
   * @param actorExtra inputs the actor takes after the observation (LeMOL's opponent prediction)
   * @param criticIn the critic's input size
   * @param replayExtra numbers stored per transition after the standard ones
   */
  constructor(opts: TrainerOptions, actorExtra: number, criticIn: number, replayExtra: number) {
    const cfg: MADDPGConfig = { ...MADDPG_DEFAULTS, ...opts.config };
    this.config = cfg;
    this.maths = opts.maths ?? MADDPG_MATHS;
    this.name = opts.name;
    this.agentIndex = opts.agentIndex;
    this.obsSizes = [...opts.obsSizes];
    this.actionSizes = [...opts.actionSizes];
    const i = opts.agentIndex;
    this.obsSize = opts.obsSizes[i];
    this.pd = distributionFor(opts.actionSpace);
    if (this.pd.actionSize !== opts.actionSizes[i])
      throw new RangeError(`${this.name}: action size ${opts.actionSizes[i]} does not match its space (${this.pd.actionSize})`);
    const key = opts.streamKey ?? opts.name;
    this.rngs = {
      init: Rng.stream(opts.seed, `${key}/init`),
      act: Rng.stream(opts.seed, `${key}/act`),
      noise: Rng.stream(opts.seed, `${key}/noise`),
      replay: Rng.stream(opts.seed, `${key}/replay`),
    };
    const actorSizes = mlpSizes(this.obsSize + actorExtra, this.pd.paramSize, cfg.numUnits);
    const criticSizes = mlpSizes(criticIn, 1, cfg.numUnits);
    // four independently initialised networks (the original's); with pytorchInit the targets are
    // then overwritten by copies of the online nets (startTargets)
    const init = cfg.pytorchInit ? "pytorch" : "glorot";
    const norm = cfg.inputBatchnorm;
    this.actor = new MLP(actorSizes, this.rngs.init, `${opts.name}/p_func`, init, norm);
    this.critic = new MLP(criticSizes, this.rngs.init, `${opts.name}/q_func`, init, norm);
    this.targetActor = new MLP(actorSizes, this.rngs.init, `${opts.name}/target_p_func`, init, norm);
    this.targetCritic = new MLP(criticSizes, this.rngs.init, `${opts.name}/target_q_func`, init, norm);
    this.startTargets();
    const adam = { learningRate: cfg.lr, epsilon: 1e-8, clipNorm: cfg.gradClip, clipScope: cfg.gradClipGlobal ? ("global" as const) : ("variable" as const) };
    // trainable: the weights, and an input norm's scale and shift (clipped with them, as torch's clip_grad_norm over parameters())
    this.actorOptimiser = new Adam(this.actor.trainable, adam);
    this.criticOptimiser = new Adam(this.critic.trainable, adam);
    this.replay = new ReplayBuffer(this.obsSize, this.pd.actionSize, cfg.replayBufferCapacity, 4096, replayExtra);
    this.plainActor = this.actor.toPlain();
    this.logits = new Float64Array(this.pd.paramSize);
    this.index = new Int32Array(cfg.batchSize);
  }

  /** The done flag a transition is stored with: the env's done, or the time limit when it counts as terminal. */
  protected storedDone(done: boolean, terminal: boolean): boolean {
    return done || (terminal && this.config.timeLimitTerminal);
  }

  get explored(): boolean {
    return this.initialExplorationDone;
  }

  /** Samples this agent's action for one observation into `out` (no tensors, no allocation). */
  abstract act(obs: ArrayLike<number>, out: Float64Array, ctx?: StepContext): void;

  /** Stores this agent's part of the step's transition (nothing while evaluating). */
  abstract observe(t: Transition, ctx: StepContext): void;

  afterStep(_end: StepEnd): void {}

  /** A new trajectory: new weights and empty buffers (Adam state kept), or, evaluating, act from the loaded weights at once. */
  startTrajectory(mode: "learn" | "evaluate"): void {
    if (mode === "learn") this.resetLearner();
    else this.initialExplorationDone = true;
  }

  trajectoryOutput(): Record<string, NdArray> | null {
    return null;
  }

  /** Whether the buffer has passed exploration (`learningStarts`, by default `batch_size × max_episode_len` transitions). */
  protected bufferExplored(): boolean {
    return this.replay.length >= (this.config.learningStarts ?? this.config.batchSize * this.config.maxEpisodeLen);
  }

  /** The original's `preupdate` (clears a cached index; nothing to do here). */
  preupdate(): void {}

  private chosenPath: { agents: readonly Partner[]; path: UpdatePath } | null = null;

  /** Whether this algorithm's update implements the options only MADDPG, DDPG and M3DDPG have, `argmaxUpdateActions` and `inputBatchnorm` (they are refused otherwise). */
  protected readonly implementsMaddpgOnlyOptions: boolean = false;

  /**
   * Which update this trainer runs in the game `agents` (agent order): chosen at the first ask and
   * kept while the game's agents are the same. The run's manifest and start line record it.
   */
  updatePath(agents: readonly Partner[]): UpdatePath {
    const c = this.chosenPath;
    if (c && c.agents.length === agents.length && c.agents.every((a, j) => a === agents[j])) return c.path;
    if (this.config.argmaxUpdateActions && !this.implementsMaddpgOnlyOptions)
      throw new Error(`${this.name}: --argmax_update_actions is implemented for MADDPG, DDPG and M3DDPG only, not ${this.constructor.name}`);
    if (this.config.inputBatchnorm && !this.implementsMaddpgOnlyOptions)
      throw new Error(`${this.name}: --input_batchnorm is implemented for MADDPG, DDPG and M3DDPG only, not ${this.constructor.name}`);
    const path = this.chooseUpdatePath(agents);
    this.chosenPath = { agents: [...agents], path };
    return path;
  }

  /** The update for `agents` (tfjs ops, unless an algorithm can take the fused update: maddpg-fused.ts). */
  protected chooseUpdatePath(_agents: readonly Partner[]): UpdatePath {
    return { path: "tfjs", reason: `${this.constructor.name} has no fused update` };
  }

  private learnHook: ((agents: readonly Partner[], t: number) => UpdateStats) | null = null;

  /**
   * One update if due, else null (lemol-spec §2.4): the buffer must hold `batch_size ×
   * max_episode_len` transitions and `t % agent_update_freq` must be 0. The first one sets
   * `initialExplorationDone`. `agents` is the whole game in agent order.
   */
  update(agents: readonly Partner[], t: number): (UpdateStats & LearnerStats) | null {
    if (!this.bufferExplored() || t % this.config.agentUpdateFreq !== 0) return null;
    if (!this.initialExplorationDone) this.onFirstUpdate();
    this.initialExplorationDone = true;
    const s = this.learnHook ? this.learnHook(agents, t) : this.learn(agents);
    return { ...s, logged: [s.qLoss, s.pLoss, s.qValue] };
  }

  /**
   * Replaces the learning step (not the cadence or the bookkeeping around it) with `hook`, or
   * restores it with null: for dry runs that check a schedule at full size without the arithmetic.
   */
  setLearnHook(hook: ((agents: readonly Partner[], t: number) => UpdateStats) | null): void {
    this.learnHook = hook;
  }

  /** The algorithm's learning step on a sampled batch (the update proper). */
  protected abstract learn(agents: readonly Partner[]): UpdateStats;

  /** Called at the first update of a trajectory. */
  protected onFirstUpdate(): void {}

  /** A Gumbel (or Gaussian) sample of this agent's target actor for next observations. */
  abstract targetAction(obsNext: tf.Tensor2D, noise: tf.Tensor2D, opponentTarget: tf.Tensor2D | null): tf.Tensor2D;

  /** The optimisers a trajectory updates (their state carries over from one trajectory to the next). */
  get optimisers(): Adam[] {
    return [this.actorOptimiser, this.criticOptimiser];
  }

  /** The random streams a trajectory draws from, by name (reseeded per trajectory when trajectories run in parallel). */
  get playStreams(): Record<string, Rng> {
    return this.rngs;
  }

  /** New random weights for all four networks and an empty buffer; the Adam state is kept. */
  resetLearner(): void {
    this.actor.reinitialise(this.rngs.init);
    this.critic.reinitialise(this.rngs.init);
    this.targetActor.reinitialise(this.rngs.init);
    this.targetCritic.reinitialise(this.rngs.init);
    this.startTargets();
    this.replay.clear();
    this.actor.toPlain(this.plainActor);
  }

  /**
   * With `pytorchInit`, the target networks start as copies of the online ones (maddpg-pytorch's
   * `hard_update` in `DDPGAgent.__init__`); otherwise they keep their own draws (openai/maddpg).
   * The targets are drawn either way, so the init stream moves on by the same amount.
   */
  private startTargets(): void {
    if (!this.config.pytorchInit) return;
    this.targetActor.copyFrom(this.actor);
    this.targetCritic.copyFrom(this.critic);
  }

  // --- checkpoints ---

  /** Writes the trainer's state under `prefix`: networks, optimisers, random streams, flags, and the replay buffer when `replay`. */
  saveTo(w: CheckpointWriter, prefix: string, options: { replay: boolean }): void {
    this.saveWeightsTo(w, prefix);
    w.adam(`${prefix}/actor_adam`, this.actorOptimiser);
    w.adam(`${prefix}/critic_adam`, this.criticOptimiser);
    for (const [k, rng] of Object.entries(this.rngs)) w.rng(`${prefix}/rng/${k}`, rng);
    w.value(`${prefix}/initial_exploration_done`, this.initialExplorationDone);
    if (options.replay) this.replay.saveTo(w, `${prefix}/replay`);
  }

  /** The networks by their checkpoint names. */
  private get namedNetworks(): [string, MLP][] {
    return [
      ["actor", this.actor],
      ["critic", this.critic],
      ["target_actor", this.targetActor],
      ["target_critic", this.targetCritic],
    ];
  }

  /** The networks' weights (what evaluating a trained policy needs), with any input norm's scale, shift and running statistics. */
  saveWeightsTo(w: CheckpointWriter, prefix: string): void {
    for (const [name, net] of this.namedNetworks) {
      w.variables(`${prefix}/${name}`, net.params);
      if (net.norm) w.variables(`${prefix}/${name}_norm`, net.norm.variables);
    }
  }

  /** Only the networks' weights from a checkpoint (to evaluate a trained policy). */
  loadWeightsFrom(r: CheckpointReader, prefix: string): void {
    for (const [name, net] of this.namedNetworks) {
      r.variables(`${prefix}/${name}`, net.params);
      if (net.norm) r.variables(`${prefix}/${name}_norm`, net.norm.variables);
    }
    this.actor.toPlain(this.plainActor);
  }

  /** Reads what {@link saveTo} wrote; without saved transitions the buffer is left empty. Returns whether it had them. */
  loadFrom(r: CheckpointReader, prefix: string): { replay: boolean } {
    this.loadWeightsFrom(r, prefix);
    r.adam(`${prefix}/actor_adam`, this.actorOptimiser);
    r.adam(`${prefix}/critic_adam`, this.criticOptimiser);
    for (const [k, rng] of Object.entries(this.rngs)) r.rng(`${prefix}/rng/${k}`, rng);
    this.initialExplorationDone = r.value<boolean>(`${prefix}/initial_exploration_done`);
    const replay = r.has(`${prefix}/replay/meta`);
    if (replay) this.replay.loadFrom(r, `${prefix}/replay`);
    else this.replay.clear();
    return { replay };
  }

  // --- update plumbing ---

  /**
   * Draws this agent's index and gathers every agent's buffer at it (aligned transitions). With
   * `meanwhile` (work that does not need the batch: the update's noise), the rows are prefetched
   * first and that work runs while they arrive (the gathers are memory-latency bound). With
   * `normaliseRewards`, this agent's rewards are standardised here (the batches are this trainer's
   * copies), before either update path reads them.
   */
  protected sampleBatches(agents: readonly Partner[], meanwhile?: () => void): ReplayBatch[] {
    if (this.config.sampleWithoutReplacement) this.replay.makeDistinctIndex(this.rngs.replay, this.index);
    else this.replay.makeIndex(this.rngs.replay, this.index);
    if (meanwhile) {
      for (const a of agents) a.replay.prefetch(this.index);
      meanwhile();
    }
    const batches = agents.map((a) => {
      let b = this.batches.get(a);
      if (!b) this.batches.set(a, (b = a.replay.newBatch(this.config.batchSize)));
      a.replay.gather(this.index, b);
      return b;
    });
    if (this.config.normaliseRewards) standardiseRewards(batches[this.agentIndex].rew, this.replay.rewardMean(), this.replay.rewardStd());
    return batches;
  }

  /**
   * Every agent's target action for the next observations: agents that need their opponent's
   * target action (LeMOL) are computed after the others (lemol-spec §4.1 step 1).
   */
  protected targetActions(agents: readonly Partner[], obsNext: readonly tf.Tensor2D[], noise: UpdateNoise): tf.Tensor2D[] {
    const B = obsNext[0].shape[0];
    const out: tf.Tensor2D[] = new Array(agents.length);
    for (const j of targetOrder(agents)) {
      const a = agents[j];
      if (!(a instanceof ActorCriticTrainer)) {
        // a learner outside the Gumbel family (PPO) gives its deterministic target action
        if (!isPolicyPartner(a)) throw new TypeError(`${a.name} is not an actor-critic trainer and gives no target action (targetActionTensor)`);
        out[j] = a.targetActionTensor(obsNext[j]);
        continue;
      }
      if (this.config.argmaxUpdateActions) {
        // maddpg-pytorch: the target policy's arg-max (its updatePath admits MADDPG-family partners only)
        out[j] = argmaxOneHot(a.targetActor.apply(obsNext[j]), categoricalBlocks(a.pd));
        continue;
      }
      const opponent = a.targetNeedsOpponent ? out[1 - j] : null;
      out[j] = a.targetAction(obsNext[j], tf.tensor2d(noise.target[j]!, [B, a.pd.noiseSize]), opponent);
    }
    return out;
  }

  /** A sampled batch as tensors (call inside `tf.tidy`): every agent's obs, act, obs'; this agent's r and done. */
  protected batchTensors(agents: readonly Partner[], batches: readonly ReplayBatch[]) {
    const B = this.config.batchSize;
    const i = this.agentIndex;
    return {
      obs: agents.map((_, j) => tf.tensor2d(batches[j].obs, [B, this.obsSizes[j]])),
      act: agents.map((_, j) => tf.tensor2d(batches[j].act, [B, this.actionSizes[j]])),
      obsNext: agents.map((_, j) => tf.tensor2d(batches[j].obsNext, [B, this.obsSizes[j]])),
      rew: tf.tensor2d(batches[i].rew, [B, 1]),
      done: tf.tensor2d(batches[i].done, [B, 1]),
    };
  }

  /** The TD target (maths.tdTarget; `done` as stored: see {@link storedDone}). */
  protected tdTarget(rew: tf.Tensor2D, done: tf.Tensor2D, qNext: tf.Tensor2D): tf.Tensor2D {
    return this.maths.tdTarget(rew, done, qNext, this.config.gamma);
  }

  /** One critic step on the critic's loss (maths.criticLoss); returns Q and the loss. */
  protected criticStep(obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[], y: tf.Tensor2D): { q: tf.Tensor2D; qLoss: tf.Scalar } {
    const critic = this.critic.forward(this.criticInput(obs, act));
    const q = critic.out;
    const { loss, dQ } = this.maths.criticLoss(q, y);
    this.criticOptimiser.apply(this.critic.backward(critic, dQ).params);
    return { q, qLoss: loss };
  }

  /**
   * One actor step on the actor's loss (maths.actorLoss: −mean Q plus 1e-3·mean(logits²)), Q that
   * of a fresh sample of this agent's action (the others' stored actions, optionally perturbed by
   * `perturb`) through the updated critic. `actor` is the actor's forward pass on its input.
   * With `argmaxUpdateActions` the critic sees the sample's one-hot and the gradient flows through
   * the soft sample (straight-through, maddpg-pytorch's `gumbel_softmax(hard=True)`). Returns the loss.
   */
  protected actorStep(
    actor: MLPCache,
    obs: readonly tf.Tensor2D[],
    act: readonly tf.Tensor2D[],
    actorNoise: Float32Array,
    perturb?: (actIn: tf.Tensor2D[]) => tf.Tensor2D[],
  ): tf.Tensor {
    const B = this.config.batchSize;
    const i = this.agentIndex;
    const logits = actor.out;
    const noise = tf.tensor2d(actorNoise, [B, this.pd.noiseSize]);
    const sample = this.pd.sample(logits, noise);
    const own = this.config.argmaxUpdateActions ? argmaxOneHot(sample, categoricalBlocks(this.pd)) : sample;
    let actIn = act.map((a, j) => (j === i ? own : a));
    if (perturb) actIn = perturb(actIn);
    const criticAtSample = this.critic.forward(this.criticInput(obs, actIn));
    const loss = this.maths.actorLoss(criticAtSample.out, logits);
    const dInput = this.critic.inputGrad(criticAtSample, loss.dQ);
    const dSample = sliceColumns(dInput, this.actionColumn(i), this.pd.actionSize);
    const dLogits = tf.add(this.pd.sampleBackward(logits, noise, sample, dSample), loss.dLogits) as tf.Tensor2D;
    this.actorOptimiser.apply(this.actor.backward(actor, dLogits).params);
    return loss.loss;
  }

  /** The target networks follow the online ones slowly (polyak). */
  protected followTargets(): void {
    // an input norm's scale and shift too (torch's soft_update over parameters(); not its running statistics)
    polyakUpdate(this.targetActor.trainable, this.actor.trainable, this.config.polyak);
    polyakUpdate(this.targetCritic.trainable, this.critic.trainable, this.config.polyak);
  }

  /** The centralised critic's input: all observations then all actions, in agent order. */
  protected criticInput(obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[]): tf.Tensor2D {
    return concatColumns([...obs, ...act]);
  }

  /** First column of agent j's action within the centralised critic input. */
  protected actionColumn(j: number): number {
    let c = 0;
    for (const n of this.obsSizes) c += n;
    for (let k = 0; k < j; k++) c += this.actionSizes[k];
    return c;
  }

  /**
   * Which agents' target actions take noise in this update, in the order they are computed: every
   * Gumbel-family agent in {@link targetOrder}; none with `argmaxUpdateActions` (arg-max targets).
   * A learner whose target actions come from elsewhere overrides it (fully decentralised LeMOL).
   */
  protected targetNoiseAgents(agents: readonly Partner[]): number[] {
    if (this.config.argmaxUpdateActions) return [];
    return targetOrder(agents).filter((j) => agents[j] instanceof ActorCriticTrainer);
  }

  /**
   * Draws one update's training noise from this agent's stream in the order of the update's steps
   * (lemol-spec §4.1): each target action's ({@link targetNoiseAgents}), then the actor's fresh
   * sample. Both update paths take their noise from here (the tfjs path's `targetActions` and
   * `actorStep`, the fused path's maddpg-fused.ts), so the order is written once.
   */
  drawUpdateNoise(agents: readonly Partner[]): UpdateNoise {
    const B = this.config.batchSize;
    // one plan object per trainer, refilled each update (no allocation per update round)
    const plan = (this.noisePlan ??= { target: [], actor: new Float32Array(0) });
    plan.target.length = agents.length;
    plan.target.fill(null);
    for (const j of this.targetNoiseAgents(agents)) plan.target[j] = this.noiseArray((agents[j] as ActorCriticTrainer).pd, B, `target${j}`);
    plan.actor = this.noiseArray(this.pd, B, "actor");
    return plan;
  }

  private noisePlan: { target: (Float32Array | null)[]; actor: Float32Array } | null = null;

  /**
   * Fresh noise for `rows` samples of `pd` from this agent's training stream, into the slot's
   * array (valid until the slot's next draw). Each use (`slot`) has its own buffer: some backends
   * (cpu) keep a reference to the array rather than copying it, so one buffer must not back two
   * live tensors.
   */
  protected noiseArray(pd: ActionDistribution, rows: number, slot: string): Float32Array {
    let buf = this.noiseBuffers.get(slot);
    if (!buf || buf.length !== rows * pd.noiseSize) this.noiseBuffers.set(slot, (buf = new Float32Array(rows * pd.noiseSize)));
    pd.fillNoise(this.rngs.noise, buf, rows);
    return buf;
  }

  /** The statistics tensor every update returns: [qLoss, pLoss, mean Q, mean y, mean r, mean Q', std y]. */
  protected stats(qLoss: tf.Scalar, pLoss: tf.Tensor, q: tf.Tensor2D, y: tf.Tensor2D, rew: tf.Tensor2D, qNext: tf.Tensor2D): tf.Tensor1D {
    const yMean = tf.mean(y);
    const yStd = tf.sqrt(tf.mean(tf.square(tf.sub(y, yMean))));
    return tf.stack([qLoss, pLoss, tf.mean(q), yMean, tf.mean(rew), tf.mean(qNext), yStd]) as tf.Tensor1D;
  }

  /** Reads the statistics back and refreshes the mirrored acting weights. */
  protected finishUpdate(stats: tf.Tensor1D | UpdateStats): UpdateStats {
    this.actor.toPlain(this.plainActor);
    if (!(stats instanceof tf.Tensor)) return stats;
    const v = stats.dataSync();
    stats.dispose();
    return { qLoss: v[0], pLoss: v[1], qValue: v[2], targetQ: v[3], reward: v[4], targetQNext: v[5], targetQStd: v[6] };
  }

  /** Frees every tensor this trainer owns. */
  dispose(): void {
    for (const m of [this.actor, this.critic, this.targetActor, this.targetCritic]) m.dispose();
    this.actorOptimiser.dispose();
    this.criticOptimiser.dispose();
  }
}

/** The order in which agents' target actions are computed: those that need their opponent's (LeMOL) last. */
export function targetOrder(agents: readonly Partner[]): number[] {
  return agents.map((_, j) => j).sort((a, b) => Number(agents[a].targetNeedsOpponent) - Number(agents[b].targetNeedsOpponent));
}

export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
