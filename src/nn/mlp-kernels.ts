/**
 * The contract of an MLP's forward and backward passes (`mlp.ts`), which the composite tfjs
 * kernels and lemol's native kernels (`native-kernels.ts`) both implement.
 */
import type * as tf from "@tensorflow/tfjs-core";

/** What the forward pass keeps for the backward pass. */
export interface MLPCache {
  /** The input, then each hidden layer's output (after ReLU). */
  readonly activations: tf.Tensor2D[];
  /** The linear output. */
  readonly out: tf.Tensor2D;
}

/** Gradients of the parameters (same order as `params`), and of the input when asked for. */
export interface MLPGrads {
  readonly params: tf.Tensor[];
  readonly input: tf.Tensor2D | null;
}

/** How an MLP's forward and backward passes are computed. */
export interface MLPKernels {
  readonly name: string;
  forward(x: tf.Tensor2D, params: readonly tf.Tensor[]): MLPCache;
  /** `dOut` is d(loss)/d(out). Set `inputGrad` to also get d(loss)/d(x). */
  backward(cache: MLPCache, dOut: tf.Tensor2D, params: readonly tf.Tensor[], inputGrad: boolean): MLPGrads;
  /** d(loss)/d(x) only (no parameter gradients), e.g. a critic's gradient with respect to actions. */
  inputGrad(cache: MLPCache, dOut: tf.Tensor2D, params: readonly tf.Tensor[]): tf.Tensor2D;
}
