// Autodiff (src/nn/gradients.ts): once enableAutodiff() has loaded tfjs's gradient definitions,
// tf.variableGrads goes through lemol's layers — the native kernels included — and agrees with
// their explicit backward passes; the opponent model's loss can be swapped for another, trained
// by autodiff, and its default written for autodiff gives the explicit path's gradients.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { crossEntropyLoss } from "../../src/agents/lemol/om-loss.js";
import { OpponentModel } from "../../src/agents/lemol/opponent-model.js";
import { enableAutodiff } from "../../src/nn/gradients.js";
import { LSTM } from "../../src/nn/lstm.js";
import { MLP } from "../../src/nn/mlp.js";
import { activateNative, deactivateNative, nativeActive } from "../../src/nn/native-kernels.js";
import { concatColumns, matMulWeights, sliceColumns, softmaxRows } from "../../src/nn/ops.js";
import { Rng } from "../../src/util/rng.js";
import { ready, tf } from "../helpers/tf.js";

/** Every element of `got` within `rel` of the largest magnitude of `want`'s array. */
function agree(got: ArrayLike<number>[], want: ArrayLike<number>[], rel: number, what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => {
    const scale = Math.max(1e-8, ...Array.from(want[i], Math.abs));
    for (let k = 0; k < g.length; k++) assert.ok(Math.abs(g[k] - want[i][k]) <= rel * scale, `${what} ${i}[${k}]: ${g[k]} vs ${want[i][k]}`);
  });
}

const data = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

const KERNELS = ["native", "composite"] as const;
function withKernels(k: (typeof KERNELS)[number], t: { skip(m: string): void }, body: () => void): void {
  if (k === "native" && !activateNative()) return t.skip("native kernels not built");
  if (k === "composite") deactivateNative();
  try {
    body();
  } finally {
    activateNative();
  }
}

describe("autodiff", () => {
  before(async () => {
    await ready();
    await enableAutodiff();
  });

  for (const k of KERNELS) {
    it(`goes through an MLP and agrees with its explicit backward pass (${k} kernels)`, (t) =>
      withKernels(k, t, () => {
        const rng = new Rng(3);
        const mlp = new MLP([7, 16, 16, 4], rng);
        const x = tf.tensor2d(data(rng, 9 * 7), [9, 7]);
        const y = tf.tensor2d(data(rng, 9 * 4), [9, 4]);
        const auto = tf.variableGrads(() => tf.mean(tf.square(tf.sub(mlp.apply(x), y))) as tf.Scalar, mlp.params);
        const explicit = tf.tidy(() => {
          const cache = mlp.forward(x);
          const d = tf.mul(tf.sub(cache.out, y), 2 / (9 * 4)) as tf.Tensor2D;
          return mlp.backward(cache, d).params.map((g) => g.dataSync());
        });
        agree(
          mlp.params.map((p) => auto.grads[p.name].dataSync()),
          explicit,
          1e-5,
          "gradient",
        );
        tf.dispose([x, y, auto.value, ...Object.values(auto.grads)]);
        mlp.dispose();
      }));
  }

  it("goes through the native concat, slice, softmax and weight product as through tfjs's own ops", (t) => {
    const rng = new Rng(4);
    const a = tf.variable(tf.tensor2d(data(rng, 6 * 3), [6, 3]));
    const b = tf.variable(tf.tensor2d(data(rng, 6 * 2), [6, 2]));
    const w = tf.variable(tf.tensor2d(data(rng, 5 * 4), [5, 4]));
    const noise = tf.tensor2d(data(rng, 6 * 3), [6, 3]);
    const loss = () => {
      const cat = concatColumns([a, b]); // [6, 5]
      const z = matMulWeights(cat, w); // [6, 4]
      const s = softmaxRows(sliceColumns(z, 1, 3), noise); // [6, 3]
      return tf.sum(
        tf.mul(
          s,
          tf.tensor2d(
            Float32Array.from({ length: 18 }, (_, i) => (i % 5) - 2),
            [6, 3],
          ),
        ),
      ) as tf.Scalar;
    };
    const run = () => {
      const g = tf.variableGrads(loss, [a, b, w]);
      const out = [a, b, w].map((v) => Float32Array.from(g.grads[v.name].dataSync()));
      tf.dispose([g.value, ...Object.values(g.grads)]);
      return out;
    };
    if (!activateNative()) return t.skip("native kernels not built");
    assert.ok(nativeActive());
    const native = run();
    deactivateNative();
    const composite = run();
    activateNative();
    agree(native, composite, 1e-5, "gradient");
    assert.ok(
      native.every((g) => g.some((x) => x !== 0)),
      "every variable gets a gradient",
    );
    tf.dispose([a, b, w, noise]);
  });

  it("goes through the LSTM and agrees with its backpropagation through time", () => {
    const rng = new Rng(5);
    const lstm = new LSTM(3, 5, rng, { recurrentActivation: "sigmoid" });
    const xs = tf.tensor3d(data(rng, 2 * 4 * 3), [2, 4, 3]);
    const h0 = tf.zeros([2, 5]) as tf.Tensor2D;
    const weights = tf.tensor3d(data(rng, 2 * 4 * 5), [2, 4, 5]);
    const auto = tf.variableGrads(() => tf.sum(tf.mul(lstm.forward(xs, h0, h0).hs, weights)) as tf.Scalar, lstm.params);
    const explicit = tf.tidy(() => lstm.backward(lstm.forward(xs, h0, h0), weights).params.map((g) => g.dataSync()));
    agree(
      lstm.params.map((p) => auto.grads[p.name].dataSync()),
      explicit,
      1e-5,
      "gradient",
    );
    tf.dispose([xs, h0, weights, auto.value, ...Object.values(auto.grads)]);
    lstm.dispose();
  });

  describe("the opponent model's loss", () => {
    function om(revision: "init" | "head") {
      const m = new OpponentModel({
        obsSize: 3,
        actionSize: 2,
        oppActionSize: 3,
        hidden: 4,
        numUnits: 6,
        omlr: 1e-2,
        recurrentActivation: "sigmoid",
        rng: new Rng(5),
      });
      const rng = new Rng(9);
      const B = 2,
        C = 5;
      const inputs = data(rng, B * C * m.eventSize);
      const obs = data(rng, B * C * m.obsSize);
      const targets = new Float32Array(B * C * 3);
      for (let r = 0; r < B * C; r++) targets[r * 3 + rng.int(3)] = 1;
      const state = { h: data(rng, B * 4), c: data(rng, B * 4), useInit: revision === "init" };
      return { m, chunk: { inputs, obs, targets, B, C, state, revision } };
    }

    for (const revision of ["init", "head"] as const) {
      it(`written for autodiff, the default cross-entropy gives the explicit path's gradients (${revision})`, () => {
        const { m, chunk } = om(revision);
        const explicit = m.gradients(chunk);
        const auto = m.autodiffGradients(chunk, crossEntropyLoss);
        assert.ok(Math.abs(auto.loss - explicit.loss) < 1e-5, `loss ${auto.loss} vs ${explicit.loss}`);
        agree(auto.grads, explicit.grads, 1e-4, "gradient");
        m.dispose();
      });
    }

    it("can be swapped in a notebook cell: another loss trains the model by autodiff, with no tensors left behind", () => {
      const { m, chunk } = om("head");
      const { B } = chunk;
      // label smoothing: a loss the explicit path does not have
      const smoothed = (logits: tf.Tensor2D, t: tf.Tensor2D) => crossEntropyLoss(logits, tf.add(tf.mul(t, 0.8), 0.2 / 3) as tf.Tensor2D, null);
      m.setLoss(smoothed);
      const before = m.predictor.params.map((p) => Float32Array.from(p.dataSync()));
      const state = () => ({ h: new Float32Array(B * 4), c: new Float32Array(B * 4), useInit: true });
      const first = m.trainChunk({ ...chunk, state: state(), revision: "head" });
      const tensors = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 30; i++) last = m.trainChunk({ ...chunk, state: state(), revision: "head" });
      assert.equal(tf.memory().numTensors, tensors, "tensors flat");
      assert.ok(last.loss < first.loss - 0.05, `the smoothed loss falls: ${first.loss} -> ${last.loss}`);
      assert.notDeepEqual(
        m.predictor.params.map((p) => Float32Array.from(p.dataSync())),
        before,
      );
      // and the explicit path again
      m.setLoss(null);
      assert.equal(m.loss, null);
      m.dispose();
    });
  });
});
