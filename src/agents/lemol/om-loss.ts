/**
 * The opponent model's training loss, swappable from a notebook cell: by default the OM trains on
 * the mean soft-label cross-entropy with its explicit backward pass (opponent-model.ts, the fast
 * path); `OpponentModel.setLoss(loss)` trains it on any loss of the chunk's logits instead, with
 * the gradients from tfjs's autodiff (`enableAutodiff()` first). `crossEntropyLoss` is the default
 * loss, its one definition: the explicit backward pass and the native path (om-native.ts) are its
 * ports, tested to give its gradients, and a model trains natively only while the native port
 * computes it (checked once, `checkNativeOMLoss`); an edit here the port does not follow trains
 * on the tfjs path by autodiff, and the run says so.
 */
import { tf } from "../../nn/backend.js";

/**
 * A loss of a chunk's predictions: `logits` [N, A] (before the softmax), `targets` [N, A] (the
 * opponent's actions, soft or one-hot), `mask` [N, 1] with 1 for the rows that count (LeMOL-EP's
 * padded periods), or null when all do. Returns a scalar.
 */
export type OMLoss = (logits: tf.Tensor2D, targets: tf.Tensor2D, mask: tf.Tensor2D | null) => tf.Scalar;

/** The default: mean over the counted rows of −Σ targets · log softmax(logits). */
export const crossEntropyLoss: OMLoss = (logits, targets, mask) => {
  const ce = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1, true));
  return (mask ? tf.div(tf.sum(tf.mul(ce, mask)), tf.sum(mask)) : tf.mean(ce)) as tf.Scalar;
};

/**
 * The default loss an opponent model takes when it is built (`OpponentModel.defaultLoss`):
 * `crossEntropyLoss`. Its native port is checked against it when a model chooses its training
 * path (om-native.ts `checkNativeOMLoss`); tests stand an edit of `crossEntropyLoss` in here.
 */
export const OM_DEFAULT: { loss: OMLoss } = { loss: crossEntropyLoss };

/** Rows that count when periods are ragged: period n holds its first lengths[n] of F steps. */
export function validRows(lengths: Int32Array, F: number, N: number): { mask: Float32Array; count: number } {
  const mask = new Float32Array(N);
  let count = 0;
  for (let n = 0; n < lengths.length; n++) for (let k = 0; k < lengths[n]; k++, count++) mask[n * F + k] = 1;
  return { mask, count };
}

/** A chunk's forward pass: the logits, and the slow LSTM's final state when it runs. */
export type ChunkForward = () => { logits: tf.Tensor2D; h: tf.Tensor2D | null; c: tf.Tensor2D | null };

/**
 * Loss, accuracy and gradients (in the order of `vars`, the optimiser's) of one chunk of `N`
 * rows under `loss`, by autodiff; `mask` marks the rows that count (null: all). Call inside
 * `tf.tidy`; the returned `h` and `c` outlive it (the caller disposes them).
 */
export function autodiffChunk(
  forward: ChunkForward,
  vars: tf.Variable[],
  loss: OMLoss,
  targets: tf.Tensor2D,
  mask: { rows: tf.Tensor2D; count: number } | null,
) {
  const N = targets.shape[0];
  let kept: ReturnType<ChunkForward> | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = forward();
    kept = { logits: tf.keep(out.logits), h: out.h && tf.keep(out.h), c: out.c && tf.keep(out.c) };
    return loss(out.logits, targets, mask?.rows ?? null);
  }, vars);
  const { logits, h, c } = kept!;
  const hit = tf.cast(tf.equal(tf.argMax(targets, 1), tf.argMax(logits, 1)), "float32");
  const hits = (mask ? tf.div(tf.sum(tf.mul(hit, tf.reshape(mask.rows, [N]))), mask.count) : tf.mean(hit)) as tf.Scalar;
  logits.dispose();
  // a variable the loss does not reach (the learned initial state once it is not used) gets a zero gradient
  return { grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)), loss: value, hits, h, c };
}
