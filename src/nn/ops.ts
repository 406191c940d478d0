/** Small tensor operations with a native fast path. */
import { tf } from "./backend.js";
import { nativeActive, nativeConcatColumns, nativeMatMul, nativeSliceColumns, nativeSoftmaxRows } from "./native-kernels.js";

/** Concatenates [B, n_k] tensors along columns (tfjs-wasm's concat runs in JavaScript, ~2 ms at 1024 x 37). */
export function concatColumns(ts: readonly tf.Tensor2D[]): tf.Tensor2D {
  if (ts.length === 1) return ts[0];
  return nativeActive() ? nativeConcatColumns(ts) : tf.concat(ts as tf.Tensor2D[], 1);
}

/** Columns [start, start + width) of a [B, n] tensor. */
export function sliceColumns(x: tf.Tensor2D, start: number, width: number): tf.Tensor2D {
  return nativeActive() ? nativeSliceColumns(x, start, width) : (tf.slice(x, [0, start], [x.shape[0], width]) as tf.Tensor2D);
}

/** Row-wise softmax of `x + noise` (a Gumbel-softmax sample when noise is Gumbel), or of x alone. */
export function softmaxRows(x: tf.Tensor2D, noise?: tf.Tensor2D): tf.Tensor2D {
  if (nativeActive()) return nativeSoftmaxRows(x, noise);
  return tf.softmax(noise ? tf.add(x, noise) : x) as tf.Tensor2D;
}

/**
 * x [M, K] · w [K, N] where w is a trained weight. With the native kernels active, weights are
 * updated in place (same tensor id), and tfjs-wasm's matMul caches an XNNPACK operator holding a
 * packed copy of its second operand per tensor id, so it would keep multiplying by the weights
 * of its first call; the native kernel reads the current memory every time.
 */
export function matMulWeights(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return nativeActive() ? nativeMatMul(x, w) : tf.matMul(x, w);
}

/**
 * The steps of a sequence x [B, T, D] as T tensors [B, D] (tf.unstack along axis 1). A sequence of
 * one step is reshaped instead: tfjs's Unpack gradient fails when the op has a single output (its
 * tape hands the gradient function one tensor where it stacks a list), so an LSTM over periods
 * of one step (LeMOL-EP at the initial release's cadence, an update every step) could not train.
 */
export function unstackSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, D] = x.shape;
  return T === 1 ? [tf.reshape(x, [B, D]) as tf.Tensor2D] : (tf.unstack(x, 1) as tf.Tensor2D[]);
}
