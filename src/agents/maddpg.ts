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
 * Adam state survives `resetLearner` (new weights, empty buffer), as in the original (maddpg-pytorch's
 * departures from it are options, off by default: agents/maddpg-config.ts). The shared
 * plumbing (networks, buffers, noise, batches) is in `actor-critic.ts`.
 */
import { tf } from "../nn/backend.js";
import type { MLP } from "../nn/mlp.js";
import { concatColumns, sliceColumns } from "../nn/ops.js";
import { ActorCriticTrainer, Partner, TrainerOptions, UpdateStats, sum } from "./actor-critic.js";
import { FusedMADDPGUpdate } from "./maddpg-fused.js";
import type { StepContext, Transition } from "./learner.js";
import { argmaxOneHot, categoricalBlocks, type UpdatePath } from "./maddpg-maths.js";

export { MADDPG_DEFAULTS, type MADDPGConfig, type UpdateStats } from "./actor-critic.js";

/** TF's `l2_normalize` floor on the squared norm. */
const L2_NORMALIZE_EPS = 1e-12;

export type MADDPGVariant = "maddpg" | "ddpg" | "mmmaddpg";

export interface MADDPGTrainerOptions extends TrainerOptions {
  variant: MADDPGVariant;
}

export class MADDPGAgentTrainer extends ActorCriticTrainer {
  readonly variant: MADDPGVariant;
  override readonly fusedTarget: "own" | null = null;
  private readonly localQ: boolean;
  private readonly adversarial: boolean;
  private fused: FusedMADDPGUpdate | null = null;
  protected override readonly implementsMaddpgOnlyOptions = true;

  constructor(opts: MADDPGTrainerOptions) {
    const localQ = opts.variant === "ddpg";
    const i = opts.agentIndex;
    const criticIn = localQ ? opts.obsSizes[i] + opts.actionSizes[i] : sum(opts.obsSizes) + sum(opts.actionSizes);
    super(opts, 0, criticIn, 0);
    this.variant = opts.variant;
    this.localQ = localQ;
    this.adversarial = opts.variant === "mmmaddpg";
    this.fusedTarget = this.pd.kind === "soft_categorical" ? "own" : null;
  }

  /** Samples this agent's action for one observation into `out` (no tensors, no allocation). */
  act(obs: ArrayLike<number>, out: Float64Array): void {
    this.plainActor.forward(obs, 0, this.logits);
    this.pd.samplePlain(this.logits, 0, this.rngs.act, out, 0);
  }

  observe(t: Transition, ctx: StepContext): void {
    if (ctx.evaluating) return;
    const i = this.agentIndex;
    this.experience(t.obs[i], t.stored[i], t.rewards[i], t.obsNext[i], t.done, t.terminal);
  }

  /**
   * Stores one transition. `done` is the environment's; `terminal` says the episode hit its time
   * limit, which counts as terminal unless `timeLimitTerminal` is off (see {@link storedDone}).
   */
  experience(obs: ArrayLike<number>, act: ArrayLike<number>, rew: number, obsNext: ArrayLike<number>, done: boolean, terminal = false): void {
    this.replay.add(obs, act, rew, obsNext, this.storedDone(done, terminal));
  }

  targetAction(obsNext: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    return this.pd.sample(this.targetActor.apply(obsNext), noise);
  }

  /**
   * The update of lemol-spec §4.1 (called on the cadence by `update`). `agents` is the whole game
   * in agent order: their buffers are read at this agent's sampled index, their target actors give
   * the next actions.
   */
  protected learn(agents: readonly Partner[]): UpdateStats {
    const cfg = this.config;
    const i = this.agentIndex;
    if (this.updatePath(agents).path === "fused") {
      // the same steps on the native kernels over plain arrays (maddpg-fused.ts)
      const own = this.localQ ? "own" : "all";
      this.fused ??= new FusedMADDPGUpdate({
        trainer: this,
        criticSees: { obs: own, act: own },
        actorExtra: 0,
        actionColumn: (j) => this.actionColumn(j),
        drawNoise: (agents) => this.drawUpdateNoise(agents),
      });
      return this.finishUpdate(this.fused.learn(agents as readonly ActorCriticTrainer[], (meanwhile) => this.sampleBatches(agents, meanwhile)));
    }
    const batches = this.sampleBatches(agents);
    const noise = this.drawUpdateNoise(agents);

    const stats = tf.tidy(() => {
      const { obs, act, obsNext, rew, done } = this.batchTensors(agents, batches);

      // 1. target next actions: a sample from each agent's target actor
      const actNext = this.targetActions(agents, obsNext, noise);

      // 2. TD target; M3DDPG replaces the others' target actions by their one-step worst case
      const actNextQ = this.adversarial ? this.worstCase(this.targetCritic, obsNext, actNext, () => cfg.advEps) : actNext;
      const qNext = this.targetCritic.apply(this.criticInput(obsNext, actNextQ));
      const y = this.tdTarget(rew, done, qNext);

      // 3. critic: mean squared TD error
      const { q, qLoss } = this.criticStep(obs, act, y);

      // 4. actor: −mean Q of a fresh sample of its own action (others' stored actions), through the
      //    updated critic; the paper-style M3DDPG also perturbs the others' actions here
      const perturb =
        this.adversarial && cfg.adversarialActor ? (actIn: tf.Tensor2D[]) => this.worstCase(this.critic, obs, actIn, (j) => this.advRate(j)) : undefined;
      // maddpg-pytorch (argmaxUpdateActions): the others' actions are their current policies' arg-max
      const actOthers = cfg.argmaxUpdateActions ? partnerArgmaxActions(agents, obs, act, i) : act;
      const pLoss = this.actorStep(this.actor.forward(obs[i]), obs, actOthers, noise.actor, perturb);

      // 5. targets follow slowly
      this.followTargets();
      return this.stats(qLoss, pLoss, q, y, rew, qNext);
    });
    return this.finishUpdate(stats);
  }

  /** The fused update where it applies (maddpg-fused.ts); M3DDPG's worst case keeps the tfjs path. */
  protected override chooseUpdatePath(agents: readonly Partner[]): UpdatePath {
    if (this.config.argmaxUpdateActions) {
      for (const [j, a] of agents.entries()) {
        if (!(a instanceof MADDPGAgentTrainer))
          throw new Error(`${this.name}: --argmax_update_actions needs every agent to be MADDPG, DDPG or M3DDPG; agent ${j} is ${a.name}`);
      }
    }
    const blockers = [
      this.adversarial ? "M3DDPG's worst-case actions run on tfjs ops" : "",
      this.config.argmaxUpdateActions ? "--argmax_update_actions (arg-max target and partner actions, straight-through own action) runs on tfjs ops" : "",
      this.config.inputBatchnorm ? "--input_batchnorm (the networks' input batch norm) runs on tfjs ops" : "",
    ].filter((b) => b !== "");
    const blocker = blockers.length > 0 ? blockers.join("; ") : null;
    return FusedMADDPGUpdate.choose(this, blocker, agents);
  }

  /** The critic's input: all observations then all actions in agent order, or own obs and action for DDPG. */
  protected override criticInput(obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[]): tf.Tensor2D {
    const i = this.agentIndex;
    return this.localQ ? concatColumns([obs[i], act[i]]) : super.criticInput(obs, act);
  }

  protected override actionColumn(j: number): number {
    return this.localQ ? this.obsSize : super.actionColumn(j);
  }

  private worstCase(critic: MLP, obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[], rate: (j: number) => number): tf.Tensor2D[] {
    return worstCaseActions(critic, this.criticInput(obs, act), act, this.agentIndex, (j) => this.actionColumn(j), rate);
  }

  /** The paper-style actor's rate for agent j: `advEpsS` on this agent's side, `advEps` across. */
  private advRate(j: number): number {
    const n = this.config.numAdversaries;
    return j < n === this.agentIndex < n ? this.config.advEpsS : this.config.advEps;
  }
}

/** The stored actions `act` with every agent's but `self`'s replaced by the arg-max one-hot of its current policy at `obs` (maddpg-pytorch's actor loss). */
function partnerArgmaxActions(agents: readonly Partner[], obs: readonly tf.Tensor2D[], act: readonly tf.Tensor2D[], self: number): tf.Tensor2D[] {
  return act.map((a, j) => {
    if (j === self) return a;
    const partner = agents[j] as MADDPGAgentTrainer; // chooseUpdatePath admits no other
    return argmaxOneHot(partner.actor.apply(obs[j]), categoricalBlocks(partner.pd));
  });
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
