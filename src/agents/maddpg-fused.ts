/**
 * The MADDPG/DDPG update of `maddpg.ts` (lemol-spec §4.1, and LeMOL's, §4.3) straight on lemol's native kernels,
 * over arrays the trainer owns: no tfjs op, tensor or tidy scope in the hot path (each tfjs op
 * costs a few µs of dispatch; the update has ~45 of them). Same steps in the same order as
 * `MADDPGAgentTrainer.learn`, read side by side:
 *
 *   1. target next actions a'_j = softmax(π'_j(o'_j) + Gumbel)           mlpForward, softmaxRows
 *   2. Q'(o', a') from the target critic                                 mlpForward
 *   3. critic: y = r + γ(1 − d)·Q'; one Adam step on mean (Q(o, a) − y)²  criticTrain, Adam
 *   4. actor: one Adam step on −mean Q(o, â_i, a_−i) + 1e-3·mean(logits²)  actorTrain, Adam
 *   5. polyak-update both target networks
 *
 * The update's noise (step 1's target actions, step 4's fresh sample) is drawn by the trainer's
 * `drawUpdateNoise`, the one place its order is written, which the tfjs path draws from too.
 * The maths (TD target, losses and their gradients) is agents/maddpg-maths.ts's, ported to the
 * native glue; {@link FusedMADDPGUpdate.choose} checks the port against that module bit for bit
 * before a run takes this path, and sends a run whose maths differs to the tfjs path, saying why.
 *
 * Steps 3 and 4 are each one native pass over blocks of 64 rows, taking a block through every
 * kernel of the step (forward, glue, backward) while it is in cache; the networks' inputs are
 * handed over as column parts (never concatenated whole), the target networks keep only their
 * outputs. The float32 glue between the kernels (TD target, losses, the Gumbel-softmax backward,
 * statistics: `criticGlueRows`, `actorGlueRows` in nn/native/fused_update.cc) rounds every
 * operation as the wasm kernels of the tfjs path do (a mean is a sequential float32 sum divided by
 * the count), the gradients' sums continue block after block in row order, and the other kernels
 * are the ones the tfjs path calls: the numbers are that path's bit for bit
 * (test/agents/maddpg-fused.test.ts).
 *
 * Taken when the native kernels are active, the learner is MADDPG, DDPG or LeMOL (M3DDPG's worst
 * case and fully decentralised LeMOL's OM predictions stay on the tfjs path), and every agent of
 * the game is one of these with a soft-categorical action space. LeMOL's actor takes [o ‖ m] (m
 * as stored in its replay) and its target action is conditioned on its opponent's.
 */
import type { MLP } from "../nn/mlp.js";
import { heapViews, NativeKernels, nativeKernels } from "../nn/native-kernels.js";
import { polyakUpdate } from "../nn/optim.js";
import type { ReplayBatch } from "../storage/replay.js";
import { ActorCriticTrainer, type Partner, targetOrder, type UpdateNoise, UpdateStats } from "./actor-critic.js";
import { checkFusedMaths, fusedConstants, type UpdatePath } from "./maddpg-maths.js";

/**
 * A network's output for a batch, its parameters' views and (trained here) its gradients. Its
 * hidden layers stay in the kernels' block-sized scratch: the passes here take each block of rows
 * through every layer (and, in training, straight back down) while it is in cache.
 */
class NetBuffers {
  readonly out: Float32Array;
  readonly outs: Float32Array[];
  readonly grads: Float32Array[];
  readonly views: Float32Array[] = [];
  constructor(
    readonly net: MLP,
    B: number,
    grads: boolean,
  ) {
    this.out = new Float32Array(B * net.sizes[net.sizes.length - 1]);
    this.outs = [this.out];
    this.grads = grads ? net.params.map((p) => new Float32Array(p.size)) : [];
  }
}

/** What the fused update needs of its learner. */
export interface FusedLearner {
  readonly trainer: ActorCriticTrainer;
  /** Whose observations and actions the critic sees: every agent's (MADDPG), or this one's (DDPG; LeMOL's decentralised critic: its own observation, every action). */
  readonly criticSees: { obs: "all" | "own"; act: "all" | "own" };
  /** How many of the replay's extra numbers the actor takes after the observation (LeMOL's m; 0: none). */
  readonly actorExtra: number;
  /** First column of agent j's action within the critic's input. */
  actionColumn(j: number): number;
  /** One update's training noise, as the tfjs path draws it (ActorCriticTrainer.drawUpdateNoise: the order written once). */
  drawNoise(agents: readonly ActorCriticTrainer[]): UpdateNoise;
}

export class FusedMADDPGUpdate {
  /** Update on the native kernels directly when they are active; false: through tfjs ops (for comparisons). Read when a trainer's path is chosen (its first update or {@link ActorCriticTrainer.updatePath}). */
  static enabled = true;
  private readonly B: number;
  private readonly critic: NetBuffers;
  private readonly targetCritic: NetBuffers;
  private readonly actor: NetBuffers;
  private readonly targetActors = new Map<MLP, NetBuffers>();
  private readonly y: Float32Array;
  private readonly tdGrad: Float32Array;
  private readonly stats = new Float32Array(6);
  private readonly sample: Float32Array;
  private readonly actNext: Float32Array[] = [];
  /** The critic's input as column parts: at the next observations (target) and at the batch's. */
  private readonly nextParts: Float32Array[] = [];
  private readonly parts: Float32Array[] = [];
  /** Per agent: its target actor's input when it is conditioned on its opponent's target action (LeMOL). */
  private readonly targetIn: Float32Array[][] = [];
  /** The actor's input as parts [o, m] and the m columns of the batch, when the actor takes extras. */
  private readonly actorIn: Float32Array[] = [];
  private readonly actorExtra: Float32Array | null;
  /** The gradients' scale factors and the regulariser's weight (agents/maddpg-maths.ts). */
  private readonly constants: ReturnType<typeof fusedConstants>;
  private order: { agents: readonly ActorCriticTrainer[]; order: number[] } | null = null;

  constructor(private readonly learner: FusedLearner) {
    const t = learner.trainer;
    const B = (this.B = t.config.batchSize);
    this.critic = new NetBuffers(t.critic, B, true);
    this.targetCritic = new NetBuffers(t.targetCritic, B, false);
    this.actor = new NetBuffers(t.actor, B, true);
    this.y = new Float32Array(B);
    this.tdGrad = new Float32Array(B);
    this.sample = new Float32Array(B * t.pd.actionSize);
    this.constants = fusedConstants(B, t.pd.paramSize);
    this.actorExtra = learner.actorExtra ? new Float32Array(B * learner.actorExtra) : null;
  }

  /**
   * The update `self` runs in the game `agents`: this one where it applies and the native glue
   * computes `self.maths` bit for bit (checkFusedMaths), else the tfjs path, with the reason.
   * `blocker`: what in `self`'s own configuration keeps it on the tfjs path, if anything. A maths
   * mismatch is also written to the console (stderr): a changed loss must never go unnoticed.
   */
  static choose(self: ActorCriticTrainer, blocker: string | null, agents: readonly Partner[]): UpdatePath {
    const tfjs = (reason: string): UpdatePath => ({ path: "tfjs", reason });
    if (!FusedMADDPGUpdate.enabled) return tfjs("the fused update is switched off (FusedMADDPGUpdate.enabled)");
    const k = nativeKernels();
    if (k === null) return tfjs("the native kernels are not active");
    if (typeof k.criticGlue !== "function") return tfjs("the native addon predates its source (no criticGlue): run npm run build:native");
    if (blocker) return tfjs(blocker);
    if (self.pd.kind !== "soft_categorical") return tfjs(`its actions are ${self.pd.kind}, the fused update's soft-categorical`);
    for (const step of ["tdTarget", "criticStep", "actorStep"]) {
      if (Reflect.get(self, step) !== Reflect.get(ActorCriticTrainer.prototype, step)) return tfjs(`${self.constructor.name} overrides ${step}`);
    }
    for (const [j, a] of agents.entries()) {
      if (!(a instanceof ActorCriticTrainer) || a.pd.kind !== "soft_categorical" || a.fusedTarget === null)
        return tfjs(`agent ${j} (${a.name}) has no soft-categorical target action the fused update computes`);
      if (a.config.batchSize !== self.config.batchSize) return tfjs(`agent ${j} (${a.name}) samples batches of another size`);
      // a target conditioned on the opponent's (LeMOL) is defined for two-player games
      if (a.fusedTarget === "opponent" && agents.length !== 2)
        return tfjs(`agent ${j} (${a.name}) conditions its target action on an opponent's, in a game of ${agents.length}`);
    }
    const mismatch = checkFusedMaths(k, self.maths, self.pd, self.config.batchSize, self.config.gamma);
    if (mismatch) {
      const reason = `its maths is not the fused update's: ${mismatch}; port the change to the native glue (docs/contributing.md, "Change a loss") to get the fused update back`;
      console.warn(`lemol: ${self.name} updates on the tfjs path: ${reason}`);
      return tfjs(reason);
    }
    return { path: "fused", reason: "native kernels, soft-categorical actions, maths checked against agents/maddpg-maths.ts" };
  }

  /**
   * The update on batches from `sample` (`batches[j]`: agent j's transitions at this agent's
   * indices), which draws the indices, runs `meanwhile` (the update's noise, drawn here in the
   * order the steps below use it) while the rows are fetched, then gathers them.
   */
  learn(agents: readonly ActorCriticTrainer[], sample: (meanwhile: () => void) => readonly ReplayBatch[]): UpdateStats {
    const k = nativeKernels()!;
    const t = this.learner.trainer;
    const B = this.B;
    const i = t.agentIndex;
    // the update's noise is drawn while the rows are fetched (ActorCriticTrainer.drawUpdateNoise: one order for both paths)
    const drawn: { noise: UpdateNoise | null } = { noise: null };
    const batches = sample(() => (drawn.noise = this.learner.drawNoise(agents)));
    const { target: targetNoise, actor: actorNoise } = drawn.noise ?? this.learner.drawNoise(agents);
    // views of the weights, taken once: nothing below allocates in the wasm heap
    for (const net of [this.critic, this.targetCritic, this.actor]) heapViews(net.net.params, net.views);

    // 1. target next actions: a sample from each agent's target actor; one conditioned on its
    //    opponent's target action (LeMOL) after the others, as targetActions orders them
    for (const j of this.targetOrder(agents)) {
      const a = agents[j];
      const z = targetNoise[j]!;
      const target = this.targetActorBuffers(a.targetActor);
      let input: Float32Array | Float32Array[] = batches[j].obsNext;
      if (a.fusedTarget === "opponent") {
        input = this.targetIn[j] ??= [];
        input[0] = batches[j].obsNext;
        input[1] = this.actNext[1 - j];
      }
      k.mlpForward(input, B, heapViews(a.targetActor.params, target.views), target.outs);
      k.softmaxRows(target.out, z, B, this.actNextBuffer(j, a.pd.actionSize));
    }

    // 2. Q'(o', a') from the target critic (its input given as column parts: the kernels put each
    //    block's rows together, no concatenation is stored)
    const nextIn = this.criticInput(
      this.nextParts,
      batches.map((b) => b.obsNext),
      this.actNext,
    );
    k.mlpForward(nextIn, B, this.targetCritic.views, this.targetCritic.outs);

    // 3. critic: y = r + γ(1 − done)·Q'; one Adam step on the mean squared TD error, its gradient
    //    2(Q − y)/B (forward, TD target, backward: one pass over row blocks, criticTrain; the
    //    statistics on the way)
    const criticIn = this.criticInput(
      this.parts,
      batches.map((b) => b.obs),
      batches.map((b) => b.act),
    );
    const critic = this.critic;
    const { rew, done } = batches[i];
    k.criticTrain(
      criticIn,
      B,
      critic.views,
      critic.grads,
      rew,
      done,
      this.targetCritic.out,
      t.config.gamma,
      this.constants.criticDQ,
      critic.out,
      this.y,
      this.tdGrad,
      this.stats,
    );
    t.criticOptimiser.applyArrays(critic.grads);

    // 4. actor: a fresh sample of its own action through the updated critic (into the critic's
    //    input of step 3, in place of this agent's action); its gradient is the Gumbel-softmax
    //    backward of the critic's input gradient for dQ = −1/B, plus the regulariser's
    //    (one pass over row blocks, actorTrain)
    const actor = this.actor;
    const actorIn = this.actorInput(k, batches[i]);
    const c = this.constants;
    const pLoss = k.actorTrain(
      actorIn,
      B,
      actor.views,
      actor.grads,
      actorNoise,
      criticIn,
      this.learner.actionColumn(i),
      critic.views,
      c.actorDQ,
      c.reg,
      c.regGrad,
      actor.out,
      this.sample,
      critic.out,
    );
    t.actorOptimiser.applyArrays(actor.grads);

    // 5. targets follow slowly
    polyakUpdate(t.targetActor.params, t.actor.params, t.config.polyak);
    polyakUpdate(t.targetCritic.params, t.critic.params, t.config.polyak);

    const [qLoss, qValue, targetQ, targetQStd, reward, targetQNext] = this.stats;
    return { qLoss, pLoss, qValue, targetQ, reward, targetQNext, targetQStd };
  }

  /** The critic's input as column parts (into `parts`): the observations then the actions it sees. */
  private criticInput(parts: Float32Array[], obs: readonly Float32Array[], act: readonly Float32Array[]): Float32Array[] {
    const i = this.learner.trainer.agentIndex;
    const sees = this.learner.criticSees;
    parts.length = 0;
    if (sees.obs === "all") parts.push(...obs);
    else parts.push(obs[i]);
    if (sees.act === "all") parts.push(...act);
    else parts.push(act[i]);
    return parts;
  }

  /** The actor's input: the observation, or the parts [o, m] with m the batch's first extra columns. */
  private actorInput(k: NativeKernels, batch: ReplayBatch): Float32Array | Float32Array[] {
    if (!this.actorExtra) return batch.obs;
    let m = batch.extra;
    if (m.length !== this.actorExtra.length) k.sliceColumns(batch.extra, this.B, 0, (m = this.actorExtra));
    this.actorIn[0] = batch.obs;
    this.actorIn[1] = m;
    return this.actorIn;
  }

  /** Agents in the order their target actions are computed: those conditioned on an opponent's last (kept per game). */
  private targetOrder(agents: readonly ActorCriticTrainer[]): number[] {
    if (this.order?.agents !== agents) this.order = { agents, order: targetOrder(agents) };
    return this.order.order;
  }

  private targetActorBuffers(net: MLP): NetBuffers {
    let b = this.targetActors.get(net);
    if (!b) this.targetActors.set(net, (b = new NetBuffers(net, this.B, false)));
    return b;
  }

  private actNextBuffer(j: number, size: number): Float32Array {
    if (!this.actNext[j]) this.actNext[j] = new Float32Array(this.B * size);
    return this.actNext[j];
  }
}
