/**
 * The multi-layer perceptron every actor, critic and opponent-model predictor uses (lemol-spec
 * §3.1): Dense(num_units, ReLU) x 2 then a linear head; Glorot-uniform kernels, zero biases (TF1's,
 * as the original), or PyTorch's `nn.Linear` default ({@link MLPInit}).
 *
 * Training is written with explicit backward passes (they let us pick the fast matMul layouts and
 * fuse the whole pass into one native kernel); tfjs's autodiff also works through these layers once
 * `enableAutodiff()` has registered its gradients (gradients.ts). The forward and backward
 * computations go through {@link MLPKernels}, which a native kernel can replace (see
 * `native-kernels.ts`); the default is composite tf ops that work on every backend. Acting uses a
 * plain-TypeScript forward pass over weights mirrored from the variables ({@link PlainMLP}).
 */
import type { Rng } from "../util/rng.js";
import { requireBackend, tf } from "./backend.js";
import { glorotUniform, pytorchLinearUniform } from "./init.js";
import { InputBatchNorm, InputNormCache } from "./input-batchnorm.js";
import type { MLPCache, MLPGrads, MLPKernels } from "./mlp-kernels.js";
import { nativeActive, nativeMLPKernels } from "./native-kernels.js";

export type { MLPCache, MLPGrads, MLPKernels } from "./mlp-kernels.js";

// --- composite kernels: standard tf ops, laid out to avoid tfjs-wasm's slow transposed matMul ---

/** xᵀ·d for batch-major x [B, n] and d [B, m], as an explicit transpose then a plain matMul. */
function matMulTA(x: tf.Tensor2D, d: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.transpose(x), d);
}

/** Sum over the batch axis as a matMul with a row of ones (a fast path on every backend). */
function sumRows(d: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, d.shape[0]]), d), [d.shape[1]]);
}

function denseGrads(inp: tf.Tensor2D, dz: tf.Tensor2D): [tf.Tensor2D, tf.Tensor1D] {
  return [matMulTA(inp, dz), sumRows(dz)];
}

function backprop(cache: MLPCache, dOut: tf.Tensor2D, params: readonly tf.Tensor[], wantParams: boolean, wantInput: boolean): MLPGrads {
  const layers = params.length / 2;
  const grads: tf.Tensor[] = new Array(params.length);
  let dz = dOut;
  let dInput: tf.Tensor2D | null = null;
  for (let l = layers - 1; l >= 0; l--) {
    const inp = cache.activations[l];
    if (wantParams) [grads[2 * l], grads[2 * l + 1]] = denseGrads(inp, dz);
    if (l > 0 || wantInput) {
      const dInp: tf.Tensor2D = tf.matMul(dz, tf.transpose(params[2 * l] as tf.Tensor2D));
      if (l > 0)
        dz = tf.mul(dInp, tf.step(inp)) as tf.Tensor2D; // ReLU'(h) from the ReLU output h
      else dInput = dInp;
    }
  }
  return { params: wantParams ? grads : [], input: dInput };
}

export const compositeKernels: MLPKernels = {
  name: "composite",
  forward(x, params) {
    const layers = params.length / 2;
    const activations: tf.Tensor2D[] = [x];
    let h = x;
    for (let l = 0; l < layers; l++) {
      const last = l === layers - 1;
      h = tf.fused.matMul({ a: h, b: params[2 * l] as tf.Tensor2D, bias: params[2 * l + 1], activation: last ? "linear" : "relu" }) as tf.Tensor2D;
      if (!last) activations.push(h);
    }
    return { activations, out: h };
  },
  backward: (cache, dOut, params, inputGrad) => backprop(cache, dOut, params, true, inputGrad),
  inputGrad: (cache, dOut, params) => backprop(cache, dOut, params, false, true).input!,
};

let override: MLPKernels | null = null;

/** The kernels MLPs use now: an explicit choice, else native when active, else composite. */
export function mlpKernels(): MLPKernels {
  return override ?? (nativeActive() ? nativeMLPKernels : compositeKernels);
}

/** Forces particular MLP kernels (null: back to automatic); returns the previous override. */
export function setMLPKernels(k: MLPKernels | null): MLPKernels | null {
  const prev = override;
  override = k;
  return prev;
}

// --- the network ---

let variableCounter = 0;

/** tfjs requires globally unique variable names; networks may share a readable name. */
export function uniqueSuffix(): number {
  return variableCounter++;
}

/** Layer sizes of the standard MLP: [input, units, units, output]. */
export function mlpSizes(input: number, output: number, units = 64): number[] {
  return [input, units, units, output];
}

/**
 * How an {@link MLP}'s layers start: `"glorot"`, TF1's `Dense` (Glorot-uniform kernel, zero bias:
 * the original's and lemol's default); `"pytorch"`, PyTorch's `nn.Linear` (kernel and bias both
 * U(-1/√fanIn, 1/√fanIn): `pytorchLinearUniform`), as maddpg-pytorch's networks start.
 */
export type MLPInit = "glorot" | "pytorch";

/** One layer's initial kernel [fanIn, fanOut] and bias, drawn from `rng` as `init` says. */
function initialLayer(init: MLPInit, fanIn: number, fanOut: number, rng: Rng): { kernel: Float32Array; bias: Float32Array } {
  if (init === "pytorch") return pytorchLinearUniform(fanIn, fanOut, rng);
  return { kernel: glorotUniform(fanIn, fanOut, rng), bias: new Float32Array(fanOut) };
}

/** An {@link MLP}'s forward pass with an input batch norm: the norm's cache too. */
export interface NormedMLPCache extends MLPCache {
  readonly norm?: InputNormCache;
}

export class MLP {
  /** [input, hidden..., output]. */
  readonly sizes: readonly number[];
  /** Kernel then bias per layer: W0 [in, h1], b0 [h1], W1, b1, W2, b2. */
  readonly params: tf.Variable[];
  readonly name: string;
  /** How the layers start (here and at {@link reinitialise}). */
  readonly init: MLPInit;
  /** The input's batch norm (maddpg-pytorch's `norm_in`; input-batchnorm.ts), or null. */
  readonly norm: InputBatchNorm | null;
  /** What an optimiser trains: {@link params}, then the input norm's scale and shift when there is one. */
  readonly trainable: tf.Variable[];
  /** The norm's evaluation-mode affine map, folded into the plain network's first layer by {@link toPlain}. */
  private readonly normAffine: { a: Float64Array; c: Float64Array } | null;

  /**
   * @param inputNorm put a batch norm in front of the first layer (maddpg-pytorch's networks): the
   *   tfjs passes run it in training mode, the plain acting network in evaluation mode
   */
  constructor(sizes: readonly number[], rng: Rng, name = "mlp", init: MLPInit = "glorot", inputNorm = false) {
    requireBackend();
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new RangeError(`${name}: bad layer sizes [${sizes}]`);
    if (init !== "glorot" && init !== "pytorch") throw new RangeError(`${name}: unknown initialisation "${init}" (glorot or pytorch)`);
    this.sizes = [...sizes];
    this.name = name;
    this.init = init;
    this.params = [];
    const id = uniqueSuffix();
    this.norm = inputNorm ? new InputBatchNorm(sizes[0], name, id) : null;
    this.normAffine = inputNorm ? { a: new Float64Array(sizes[0]), c: new Float64Array(sizes[0]) } : null;
    // inside tidy: a variable shares its initial tensor's data, which must not outlive it
    tf.tidy(() => {
      for (let l = 0; l + 1 < sizes.length; l++) {
        const { kernel, bias } = initialLayer(init, sizes[l], sizes[l + 1], rng);
        this.params.push(tf.variable(tf.tensor2d(kernel, [sizes[l], sizes[l + 1]]), true, `${name}/W${l}#${id}`));
        this.params.push(tf.variable(tf.tensor1d(bias), true, `${name}/b${l}#${id}`));
      }
    });
    this.trainable = this.norm ? [...this.params, this.norm.scale, this.norm.shift] : this.params;
  }

  /** New random weights, drawn as at construction ({@link init}), in place. */
  reinitialise(rng: Rng): void {
    tf.tidy(() => {
      for (let l = 0; l + 1 < this.sizes.length; l++) {
        const { kernel, bias } = initialLayer(this.init, this.sizes[l], this.sizes[l + 1], rng);
        this.params[2 * l].assign(tf.tensor2d(kernel, [this.sizes[l], this.sizes[l + 1]]));
        this.params[2 * l + 1].assign(tf.tensor1d(bias));
      }
    });
    this.norm?.reset();
  }

  /**
   * Sets every trained number to `source`'s (same sizes and input norm), in place: a target network
   * starting as a copy (torch's `hard_update` copies parameters, not the norm's running statistics).
   */
  copyFrom(source: MLP): void {
    if (source.sizes.length !== this.sizes.length || source.sizes.some((s, k) => s !== this.sizes[k]) || !source.norm !== !this.norm)
      throw new RangeError(`${this.name}: cannot copy ${source.name}'s weights: sizes [${source.sizes}] vs [${this.sizes}]`);
    // copied, not shared: the fused native update writes weights in place in their buffers
    tf.tidy(() => this.trainable.forEach((p, k) => p.assign(tf.tensor((source.trainable[k].dataSync() as Float32Array).slice(), p.shape))));
  }

  /** The output for a batch (call inside `tf.tidy`; an input norm runs in training mode). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.forward(x).out;
  }

  /** The forward pass keeping what the backward pass needs (an input norm in training mode: its running statistics move). */
  forward(x: tf.Tensor2D): NormedMLPCache {
    if (!this.norm) return mlpKernels().forward(x, this.params);
    const n = this.norm.forward(x);
    return { ...mlpKernels().forward(n.out, this.params), norm: n.cache };
  }

  /** Gradients of {@link trainable} (in its order), and of the input when `inputGrad`. */
  backward(cache: NormedMLPCache, dOut: tf.Tensor2D, inputGrad = false): MLPGrads {
    if (!this.norm) return mlpKernels().backward(cache, dOut, this.params, inputGrad);
    const g = mlpKernels().backward(cache, dOut, this.params, true);
    const n = this.norm.backward(normCache(this, cache), g.input!, inputGrad);
    return { params: [...g.params, n.scale, n.shift], input: n.input };
  }

  inputGrad(cache: NormedMLPCache, dOut: tf.Tensor2D): tf.Tensor2D {
    if (!this.norm) return mlpKernels().inputGrad(cache, dOut, this.params);
    return this.norm.backward(normCache(this, cache), mlpKernels().inputGrad(cache, dOut, this.params), true).input!;
  }

  /** Number of trainable numbers. */
  get size(): number {
    let n = this.norm ? 2 * this.sizes[0] : 0;
    for (let l = 0; l + 1 < this.sizes.length; l++) n += this.sizes[l] * this.sizes[l + 1] + this.sizes[l + 1];
    return n;
  }

  /**
   * Copies the current weights into `plain` (allocating one if not given). An input norm is folded
   * into the first layer in evaluation mode (running statistics): W0[k,:]·a_k, b0 + Σ_k c_k·W0[k,:].
   */
  toPlain(plain?: PlainMLP): PlainMLP {
    const p = plain ?? new PlainMLP(this.sizes);
    for (let i = 0; i < this.params.length; i++) p.params[i].set(this.params[i].dataSync() as Float32Array);
    if (this.norm && this.normAffine) {
      const { a, c } = this.normAffine;
      this.norm.evalAffine(a, c);
      const [W, b] = p.params;
      const n = this.sizes[1];
      for (let k = 0; k < this.sizes[0]; k++) {
        for (let j = 0; j < n; j++) {
          b[j] += c[k] * W[k * n + j];
          W[k * n + j] *= a[k];
        }
      }
    }
    return p;
  }

  /** Sets the weights from flat arrays (same order and sizes as `params`). */
  setWeights(values: readonly Float32Array[]): void {
    if (values.length !== this.params.length) throw new RangeError(`${this.name}: expected ${this.params.length} arrays, got ${values.length}`);
    tf.tidy(() =>
      this.params.forEach((p, i) => {
        if (values[i].length !== p.size) throw new RangeError(`${this.name}: array ${i} has ${values[i].length} numbers, expected ${p.size}`);
        p.assign(tf.tensor(values[i], p.shape));
      }),
    );
  }

  dispose(): void {
    for (const p of this.params) p.dispose();
    this.norm?.dispose();
  }
}

/** The input norm's part of a forward pass's cache (a cache from a pass of this network). */
function normCache(net: MLP, cache: NormedMLPCache): InputNormCache {
  if (!cache.norm) throw new Error(`${net.name}: the forward pass's cache has no input norm (it was made by another network)`);
  return cache.norm;
}

/**
 * An MLP's weights as plain Float32Arrays with an allocation-free forward pass for one input:
 * what acting uses (a tfjs call per step costs tens of microseconds; this costs a few).
 */
export class PlainMLP {
  readonly sizes: readonly number[];
  readonly params: Float32Array[];
  /** The hidden layers' activation (ReLU for every network but PPO's tanh ones). */
  readonly activation: "relu" | "tanh";
  private readonly hidden: Float64Array[];
  /** A layer's non-zero inputs (their weight row's offset, their value): scratch of `forward`. */
  private readonly nzRow: Int32Array;
  private readonly nzValue: Float64Array;

  constructor(sizes: readonly number[], activation: "relu" | "tanh" = "relu") {
    this.activation = activation;
    this.sizes = [...sizes];
    this.params = [];
    this.hidden = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.params.push(new Float32Array(sizes[l] * sizes[l + 1]), new Float32Array(sizes[l + 1]));
      if (l + 2 < sizes.length) this.hidden.push(new Float64Array(sizes[l + 1]));
    }
    const widest = Math.max(...sizes.slice(0, -1));
    this.nzRow = new Int32Array(widest);
    this.nzValue = new Float64Array(widest);
  }

  /**
   * Writes the output for the input `x[xOff .. xOff + sizes[0])` into `out[outOff ..]`. Each output
   * is b_j + Σ_i x_i·W_ij in float64, summed in input order with zero inputs skipped (ReLU zeros are
   * common); eight outputs at a time in locals over the list of non-zero inputs, so the sums stay
   * in registers (twice as fast as a store per product; the same operations in the same order).
   */
  forward(x: ArrayLike<number>, xOff: number, out: Float64Array, outOff = 0): void {
    const sizes = this.sizes;
    const layers = sizes.length - 1;
    const nzRow = this.nzRow;
    const nzValue = this.nzValue;
    let src: ArrayLike<number> = x;
    let srcOff = xOff;
    for (let l = 0; l < layers; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const W = this.params[2 * l];
      const b = this.params[2 * l + 1];
      const last = l === layers - 1;
      const dst = last ? out : this.hidden[l];
      const dOff = last ? outOff : 0;
      let n = 0;
      for (let i = 0; i < nIn; i++) {
        const v = src[srcOff + i];
        if (v === 0) continue;
        nzRow[n] = i * nOut;
        nzValue[n++] = v;
      }
      let j = 0;
      for (; j + 8 <= nOut; j += 8) {
        let a0 = b[j],
          a1 = b[j + 1],
          a2 = b[j + 2],
          a3 = b[j + 3],
          a4 = b[j + 4],
          a5 = b[j + 5],
          a6 = b[j + 6],
          a7 = b[j + 7];
        for (let q = 0; q < n; q++) {
          const v = nzValue[q];
          const r = nzRow[q] + j;
          a0 += v * W[r];
          a1 += v * W[r + 1];
          a2 += v * W[r + 2];
          a3 += v * W[r + 3];
          a4 += v * W[r + 4];
          a5 += v * W[r + 5];
          a6 += v * W[r + 6];
          a7 += v * W[r + 7];
        }
        dst[dOff + j] = a0;
        dst[dOff + j + 1] = a1;
        dst[dOff + j + 2] = a2;
        dst[dOff + j + 3] = a3;
        dst[dOff + j + 4] = a4;
        dst[dOff + j + 5] = a5;
        dst[dOff + j + 6] = a6;
        dst[dOff + j + 7] = a7;
      }
      for (; j < nOut; j++) {
        let a = b[j];
        for (let q = 0; q < n; q++) a += nzValue[q] * W[nzRow[q] + j];
        dst[dOff + j] = a;
      }
      if (!last) {
        if (this.activation === "relu") {
          for (let j = 0; j < nOut; j++) if (dst[j] < 0) dst[j] = 0;
        } else {
          for (let j = 0; j < nOut; j++) dst[j] = Math.tanh(dst[j]);
        }
      }
      src = dst;
      srcOff = dOff;
    }
  }
}
