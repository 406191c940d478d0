/**
 * MADDPG's maths (lemol-spec §4.1; DDPG's, M3DDPG's and LeMOL's too): the TD target, the critic's
 * loss and the actor's loss with their gradients, the one place to change them. The update's steps
 * (actor-critic.ts: criticStep, actorStep) call these; the networks' passes, Adam and polyak are
 * mechanics around them.
 *
 * The fast path (maddpg-fused.ts, the default with the native kernels) runs the same maths ported
 * to float32 C++ (nn/native/fused_update.cc: criticGlueRows, criticStats, actorGlueRows,
 * actorLoss). Before a run takes it, {@link checkFusedMaths} runs these functions and the native
 * glue on the same probe batch and compares them bit for bit: a change made here that the C++ does
 * not implement sends the run to the tfjs path (which calls these functions), and the run's start
 * line and manifest say so and why (docs/contributing.md, "Change a loss").
 */
import { tf } from "../nn/backend.js";
import type { ActionDistribution } from "../nn/distributions.js";
import type { NativeKernels } from "../nn/native-kernels.js";
import { Rng } from "../util/rng.js";

/** Weight of the actor's logit regulariser, `1e-3 · mean(logits²)`. */
export const ACTOR_REGULARISATION = 1e-3;

/** A loss over a batch and its gradients (each [B, n], already divided by what the loss's mean divides by). */
export interface CriticLoss {
  loss: tf.Scalar;
  /** dLoss/dQ per row. */
  dQ: tf.Tensor2D;
}

export interface ActorLoss {
  loss: tf.Scalar;
  /** dLoss/dQ per row, Q the critic's output at the actor's sampled action. */
  dQ: tf.Tensor2D;
  /** dLoss/dLogits of the loss's terms in the logits themselves (the regulariser), added to what flows back through the sample. */
  dLogits: tf.Tensor2D;
}

/** The maths an actor-critic update uses: {@link MADDPG_MATHS} unless a trainer is given other functions. */
export interface ActorCriticMaths {
  /** The TD target from rewards, stored done flags and the target critic's Q' (all [B, 1]). */
  tdTarget(rew: tf.Tensor2D, done: tf.Tensor2D, qNext: tf.Tensor2D, gamma: number): tf.Tensor2D;
  /** The critic's loss at Q = Q(o, a) against the TD target y (both [B, 1]). */
  criticLoss(q: tf.Tensor2D, y: tf.Tensor2D): CriticLoss;
  /** The actor's loss from Q at its sampled action ([B, 1]) and its logits ([B, P]). */
  actorLoss(q: tf.Tensor2D, logits: tf.Tensor2D): ActorLoss;
}

/** y = r + γ(1 − done)·Q' (`done` as stored: the time limit counts when `timeLimitTerminal`). */
export function tdTarget(rew: tf.Tensor2D, done: tf.Tensor2D, qNext: tf.Tensor2D, gamma: number): tf.Tensor2D {
  return tf.add(rew, tf.mul(tf.mul(tf.sub(1, done), gamma), qNext)) as tf.Tensor2D;
}

/** mean (Q − y)²; dQ = 2(Q − y)/B. */
export function criticLoss(q: tf.Tensor2D, y: tf.Tensor2D): CriticLoss {
  const B = q.shape[0];
  const tdError = tf.sub(q, y) as tf.Tensor2D;
  return { loss: tf.mean(tf.square(tdError)) as tf.Scalar, dQ: tf.mul(tdError, 2 / B) as tf.Tensor2D };
}

/** −mean Q + 1e-3·mean(logits²); dQ = −1/B, dLogits = 2·1e-3·logits/(B·P). */
export function actorLoss(q: tf.Tensor2D, logits: tf.Tensor2D): ActorLoss {
  const [B, P] = logits.shape;
  return {
    loss: tf.add(tf.neg(tf.mean(q)), tf.mul(tf.mean(tf.square(logits)), ACTOR_REGULARISATION)) as tf.Scalar,
    dQ: tf.fill([B, 1], -1 / B) as tf.Tensor2D,
    dLogits: tf.mul(logits, (2 * ACTOR_REGULARISATION) / (B * P)) as tf.Tensor2D,
  };
}

/**
 * maddpg-pytorch's reward normalisation (`ReplayBuffer.sample(norm_rews=True)`, its default):
 * a sampled batch's rewards, in place, as (r − mean)/std with the mean and the population standard
 * deviation of the rewards of the agent's whole filled buffer. It rewrites the batch before the TD
 * target is formed, so both update paths (tfjs and fused) train on the same normalised rewards.
 * With std 0 (every stored reward equal) maddpg-pytorch divides 0 by 0; here the rewards become 0.
 */
export function standardiseRewards(rew: Float32Array, mean: number, std: number): void {
  const scale = std > 0 ? 1 / std : 0;
  for (let b = 0; b < rew.length; b++) rew[b] = (rew[b] - mean) * scale;
}

/** The categorical blocks of `pd`'s actions (one per sub-action), for {@link argmaxOneHot}; a Gaussian has none and is refused. */
export function categoricalBlocks(pd: ActionDistribution): number[] {
  if (pd.kind === "diag_gaussian") throw new RangeError("arg-max one-hot actions need categorical actions; this agent's are diag_gaussian");
  const nvec = (pd as { nvec?: readonly number[] }).nvec;
  return nvec ? [...nvec] : [pd.actionSize];
}

/**
 * maddpg-pytorch's `onehot_from_logits` per categorical block: each row's block becomes the
 * one-hot of its largest entry (the first on a tie; maddpg-pytorch marks every tied entry, which
 * float logits make a measure-zero event). Applied to logits it is the policy's arg-max action;
 * to a Gumbel-softmax sample, the hard sample of `gumbel_softmax(hard=True)`.
 */
export function argmaxOneHot(x: tf.Tensor2D, blocks: readonly number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = blocks.length === 1 ? [x] : (tf.split(x, [...blocks], 1) as tf.Tensor2D[]);
    const hot = parts.map((b, k) => tf.cast(tf.oneHot(tf.argMax(b, 1), blocks[k]), "float32") as tf.Tensor2D);
    return hot.length === 1 ? hot[0] : (tf.concat(hot, 1) as tf.Tensor2D);
  });
}

/** MADDPG's maths as the original writes it. */
export const MADDPG_MATHS: Readonly<ActorCriticMaths> = Object.freeze({ tdTarget, criticLoss, actorLoss });

/**
 * The constants the fused update hands to its native steps (criticTrain, actorTrain): the per-row
 * gradients' scale factors and the regulariser's weight. They are this module's only in the form
 * checked by {@link checkFusedMaths}: the native glue computed with them must equal the functions
 * above bit for bit.
 */
export function fusedConstants(B: number, P: number): { criticDQ: number; actorDQ: number; reg: number; regGrad: number } {
  return { criticDQ: 2 / B, actorDQ: -1 / B, reg: ACTOR_REGULARISATION, regGrad: (2 * ACTOR_REGULARISATION) / (B * P) };
}

/** Which update a trainer runs, chosen once per game, and why. */
export interface UpdatePath {
  /** `fused`: the native steps (maddpg-fused.ts); `tfjs`: tfjs ops calling the maths functions directly. */
  path: "fused" | "tfjs";
  /** Why this path (for the tfjs path: what keeps it off the fused one). */
  reason: string;
}

/**
 * Whether the native glue of the fused update computes `maths` bit for bit, on a probe batch of B
 * rows of `pd`'s P logits (seeded: the same probe every run), with the run's γ. Null when it does,
 * else a message naming the function that differs, where it differs and what to change. Tensors are
 * disposed; meant to run once per trainer when its update path is chosen.
 */
export function checkFusedMaths(k: NativeKernels, maths: Readonly<ActorCriticMaths>, pd: ActionDistribution, B: number, gamma: number): string | null {
  const P = pd.paramSize;
  const rng = Rng.stream(29, "maddpg-maths/probe");
  const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
  const rew = uniform(B, -2, 1);
  const done = Float32Array.from({ length: B }, (_, b) => (b % 5 === 4 ? 1 : 0));
  const qNext = uniform(B, -20, 5);
  const q = uniform(B, -20, 5);
  const logits = uniform(B * P, -6, 6);
  const noise = new Float32Array(B * pd.noiseSize);
  pd.fillNoise(rng, noise, B);
  const dSample = uniform(B * P, -1e-3, 1e-3);
  const c = fusedConstants(B, P);

  const y = new Float32Array(B);
  const grad = new Float32Array(B);
  const stats = new Float32Array(6);
  k.criticGlue(rew, done, qNext, q, gamma, c.criticDQ, y, grad, stats);
  const sample = new Float32Array(B * P);
  k.softmaxRows(logits, noise, B, sample);
  const dLogits = new Float32Array(B * P);
  const pLoss = k.actorGlue(logits, sample, dSample, q, c.reg, c.regGrad, dLogits);

  const col = (x: Float32Array, n = 1) => tf.tensor2d(x, [B, n]);
  const where = "agents/maddpg-maths.ts";
  const native = "nn/native/fused_update.cc";
  const check = (fn: string, what: string, ours: tf.Tensor, theirs: Float32Array | number, glue: string): string | null => {
    const a = ours.dataSync();
    const b = typeof theirs === "number" ? [Math.fround(theirs)] : theirs;
    if (a.length !== b.length) return `${fn} (${where}) gives ${a.length} values for ${what}, the fused update's ${glue} (${native}) ${b.length}`;
    for (let r = 0; r < a.length; r++) {
      if (!Object.is(a[r], b[r]))
        return `${fn} (${where}) and the fused update's ${glue} (${native}) differ in ${what} at ${a.length > 1 ? `value ${r}` : "the batch"}: ${a[r]} vs ${b[r]}`;
    }
    return null;
  };
  let mismatch: string | null = null;
  tf.tidy(() => {
    const yT = maths.tdTarget(col(rew), col(done), col(qNext), gamma);
    const critic = maths.criticLoss(col(q), yT);
    const sampleT = col(sample, P);
    const logitsT = col(logits, P);
    const actor = maths.actorLoss(col(q), logitsT);
    const dLogitsT = tf.add(pd.sampleBackward(logitsT, col(noise, pd.noiseSize), sampleT, col(dSample, P)), actor.dLogits);
    mismatch =
      check("tdTarget", "y", yT, y, "criticGlueRows") ??
      check("criticLoss", "dQ", critic.dQ, grad, "criticGlueRows") ??
      check("criticLoss", "the loss", critic.loss, stats[0], "criticStats") ??
      check("actorLoss", "dQ", actor.dQ, new Float32Array(B).fill(c.actorDQ), "actorTrain's dq (fusedConstants)") ??
      check("actorLoss", "the loss", actor.loss, pLoss, "actorLoss") ??
      check("actorLoss (its dLogits) or the distribution's sampleBackward", "dLogits", dLogitsT, dLogits, "actorGlueRows");
  });
  return mismatch;
}
