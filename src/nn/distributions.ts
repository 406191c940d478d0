/**
 * Action distributions as the original's `distributions.py` (lemol-spec §3.2): an actor outputs
 * flat parameters; the action is a reparameterised sample.
 *
 * - SoftCategorical(n): Gumbel-softmax, temperature 1: `softmax(logits - log(-log u))`, with u
 *   clamped to [1e-20, 1) (TF1 does not clamp; log(-log 0) would be infinite).
 * - SoftMultiCategorical(n1, n2, ...): one Gumbel-softmax per block, concatenated.
 * - DiagGaussian(d): parameters [mean ‖ logstd]; sample `mean + exp(logstd)·N(0,1)`.
 *
 * Each has a tf sample with its backward pass (for the actor loss), the noise it needs (drawn from
 * lemol's seeded Rng, identical on every backend), and a plain-TypeScript sampler for acting.
 */
import type { ActionSpace } from "../envs/spaces.js";
import type { Rng } from "../util/rng.js";
import { tf } from "./backend.js";
import { nativeFillGumbel } from "./native-kernels.js";
import { softmaxRows } from "./ops.js";

const U_MIN = 1e-20;

/** Gumbel(0, 1) noise: -log(-log u) with u clamped away from 0. */
export function gumbel(rng: Rng): number {
  const u = Math.max(rng.uniform(), U_MIN);
  return -Math.log(-Math.log(u));
}

export interface ActionDistribution {
  readonly kind: "soft_categorical" | "soft_multi_categorical" | "diag_gaussian";
  /** Length of the flat parameter vector (the actor's output). */
  readonly paramSize: number;
  /** Length of an action sample (what the env receives). */
  readonly actionSize: number;
  /** Noise numbers per sample. */
  readonly noiseSize: number;
  /** Fills `rows` samples' worth of noise into `out`. */
  fillNoise(rng: Rng, out: Float32Array, rows: number): void;
  /** A batch of samples from parameters [B, paramSize] and noise [B, noiseSize]. */
  sample(params: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D;
  /** d(loss)/d(params) from d(loss)/d(sample), for a sample made from `params` and `noise`. */
  sampleBackward(params: tf.Tensor2D, noise: tf.Tensor2D, sample: tf.Tensor2D, dSample: tf.Tensor2D): tf.Tensor2D;
  /** The most likely action (softmax probabilities / the mean). */
  mode(params: tf.Tensor2D): tf.Tensor2D;
  /** Log-likelihood of actions x [B, actionSize] per row ([B]): the original's `logp`. */
  logp(params: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D;
  /** Entropy per row ([B]). */
  entropy(params: tf.Tensor2D): tf.Tensor1D;
  /** KL(this ‖ other) per row ([B]), both given by their parameters. */
  kl(params: tf.Tensor2D, other: tf.Tensor2D): tf.Tensor1D;
  /** Samples one action from flat parameters `p[pOff ..]` into `out[outOff ..]` (plain TS, for acting). */
  samplePlain(p: Float64Array, pOff: number, rng: Rng, out: Float64Array, outOff: number): void;
}

/** `n` Gumbel numbers into `out` (natively when available: same draws, ~2x faster). */
function fillGumbel(rng: Rng, out: Float32Array, n: number): void {
  if (nativeFillGumbel(rng, out, n)) return;
  for (let i = 0; i < n; i++) out[i] = gumbel(rng);
}

/** softmax backward: ds → dz = s ⊙ (ds − Σ(ds ⊙ s)) row-wise. */
function softmaxBackward(s: tf.Tensor2D, ds: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(s, tf.sub(ds, tf.sum(tf.mul(ds, s), 1, true))) as tf.Tensor2D;
}

/** Categorical maths over logits, with the max shift the original uses. */
function categoricalLogp(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  // -softmax_cross_entropy(labels = x, logits): x may be soft (a Gumbel sample) or one-hot
  return tf.sum(tf.mul(x, tf.logSoftmax(logits)), 1) as tf.Tensor1D;
}
function categoricalEntropy(logits: tf.Tensor2D): tf.Tensor1D {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)) as tf.Tensor1D;
}
function categoricalKl(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  const la = tf.logSoftmax(a);
  return tf.sum(tf.mul(tf.exp(la), tf.sub(la, tf.logSoftmax(b))), 1) as tf.Tensor1D;
}

/** Softmax of `p[off .. off+n) + noise` into out, numerically stable; returns nothing. */
function gumbelSoftmaxPlain(p: Float64Array, off: number, n: number, rng: Rng, out: Float64Array, outOff: number): void {
  let max = -Infinity;
  for (let k = 0; k < n; k++) {
    const z = p[off + k] + gumbel(rng);
    out[outOff + k] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let k = 0; k < n; k++) sum += out[outOff + k] = Math.exp(out[outOff + k] - max);
  for (let k = 0; k < n; k++) out[outOff + k] /= sum;
}

export class SoftCategorical implements ActionDistribution {
  readonly kind = "soft_categorical";
  readonly paramSize: number;
  readonly actionSize: number;
  readonly noiseSize: number;
  constructor(readonly n: number) {
    this.paramSize = this.actionSize = this.noiseSize = n;
  }
  fillNoise(rng: Rng, out: Float32Array, rows: number): void {
    fillGumbel(rng, out, rows * this.n);
  }
  sample(logits: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    return softmaxRows(logits, noise);
  }
  sampleBackward(_logits: tf.Tensor2D, _noise: tf.Tensor2D, sample: tf.Tensor2D, dSample: tf.Tensor2D): tf.Tensor2D {
    return softmaxBackward(sample, dSample);
  }
  mode(logits: tf.Tensor2D): tf.Tensor2D {
    return tf.softmax(logits) as tf.Tensor2D;
  }
  logp(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
    return categoricalLogp(logits, x);
  }
  entropy(logits: tf.Tensor2D): tf.Tensor1D {
    return categoricalEntropy(logits);
  }
  kl(logits: tf.Tensor2D, other: tf.Tensor2D): tf.Tensor1D {
    return categoricalKl(logits, other);
  }
  samplePlain(p: Float64Array, pOff: number, rng: Rng, out: Float64Array, outOff: number): void {
    gumbelSoftmaxPlain(p, pOff, this.n, rng, out, outOff);
  }
}

export class SoftMultiCategorical implements ActionDistribution {
  readonly kind = "soft_multi_categorical";
  readonly paramSize: number;
  readonly actionSize: number;
  readonly noiseSize: number;
  constructor(readonly nvec: readonly number[]) {
    this.paramSize = this.actionSize = this.noiseSize = nvec.reduce((a, b) => a + b, 0);
  }
  fillNoise(rng: Rng, out: Float32Array, rows: number): void {
    fillGumbel(rng, out, rows * this.paramSize);
  }
  private blocks<T extends tf.Tensor2D>(x: T): tf.Tensor2D[] {
    return tf.split(x, [...this.nvec], 1) as tf.Tensor2D[];
  }
  sample(logits: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    const z = this.blocks(tf.add(logits, noise) as tf.Tensor2D);
    return tf.concat(
      z.map((b) => tf.softmax(b) as tf.Tensor2D),
      1,
    );
  }
  sampleBackward(_logits: tf.Tensor2D, _noise: tf.Tensor2D, sample: tf.Tensor2D, dSample: tf.Tensor2D): tf.Tensor2D {
    const s = this.blocks(sample);
    const d = this.blocks(dSample);
    return tf.concat(
      s.map((sb, i) => softmaxBackward(sb, d[i])),
      1,
    );
  }
  mode(logits: tf.Tensor2D): tf.Tensor2D {
    return tf.concat(
      this.blocks(logits).map((b) => tf.softmax(b) as tf.Tensor2D),
      1,
    );
  }
  /** Sums over the blocks (independent sub-actions). */
  logp(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
    const xs = this.blocks(x);
    return tf.addN(this.blocks(logits).map((b, i) => categoricalLogp(b, xs[i]))) as tf.Tensor1D;
  }
  entropy(logits: tf.Tensor2D): tf.Tensor1D {
    return tf.addN(this.blocks(logits).map((b) => categoricalEntropy(b))) as tf.Tensor1D;
  }
  kl(logits: tf.Tensor2D, other: tf.Tensor2D): tf.Tensor1D {
    const o = this.blocks(other);
    return tf.addN(this.blocks(logits).map((b, i) => categoricalKl(b, o[i]))) as tf.Tensor1D;
  }
  samplePlain(p: Float64Array, pOff: number, rng: Rng, out: Float64Array, outOff: number): void {
    let k = 0;
    for (const n of this.nvec) {
      gumbelSoftmaxPlain(p, pOff + k, n, rng, out, outOff + k);
      k += n;
    }
  }
}

export class DiagGaussian implements ActionDistribution {
  readonly kind = "diag_gaussian";
  readonly paramSize: number;
  readonly actionSize: number;
  readonly noiseSize: number;
  constructor(readonly d: number) {
    this.paramSize = 2 * d;
    this.actionSize = this.noiseSize = d;
  }
  fillNoise(rng: Rng, out: Float32Array, rows: number): void {
    for (let i = 0; i < rows * this.d; i++) out[i] = rng.normal();
  }
  sample(params: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    const [mean, logstd] = tf.split(params, 2, 1) as tf.Tensor2D[];
    return tf.add(mean, tf.mul(tf.exp(logstd), noise)) as tf.Tensor2D;
  }
  sampleBackward(params: tf.Tensor2D, noise: tf.Tensor2D, _sample: tf.Tensor2D, dSample: tf.Tensor2D): tf.Tensor2D {
    const logstd = tf.slice(params, [0, this.d], [-1, this.d]);
    return tf.concat([dSample, tf.mul(dSample, tf.mul(tf.exp(logstd), noise)) as tf.Tensor2D], 1);
  }
  mode(params: tf.Tensor2D): tf.Tensor2D {
    return tf.slice(params, [0, 0], [-1, this.d]);
  }
  logp(params: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
    const [mean, logstd] = tf.split(params, 2, 1) as tf.Tensor2D[];
    const z = tf.div(tf.sub(x, mean), tf.exp(logstd));
    return tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), tf.add(tf.sum(logstd, 1), 0.5 * Math.log(2 * Math.PI) * this.d)) as tf.Tensor1D;
  }
  entropy(params: tf.Tensor2D): tf.Tensor1D {
    const logstd = tf.slice(params, [0, this.d], [-1, this.d]);
    return tf.add(tf.sum(logstd, 1), 0.5 * Math.log(2 * Math.PI * Math.E) * this.d) as tf.Tensor1D;
  }
  kl(params: tf.Tensor2D, other: tf.Tensor2D): tf.Tensor1D {
    const [m1, s1] = tf.split(params, 2, 1) as tf.Tensor2D[];
    const [m2, s2] = tf.split(other, 2, 1) as tf.Tensor2D[];
    // Σ log(σ2/σ1) + (σ1² + (μ1 − μ2)²) / (2σ2²) − 1/2
    const ratio = tf.div(tf.add(tf.exp(tf.mul(s1, 2)), tf.square(tf.sub(m1, m2))), tf.mul(tf.exp(tf.mul(s2, 2)), 2));
    return tf.sum(tf.sub(tf.add(tf.sub(s2, s1), ratio), 0.5), 1) as tf.Tensor1D;
  }
  samplePlain(p: Float64Array, pOff: number, rng: Rng, out: Float64Array, outOff: number): void {
    for (let k = 0; k < this.d; k++) out[outOff + k] = p[pOff + k] + Math.exp(p[pOff + this.d + k]) * rng.normal();
  }
}

/** Thrown for an action space a trainer cannot produce actions for. */
export class UnsupportedSpaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedSpaceError";
  }
}

/**
 * The distribution for an env action space (`make_pdtype`): Discrete → SoftCategorical,
 * MultiDiscrete → SoftMultiCategorical, Box (and lemol's continuous movement+comm tuple) →
 * DiagGaussian. Integer actions (`discreteActionInput`) cannot be produced by these trainers.
 */
export function distributionFor(space: ActionSpace, integerActions = false): ActionDistribution {
  if (integerActions) throw new UnsupportedSpaceError("trainers produce action vectors; integer actions (discreteActionInput) are not supported");
  switch (space.kind) {
    case "discrete":
      return new SoftCategorical(space.n);
    case "multi_discrete":
      return new SoftMultiCategorical(space.nvec);
    case "box":
      return new DiagGaussian(space.shape[0]);
    case "tuple": {
      if (space.spaces.every((s) => s.kind === "box")) return new DiagGaussian(space.spaces.reduce((a, s) => a + (s.kind === "box" ? s.shape[0] : 0), 0));
      throw new UnsupportedSpaceError("a tuple of discrete and continuous sub-actions has no distribution");
    }
  }
}
