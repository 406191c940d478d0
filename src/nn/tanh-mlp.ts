/**
 * A multi-layer perceptron with tanh hidden layers and a linear head: the networks of the PPO
 * baseline (lemol-spec §6.1, Spinning Up's `mlp` with `activation=tf.tanh`). Glorot-uniform
 * kernels and zero biases (TF1's `tf.layers.dense` defaults), drawn from lemol's seeded Rng.
 *
 * Like {@link MLP} (`mlp.ts`) it has an explicit backward pass (tfjs-core ships no gradients) and a
 * plain-TypeScript, allocation-free forward pass over mirrored weights for acting
 * ({@link PlainTanhMLP}). Every product with a weight goes through `matMulWeights`: the native Adam
 * updates variables in place, and tfjs-wasm's matMul caches a packed copy of its second operand
 * per tensor id (a transpose of a [n, 1] kernel even shares the kernel's id).
 */
import type { Rng } from "../util/rng.js";
import { requireBackend, tf } from "./backend.js";
import { glorotUniform } from "./init.js";
import { uniqueSuffix } from "./mlp.js";
import { matMulWeights } from "./ops.js";

/** What the forward pass keeps for the backward pass. */
export interface TanhMLPCache {
  /** The input, then each hidden layer's output (after tanh). */
  readonly activations: tf.Tensor2D[];
  /** The linear output. */
  readonly out: tf.Tensor2D;
}

export class TanhMLP {
  /** [input, hidden..., output]. */
  readonly sizes: readonly number[];
  /** Kernel then bias per layer: W0 [in, h1], b0 [h1], W1, b1, ... */
  readonly params: tf.Variable[];
  readonly name: string;

  constructor(sizes: readonly number[], rng: Rng, name = "tanh_mlp") {
    requireBackend();
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new RangeError(`${name}: bad layer sizes [${sizes}]`);
    this.sizes = [...sizes];
    this.name = name;
    this.params = [];
    const id = uniqueSuffix();
    tf.tidy(() => {
      for (let l = 0; l + 1 < sizes.length; l++) {
        this.params.push(tf.variable(tf.tensor2d(glorotUniform(sizes[l], sizes[l + 1], rng), [sizes[l], sizes[l + 1]]), true, `${name}/W${l}#${id}`));
        this.params.push(tf.variable(tf.zeros([sizes[l + 1]]), true, `${name}/b${l}#${id}`));
      }
    });
  }

  /** New random weights (Glorot kernels, zero biases), in place. */
  reinitialise(rng: Rng): void {
    tf.tidy(() => {
      for (let l = 0; l + 1 < this.sizes.length; l++) {
        this.params[2 * l].assign(tf.tensor2d(glorotUniform(this.sizes[l], this.sizes[l + 1], rng), [this.sizes[l], this.sizes[l + 1]]));
        this.params[2 * l + 1].assign(tf.zeros([this.sizes[l + 1]]));
      }
    });
  }

  /** The forward pass keeping what the backward pass needs (call inside `tf.tidy`). */
  forward(x: tf.Tensor2D): TanhMLPCache {
    const layers = this.params.length / 2;
    const activations: tf.Tensor2D[] = [x];
    let h = x;
    for (let l = 0; l < layers; l++) {
      const z = tf.add(matMulWeights(h, this.params[2 * l] as tf.Tensor2D), this.params[2 * l + 1]) as tf.Tensor2D;
      if (l === layers - 1) return { activations, out: z };
      h = tf.tanh(z);
      activations.push(h);
    }
    throw new Error("unreachable");
  }

  /** The output for a batch (call inside `tf.tidy`). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.forward(x).out;
  }

  /**
   * Gradients of the parameters (same order as `params`) from `dOut` = d(loss)/d(out); with
   * `inputGrad`, also d(loss)/d(x) (else null). Call inside `tf.tidy`.
   */
  backward(cache: TanhMLPCache, dOut: tf.Tensor2D, inputGrad = false): { params: tf.Tensor[]; input: tf.Tensor2D | null } {
    const layers = this.params.length / 2;
    const grads: tf.Tensor[] = new Array(this.params.length);
    let dz = dOut;
    let dInput: tf.Tensor2D | null = null;
    for (let l = layers - 1; l >= 0; l--) {
      const inp = cache.activations[l];
      grads[2 * l] = matMulWeights(tf.transpose(inp), dz);
      grads[2 * l + 1] = tf.sum(dz, 0);
      if (l > 0 || inputGrad) {
        const dInp = matMulWeights(dz, tf.transpose(this.params[2 * l] as tf.Tensor2D));
        if (l > 0) dz = tf.mul(dInp, tf.sub(1, tf.square(inp))) as tf.Tensor2D; // tanh'(z) = 1 − h²
        else dInput = dInp;
      }
    }
    return { params: grads, input: dInput };
  }

  /** Copies the current weights into `plain` (allocating one if not given). */
  toPlain(plain?: PlainTanhMLP): PlainTanhMLP {
    const p = plain ?? new PlainTanhMLP(this.sizes);
    for (let i = 0; i < this.params.length; i++) p.params[i].set(this.params[i].dataSync() as Float32Array);
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
  }
}

/** A tanh MLP's weights as plain Float32Arrays with an allocation-free forward pass for one input. */
export class PlainTanhMLP {
  readonly sizes: readonly number[];
  readonly params: Float32Array[];
  private readonly hidden: Float64Array[];

  constructor(sizes: readonly number[]) {
    this.sizes = [...sizes];
    this.params = [];
    this.hidden = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.params.push(new Float32Array(sizes[l] * sizes[l + 1]), new Float32Array(sizes[l + 1]));
      if (l + 2 < sizes.length) this.hidden.push(new Float64Array(sizes[l + 1]));
    }
  }

  /** Writes the output for the input `x[xOff .. xOff + sizes[0])` into `out[outOff ..]`. */
  forward(x: ArrayLike<number>, xOff: number, out: Float64Array, outOff = 0): void {
    const sizes = this.sizes;
    const layers = sizes.length - 1;
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
      for (let j = 0; j < nOut; j++) dst[dOff + j] = b[j];
      for (let i = 0; i < nIn; i++) {
        const v = src[srcOff + i];
        if (v === 0) continue;
        const row = i * nOut;
        for (let j = 0; j < nOut; j++) dst[dOff + j] += v * W[row + j];
      }
      if (!last) for (let j = 0; j < nOut; j++) dst[j] = Math.tanh(dst[j]);
      src = dst;
      srcOff = dOff;
    }
  }
}
