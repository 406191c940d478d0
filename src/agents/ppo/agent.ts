/**
 * PPO (clipped surrogate, GAE-λ, approximate-KL early stopping), the HEAD baseline of
 * lemol-spec §6.1, written as a *correct* PPO after OpenAI Spinning Up rather than a copy of the
 * original's port. It can sit in a game next to MADDPG agents: it keeps a replay buffer of its own
 * transitions for their centralised critics and gives them a deterministic target action.
 *
 *   act        plain-TypeScript forward passes (no tfjs, no allocation) of the policy and value
 *              nets; discrete: k ~ Categorical(logits), the env gets one-hot(k); continuous (MPE
 *              soft actions, the default): z = μ + σ·ε, the env gets softmax(z). The sample (k or
 *              z), V(o) and log π(sample | o) are remembered for `experience`.
 *   experience stores (o, sample, r, V, logp) in the on-policy buffer of `historyLength` steps and
 *              (o, a, r, o', done || terminal) in the replay buffer; a path ends at a true env
 *              `done` (bootstrap 0), at the time limit `terminal` or when the buffer fills
 *              (bootstrap V(o') of the last next observation), and then gets its GAE-λ advantages
 *              and γ reward-to-go.
 *   update     at the first step with `t % agentUpdateFreq == 0` once the buffer is full, on all
 *              buffered steps: advantages normalised to mean 0, std 1; up to `trainCycles` Adam
 *              steps (piLr) on −mean(min(r·A, clip(r, 1 − ε, 1 + ε)·A)), r = exp(logp − logp_old),
 *              stopping before a step when mean(logp_old − logp) > 1.5·targetKl (Spinning Up's
 *              PyTorch order); then `trainCycles` Adam steps (vfLr) on mean((R − V)²); then the
 *              buffer is cleared. No gradient clipping (as the original).
 *
 * Where this departs from the original (lemol-spec §6.1, §8 item 21):
 * - Discrete: the env receives the one-hot of the *sampled* k (the original sent the whole
 *   log-probability vector, so the env played the mode while logp referred to the sample).
 * - Continuous: training evaluates logp of the *stored* z (the original trained on
 *   logN(softmax(z)) against logp_old = logN(z)).
 * - GAE and reward-to-go are computed per finished path on its own slice of the buffer (the
 *   original's unbounded pointer made the slices overrun the 250-step ring after its first fill).
 * - A path cut by the time limit or the full buffer bootstraps with V(last next obs); a true
 *   `done` with 0 (the original used the last reward as `last_val`).
 * - Updates use exactly the collected on-policy steps and then clear them; the cadence is this
 *   agent's own (the original waited for the *other* agent's exploration). Steps that arrive
 *   while the buffer is full and the cadence has not come round are left out of PPO (counted in
 *   {@link PPOAgentTrainer.droppedSteps}); they still enter the replay buffer.
 * - `resetLearner` gives new random weights between trajectories, like every learner here (the
 *   original probably never reset PPO); the Adam states are kept, as everywhere in lemol.
 * - Partners' TD targets get a deterministic action (softmax(μ), or one-hot argmax of the logits)
 *   instead of the original's stochastic `pi` output (its log-probability vector when discrete).
 * - The reported KL is that of the final policy; piLoss and vLoss are the losses before the update
 *   (Spinning Up's LossPi / LossV).
 */
import { tf } from "../../nn/backend.js";
import { uniqueSuffix } from "../../nn/mlp.js";
import { Adam } from "../../nn/optim.js";
import { PlainTanhMLP, TanhMLP } from "../../nn/tanh-mlp.js";
import { CheckpointError, CheckpointReader, CheckpointWriter } from "../../storage/checkpoint.js";
import type { NdArray } from "../../storage/npz.js";
import { ReplayBuffer } from "../../storage/replay.js";
import { Rng } from "../../util/rng.js";
import type { Learner, LearnerStats, StepContext, StepEnd, Transition } from "../learner.js";
import { normaliseInto, PPOBuffer } from "./buffer.js";
import { PPO_DEFAULTS, PPOConfig } from "./config.js";
import { categoricalLogp, categoricalLogpBackward, clippedSurrogate, gaussianLogp, gaussianLogpBackward, HALF_LOG_2PI } from "./losses.js";

export { PPO_DEFAULTS, PPO_OPTIONS, type PPOConfig } from "./config.js";
export { discountedCumsum, finishPathInto, gaeAdvantages, normaliseInto, PPOBuffer } from "./buffer.js";
export { categoricalLogp, categoricalLogpBackward, clippedSurrogate, gaussianLogp, gaussianLogpBackward } from "./losses.js";

/** Initial value of every log σ of the Gaussian policy. */
export const LOG_STD_INIT = -0.5;

/** What one update returns. */
export interface PPOStats extends LearnerStats {
  /** Clipped-surrogate loss before the update. */
  piLoss: number;
  /** Value loss mean((R − V)²) before the update. */
  vLoss: number;
  /** Approximate KL mean(logp_old − logp) of the final policy. */
  kl: number;
  /** Mean reward-to-go R over the buffer. */
  meanReturn: number;
  /** Policy Adam steps taken (< trainCycles when KL stopped them early). */
  policySteps: number;
}

export interface PPOTrainerOptions {
  /** e.g. `ppo-good_agent_1`. */
  name: string;
  agentIndex: number;
  obsSize: number;
  /** Length of the action vector the env receives (categories, or soft-action dimensions). */
  actionSize: number;
  /** Overrides `config.discrete` (they must agree when both are given). */
  discrete?: boolean;
  config?: Partial<PPOConfig>;
  /** Seed of this agent's random streams (initialisation, acting). */
  seed: number;
  /** Names this agent's streams (default: `name`), e.g. its slot `good_agent_1`. */
  streamKey?: string;
  /** Overrides `config.verbose` (`--verbose_ppo`): an update that stops early on the KL says so (its stats carry the line). */
  verbose?: boolean;
}

export class PPOAgentTrainer implements Learner {
  readonly name: string;
  readonly agentIndex: number;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly discrete: boolean;
  readonly config: Readonly<PPOConfig>;
  /** Policy: logits (discrete) or μ (continuous), tanh hidden layers. */
  readonly policy: TanhMLP;
  /** State-independent log σ of the Gaussian policy (null when discrete). */
  readonly logStd: tf.Variable<tf.Rank.R1> | null;
  /** V(o), tanh hidden layers. */
  readonly valueNet: TanhMLP;
  /** Over policy.params then logStd (when continuous). */
  readonly piOptimiser: Adam;
  readonly vfOptimiser: Adam;
  /** (o, a, r, o', done || terminal) of every step, for centralised partners. */
  readonly replay: ReplayBuffer;
  readonly buffer: PPOBuffer;
  readonly rngs: { init: Rng; act: Rng };
  /** For the training loop's target-action ordering (as LeMOL's flag): PPO needs no opponent action. */
  readonly targetNeedsOpponent = false;
  readonly actsLast = false;
  /** PPO learns on its own cadence (every `historyLength` steps): it does not hold back per-step logging. */
  readonly updatesOnCadence = false;
  readonly updateMetrics = ["v_loss", "p_loss", "kl"] as const;
  readonly checkpointProbe = "policy/0";
  /** Kept for the learner interface; PPO has no exploration phase of its own. */
  initialExplorationDone = false;
  readonly verbose: boolean;

  private readonly plainPolicy: PlainTanhMLP;
  private readonly plainValue: PlainTanhMLP;
  private readonly plainLogStd: Float64Array;
  private readonly params: Float64Array;
  private readonly scalar = new Float64Array(1);
  /** What `act` remembered for `experience`. */
  private readonly pendingSample: Float64Array;
  private pendingLogp = 0;
  private pendingVal = 0;
  private pending = false;
  private dropped = 0;
  // update scratch
  private readonly advNorm: Float64Array;
  private readonly dLogp64: Float64Array;
  private readonly dLogp32: Float32Array;
  private readonly ret32: Float32Array;
  private readonly oneHot: Float32Array | null;

  constructor(opts: PPOTrainerOptions) {
    const cfg: PPOConfig = { ...PPO_DEFAULTS, ...opts.config };
    if (opts.discrete !== undefined && opts.config?.discrete !== undefined && opts.discrete !== opts.config.discrete) {
      throw new RangeError(`${opts.name}: discrete (${opts.discrete}) and config.discrete (${opts.config.discrete}) disagree`);
    }
    cfg.discrete = opts.discrete ?? cfg.discrete;
    checkConfig(opts.name, cfg);
    if (!Number.isInteger(opts.obsSize) || opts.obsSize < 1) throw new RangeError(`${opts.name}: bad observation size ${opts.obsSize}`);
    if (!Number.isInteger(opts.actionSize) || opts.actionSize < (cfg.discrete ? 2 : 1))
      throw new RangeError(`${opts.name}: bad action size ${opts.actionSize}`);
    this.config = cfg;
    this.verbose = opts.verbose ?? cfg.verbose;
    this.name = opts.name;
    this.agentIndex = opts.agentIndex;
    this.obsSize = opts.obsSize;
    this.actionSize = opts.actionSize;
    this.discrete = cfg.discrete;
    const key = opts.streamKey ?? opts.name;
    this.rngs = { init: Rng.stream(opts.seed, `${key}/init`), act: Rng.stream(opts.seed, `${key}/act`) };
    const n = this.actionSize;
    const h = cfg.numUnits;
    this.policy = new TanhMLP([this.obsSize, h, h, n], this.rngs.init, `${opts.name}/pi`);
    this.valueNet = new TanhMLP([this.obsSize, h, h, 1], this.rngs.init, `${opts.name}/v`);
    // inside tidy: a variable shares its initial tensor's data, which must not outlive it
    this.logStd = this.discrete ? null : tf.tidy(() => tf.variable(tf.fill([n], LOG_STD_INIT) as tf.Tensor1D, true, `${opts.name}/log_std#${uniqueSuffix()}`));
    this.piOptimiser = new Adam(this.logStd ? [...this.policy.params, this.logStd] : this.policy.params, {
      learningRate: cfg.piLr,
      epsilon: 1e-8,
      clipNorm: null,
    });
    this.vfOptimiser = new Adam(this.valueNet.params, { learningRate: cfg.vfLr, epsilon: 1e-8, clipNorm: null });
    this.replay = new ReplayBuffer(this.obsSize, n, cfg.replayBufferCapacity);
    const H = cfg.historyLength;
    this.buffer = new PPOBuffer(H, this.obsSize, this.discrete ? 1 : n);
    this.plainPolicy = this.policy.toPlain();
    this.plainValue = this.valueNet.toPlain();
    this.plainLogStd = new Float64Array(n);
    this.params = new Float64Array(n);
    this.pendingSample = new Float64Array(this.buffer.sampleSize);
    this.advNorm = new Float64Array(H);
    this.dLogp64 = new Float64Array(H);
    this.dLogp32 = new Float32Array(H);
    this.ret32 = new Float32Array(H);
    this.oneHot = this.discrete ? new Float32Array(H * n) : null;
    this.mirrorLogStd();
  }

  /** Steps collected while the buffer was full and waiting for the update cadence (not used by PPO). */
  get droppedSteps(): number {
    return this.dropped;
  }

  /**
   * Samples an action for one observation into `out` (plain TypeScript, no allocation) and
   * remembers the sample, its log-probability and V(obs) for the following {@link experience}.
   */
  act(obs: ArrayLike<number>, out: Float64Array): void {
    const n = this.actionSize;
    const p = this.params;
    const rng = this.rngs.act;
    this.plainPolicy.forward(obs, 0, p);
    if (this.discrete) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) if (p[j] > max) max = p[j];
      let sum = 0;
      for (let j = 0; j < n; j++) sum += Math.exp(p[j] - max);
      const lse = max + Math.log(sum);
      // inverse CDF; the last category takes any rounding remainder
      const u = rng.uniform() * sum;
      let k = n - 1;
      let acc = 0;
      for (let j = 0; j < n - 1; j++) {
        acc += Math.exp(p[j] - max);
        if (u < acc) {
          k = j;
          break;
        }
      }
      for (let j = 0; j < n; j++) out[j] = j === k ? 1 : 0;
      this.pendingSample[0] = k;
      this.pendingLogp = p[k] - lse;
    } else {
      let logp = 0;
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        const ls = this.plainLogStd[j];
        const std = Math.exp(ls);
        const z = Math.fround(p[j] + std * rng.normal()); // stored as float32: logp of exactly what is stored
        const e = (z - p[j]) / std;
        logp += -0.5 * e * e - ls - HALF_LOG_2PI;
        this.pendingSample[j] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let j = 0; j < n; j++) sum += out[j] = Math.exp(this.pendingSample[j] - max);
      for (let j = 0; j < n; j++) out[j] /= sum;
      this.pendingLogp = logp;
    }
    this.pendingVal = this.valueOf(obs);
    this.pending = true;
  }

  /** V(obs) with the mirrored weights (plain TypeScript). */
  valueOf(obs: ArrayLike<number>): number {
    this.plainValue.forward(obs, 0, this.scalar);
    return this.scalar[0];
  }

  /**
   * Records the step that followed the last {@link act}. `done` is the environment's own end of
   * the episode (a true terminal state: the path bootstraps with 0); `terminal` is the time limit
   * (`max_episode_len`: the state is not terminal, so the path bootstraps with V(obsNext)). The
   * replay buffer stores `done || terminal`, as MADDPG partners treat the time limit.
   */
  experience(obs: ArrayLike<number>, act: ArrayLike<number>, rew: number, obsNext: ArrayLike<number>, done: boolean, terminal: boolean): void {
    if (!this.pending) throw new Error(`${this.name}: experience() without a preceding act()`);
    this.pending = false;
    this.replay.add(obs, act, rew, obsNext, done || terminal);
    const buf = this.buffer;
    if (buf.full) {
      this.dropped++;
      return;
    }
    buf.store(obs, this.pendingSample, rew, this.pendingVal, this.pendingLogp);
    const { gamma, lambda } = this.config;
    if (done) buf.finishPath(0, gamma, lambda);
    else if (terminal || buf.full) buf.finishPath(this.valueOf(obsNext), gamma, lambda);
  }

  /** PPO learns from its first full history: it has no exploration phase. */
  get explored(): boolean {
    return true;
  }

  /** Records its part of the step's transition (nothing while evaluating). */
  observe(t: Transition, ctx: StepContext): void {
    if (ctx.evaluating) return;
    const i = this.agentIndex;
    this.experience(t.obs[i], t.stored[i], t.rewards[i], t.obsNext[i], t.done, t.terminal);
  }

  /** The original's `preupdate` (nothing to do). */
  preupdate(): void {}

  /** One PPO update when the buffer is full and `t % agentUpdateFreq == 0`, else null (`partners` are not read: PPO is decentralised). */
  update(_partners: readonly Learner[], t: number): PPOStats | null {
    if (!this.buffer.full || t % this.config.agentUpdateFreq !== 0) return null;
    return this.learn();
  }

  afterStep(_end: StepEnd): void {}

  /** A new trajectory: fresh weights and buffers (learning), or the loaded weights as they are (evaluating). */
  startTrajectory(mode: "learn" | "evaluate"): void {
    if (mode === "learn") this.resetLearner();
  }

  trajectoryOutput(): Record<string, NdArray> | null {
    return null;
  }

  private learn(): PPOStats {
    const cfg = this.config;
    const buf = this.buffer;
    const H = buf.ptr;
    const n = this.actionSize;
    normaliseInto(buf.adv, H, this.advNorm);
    let meanReturn = 0;
    for (let i = 0; i < H; i++) {
      meanReturn += buf.ret[i];
      this.ret32[i] = buf.ret[i];
    }
    meanReturn /= H;
    if (this.oneHot) {
      this.oneHot.fill(0);
      for (let i = 0; i < H; i++) this.oneHot[i * n + buf.sample[i]] = 1;
    }
    const obsT = tf.tensor2d(buf.obs.subarray(0, H * this.obsSize), [H, this.obsSize]);
    const sampleT = tf.tensor2d(this.oneHot ?? buf.sample.subarray(0, H * n), [H, n]);
    const retT = tf.tensor2d(this.ret32.subarray(0, H), [H, 1]);
    let piLoss = NaN;
    let vLoss = NaN;
    let kl = NaN;
    let policySteps = 0;
    try {
      // policy: up to trainCycles steps; the last pass only measures the final policy's KL
      for (let i = 0; ; i++) {
        const stepped = tf.tidy(() => {
          const cache = this.policy.forward(obsT);
          const logpT = this.logStd ? gaussianLogp(cache.out, this.logStd, sampleT) : categoricalLogp(cache.out, sampleT);
          const logp = logpT.dataSync();
          const r = clippedSurrogate(logp, buf.logp, this.advNorm, cfg.clipRatio, this.dLogp64, H);
          if (i === 0) piLoss = r.loss;
          kl = r.kl;
          if (i >= cfg.trainCycles || r.kl > 1.5 * cfg.targetKl) return false;
          for (let b = 0; b < H; b++) this.dLogp32[b] = this.dLogp64[b];
          const dLogp = tf.tensor1d(this.dLogp32.subarray(0, H));
          if (this.logStd) {
            const { dMu, dLogStd } = gaussianLogpBackward(cache.out, this.logStd, sampleT, dLogp);
            this.piOptimiser.apply([...this.policy.backward(cache, dMu).params, dLogStd]);
          } else {
            this.piOptimiser.apply(this.policy.backward(cache, categoricalLogpBackward(cache.out, sampleT, dLogp)).params);
          }
          return true;
        });
        if (!stepped) break;
        policySteps++;
      }
      // value: trainCycles steps on mean((R − V)²)
      for (let i = 0; i < cfg.trainCycles; i++) {
        tf.tidy(() => {
          const cache = this.valueNet.forward(obsT);
          const diff = tf.sub(cache.out, retT) as tf.Tensor2D;
          if (i === 0) vLoss = tf.mean(tf.square(diff)).dataSync()[0];
          this.vfOptimiser.apply(this.valueNet.backward(cache, tf.mul(diff, 2 / H) as tf.Tensor2D).params);
        });
      }
    } finally {
      obsT.dispose();
      sampleT.dispose();
      retT.dispose();
    }
    this.syncActingWeights();
    buf.clear();
    const note = this.verbose && policySteps < cfg.trainCycles ? `${this.name}: early stopping at step ${policySteps} due to reaching max kl` : undefined;
    return { piLoss, vLoss, kl, meanReturn, policySteps, logged: [vLoss, piLoss, kl], ...(note ? { note } : {}) };
  }

  /**
   * The policy's deterministic action for a batch of next observations, for a MADDPG partner's TD
   * target: softmax(μ) (continuous) or the one-hot of argmax logits (discrete). Call inside `tf.tidy`.
   */
  targetActionTensor(obsNext: tf.Tensor2D): tf.Tensor2D {
    const out = this.policy.apply(obsNext);
    // oneHot's own float32 output is wrong on tfjs-wasm 4.22 (int bits in a float buffer): cast instead
    if (this.discrete) return tf.cast(tf.oneHot(tf.argMax(out, 1), this.actionSize), "float32") as tf.Tensor2D;
    return tf.softmax(out) as tf.Tensor2D;
  }

  /** The optimisers a trajectory updates (their state carries over from one trajectory to the next). */
  get optimisers(): Adam[] {
    return [this.piOptimiser, this.vfOptimiser];
  }

  /** The random streams a trajectory draws from, by name. */
  get playStreams(): Record<string, Rng> {
    return this.rngs;
  }

  /** New random weights for policy and value net, log σ back to its initial value, empty buffers; the Adam states are kept. */
  resetLearner(): void {
    this.policy.reinitialise(this.rngs.init);
    this.valueNet.reinitialise(this.rngs.init);
    if (this.logStd) {
      const logStd = this.logStd;
      tf.tidy(() => logStd.assign(tf.fill([this.actionSize], LOG_STD_INIT) as tf.Tensor1D));
    }
    this.buffer.clear();
    this.replay.clear();
    this.pending = false;
    this.syncActingWeights();
  }

  /** Refreshes the plain-TypeScript copies acting uses (after changing the variables from outside). */
  syncActingWeights(): void {
    this.policy.toPlain(this.plainPolicy);
    this.valueNet.toPlain(this.plainValue);
    this.mirrorLogStd();
  }

  private mirrorLogStd(): void {
    if (this.logStd) this.plainLogStd.set(this.logStd.dataSync() as Float32Array);
  }

  // --- checkpoints ---

  /** The networks' weights and log σ (what evaluating a trained policy needs). */
  saveWeightsTo(w: CheckpointWriter, prefix: string): void {
    w.variables(`${prefix}/policy`, this.policy.params);
    w.variables(`${prefix}/value`, this.valueNet.params);
    if (this.logStd) w.variables(`${prefix}/log_std`, [this.logStd]);
  }

  loadWeightsFrom(r: CheckpointReader, prefix: string): void {
    r.variables(`${prefix}/policy`, this.policy.params);
    r.variables(`${prefix}/value`, this.valueNet.params);
    if (this.logStd) r.variables(`${prefix}/log_std`, [this.logStd]);
    this.syncActingWeights();
  }

  /**
   * Writes the trainer's state under `prefix`: weights, log σ, both Adam states, the random
   * streams, the on-policy buffer (and what the last `act` remembered), and the replay buffer when
   * `replay`.
   */
  saveTo(w: CheckpointWriter, prefix: string, options: { replay: boolean }): void {
    this.saveWeightsTo(w, prefix);
    w.adam(`${prefix}/pi_adam`, this.piOptimiser);
    w.adam(`${prefix}/vf_adam`, this.vfOptimiser);
    for (const [k, rng] of Object.entries(this.rngs)) w.rng(`${prefix}/rng/${k}`, rng);
    const b = this.buffer;
    const p = `${prefix}/ppo_buffer`;
    w.value(`${p}/meta`, {
      capacity: b.capacity,
      obsSize: b.obsSize,
      sampleSize: b.sampleSize,
      ptr: b.ptr,
      pathStart: b.pathStart,
      dropped: this.dropped,
      pending: this.pending,
      pendingLogp: this.pendingLogp,
      pendingVal: this.pendingVal,
    });
    // copies: the writer keeps references until the checkpoint is written
    w.array(`${p}/obs`, b.obs.slice(0, b.ptr * b.obsSize), [b.ptr, b.obsSize]);
    w.array(`${p}/sample`, b.sample.slice(0, b.ptr * b.sampleSize), [b.ptr, b.sampleSize]);
    for (const k of ["rew", "val", "logp", "adv", "ret"] as const) w.array(`${p}/${k}`, b[k].slice(0, b.ptr));
    w.array(`${p}/pending_sample`, this.pendingSample.slice());
    if (options.replay) this.replay.saveTo(w, `${prefix}/replay`);
  }

  /** Reads what {@link saveTo} wrote; without saved transitions the replay buffer is left empty. Returns whether it had them. */
  loadFrom(r: CheckpointReader, prefix: string): { replay: boolean } {
    const p = `${prefix}/ppo_buffer`;
    const meta = r.value<{
      capacity: number;
      obsSize: number;
      sampleSize: number;
      ptr: number;
      pathStart: number;
      dropped: number;
      pending: boolean;
      pendingLogp: number;
      pendingVal: number;
    }>(`${p}/meta`);
    const b = this.buffer;
    if (meta.capacity !== b.capacity || meta.obsSize !== b.obsSize || meta.sampleSize !== b.sampleSize) {
      throw new CheckpointError(
        `${r.where}: PPO buffer "${p}" holds ${meta.capacity} steps of ${meta.obsSize} + ${meta.sampleSize} numbers; this agent's holds ${b.capacity} of ${b.obsSize} + ${b.sampleSize}`,
      );
    }
    this.loadWeightsFrom(r, prefix);
    r.adam(`${prefix}/pi_adam`, this.piOptimiser);
    r.adam(`${prefix}/vf_adam`, this.vfOptimiser);
    for (const [k, rng] of Object.entries(this.rngs)) r.rng(`${prefix}/rng/${k}`, rng);
    b.obs.set(r.f32(`${p}/obs`, meta.ptr * b.obsSize));
    b.sample.set(r.f32(`${p}/sample`, meta.ptr * b.sampleSize));
    for (const k of ["rew", "val", "logp", "adv", "ret"] as const) b[k].set(r.f64(`${p}/${k}`, meta.ptr));
    b.ptr = meta.ptr;
    b.pathStart = meta.pathStart;
    this.dropped = meta.dropped;
    this.pending = meta.pending;
    this.pendingLogp = meta.pendingLogp;
    this.pendingVal = meta.pendingVal;
    this.pendingSample.set(r.f64(`${p}/pending_sample`, this.pendingSample.length));
    const replay = r.has(`${prefix}/replay/meta`);
    if (replay) this.replay.loadFrom(r, `${prefix}/replay`);
    else this.replay.clear();
    return { replay };
  }

  /** Frees every tensor this trainer owns. */
  dispose(): void {
    this.policy.dispose();
    this.valueNet.dispose();
    this.logStd?.dispose();
    this.piOptimiser.dispose();
    this.vfOptimiser.dispose();
  }
}

function checkConfig(name: string, c: PPOConfig): void {
  const bad = (what: string, v: unknown) => new RangeError(`${name}: ${what}, got ${v}`);
  if (!(c.gamma >= 0 && c.gamma <= 1)) throw bad("gamma must be in [0, 1]", c.gamma);
  if (!(c.lambda >= 0 && c.lambda <= 1)) throw bad("lambda must be in [0, 1]", c.lambda);
  if (!(c.piLr > 0) || !(c.vfLr > 0)) throw bad("learning rates must be > 0", `${c.piLr}, ${c.vfLr}`);
  if (!(c.targetKl > 0)) throw bad("targetKl must be > 0", c.targetKl);
  if (!(c.clipRatio > 0 && c.clipRatio < 1)) throw bad("clipRatio must be in (0, 1)", c.clipRatio);
  for (const k of ["trainCycles", "historyLength", "numUnits", "agentUpdateFreq", "replayBufferCapacity", "maxEpisodeLen"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw bad(`${k} must be a positive integer`, c[k]);
  }
}
