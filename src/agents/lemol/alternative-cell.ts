/**
 * The experimental slow-LSTM cell of the original (`LeMOLLSTMCell`; `--use_alternative_lstm`, the
 * initial release's `--use_standard_lstm` switched off; lemol-spec §4.8): before each LSTM step a
 * small MLP computes a learning feature from the opponent's previous action and the previous
 * hidden state, and the LSTM reads it next to the event:
 *
 *   lf_t = MLP([e_t[0:P] ‖ h_{t−1}])       Dense(64, ReLU) → Dense(32, ReLU) → Dense(lf_dim)
 *   (h_t, c_t) = LSTM([e_t ‖ lf_t], h_{t−1}, c_t−1)
 *
 * (P = the opponent's action size: the event starts with the opponent's action.) The hidden state
 * h is still what conditions the predictor. It has the same surface as {@link LSTM} (forward over
 * a sequence, backward through time, a plain step for play), so the opponent model uses either.
 */
import { tf } from "../../nn/backend.js";
import { LSTM, PlainLSTM, RecurrentActivation } from "../../nn/lstm.js";
import { MLP, MLPCache, PlainMLP } from "../../nn/mlp.js";
import { concatColumns, sliceColumns, unstackSteps } from "../../nn/ops.js";
import type { Rng } from "../../util/rng.js";

/** Hidden layers of the learning-feature MLP, as the original. */
export const LEARNING_FEATURE_UNITS = [64, 32] as const;

/** What the forward pass keeps per step. */
export interface AlternativeSequence {
  readonly hs: tf.Tensor3D;
  readonly h: tf.Tensor2D;
  readonly c: tf.Tensor2D;
  readonly steps: readonly { lstm: ReturnType<LSTM["forward"]>; mlp: MLPCache }[];
}

export class AlternativeCell {
  readonly inputSize: number;
  readonly units: number;
  readonly learningFeatureDim: number;
  readonly oppActionSize: number;
  readonly lstm: LSTM;
  readonly mlp: MLP;
  private readonly plainLstm: PlainLSTM;
  private readonly plainMlp: PlainMLP;
  private readonly mlpIn: Float64Array;
  private readonly lstmIn: Float64Array;
  private readonly lf: Float64Array;

  constructor(
    inputSize: number,
    units: number,
    learningFeatureDim: number,
    oppActionSize: number,
    rng: Rng,
    recurrentActivation: RecurrentActivation | undefined,
    name: string,
  ) {
    this.inputSize = inputSize;
    this.units = units;
    this.learningFeatureDim = learningFeatureDim;
    this.oppActionSize = oppActionSize;
    this.lstm = new LSTM(inputSize + learningFeatureDim, units, rng, { recurrentActivation, name: `${name}/lstm` });
    this.mlp = new MLP([oppActionSize + units, ...LEARNING_FEATURE_UNITS, learningFeatureDim], rng, `${name}/learning_feature`);
    this.plainLstm = this.lstm.toPlain();
    this.plainMlp = this.mlp.toPlain();
    this.mlpIn = new Float64Array(oppActionSize + units);
    this.lstmIn = new Float64Array(inputSize + learningFeatureDim);
    this.lf = new Float64Array(learningFeatureDim);
  }

  /** The LSTM's weights, then the MLP's. */
  get params(): tf.Variable[] {
    return [...this.lstm.params, ...this.mlp.params];
  }

  /** Runs the sequence xs [B, T, in] from (h0, c0); call inside `tf.tidy`. */
  forward(xs: tf.Tensor3D, h0: tf.Tensor2D, c0: tf.Tensor2D): AlternativeSequence {
    const [B, T] = xs.shape;
    const P = this.oppActionSize;
    const inputs = unstackSteps(xs);
    const steps: AlternativeSequence["steps"][number][] = [];
    const outs: tf.Tensor2D[] = [];
    let h = h0;
    let c = c0;
    for (let t = 0; t < T; t++) {
      const mlp = this.mlp.forward(concatColumns([sliceColumns(inputs[t], 0, P), h]));
      const x = concatColumns([inputs[t], mlp.out]);
      const lstm = this.lstm.forward(tf.reshape(x, [B, 1, this.inputSize + this.learningFeatureDim]) as tf.Tensor3D, h, c);
      steps.push({ lstm, mlp });
      h = lstm.h;
      c = lstm.c;
      outs.push(h);
    }
    return { hs: tf.stack(outs, 1) as tf.Tensor3D, h, c, steps };
  }

  /** Backward pass through time from d(loss)/d(hs) [B, T, H]; gradients in `params` order. */
  backward(seq: AlternativeSequence, dHs: tf.Tensor3D): { params: tf.Tensor[]; h0: tf.Tensor2D; c0: tf.Tensor2D; xs: tf.Tensor3D } {
    const [B, T, H] = dHs.shape;
    const P = this.oppActionSize;
    const E = this.inputSize;
    const dHsSteps = unstackSteps(dHs);
    let dh: tf.Tensor2D = tf.zeros([B, H]);
    let dc: tf.Tensor2D = tf.zeros([B, H]);
    let lstmGrads: tf.Tensor[] | null = null;
    let mlpGrads: tf.Tensor[] | null = null;
    const dxs: tf.Tensor2D[] = new Array(T);
    const add = (acc: tf.Tensor[] | null, g: readonly tf.Tensor[]) => (acc ? acc.map((a, k) => tf.add(a, g[k])) : [...g]);
    for (let t = T - 1; t >= 0; t--) {
      const s = seq.steps[t];
      const g = this.lstm.backward(s.lstm, tf.reshape(dHsSteps[t], [B, 1, H]) as tf.Tensor3D, dh, dc);
      lstmGrads = add(lstmGrads, g.params);
      const dx = tf.reshape(g.xs, [B, E + this.learningFeatureDim]) as tf.Tensor2D;
      const mg = this.mlp.backward(s.mlp, sliceColumns(dx, E, this.learningFeatureDim), true);
      mlpGrads = add(mlpGrads, mg.params);
      // h_{t−1} feeds the LSTM step and the MLP; the event feeds both too (its first P entries)
      dh = tf.add(g.h0, sliceColumns(mg.input!, P, H)) as tf.Tensor2D;
      dc = g.c0;
      const dEvent = sliceColumns(dx, 0, E);
      dxs[t] = tf.add(
        dEvent,
        tf.pad(sliceColumns(mg.input!, 0, P), [
          [0, 0],
          [0, E - P],
        ]),
      ) as tf.Tensor2D;
    }
    return { params: [...lstmGrads!, ...mlpGrads!], h0: dh, c0: dc, xs: tf.stack(dxs, 1) as tf.Tensor3D };
  }

  /** Refreshes the plain copies used in play. */
  syncPlain(): void {
    this.lstm.toPlain(this.plainLstm);
    this.mlp.toPlain(this.plainMlp);
  }

  /** One step in plain TypeScript: advances (h, c) in place on the input at `x[xOff ..]`. */
  step(x: ArrayLike<number>, xOff: number, h: Float64Array, c: Float64Array): void {
    const P = this.oppActionSize;
    for (let k = 0; k < P; k++) this.mlpIn[k] = x[xOff + k];
    this.mlpIn.set(h, P);
    this.plainMlp.forward(this.mlpIn, 0, this.lf);
    for (let k = 0; k < this.inputSize; k++) this.lstmIn[k] = x[xOff + k];
    this.lstmIn.set(this.lf, this.inputSize);
    this.plainLstm.step(this.lstmIn, 0, h, c);
  }

  dispose(): void {
    this.lstm.dispose();
    this.mlp.dispose();
  }
}
