/**
 * MADDPG, its local-critic variant DDPG, and M3DDPG (`mmmaddpg`): `MADDPGAgentTrainer` of the
 * original code (lemol-spec §4.1, §4.2). Reads top to bottom with the spec:
 *
 *   act        Gumbel-softmax sample of the actor's logits (plain TypeScript, mirrored weights)
 *   update     every `agentUpdateFreq` steps once the buffer holds `batchSize × maxEpisodeLen`:
 *     1. target next actions a'_j = π'_j(o'_j)  (stochastic targets)
 *     2. y = r + γ(1 − d)·Q'(o', a')            (M3DDPG: others' a'_j pushed to the worst case)
 *     3. critic: one Adam step on mean (Q(o, a) − y)²
 *     4. actor:  one Adam step on −mean Q(o, â_i, a_−i) + 1e-3·mean(logits²), with the updated critic
 *     5. polyak-update both target networks
 *
 * Gradients are clipped per variable (0.5); targets are initialised independently, never copied;
 * Adam state survives `resetLearner` (new weights, empty buffer), as in the original.
 */
import type { ActionSpace } from "../envs/spaces.js";
import { tf } from "../nn/backend.js";
import { ActionDistribution, distributionFor } from "../nn/distributions.js";
import { MLP, PlainMLP, mlpSizes } from "../nn/mlp.js";
import { Adam, polyakUpdate } from "../nn/optim.js";
import { concatColumns, sliceColumns } from "../nn/ops.js";
import { ReplayBatch, ReplayBuffer } from "../train/replay.js";
import { Rng } from "../util/rng.js";

/** Hyperparameters, named after the original's command-line flags. */
export interface MADDPGConfig {
  /** Actor and critic learning rate (`--lr`). */
  lr: number;
  /** Discount (`--gamma`). */
  gamma: number;
  /** Minibatch size (`--batch_size`); exploration lasts `batchSize × maxEpisodeLen` steps. */
  batchSize: number;
  /** Units per hidden layer (`--num_units`). */
  numUnits: number;
  /** Target update step (`--polyak`): θ' ← (1 − polyak)θ' + polyak·θ. */
  polyak: number;
  /** Per-variable gradient-norm clip for actor and critic. */
  gradClip: number;
  /** Episode length (`--max_episode_len`). */
  maxEpisodeLen: number;
  /** Update every this many steps (`--agent_update_freq`; 1 at INIT, 25 at HEAD). */
  agentUpdateFreq: number;
  /** Replay capacity (`--replay_buffer_capacity`). */
  replayBufferCapacity: number;
  /** M3DDPG: perturbation size for competitors (`--adv_eps`). */
  advEps: number;
  /** M3DDPG: perturbation size for collaborators (`--adv_eps_s`; used only by the paper-style actor). */
  advEpsS: number;
  /** Agents 0..numAdversaries-1 are adversaries (`--num_adversaries`; decides M3DDPG's sides). */
  numAdversaries: number;
  /** M3DDPG: also perturb the actor's critic input, as the paper intends (the original computes it but never uses it). */
  adversarialActor: boolean;
}

export const MADDPG_DEFAULTS: Readonly<MADDPGConfig> = {
  lr: 1e-2,
  gamma: 0.95,
  batchSize: 1024,
  numUnits: 64,
  polyak: 1e-4,
  gradClip: 0.5,
  maxEpisodeLen: 25,
  agentUpdateFreq: 1,
  replayBufferCapacity: 1_000_000,
  advEps: 1e-3,
  advEpsS: 1e-5,
  numAdversaries: 1,
  adversarialActor: false,
};

/** Weight of the actor's logit regulariser, `1e-3 · mean(logits²)`. */
const ACTOR_REGULARISATION = 1e-3;
/** TF's `l2_normalize` floor on the squared norm. */
const L2_NORMALIZE_EPS = 1e-12;

export type MADDPGVariant = "maddpg" | "ddpg" | "mmmaddpg";

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

export interface MADDPGTrainerOptions {
  /** e.g. `maddpg-bad_agent_0`. */
  name: string;
  agentIndex: number;
  variant: MADDPGVariant;
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
}

export class MADDPGAgentTrainer {
  readonly name: string;
  readonly agentIndex: number;
  readonly variant: MADDPGVariant;
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
  /** Set by the first update; MADDPG never resets it (lemol-spec §2.3). */
  initialExplorationDone = false;

  /** Random streams: weights, acting noise, training noise, replay indices. */
  readonly rngs: { init: Rng; act: Rng; noise: Rng; replay: Rng };

  private readonly localQ: boolean;
  private readonly adversarial: boolean;
  private readonly plainActor: PlainMLP;
  private readonly logits: Float64Array;
  private readonly index: Int32Array;
  private readonly batches = new Map<MADDPGAgentTrainer, ReplayBatch>();
  private readonly noiseBuffers = new Map<string, Float32Array>();

  constructor(opts: MADDPGTrainerOptions) {
    const cfg: MADDPGConfig = { ...MADDPG_DEFAULTS, ...opts.config };
    this.config = cfg;
    this.name = opts.name;
    this.agentIndex = opts.agentIndex;
    this.variant = opts.variant;
    this.localQ = opts.variant === "ddpg";
    this.adversarial = opts.variant === "mmmaddpg";
    this.obsSizes = [...opts.obsSizes];
    this.actionSizes = [...opts.actionSizes];
    const i = opts.agentIndex;
    this.obsSize = opts.obsSizes[i];
    this.pd = distributionFor(opts.actionSpace);
    if (this.pd.actionSize !== opts.actionSizes[i]) throw new RangeError(`${this.name}: action size ${opts.actionSizes[i]} does not match its space (${this.pd.actionSize})`);
    const key = opts.streamKey ?? opts.name;
    this.rngs = {
      init: Rng.stream(opts.seed, `${key}/init`),
      act: Rng.stream(opts.seed, `${key}/act`),
      noise: Rng.stream(opts.seed, `${key}/noise`),
      replay: Rng.stream(opts.seed, `${key}/replay`),
    };
    const criticIn = this.localQ ? this.obsSize + this.pd.actionSize : sum(this.obsSizes) + sum(this.actionSizes);
    const actorSizes = mlpSizes(this.obsSize, this.pd.paramSize, cfg.numUnits);
    const criticSizes = mlpSizes(criticIn, 1, cfg.numUnits);
    // four independently initialised networks: the targets are never copied from the online nets
    this.actor = new MLP(actorSizes, this.rngs.init, `${opts.name}/p_func`);
    this.critic = new MLP(criticSizes, this.rngs.init, `${opts.name}/q_func`);
    this.targetActor = new MLP(actorSizes, this.rngs.init, `${opts.name}/target_p_func`);
    this.targetCritic = new MLP(criticSizes, this.rngs.init, `${opts.name}/target_q_func`);
    const adam = { learningRate: cfg.lr, epsilon: 1e-8, clipNorm: cfg.gradClip };
    this.actorOptimiser = new Adam(this.actor.params, adam);
    this.criticOptimiser = new Adam(this.critic.params, adam);
    this.replay = new ReplayBuffer(this.obsSize, this.pd.actionSize, cfg.replayBufferCapacity);
    this.plainActor = this.actor.toPlain();
    this.logits = new Float64Array(this.pd.paramSize);
    this.index = new Int32Array(cfg.batchSize);
  }

  /** Samples this agent's action for one observation into `out` (no tensors, no allocation). */
  act(obs: ArrayLike<number>, out: Float64Array, outOff = 0): void {
    this.plainActor.forward(obs, 0, this.logits);
    this.pd.samplePlain(this.logits, 0, this.rngs.act, out, outOff);
  }

  /** Stores one transition; `done` should be `done || terminal` (the time limit counts as terminal). */
  experience(obs: ArrayLike<number>, act: ArrayLike<number>, rew: number, obsNext: ArrayLike<number>, done: boolean): void {
    this.replay.add(obs, act, rew, obsNext, done);
  }

  /** The original's `preupdate` (clears a cached index; nothing to do here). */
  preupdate(): void {}

  /** New random weights for all four networks and an empty buffer; the Adam state is kept. */
  resetLearner(): void {
    this.actor.reinitialise(this.rngs.init);
    this.critic.reinitialise(this.rngs.init);
    this.targetActor.reinitialise(this.rngs.init);
    this.targetCritic.reinitialise(this.rngs.init);
    this.replay.clear();
    this.actor.toPlain(this.plainActor);
  }

  /**
   * One update (lemol-spec §4.1) if the buffer is past exploration and `t` is on the update
   * cadence; otherwise null. `agents` is the whole game in agent order (their buffers are read at
   * this agent's sampled index, their target actors give the next actions).
   */
  update(agents: readonly MADDPGAgentTrainer[], t: number): UpdateStats | null {
    const cfg = this.config;
    if (this.replay.length < cfg.batchSize * cfg.maxEpisodeLen) return null;
    if (t % cfg.agentUpdateFreq !== 0) return null;
    this.initialExplorationDone = true;

    const B = cfg.batchSize;
    const i = this.agentIndex;
    this.replay.makeIndex(this.rngs.replay, this.index);
    const batches = agents.map((a) => this.batchFor(a));
    agents.forEach((a, j) => a.replay.gather(this.index, batches[j]));

    const stats = tf.tidy(() => {
      const obs = agents.map((a, j) => tf.tensor2d(batches[j].obs, [B, a.obsSize]));
      const act = agents.map((a, j) => tf.tensor2d(batches[j].act, [B, a.pd.actionSize]));
      const obsNext = agents.map((a, j) => tf.tensor2d(batches[j].obsNext, [B, a.obsSize]));
      const rew = tf.tensor2d(batches[i].rew, [B, 1]);
      const done = tf.tensor2d(batches[i].done, [B, 1]);

      // 1. target next actions: a Gumbel sample from each agent's target actor
      const actNext = agents.map((a, j) => a.pd.sample(a.targetActor.apply(obsNext[j]), this.noise(a.pd, B, `target${j}`)));

      // 2. TD target; M3DDPG replaces the others' target actions by their one-step worst case
      const actNextQ = this.adversarial ? this.worstCase(this.targetCritic, obsNext, actNext, () => cfg.advEps) : actNext;
      const qNext = this.targetCritic.apply(this.criticInput(obsNext, actNextQ));
      const y = tf.add(rew, tf.mul(tf.mul(tf.sub(1, done), cfg.gamma), qNext)) as tf.Tensor2D;

      // 3. critic: mean squared TD error
      const critic = this.critic.forward(this.criticInput(obs, act));
      const q = critic.out;
      const tdError = tf.sub(q, y) as tf.Tensor2D;
      const qLoss = tf.mean(tf.square(tdError));
      this.criticOptimiser.apply(this.critic.backward(critic, tf.mul(tdError, 2 / B) as tf.Tensor2D).params);

      // 4. actor: −mean Q of a fresh sample of its own action (others' stored actions), through the updated critic
      const actor = this.actor.forward(obs[i]);
      const logits = actor.out;
      const noise = this.noise(this.pd, B, "actor");
      const sample = this.pd.sample(logits, noise);
      let actIn = act.map((a, j) => (j === i ? sample : a));
      if (this.adversarial && cfg.adversarialActor) actIn = this.worstCase(this.critic, obs, actIn, (j) => this.advRate(j));
      const criticAtSample = this.critic.forward(this.criticInput(obs, actIn));
      const pLoss = tf.add(tf.neg(tf.mean(criticAtSample.out)), tf.mul(tf.mean(tf.square(logits)), ACTOR_REGULARISATION));
      const dInput = this.critic.inputGrad(criticAtSample, tf.fill([B, 1], -1 / B) as tf.Tensor2D);
      const dSample = sliceColumns(dInput, this.actionColumn(i), this.pd.actionSize);
      const dLogits = tf.add(
        this.pd.sampleBackward(logits, noise, sample, dSample),
        tf.mul(logits, (2 * ACTOR_REGULARISATION) / (B * this.pd.paramSize)),
      ) as tf.Tensor2D;
      this.actorOptimiser.apply(this.actor.backward(actor, dLogits).params);

      // 5. targets follow slowly
      polyakUpdate(this.targetActor.params, this.actor.params, cfg.polyak);
      polyakUpdate(this.targetCritic.params, this.critic.params, cfg.polyak);

      const yMean = tf.mean(y);
      const yStd = tf.sqrt(tf.mean(tf.square(tf.sub(y, yMean))));
      return tf.stack([qLoss, pLoss, tf.mean(q), yMean, tf.mean(rew), tf.mean(qNext), yStd]);
    });
    const v = stats.dataSync();
    stats.dispose();
    this.actor.toPlain(this.plainActor);
    return { qLoss: v[0], pLoss: v[1], qValue: v[2], targetQ: v[3], reward: v[4], targetQNext: v[5], targetQStd: v[6] };
  }

  /** The critic's input: all observations then all actions in agent order, or own obs and action for DDPG. */
  private criticInput(obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[]): tf.Tensor2D {
    const i = this.agentIndex;
    return this.localQ ? concatColumns([obs[i], act[i]]) : concatColumns([...obs, ...act]);
  }

  /** First column of agent j's action within the critic input. */
  private actionColumn(j: number): number {
    if (this.localQ) return this.obsSize;
    let c = sum(this.obsSizes);
    for (let k = 0; k < j; k++) c += this.actionSizes[k];
    return c;
  }

  private worstCase(critic: MLP, obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[], rate: (j: number) => number): tf.Tensor2D[] {
    return worstCaseActions(critic, this.criticInput(obs, act), act, this.agentIndex, (j) => this.actionColumn(j), rate);
  }

  /** The paper-style actor's rate for agent j: `advEpsS` on this agent's side, `advEps` across. */
  private advRate(j: number): number {
    const n = this.config.numAdversaries;
    return j < n === this.agentIndex < n ? this.config.advEpsS : this.config.advEps;
  }

  /**
   * A tensor of fresh noise for `rows` samples of `pd`, from this agent's training stream. Each
   * use (`slot`) has its own buffer: some backends (cpu) keep a reference to the array rather
   * than copying it, so one buffer must not back two live tensors.
   */
  private noise(pd: ActionDistribution, rows: number, slot: string): tf.Tensor2D {
    let buf = this.noiseBuffers.get(slot);
    if (!buf || buf.length !== rows * pd.noiseSize) this.noiseBuffers.set(slot, (buf = new Float32Array(rows * pd.noiseSize)));
    pd.fillNoise(this.rngs.noise, buf, rows);
    return tf.tensor2d(buf, [rows, pd.noiseSize]);
  }

  private batchFor(agent: MADDPGAgentTrainer): ReplayBatch {
    let b = this.batches.get(agent);
    if (!b) this.batches.set(agent, (b = agent.replay.newBatch(this.config.batchSize)));
    return b;
  }

  /** Frees every tensor this trainer owns. */
  dispose(): void {
    for (const m of [this.actor, this.critic, this.targetActor, this.targetCritic]) m.dispose();
    this.actorOptimiser.dispose();
    this.criticOptimiser.dispose();
  }
}

/**
 * Every agent's action for one environment step, in one call and without tensors: each actor is
 * a plain forward pass over weights mirrored from its variables (a tfjs call per agent and step
 * would cost several times more).
 */
export function actAll(trainers: readonly MADDPGAgentTrainer[], obs: readonly ArrayLike<number>[], out: readonly Float64Array[]): void {
  for (let a = 0; a < trainers.length; a++) trainers[a].act(obs[a], out[a]);
}

/**
 * M3DDPG's one-step worst case (lemol-spec §4.2): every other agent's action moves by
 * `rate(j) · normalize(∇_{a_j} (−mean Q))`, normalised per sample as `tf.nn.l2_normalize` does,
 * with the gradient taken through `critic` at `input` (whose columns from `column(j)` hold agent
 * j's action) and treated as a constant. Agent `self`'s own action is unchanged.
 */
export function worstCaseActions(
  critic: MLP,
  input: tf.Tensor2D,
  act: readonly tf.Tensor2D[],
  self: number,
  column: (j: number) => number,
  rate: (j: number) => number,
): tf.Tensor2D[] {
  const B = input.shape[0];
  const cache = critic.forward(input);
  const grad = critic.inputGrad(cache, tf.fill([B, 1], -1 / B) as tf.Tensor2D);
  return act.map((a, j) => {
    if (j === self) return a;
    const g = sliceColumns(grad, column(j), a.shape[1]);
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(g), 1, true), L2_NORMALIZE_EPS));
    return tf.add(a, tf.mul(tf.div(g, norm), rate(j))) as tf.Tensor2D;
  });
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
