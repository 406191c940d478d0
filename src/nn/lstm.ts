/**
 * An LSTM layer with Keras `LSTMCell` semantics, as the original's opponent model uses
 * (lemol-spec §4.4): gates in the order input, forget, candidate, output;
 * `z = x·K + h·R + b`, `i, f, o = σ(z)`, `c̃ = tanh(z)`, `c' = f·c + i·c̃`, `h' = o·tanh(c')`.
 * σ is hard-sigmoid (`clip(0.2x + 0.5, 0, 1)`, TF1's CPU default) unless `sigmoid` is chosen
 * (CuDNN's). Kernel Glorot-uniform, recurrent kernel orthogonal, bias zero except the forget
 * gate's, which is 1 (`unit_forget_bias`).
 *
 * Sequences are run step by step with an explicit backward pass through time (BPTT), so that a
 * truncated-BPTT trainer can hand the final state of one chunk to the next as plain numbers.
 */
import type { Rng } from "../util/rng.js";
import { requireBackend, tf } from "./backend.js";
import { matMulWeights, unstackSteps } from "./ops.js";
import { nativeKernels, NativeKernels } from "./native-kernels.js";
import { glorotUniform, orthogonal } from "./init.js";
import { uniqueSuffix } from "./mlp.js";

export type RecurrentActivation = "hard_sigmoid" | "sigmoid";

export interface LSTMOptions {
  recurrentActivation?: RecurrentActivation;
  name?: string;
}

/** Per-step values the backward pass needs. */
interface StepCache {
  x: tf.Tensor2D;
  hPrev: tf.Tensor2D;
  cPrev: tf.Tensor2D;
  zi: tf.Tensor2D;
  zf: tf.Tensor2D;
  zo: tf.Tensor2D;
  i: tf.Tensor2D;
  f: tf.Tensor2D;
  g: tf.Tensor2D;
  o: tf.Tensor2D;
  c: tf.Tensor2D;
  tanhC: tf.Tensor2D;
}

export interface LSTMSequence {
  /** Hidden outputs per step, [B, T, H]. */
  readonly hs: tf.Tensor3D;
  /** Final state. */
  readonly h: tf.Tensor2D;
  readonly c: tf.Tensor2D;
  /** Opaque per-step cache for {@link LSTM.backward}. */
  readonly steps: readonly StepCache[];
}

export interface LSTMGrads {
  /** d/dK, d/dR, d/db (same order as `params`). */
  readonly params: [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  readonly h0: tf.Tensor2D;
  readonly c0: tf.Tensor2D;
  /** d/dx per step, [B, T, in]. */
  readonly xs: tf.Tensor3D;
}

/**
 * The scalar constants of the passes, made once per LSTM: a number in a tfjs op becomes a new
 * scalar tensor, made from its value and uploaded to the backend, on every call (~9 per step of
 * the backward pass); without them opponent-model training ran 12–20 % faster on wasm. Same
 * float32 values, so the same numbers.
 */
interface Constants {
  readonly one: tf.Scalar;
  readonly fifth: tf.Scalar;
  readonly half: tf.Scalar;
  readonly lower: tf.Scalar;
  readonly upper: tf.Scalar;
}

function hardSigmoid(z: tf.Tensor2D, k: Constants): tf.Tensor2D {
  return tf.clipByValue(tf.add(tf.mul(z, k.fifth), k.half), 0, 1) as tf.Tensor2D;
}

/** Derivative of the recurrent activation at pre-activation z, given its output s. */
function recurrentDerivative(kind: RecurrentActivation, z: tf.Tensor2D, s: tf.Tensor2D, k: Constants): tf.Tensor2D {
  if (kind === "sigmoid") return tf.mul(s, tf.sub(k.one, s)) as tf.Tensor2D;
  // 0.2 inside the linear region, 0 where clipped
  return tf.mul(tf.cast(tf.logicalAnd(tf.greater(z, k.lower), tf.less(z, k.upper)), "float32"), k.fifth) as tf.Tensor2D;
}

export class LSTM {
  readonly inputSize: number;
  readonly units: number;
  readonly recurrentActivation: RecurrentActivation;
  /** Kernel [in, 4H], recurrent kernel [H, 4H], bias [4H]. */
  readonly params: [tf.Variable, tf.Variable, tf.Variable];
  readonly name: string;
  private readonly k: Constants;

  constructor(inputSize: number, units: number, rng: Rng, options: LSTMOptions = {}) {
    requireBackend();
    this.inputSize = inputSize;
    this.units = units;
    this.recurrentActivation = options.recurrentActivation ?? "hard_sigmoid";
    this.name = options.name ?? "lstm";
    const [K, R, b] = LSTM.initialValues(inputSize, units, rng);
    const id = uniqueSuffix();
    this.params = tf.tidy(() => [
      tf.variable(tf.tensor2d(K, [inputSize, 4 * units]), true, `${this.name}/kernel#${id}`),
      tf.variable(tf.tensor2d(R, [units, 4 * units]), true, `${this.name}/recurrent_kernel#${id}`),
      tf.variable(tf.tensor1d(b), true, `${this.name}/bias#${id}`),
    ]) as [tf.Variable, tf.Variable, tf.Variable];
    this.k = tf.tidy(() => ({
      one: tf.keep(tf.scalar(1)),
      fifth: tf.keep(tf.scalar(0.2)),
      half: tf.keep(tf.scalar(0.5)),
      lower: tf.keep(tf.scalar(-2.5)),
      upper: tf.keep(tf.scalar(2.5)),
    }));
  }

  private static initialValues(inputSize: number, units: number, rng: Rng): [Float32Array, Float32Array, Float32Array] {
    const K = glorotUniform(inputSize, 4 * units, rng);
    const R = orthogonal(units, 4 * units, rng);
    const b = new Float32Array(4 * units);
    b.fill(1, units, 2 * units); // forget gate
    return [K, R, b];
  }

  /** New random weights in place. */
  reinitialise(rng: Rng): void {
    const [K, R, b] = LSTM.initialValues(this.inputSize, this.units, rng);
    tf.tidy(() => {
      this.params[0].assign(tf.tensor2d(K, [this.inputSize, 4 * this.units]));
      this.params[1].assign(tf.tensor2d(R, [this.units, 4 * this.units]));
      this.params[2].assign(tf.tensor1d(b));
    });
  }

  private act(z: tf.Tensor2D): tf.Tensor2D {
    return this.recurrentActivation === "sigmoid" ? (tf.sigmoid(z) as tf.Tensor2D) : hardSigmoid(z, this.k);
  }

  /** Runs the sequence xs [B, T, in] from (h0, c0); call inside `tf.tidy`. */
  forward(xs: tf.Tensor3D, h0: tf.Tensor2D, c0: tf.Tensor2D): LSTMSequence {
    const [B, T, D] = xs.shape;
    const H = this.units;
    const [K, R, b] = this.params;
    // input projections for every step at once: [B*T, 4H] -> T slices of [B, 4H]
    const zx = tf.reshape(tf.add(matMulWeights(tf.reshape(xs, [B * T, D]) as tf.Tensor2D, K as tf.Tensor2D), b), [B, T, 4 * H]);
    const xsSteps = unstackSteps(xs);
    const zxSteps = unstackSteps(zx as tf.Tensor3D);
    const steps: StepCache[] = [];
    const outs: tf.Tensor2D[] = [];
    let h = h0;
    let c = c0;
    for (let t = 0; t < T; t++) {
      const z = tf.add(zxSteps[t], matMulWeights(h, R as tf.Tensor2D)) as tf.Tensor2D;
      const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
      const i = this.act(zi);
      const f = this.act(zf);
      const g = tf.tanh(zg) as tf.Tensor2D;
      const o = this.act(zo);
      const cNew = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
      const tanhC = tf.tanh(cNew) as tf.Tensor2D;
      const hNew = tf.mul(o, tanhC) as tf.Tensor2D;
      steps.push({ x: xsSteps[t], hPrev: h, cPrev: c, zi, zf, zo, i, f, g, o, c: cNew, tanhC });
      outs.push(hNew);
      h = hNew;
      c = cNew;
    }
    return { hs: tf.stack(outs, 1) as tf.Tensor3D, h, c, steps };
  }

  /**
   * Backward pass through time from d(loss)/d(hs) [B, T, H] (and optionally d/d of the final
   * state); returns parameter, initial-state and input gradients. Call inside `tf.tidy`.
   */
  backward(seq: LSTMSequence, dHs: tf.Tensor3D, dhFinal?: tf.Tensor2D, dcFinal?: tf.Tensor2D): LSTMGrads {
    const [K, R] = this.params;
    const H = this.units;
    const T = seq.steps.length;
    const B = dHs.shape[0];
    const dHsSteps = unstackSteps(dHs);
    const RT = tf.transpose(R);
    const KT = tf.transpose(K);
    let dh: tf.Tensor2D = dhFinal ?? tf.zeros([B, H]);
    let dc: tf.Tensor2D = dcFinal ?? tf.zeros([B, H]);
    const dzSteps: tf.Tensor2D[] = new Array(T);
    const kind = this.recurrentActivation;
    for (let t = T - 1; t >= 0; t--) {
      const s = seq.steps[t];
      dh = tf.add(dh, dHsSteps[t]) as tf.Tensor2D;
      const dO = tf.mul(dh, s.tanhC);
      dc = tf.add(dc, tf.mul(tf.mul(dh, s.o), tf.sub(this.k.one, tf.square(s.tanhC)))) as tf.Tensor2D;
      const dI = tf.mul(dc, s.g);
      const dF = tf.mul(dc, s.cPrev);
      const dG = tf.mul(dc, s.i);
      const dz = tf.concat(
        [
          tf.mul(dI, recurrentDerivative(kind, s.zi, s.i, this.k)),
          tf.mul(dF, recurrentDerivative(kind, s.zf, s.f, this.k)),
          tf.mul(dG, tf.sub(this.k.one, tf.square(s.g))),
          tf.mul(dO, recurrentDerivative(kind, s.zo, s.o, this.k)),
        ] as tf.Tensor2D[],
        1,
      );
      dzSteps[t] = dz;
      dh = tf.matMul(dz, RT);
      dc = tf.mul(dc, s.f) as tf.Tensor2D;
    }
    // parameter gradients summed over steps, as single matMuls over [B*T] rows
    const dzAll = tf.reshape(tf.stack(dzSteps, 1), [B * T, 4 * H]) as tf.Tensor2D;
    const xAll = tf.reshape(
      tf.stack(
        seq.steps.map((s) => s.x),
        1,
      ),
      [B * T, this.inputSize],
    ) as tf.Tensor2D;
    const hPrevAll = tf.reshape(
      tf.stack(
        seq.steps.map((s) => s.hPrev),
        1,
      ),
      [B * T, H],
    ) as tf.Tensor2D;
    const dK: tf.Tensor2D = tf.matMul(tf.transpose(xAll), dzAll);
    const dR: tf.Tensor2D = tf.matMul(tf.transpose(hPrevAll), dzAll);
    const db = tf.reshape(tf.matMul(tf.ones([1, B * T]), dzAll), [4 * H]) as tf.Tensor1D;
    const dxs = tf.reshape(tf.matMul(dzAll, KT), [B, T, this.inputSize]) as tf.Tensor3D;
    return { params: [dK, dR, db], h0: dh, c0: dc, xs: dxs };
  }

  /** The current weights as plain arrays, for {@link PlainLSTM}. */
  toPlain(plain?: PlainLSTM): PlainLSTM {
    const p = plain ?? new PlainLSTM(this.inputSize, this.units, this.recurrentActivation);
    p.kernel.set(this.params[0].dataSync() as Float32Array);
    p.recurrent.set(this.params[1].dataSync() as Float32Array);
    p.bias.set(this.params[2].dataSync() as Float32Array);
    return p;
  }

  dispose(): void {
    for (const p of this.params) p.dispose();
    for (const c of Object.values(this.k)) c.dispose();
  }
}

type PlayStepKernel = (
  x: Float64Array,
  xOff: number,
  D: number,
  kernel: Float32Array,
  recurrent: Float32Array,
  bias: Float32Array,
  h: Float64Array,
  z: Float64Array,
) => void;

/** The addon's play-time step (z = b + x·K + h·R in float64, om_play.cc) while the native kernels are active, else null. */
function playStepKernel(): PlayStepKernel | null {
  const k = nativeKernels() as (NativeKernels & { lstmStepZ?: PlayStepKernel }) | null;
  return k?.lstmStepZ ?? null;
}

/**
 * One LSTM step (batch 1) in float64, for advancing a state during play: the gates'
 * pre-activations on the native kernels when they are active and the input is a Float64Array
 * (the same numbers bit for bit), else in TypeScript; the gates in TypeScript.
 */
export class PlainLSTM {
  readonly kernel: Float32Array;
  readonly recurrent: Float32Array;
  readonly bias: Float32Array;
  private readonly z: Float64Array;

  constructor(
    readonly inputSize: number,
    readonly units: number,
    readonly recurrentActivation: RecurrentActivation,
  ) {
    this.kernel = new Float32Array(inputSize * 4 * units);
    this.recurrent = new Float32Array(units * 4 * units);
    this.bias = new Float32Array(4 * units);
    this.z = new Float64Array(4 * units);
  }

  /** Advances (h, c) in place by one input `x[xOff .. xOff + inputSize)`. */
  step(x: ArrayLike<number>, xOff: number, h: Float64Array, c: Float64Array): void {
    const H = this.units;
    const G = 4 * H;
    const z = this.z;
    const native = playStepKernel();
    if (native && x instanceof Float64Array) {
      // the same products and sums in the same order (om_play.cc): the same bits, ~10x faster
      native(x, xOff, this.inputSize, this.kernel, this.recurrent, this.bias, h, z);
    } else {
      for (let j = 0; j < G; j++) z[j] = this.bias[j];
      for (let k = 0; k < this.inputSize; k++) {
        const v = x[xOff + k];
        if (v === 0) continue;
        const row = k * G;
        for (let j = 0; j < G; j++) z[j] += v * this.kernel[row + j];
      }
      for (let k = 0; k < H; k++) {
        const v = h[k];
        if (v === 0) continue;
        const row = k * G;
        for (let j = 0; j < G; j++) z[j] += v * this.recurrent[row + j];
      }
    }
    const hard = this.recurrentActivation === "hard_sigmoid";
    for (let k = 0; k < H; k++) {
      const i = hard ? Math.min(1, Math.max(0, 0.2 * z[k] + 0.5)) : 1 / (1 + Math.exp(-z[k]));
      const f = hard ? Math.min(1, Math.max(0, 0.2 * z[H + k] + 0.5)) : 1 / (1 + Math.exp(-z[H + k]));
      const g = Math.tanh(z[2 * H + k]);
      const o = hard ? Math.min(1, Math.max(0, 0.2 * z[3 * H + k] + 0.5)) : 1 / (1 + Math.exp(-z[3 * H + k]));
      c[k] = f * c[k] + i * g;
      h[k] = o * Math.tanh(c[k]);
    }
  }
}

/** The addon's LSTM kernels (src/nn/native/om_lstm.cc), on plain float32 arrays. */
interface LSTMKernels {
  lstmForward(
    xs: Float32Array,
    B: number,
    T: number,
    D: number,
    H: number,
    kernel: Float32Array,
    recurrent: Float32Array,
    bias: Float32Array,
    h0: Float32Array,
    c0: Float32Array,
    hard: boolean,
    hs: Float32Array,
    gates: Float32Array,
    deriv: Float32Array,
    cs: Float32Array,
    tanhCs: Float32Array,
  ): void;
  lstmBackward(
    xs: Float32Array,
    B: number,
    T: number,
    D: number,
    H: number,
    kernel: Float32Array,
    recurrent: Float32Array,
    h0: Float32Array,
    c0: Float32Array,
    hs: Float32Array,
    gates: Float32Array,
    deriv: Float32Array,
    cs: Float32Array,
    tanhCs: Float32Array,
    dHs: Float32Array,
    dK: Float32Array,
    dR: Float32Array,
    db: Float32Array,
    dh0: Float32Array,
    dc0: Float32Array,
    dz: Float32Array,
    dxs: Float32Array | null,
  ): void;
}

/** The native LSTM kernels when the addon is active and has them (an addon built before them has not), else null. */
export function nativeLSTMKernels(): LSTMKernels | null {
  const k = nativeKernels() as (NativeKernels & Partial<LSTMKernels>) | null;
  return k && typeof k.lstmForward === "function" && typeof k.lstmBackward === "function" ? (k as unknown as LSTMKernels) : null;
}

/**
 * An LSTM's forward pass over a batch of B sequences of T steps and its backward pass through time
 * in the native kernels, on plain arrays: the same arithmetic as {@link LSTM.forward} and
 * {@link LSTM.backward} (the tfjs path, its reference: equal to float32 rounding, tested), in
 * one native call each instead of ~15 tfjs ops a step. Buffers are made once for the shape and
 * reused run after run. Weights are passed in per call (views of the variables' memory).
 */
export class NativeLSTMRun {
  /** Outputs h per step, [B, T, H] (batch-major). */
  readonly hs: Float32Array;
  /** The final cell state, [B, H] (a view of the cache). */
  readonly c: Float32Array;
  /** The final hidden state, [B, H] (copied out of {@link hs} by {@link forward}). */
  readonly h: Float32Array;
  /** Gradients after {@link backward}: kernel, recurrent kernel, bias, and the initial state's. */
  readonly dK: Float32Array;
  readonly dR: Float32Array;
  readonly db: Float32Array;
  readonly dh0: Float32Array;
  readonly dc0: Float32Array;
  private readonly gates: Float32Array;
  private readonly deriv: Float32Array;
  private readonly cs: Float32Array;
  private readonly tanhCs: Float32Array;
  private readonly dz: Float32Array;
  private readonly k: LSTMKernels;

  constructor(
    readonly inputSize: number,
    readonly units: number,
    readonly batch: number,
    readonly steps: number,
    readonly recurrentActivation: RecurrentActivation,
  ) {
    const k = nativeLSTMKernels();
    if (!k)
      throw new Error("NativeLSTMRun: lemol's native LSTM kernels are not active (addon missing or not rebuilt, LEMOL_NATIVE=0, or not the wasm backend)");
    this.k = k;
    const [B, T, D, H] = [batch, steps, inputSize, units];
    this.hs = new Float32Array(B * T * H);
    this.gates = new Float32Array(T * B * 4 * H);
    this.deriv = new Float32Array(T * B * 4 * H);
    this.cs = new Float32Array(T * B * H);
    this.tanhCs = new Float32Array(T * B * H);
    this.c = this.cs.subarray((T - 1) * B * H);
    this.h = new Float32Array(B * H);
    this.dz = new Float32Array(B * T * 4 * H);
    this.dK = new Float32Array(D * 4 * H);
    this.dR = new Float32Array(H * 4 * H);
    this.db = new Float32Array(4 * H);
    this.dh0 = new Float32Array(B * H);
    this.dc0 = new Float32Array(B * H);
  }

  /** Runs xs [B, T, D] from (h0, c0) [B, H] with weights [kernel, recurrent, bias]. */
  forward(weights: readonly Float32Array[], xs: Float32Array, h0: Float32Array, c0: Float32Array): void {
    const [B, T, D, H] = [this.batch, this.steps, this.inputSize, this.units];
    this.k.lstmForward(
      xs,
      B,
      T,
      D,
      H,
      weights[0],
      weights[1],
      weights[2],
      h0,
      c0,
      this.recurrentActivation === "hard_sigmoid",
      this.hs,
      this.gates,
      this.deriv,
      this.cs,
      this.tanhCs,
    );
    for (let b = 0; b < B; b++) this.h.set(this.hs.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
  }

  /**
   * Back through time from d(loss)/d(hs) [B, T, H] for the last {@link forward} (same xs, h0, c0
   * and weights): the parameter and initial-state gradients, and d/dxs into `dxs` when given.
   */
  backward(weights: readonly Float32Array[], xs: Float32Array, h0: Float32Array, c0: Float32Array, dHs: Float32Array, dxs: Float32Array | null = null): void {
    const [B, T, D, H] = [this.batch, this.steps, this.inputSize, this.units];
    this.k.lstmBackward(
      xs,
      B,
      T,
      D,
      H,
      weights[0],
      weights[1],
      h0,
      c0,
      this.hs,
      this.gates,
      this.deriv,
      this.cs,
      this.tanhCs,
      dHs,
      this.dK,
      this.dR,
      this.db,
      this.dh0,
      this.dc0,
      this.dz,
      dxs,
    );
  }
}
