/**
 * The behaviour-cloning baselines (lemol-spec §9.2 check 11; the paper's "naive behaviour
 * cloning"): MLPs predicting the opponent's action at a step, the question the in-play accuracy
 * asks of the OM, scored in play on the OM's steps (in-play.ts).
 *
 * Offline ({@link BehaviourCloningBaseline}), two networks trained on the OM's data and nothing else:
 *
 *   data      the rows of the experience files of each OM training pass, chunk by chunk, as the
 *             OM reads them (exploration dropped), targets as the OM's (soft, or one-hot with
 *             `--train_lemol_om_on_oh`) but unshifted: the opponent's action at the row itself
 *   inputs    o_t alone (the BC-MLP), and [o_t ‖ one-hot a_{t−1}] (the opponent's previous action
 *             in the same file, arg-max, zeros at the file's first row): with a learning feature of
 *             one event the OM sees a_{t−1} too, so this one separates "models learning" from
 *             "repeats the last action"
 *   steps     one Adam step each (the OM's rate `--omlr`) on every chunk the OM trains on, on that
 *             chunk's rows of every file (LeMOL-EP: the real steps of its periods, not the padding)
 *   network   inputs → `--num_units` → `--num_units` → opponent action logits, ReLU, Glorot
 *             initialised from the baseline's own seeded stream, the o_t network first, so adding
 *             the second changed no number of the first (and neither changes any other number)
 *
 * Online ({@link OnlineBehaviourCloning}), fitted during play on the current opponent's own steps:
 *
 *   data      the last {@link ONLINE_BC_WINDOW} steps of the trajectory under way (one opponent),
 *             input [o_t ‖ one-hot a_{t−1}], target the opponent's executed action at t
 *   steps     one Adam step (rate {@link ONLINE_BC_LEARNING_RATE}) on the whole window every
 *             {@link ONLINE_BC_EVERY} steps; a step is scored before the baseline sees it
 *   reset     at every trajectory start (a new opponent): fresh weights from its own seeded stream
 *             and fresh Adam state, an empty window
 */
import { tf } from "../../nn/backend.js";
import { MLP, mlpSizes, PlainMLP } from "../../nn/mlp.js";
import { Adam } from "../../nn/optim.js";
import type { CheckpointReader, CheckpointWriter } from "../../storage/checkpoint.js";
import type { Rng } from "../../util/rng.js";
import { argmax } from "./in-play.js";

/** One behaviour-cloning MLP: its inputs → the opponent's action logits, trained by softmax cross-entropy. */
export class BehaviourCloningMLP {
  readonly mlp: MLP;
  readonly optimiser: Adam;
  /** Training steps so far. */
  steps = 0;
  private readonly plain: PlainMLP;
  private readonly logits: Float64Array;

  constructor(
    readonly inputSize: number,
    readonly oppActionSize: number,
    numUnits: number,
    learningRate: number,
    rng: Rng,
    name: string,
  ) {
    this.mlp = new MLP(mlpSizes(inputSize, oppActionSize, numUnits), rng, name);
    this.optimiser = new Adam(this.mlp.params, { learningRate, epsilon: 1e-8, clipNorm: null });
    this.plain = this.mlp.toPlain();
    this.logits = new Float64Array(oppActionSize);
  }

  /**
   * One Adam step on `n` rows: `inputs` [n, inputSize], `targets` [n, oppActionSize] (each row a
   * distribution). Returns the rows' mean cross-entropy and accuracy before the step.
   */
  trainStep(inputs: Float32Array, targets: Float32Array, n: number): { loss: number; accuracy: number } {
    const r = this.step(inputs, targets, n, true);
    return { loss: r[0], accuracy: r[1] / n };
  }

  /**
   * {@link trainStep} without its loss and accuracy (the baselines in play and beside the OM use
   * neither): the same Adam step, without the ~10 tfjs ops and two reads that only report them.
   */
  fit(inputs: Float32Array, targets: Float32Array, n: number): void {
    this.step(inputs, targets, n, false);
  }

  private step(inputs: Float32Array, targets: Float32Array, n: number, stats: boolean): [number, number] {
    const I = this.inputSize,
      P = this.oppActionSize;
    if (n <= 0) throw new RangeError("behaviour-cloning baseline: no rows to train on");
    if (inputs.length < n * I || targets.length < n * P)
      throw new RangeError(`behaviour-cloning baseline: ${n} rows need ${n * I} inputs and ${n * P} targets`);
    const result = tf.tidy((): [number, number] => {
      const x = tf.tensor2d(inputs.subarray(0, n * I), [n, I]);
      const t = tf.tensor2d(targets.subarray(0, n * P), [n, P]);
      const cache = this.mlp.forward(x);
      const logits = cache.out;
      // softmax cross-entropy: its gradient in the logits is (softmax − targets) / n
      const ce = stats ? tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(logits)), 1))) : null;
      const hit = stats ? tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(t, 1)), "float32")) : null;
      const grads = this.mlp.backward(cache, tf.div(tf.sub(tf.softmax(logits), t), n) as tf.Tensor2D);
      this.optimiser.apply(grads.params);
      return ce && hit ? [ce.dataSync()[0], hit.dataSync()[0]] : [NaN, NaN];
    });
    this.steps++;
    return result;
  }

  /** Refreshes the plain copy used in play (after training or loading). */
  syncPlain(): void {
    this.mlp.toPlain(this.plain);
  }

  /** The predicted opponent action (arg-max) for the input at `inputs[off ..]`. */
  predict(inputs: ArrayLike<number>, off = 0): number {
    this.plain.forward(inputs, off, this.logits);
    return argmax(this.logits, this.oppActionSize);
  }

  saveTo(w: CheckpointWriter, prefix: string): void {
    w.variables(`${prefix}/mlp`, this.mlp.params);
    w.adam(`${prefix}/adam`, this.optimiser);
    w.value(`${prefix}/steps`, this.steps);
  }

  /** Reads what {@link saveTo} wrote; a checkpoint without it leaves the network as it is (returns false). */
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

/** Writes [o ‖ one-hot(previous)] into `out[off ..]` (zeros for previous = −1: no previous step). */
export function previousActionInput(
  obs: ArrayLike<number>,
  obsOff: number,
  obsSize: number,
  previous: number,
  P: number,
  out: Float32Array | Float64Array,
  off = 0,
): void {
  for (let k = 0; k < obsSize; k++) out[off + k] = obs[obsOff + k];
  for (let k = 0; k < P; k++) out[off + obsSize + k] = k === previous ? 1 : 0;
}

/**
 * The offline baselines trained beside the OM on its chunks: the BC-MLP on o_t (this object's own
 * `mlp`, as before the second existed) and {@link withPrevious}, the BC on [o_t ‖ a_{t−1}].
 */
export class BehaviourCloningBaseline extends BehaviourCloningMLP {
  /** The BC on [o_t ‖ one-hot a_{t−1}]. */
  readonly withPrevious: BehaviourCloningMLP;
  private previousInputs = new Float32Array(0);
  private readonly playInput: Float64Array;

  constructor(
    readonly obsSize: number,
    oppActionSize: number,
    numUnits: number,
    learningRate: number,
    rng: Rng,
    name = "bc_baseline",
  ) {
    super(obsSize, oppActionSize, numUnits, learningRate, rng, name);
    // drawn after the o_t network from the same stream: that one's initial weights are unchanged
    this.withPrevious = new BehaviourCloningMLP(obsSize + oppActionSize, oppActionSize, numUnits, learningRate, rng, `${name}/previous_action`);
    this.playInput = new Float64Array(obsSize + oppActionSize);
  }

  /**
   * One Adam step of the o_t network on `n` rows (`obs` [n, obsSize], `targets` [n, P]), and with
   * `previous` (the opponent's previous action per row, an index, −1 for none) one of the
   * [o_t ‖ a_{t−1}] network on the same rows. Returns the o_t network's loss and accuracy.
   */
  override trainStep(obs: Float32Array, targets: Float32Array, n: number, previous?: Int32Array): { loss: number; accuracy: number } {
    const r = super.trainStep(obs, targets, n);
    this.fitPrevious(obs, targets, n, previous);
    return r;
  }

  /** {@link trainStep} without the o_t network's loss and accuracy (the OM's training pass uses neither). */
  override fit(obs: Float32Array, targets: Float32Array, n: number, previous?: Int32Array): void {
    super.fit(obs, targets, n);
    this.fitPrevious(obs, targets, n, previous);
  }

  private fitPrevious(obs: Float32Array, targets: Float32Array, n: number, previous: Int32Array | undefined): void {
    if (!previous) return;
    const O = this.obsSize,
      P = this.oppActionSize;
    if (previous.length < n) throw new RangeError(`behaviour-cloning baseline: ${n} rows need ${n} previous actions, got ${previous.length}`);
    if (this.previousInputs.length < n * (O + P)) this.previousInputs = new Float32Array(n * (O + P));
    for (let i = 0; i < n; i++) previousActionInput(obs, i * O, O, previous[i], P, this.previousInputs, i * (O + P));
    this.withPrevious.fit(this.previousInputs, targets, n);
  }

  override syncPlain(): void {
    super.syncPlain();
    this.withPrevious.syncPlain();
  }

  /** The [o_t ‖ a_{t−1}] network's prediction for the observation at `obs[off ..]` and the previous action (−1: none). */
  predictWithPrevious(obs: ArrayLike<number>, previous: number, off = 0): number {
    previousActionInput(obs, off, this.obsSize, previous, this.oppActionSize, this.playInput);
    return this.withPrevious.predict(this.playInput);
  }

  override saveTo(w: CheckpointWriter, prefix: string): void {
    super.saveTo(w, prefix);
    this.withPrevious.saveTo(w, `${prefix}/previous_action`);
  }

  /** Reads what {@link saveTo} wrote; a network the checkpoint lacks (written before it existed) stays fresh. Returns whether the o_t network was there. */
  override loadFrom(r: CheckpointReader, prefix: string): boolean {
    this.withPrevious.loadFrom(r, `${prefix}/previous_action`);
    return super.loadFrom(r, prefix);
  }

  override dispose(): void {
    super.dispose();
    this.withPrevious.dispose();
  }
}

/** Steps of the current opponent the online baseline is fitted on. */
export const ONLINE_BC_WINDOW = 500;
/** The online baseline takes one Adam step on its window every this many steps. */
export const ONLINE_BC_EVERY = 25;
/** The online baseline's Adam rate (higher than the OM's: it has one trajectory to fit). */
export const ONLINE_BC_LEARNING_RATE = 1e-2;

/**
 * The online behaviour-cloning baseline: an MLP on [o_t ‖ a_{t−1}] fitted during play on the
 * current opponent's last {@link ONLINE_BC_WINDOW} steps (see the file's head).
 */
export class OnlineBehaviourCloning {
  private net: BehaviourCloningMLP;
  /** The window as a ring: inputs [W, O + P], targets [W, P]. */
  private readonly inputs: Float32Array;
  private readonly targets: Float32Array;
  /** Steps seen in this trajectory (the ring's next slot is seen % W). */
  private seen = 0;
  private readonly playInput: Float64Array;
  private readonly inputSize: number;

  constructor(
    readonly obsSize: number,
    readonly oppActionSize: number,
    private readonly numUnits: number,
    /** The stream its fresh weights are drawn from (one draw per opponent). */
    readonly rng: Rng,
    private readonly name = "online_bc_baseline",
    readonly window = ONLINE_BC_WINDOW,
    readonly every = ONLINE_BC_EVERY,
    private readonly learningRate = ONLINE_BC_LEARNING_RATE,
  ) {
    if (!(window >= 1 && every >= 1)) throw new RangeError(`online behaviour cloning: window ${window} and every ${every} must be at least 1`);
    this.inputSize = obsSize + oppActionSize;
    this.net = this.fresh();
    this.inputs = new Float32Array(window * this.inputSize);
    this.targets = new Float32Array(window * oppActionSize);
    this.playInput = new Float64Array(this.inputSize);
  }

  private fresh(): BehaviourCloningMLP {
    return new BehaviourCloningMLP(this.inputSize, this.oppActionSize, this.numUnits, this.learningRate, this.rng, this.name);
  }

  /** A new opponent: fresh weights (the stream's next draw) and Adam state, an empty window. */
  reset(): void {
    this.net.dispose();
    this.net = this.fresh();
    this.seen = 0;
  }

  /** Steps of the current trajectory seen so far. */
  get stepsSeen(): number {
    return this.seen;
  }

  /** Adam steps taken on the current opponent. */
  get trainingSteps(): number {
    return this.net.steps;
  }

  /** The predicted opponent action from `obs` and its previous action (−1: none). */
  predict(obs: ArrayLike<number>, previous: number): number {
    previousActionInput(obs, 0, this.obsSize, previous, this.oppActionSize, this.playInput);
    return this.net.predict(this.playInput);
  }

  /** One step of the current opponent (after it was scored): into the window, and a training step every {@link every} steps. */
  observe(obs: ArrayLike<number>, previous: number, oppAction: ArrayLike<number>): void {
    const slot = this.seen % this.window;
    const P = this.oppActionSize;
    previousActionInput(obs, 0, this.obsSize, previous, P, this.inputs, slot * this.inputSize);
    for (let k = 0; k < P; k++) this.targets[slot * P + k] = oppAction[k];
    this.seen++;
    if (this.seen % this.every === 0) {
      // a full-batch step's mean does not depend on the rows' order: the ring as it stands
      this.net.fit(this.inputs, this.targets, Math.min(this.seen, this.window));
      this.net.syncPlain();
    }
  }

  saveTo(w: CheckpointWriter, prefix: string): void {
    this.net.saveTo(w, `${prefix}/net`);
    w.array(`${prefix}/inputs`, Float32Array.from(this.inputs));
    w.array(`${prefix}/targets`, Float32Array.from(this.targets));
    w.value(`${prefix}/seen`, this.seen);
    w.rng(`${prefix}/rng`, this.rng);
  }

  /** Reads what {@link saveTo} wrote; returns false (leaving it as it is) for a checkpoint from before it existed. */
  loadFrom(r: CheckpointReader, prefix: string): boolean {
    if (!r.has(`${prefix}/seen`)) return false;
    this.net.loadFrom(r, `${prefix}/net`);
    this.inputs.set(r.f32(`${prefix}/inputs`, this.inputs.length));
    this.targets.set(r.f32(`${prefix}/targets`, this.targets.length));
    this.seen = r.value<number>(`${prefix}/seen`);
    r.rng(`${prefix}/rng`, this.rng);
    return true;
  }

  dispose(): void {
    this.net.dispose();
  }
}
