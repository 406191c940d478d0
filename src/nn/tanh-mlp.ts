/**
 * A multi-layer perceptron with tanh hidden layers and a linear head: the networks of the PPO
 * baseline (lemol-spec §6.1, Spinning Up's `mlp` with `activation=tf.tanh`). It is an {@link MLP}
 * (same Glorot-uniform kernels and zero biases from lemol's seeded Rng, same weights handling and
 * plain-TypeScript acting copy) with its own forward and backward passes: the MLP kernels, native
 * ones included, are ReLU's. Every product with a weight goes through `matMulWeights`: the native
 * Adam updates variables in place, and tfjs-wasm's matMul caches a packed copy of its second
 * operand per tensor id (a transpose of a [n, 1] kernel even shares the kernel's id).
 */
import type { Rng } from "../util/rng.js";
import { tf } from "./backend.js";
import { MLP, MLPCache, MLPGrads, PlainMLP } from "./mlp.js";
import { matMulWeights } from "./ops.js";

/** What the forward pass keeps for the backward pass (the hidden outputs are after tanh). */
export type TanhMLPCache = MLPCache;

export class TanhMLP extends MLP {
  constructor(sizes: readonly number[], rng: Rng, name = "tanh_mlp") {
    super(sizes, rng, name);
  }

  /** The forward pass keeping what the backward pass needs (call inside `tf.tidy`). */
  override forward(x: tf.Tensor2D): TanhMLPCache {
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

  override apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.forward(x).out;
  }

  /**
   * Gradients of the parameters (same order as `params`) from `dOut` = d(loss)/d(out); with
   * `inputGrad`, also d(loss)/d(x) (else null). Call inside `tf.tidy`.
   */
  override backward(cache: TanhMLPCache, dOut: tf.Tensor2D, inputGrad = false): MLPGrads {
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
        if (l > 0)
          dz = tf.mul(dInp, tf.sub(1, tf.square(inp))) as tf.Tensor2D; // tanh'(z) = 1 − h²
        else dInput = dInp;
      }
    }
    return { params: grads, input: dInput };
  }

  override inputGrad(cache: TanhMLPCache, dOut: tf.Tensor2D): tf.Tensor2D {
    return this.backward(cache, dOut, true).input!;
  }

  /** Copies the current weights into `plain` (a tanh plain network; allocated if not given). */
  override toPlain(plain?: PlainMLP): PlainTanhMLP {
    return super.toPlain(plain ?? new PlainTanhMLP(this.sizes)) as PlainTanhMLP;
  }
}

/** A tanh MLP's weights as plain Float32Arrays with an allocation-free forward pass for one input. */
export class PlainTanhMLP extends PlainMLP {
  constructor(sizes: readonly number[]) {
    super(sizes, "tanh");
  }
}
