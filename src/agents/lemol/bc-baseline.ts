/**
 * The behaviour-cloning baseline (lemol-spec §9.2 check 11; the paper's "naive behaviour cloning"):
 * an MLP on LeMOL's observation o_t alone predicting the opponent's action at the same step, the
 * question the in-play accuracy asks of the OM. It sees the OM's data and nothing else:
 *
 *   data      the rows of the experience files of each OM training pass, chunk by chunk, as the
 *             OM reads them (exploration dropped), targets as the OM's (soft, or one-hot with
 *             `--train_lemol_om_on_oh`) but unshifted: the opponent's action at the row itself
 *   steps     one Adam step (the OM's rate `--omlr`) on every chunk the OM trains on, on that
 *             chunk's rows of every file (LeMOL-EP: the real steps of its periods, not the padding)
 *   network   [o_t] → `--num_units` → `--num_units` → opponent action logits, ReLU, Glorot
 *             initialised from its own seeded stream (so adding it changes no other number)
 *   in play   its arg-max on the steps the OM's accuracy is scored on (in-play.ts), from the same o_t
 *
 * So a reader can see whether the OM's learning feature adds anything over what o_t alone says
 * about the opponent's next move.
 */
import { tf } from "../../nn/backend.js";
import { MLP, mlpSizes, PlainMLP } from "../../nn/mlp.js";
import { Adam } from "../../nn/optim.js";
import type { CheckpointReader, CheckpointWriter } from "../../storage/checkpoint.js";
import type { Rng } from "../../util/rng.js";
import { argmax } from "./in-play.js";

export class BehaviourCloningBaseline {
  readonly mlp: MLP;
  readonly optimiser: Adam;
  /** Training steps so far (one per OM chunk). */
  steps = 0;
  private readonly plain: PlainMLP;
  private readonly logits: Float64Array;

  constructor(
    readonly obsSize: number,
    readonly oppActionSize: number,
    numUnits: number,
    learningRate: number,
    rng: Rng,
    name = "bc_baseline",
  ) {
    this.mlp = new MLP(mlpSizes(obsSize, oppActionSize, numUnits), rng, name);
    this.optimiser = new Adam(this.mlp.params, { learningRate, epsilon: 1e-8, clipNorm: null });
    this.plain = this.mlp.toPlain();
    this.logits = new Float64Array(oppActionSize);
  }

  /**
   * One Adam step on `n` rows: `obs` [n, obsSize], `targets` [n, oppActionSize] (each row a
   * distribution). Returns the rows' mean cross-entropy and accuracy before the step.
   */
  trainStep(obs: Float32Array, targets: Float32Array, n: number): { loss: number; accuracy: number } {
    const O = this.obsSize,
      P = this.oppActionSize;
    if (n <= 0) throw new RangeError("behaviour-cloning baseline: no rows to train on");
    if (obs.length < n * O || targets.length < n * P)
      throw new RangeError(`behaviour-cloning baseline: ${n} rows need ${n * O} observations and ${n * P} targets`);
    const [loss, hits] = tf.tidy(() => {
      const x = tf.tensor2d(obs.subarray(0, n * O), [n, O]);
      const t = tf.tensor2d(targets.subarray(0, n * P), [n, P]);
      const cache = this.mlp.forward(x);
      const logits = cache.out;
      // softmax cross-entropy: its gradient in the logits is (softmax − targets) / n
      const ce = tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(logits)), 1)));
      const hit = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(t, 1)), "float32"));
      const grads = this.mlp.backward(cache, tf.div(tf.sub(tf.softmax(logits), t), n) as tf.Tensor2D);
      this.optimiser.apply(grads.params);
      return [ce.dataSync()[0], hit.dataSync()[0]];
    });
    this.steps++;
    return { loss, accuracy: hits / n };
  }

  /** Refreshes the plain copy used in play (after training or loading). */
  syncPlain(): void {
    this.mlp.toPlain(this.plain);
  }

  /** The predicted opponent action (arg-max) for the observation at `obs[off ..]`. */
  predict(obs: ArrayLike<number>, off = 0): number {
    this.plain.forward(obs, off, this.logits);
    return argmax(this.logits, this.oppActionSize);
  }

  saveTo(w: CheckpointWriter, prefix: string): void {
    w.variables(`${prefix}/mlp`, this.mlp.params);
    w.adam(`${prefix}/adam`, this.optimiser);
    w.value(`${prefix}/steps`, this.steps);
  }

  /** Reads what {@link saveTo} wrote; a checkpoint from before the baseline existed leaves it fresh (returns false). */
  loadFrom(r: CheckpointReader, prefix: string): boolean {
    if (!r.has(`${prefix}/steps`)) return false;
    r.variables(`${prefix}/mlp`, this.mlp.params);
    r.adam(`${prefix}/adam`, this.optimiser);
    this.steps = r.value<number>(`${prefix}/steps`);
    this.syncPlain();
    return true;
  }

  dispose(): void {
    this.mlp.dispose();
    this.optimiser.dispose();
  }
}
