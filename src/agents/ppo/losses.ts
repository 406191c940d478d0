/**
 * PPO's losses and their gradients with respect to the log-probabilities and the policy's
 * outputs: the clipped surrogate with the approximate KL, and the log-likelihoods of the Gaussian
 * (continuous) and categorical (discrete) policies.
 */
import { tf } from "../../nn/backend.js";

/** log √(2π), the Gaussian log-likelihood's constant. */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * PPO's clipped surrogate over `n` samples: loss = −mean(min(r·A, clip(r, 1 − ε, 1 + ε)·A)) with
 * r = exp(logp − logpOld), and the approximate KL mean(logpOld − logp). When `dLogp` is given, it
 * receives d(loss)/d(logp): −r·A/n where the unclipped term is the minimum, 0 where the clipped
 * one is (r·A > (1 ± ε)·A: r > 1 + ε with A > 0, r < 1 − ε with A < 0). `clipFrac` is the
 * fraction of samples whose gradient is cut.
 */
export function clippedSurrogate(
  logp: ArrayLike<number>,
  logpOld: ArrayLike<number>,
  adv: ArrayLike<number>,
  clipRatio: number,
  dLogp?: Float64Array,
  n = logp.length,
): { loss: number; kl: number; clipFrac: number } {
  let sum = 0;
  let kl = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const d = logp[i] - logpOld[i];
    const r = Math.exp(d);
    const A = adv[i];
    const unclipped = r * A;
    const bound = (A >= 0 ? 1 + clipRatio : 1 - clipRatio) * A; // clip(r)·A when the clip binds
    const active = unclipped <= bound;
    sum += active ? unclipped : bound;
    if (!active) clipped++;
    if (dLogp) dLogp[i] = active ? -unclipped / n : 0;
    kl -= d;
  }
  return { loss: -sum / n, kl: kl / n, clipFrac: clipped / n };
}

// --- log-probabilities and their backward passes (tf; call inside tf.tidy) ---

/** log N(z | μ, diag σ²) per row, σ = exp(logStd): Σ_j −½((z−μ)/σ)² − log σ_j − ½ log 2π. */
export function gaussianLogp(mu: tf.Tensor2D, logStd: tf.Tensor1D, z: tf.Tensor2D): tf.Tensor1D {
  const e = tf.div(tf.sub(z, mu), tf.exp(logStd));
  return tf.sub(tf.mul(tf.sum(tf.square(e), 1), -0.5), tf.add(tf.sum(logStd), mu.shape[1] * HALF_LOG_2PI)) as tf.Tensor1D;
}

/** d(loss)/dμ = g·(z − μ)/σ², d(loss)/d log σ = Σ_rows g·(((z − μ)/σ)² − 1), for g = d(loss)/d(logp). */
export function gaussianLogpBackward(mu: tf.Tensor2D, logStd: tf.Tensor1D, z: tf.Tensor2D, dLogp: tf.Tensor1D): { dMu: tf.Tensor2D; dLogStd: tf.Tensor1D } {
  const std = tf.exp(logStd);
  const e = tf.div(tf.sub(z, mu), std);
  const g = tf.reshape(dLogp, [-1, 1]);
  return {
    dMu: tf.mul(g, tf.div(e, std)) as tf.Tensor2D,
    dLogStd: tf.sum(tf.mul(g, tf.sub(tf.square(e), 1)), 0) as tf.Tensor1D,
  };
}

/** log softmax(logits)_k per row for one-hot rows k. */
export function categoricalLogp(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1) as tf.Tensor1D;
}

/** d(loss)/d(logits) = g·(oneHot − softmax(logits)), for g = d(loss)/d(logp). */
export function categoricalLogpBackward(logits: tf.Tensor2D, oneHot: tf.Tensor2D, dLogp: tf.Tensor1D): tf.Tensor2D {
  return tf.mul(tf.reshape(dLogp, [-1, 1]), tf.sub(oneHot, tf.softmax(logits))) as tf.Tensor2D;
}

// --- the on-policy buffer ---
