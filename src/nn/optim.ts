/**
 * Optimisation as the original TF1 code does it (lemol-spec §3.3): Adam with TF1's update rule
 * and an explicit epsilon, gradients clipped to a maximum L2 norm **per variable** (TF's
 * `clip_by_norm` on each gradient tensor, not a global norm; `clipScope: "global"` clips the
 * global norm instead, as maddpg-pytorch does), and polyak target updates.
 */
import { tf } from "./backend.js";
import { nativeActive, nativeAdam, nativeAdamArrays, nativePolyak } from "./native-kernels.js";

export interface AdamConfig {
  learningRate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** TF1's default 1e-8; tfjs's own default differs, so lemol always passes it explicitly. */
  epsilon: number;
  /** Clip each variable's gradient to this L2 norm (the original's 0.5 for actors and critics); null = no clipping. */
  clipNorm: number | null;
  /**
   * `variable` (default): `clipNorm` applies to each variable's gradient (TF's `clip_by_norm`, the
   * original's). `global`: to the norm over all the variables' gradients together, scaled by
   * `clipNorm / (norm + 1e-6)` when that is below 1 (PyTorch's `clip_grad_norm_`, maddpg-pytorch's).
   */
  clipScope?: "variable" | "global";
}

/** PyTorch's `clip_grad_norm_` factor for gradients of total L2 norm `norm`: 1 when no clipping is due. */
export function globalClipFactor(norm: number, clipNorm: number): number {
  const coef = clipNorm / (norm + 1e-6);
  return coef < 1 ? coef : 1;
}

/** The optimiser's state: step count and the first/second moment of every variable. */
export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** TF's `clip_by_norm(g, c)`: `g * c / max(‖g‖₂, c)` (unchanged when the norm is at most c). */
export function clipByNorm(g: tf.Tensor, clipNorm: number): tf.Tensor {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(g)));
    return tf.mul(g, tf.div(tf.scalar(clipNorm), tf.maximum(norm, tf.scalar(clipNorm))));
  });
}

/**
 * Adam over a fixed list of variables with TF1's rule:
 * `lr_t = lr·sqrt(1-β2^t)/(1-β1^t); m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; θ -= lr_t·m/(sqrt(v)+ε)`.
 * The state survives weight re-initialisation (the original never resets it between trajectories).
 */
export class Adam {
  readonly vars: readonly tf.Variable[];
  readonly config: Required<AdamConfig>;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(vars: readonly tf.Variable[], config: AdamConfig) {
    if (!(config.learningRate > 0)) throw new RangeError(`learning rate must be > 0, got ${config.learningRate}`);
    if (!(config.epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${config.epsilon}`);
    if (config.clipNorm !== null && !(config.clipNorm > 0)) throw new RangeError(`clipNorm must be > 0 or null, got ${config.clipNorm}`);
    this.vars = vars;
    this.config = { beta1: 0.9, beta2: 0.999, clipScope: "variable", ...config };
    this.m = tf.tidy(() => vars.map((x) => tf.variable(tf.zerosLike(x), false)));
    this.v = tf.tidy(() => vars.map((x) => tf.variable(tf.zerosLike(x), false)));
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.t;
  }

  /** Applies one update from `grads` (same order as `vars`); clips each first when configured. */
  apply(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.vars.length) throw new RangeError(`Adam: ${grads.length} gradients for ${this.vars.length} variables`);
    if (this.config.clipScope === "global" && this.config.clipNorm !== null) {
      const clip = this.config.clipNorm;
      const scaled = tf.tidy(() => {
        const norm = Math.sqrt(grads.reduce((acc, g) => acc + (tf.sum(tf.square(g)).dataSync()[0] as number), 0));
        const f = globalClipFactor(norm, clip);
        return grads.map((g) => tf.mul(g, f));
      });
      this.adamStep(scaled, null);
      tf.dispose(scaled);
      return;
    }
    this.adamStep(grads, this.config.clipNorm);
  }

  /** One Adam step from `grads`, each clipped to `clipNorm` first unless null. */
  private adamStep(grads: readonly tf.Tensor[], clipNorm: number | null): void {
    const { beta1: b1, beta2: b2, epsilon } = this.config;
    const lrT = this.nextStep();
    if (nativeActive()) {
      for (let i = 0; i < this.vars.length; i++) nativeAdam(this.vars[i], this.m[i], this.v[i], grads[i], lrT, b1, b2, epsilon, clipNorm ?? 0);
      return;
    }
    tf.tidy(() => {
      for (let i = 0; i < this.vars.length; i++) {
        const g = clipNorm === null ? grads[i] : clipByNorm(grads[i], clipNorm);
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        this.vars[i].assign(tf.sub(this.vars[i], tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsilon)), lrT)));
      }
    });
  }

  /**
   * The same update from gradients in plain arrays (same order as `vars`), on the native kernels
   * (only while they are active: updates written over plain arrays, e.g. the fused MADDPG update).
   */
  applyArrays(grads: readonly Float32Array[]): void {
    if (grads.length !== this.vars.length) throw new RangeError(`Adam: ${grads.length} gradients for ${this.vars.length} variables`);
    const { beta1: b1, beta2: b2, epsilon, clipNorm, clipScope } = this.config;
    let clip = clipNorm ?? 0;
    if (clipScope === "global" && clipNorm !== null) {
      // scaled in place: the arrays are the caller's scratch gradients, consumed by this step
      let sq = 0;
      for (const g of grads) for (let k = 0; k < g.length; k++) sq += g[k] * g[k];
      const f = globalClipFactor(Math.sqrt(sq), clipNorm);
      if (f < 1) for (const g of grads) for (let k = 0; k < g.length; k++) g[k] *= f;
      clip = 0;
    }
    const lrT = this.nextStep();
    nativeAdamArrays(this.vars, this.m, this.v, grads, { lrT, b1, b2, eps: epsilon, clip });
  }

  /** Counts the step; returns TF1's bias-corrected rate lr·sqrt(1 − β2^t)/(1 − β1^t). */
  private nextStep(): number {
    const { learningRate: lr, beta1: b1, beta2: b2 } = this.config;
    this.t++;
    return (lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
  }

  getState(): AdamState {
    return {
      step: this.t,
      m: this.m.map((x) => Float32Array.from(x.dataSync() as Float32Array)),
      v: this.v.map((x) => Float32Array.from(x.dataSync() as Float32Array)),
    };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.vars.length || state.v.length !== this.vars.length) throw new RangeError("Adam state does not match the variables");
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        this.m[i].assign(tf.tensor(state.m[i], x.shape));
        this.v[i].assign(tf.tensor(state.v[i], x.shape));
      });
    });
    this.t = state.step;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

/** Polyak averaging `θ' ← (1 − τ)·θ' + τ·θ` of each target variable towards its online variable. */
export function polyakUpdate(target: readonly tf.Variable[], online: readonly tf.Variable[], tau: number): void {
  if (target.length !== online.length) throw new RangeError("polyak: target and online variable lists differ in length");
  if (nativeActive()) {
    nativePolyak(target, online, tau);
    return;
  }
  tf.tidy(() => {
    for (let i = 0; i < target.length; i++) target[i].assign(tf.add(tf.mul(target[i], 1 - tau), tf.mul(online[i], tau)));
  });
}
