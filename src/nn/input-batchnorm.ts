/**
 * Batch normalisation of a network's input, as maddpg-pytorch puts in front of every actor and
 * critic (`utils/networks.py`, `MLPNetwork(norm_in=True)`): torch's `nn.BatchNorm1d(n)` with its
 * defaults (eps 1e-5, momentum 0.1, a trained per-feature scale and shift starting at 1 and 0,
 * running mean and variance starting at 0 and 1).
 *
 * Training mode (every tfjs forward pass: lemol runs networks on tensors only in updates, where
 * maddpg-pytorch's `prep_training` puts every network in train mode) normalises by the batch's mean
 * and biased variance and moves the running statistics towards the batch's (the variance unbiased,
 * as torch). Evaluation mode (acting: `prep_rollouts` puts the policies in eval mode) normalises by
 * the running statistics: {@link InputBatchNorm.evalAffine} gives that as a per-feature affine map,
 * which `MLP.toPlain` folds into the first layer of the plain acting network.
 */
import { tf } from "./backend.js";

/** torch's BatchNorm1d defaults. */
export const BATCHNORM_EPS = 1e-5;
export const BATCHNORM_MOMENTUM = 0.1;

/** What the training-mode forward pass keeps for the backward pass. */
export interface InputNormCache {
  /** The normalised input (x − mean) / √(var + eps), [B, n]. */
  readonly xhat: tf.Tensor2D;
  /** 1 / √(var + eps) per feature, [1, n]. */
  readonly invStd: tf.Tensor2D;
}

export class InputBatchNorm {
  readonly size: number;
  /** The trained per-feature scale (torch's `weight`), from 1. */
  readonly scale: tf.Variable;
  /** The trained per-feature shift (torch's `bias`), from 0. */
  readonly shift: tf.Variable;
  /** Running statistics (torch's buffers, not trained): mean from 0, variance from 1. */
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(size: number, name: string, id: number) {
    this.size = size;
    this.scale = tf.variable(tf.ones([size]), true, `${name}/norm_scale#${id}`);
    this.shift = tf.variable(tf.zeros([size]), true, `${name}/norm_shift#${id}`);
    this.runningMean = tf.variable(tf.zeros([size]), false, `${name}/norm_running_mean#${id}`);
    this.runningVar = tf.variable(tf.ones([size]), false, `${name}/norm_running_var#${id}`);
  }

  /** Scale, shift, running mean, running variance: what a checkpoint keeps. */
  get variables(): tf.Variable[] {
    return [this.scale, this.shift, this.runningMean, this.runningVar];
  }

  /** Back to a new layer's state (scale 1, shift 0, running mean 0, running variance 1). */
  reset(): void {
    tf.tidy(() => {
      this.scale.assign(tf.ones([this.size]));
      this.shift.assign(tf.zeros([this.size]));
      this.runningMean.assign(tf.zeros([this.size]));
      this.runningVar.assign(tf.ones([this.size]));
    });
  }

  /** Training mode (call inside `tf.tidy`): batch statistics; the running ones move towards them. */
  forward(x: tf.Tensor2D): { out: tf.Tensor2D; cache: InputNormCache } {
    const B = x.shape[0];
    if (B < 2) throw new RangeError(`input batch norm in training mode needs more than 1 row per batch, got ${B} (as torch's BatchNorm1d)`);
    const mean = tf.mean(x, 0, true) as tf.Tensor2D;
    const centred = tf.sub(x, mean) as tf.Tensor2D;
    const variance = tf.mean(tf.square(centred), 0, true) as tf.Tensor2D;
    const invStd = tf.rsqrt(tf.add(variance, BATCHNORM_EPS)) as tf.Tensor2D;
    const xhat = tf.mul(centred, invStd) as tf.Tensor2D;
    const m = BATCHNORM_MOMENTUM;
    this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(tf.reshape(mean, [this.size]), m)));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(tf.reshape(variance, [this.size]), (m * B) / (B - 1))));
    const out = tf.add(tf.mul(xhat, this.scale), this.shift) as tf.Tensor2D;
    return { out, cache: { xhat, invStd } };
  }

  /** Gradients of the scale and shift, and of the input through the batch statistics when `wantInput`. */
  backward(cache: InputNormCache, dOut: tf.Tensor2D, wantInput: boolean): { scale: tf.Tensor1D; shift: tf.Tensor1D; input: tf.Tensor2D | null } {
    const scale = tf.sum(tf.mul(dOut, cache.xhat), 0) as tf.Tensor1D;
    const shift = tf.sum(dOut, 0) as tf.Tensor1D;
    if (!wantInput) return { scale, shift, input: null };
    const dXhat = tf.mul(dOut, this.scale) as tf.Tensor2D;
    // dx = invStd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), the means over the batch
    const input = tf.mul(
      cache.invStd,
      tf.sub(tf.sub(dXhat, tf.mean(dXhat, 0, true)), tf.mul(cache.xhat, tf.mean(tf.mul(dXhat, cache.xhat), 0, true))),
    ) as tf.Tensor2D;
    return { scale, shift, input };
  }

  /** Evaluation mode as `x · a + c` per feature (a = scale / √(running var + eps), c = shift − running mean · a), into `a` and `c`. */
  evalAffine(a: Float64Array, c: Float64Array): void {
    const g = this.scale.dataSync();
    const b = this.shift.dataSync();
    const mu = this.runningMean.dataSync();
    const v = this.runningVar.dataSync();
    for (let k = 0; k < this.size; k++) {
      a[k] = g[k] / Math.sqrt(v[k] + BATCHNORM_EPS);
      c[k] = b[k] - mu[k] * a[k];
    }
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
