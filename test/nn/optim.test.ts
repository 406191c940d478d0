// Adam with TF1's rule and explicit epsilon, per-variable clipping (spec §9.2 item 9), polyak (item 6).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Adam, clipByNorm, polyakUpdate } from "../../src/nn/optim.js";
import { nativeActive } from "../../src/nn/native-kernels.js";
import { assertClose, ready, tf, values } from "../helpers/tf.js";

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

describe("optimisation", () => {
  before(ready);

  it("clips a gradient of norm 2 to 0.5 and leaves one of norm 0.3 alone", () => {
    const big = tf.tensor1d([1.2, -1.6]); // norm 2
    const small = tf.tensor1d([0.18, 0.24]); // norm 0.3
    const c1 = values(clipByNorm(big, 0.5));
    const c2 = values(clipByNorm(small, 0.5));
    assert.ok(Math.abs(norm(c1) - 0.5) < 1e-6);
    assertClose(c1, [0.3, -0.4], 1e-6, "direction kept");
    assertClose(c2, [0.18, 0.24], 1e-7, "untouched");
    assertClose(values(clipByNorm(tf.zeros([3]), 0.5)), [0, 0, 0], 0, "zero gradient");
    tf.dispose([big, small]);
  });

  it("clips each variable separately, not by the global norm", () => {
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([2]));
    const adam = new Adam([a, b], { learningRate: 0.1, epsilon: 1e-8, clipNorm: 0.5 });
    adam.apply([tf.tensor1d([1.2, -1.6]), tf.tensor1d([0.18, 0.24])]);
    const { m } = adam.getState();
    // m = (1 - 0.9) * clipped gradient
    assertClose(Array.from(m[0]), [0.03, -0.04], 1e-7, "a clipped to 0.5");
    assertClose(Array.from(m[1]), [0.018, 0.024], 1e-7, "b untouched (a global clip would have scaled it)");
    adam.dispose();
  });

  it("with clipScope global, scales every gradient by clip / (global norm + 1e-6) when that is below 1 (PyTorch's clip_grad_norm_), on both paths", () => {
    const grads = [
      [1.2, -1.6],
      [0.18, 0.24],
    ];
    const f = 0.5 / (Math.sqrt(2 ** 2 + 0.3 ** 2) + 1e-6);
    const check = (m: Float32Array[], what: string) => {
      assertClose(Array.from(m[0]), [0.1 * f * 1.2, -0.1 * f * 1.6], 1e-7, `${what}: a scaled by the global factor`);
      assertClose(Array.from(m[1]), [0.1 * f * 0.18, 0.1 * f * 0.24], 1e-7, `${what}: b scaled by the same factor`);
    };
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([2]));
    const adam = new Adam([a, b], { learningRate: 0.1, epsilon: 1e-8, clipNorm: 0.5, clipScope: "global" });
    const tensors = grads.map((g) => tf.tensor1d(g));
    adam.apply(tensors);
    check(adam.getState().m, "apply");
    tf.dispose(tensors);
    adam.dispose();
    if (nativeActive()) {
      const c = tf.variable(tf.zeros([2]));
      const d = tf.variable(tf.zeros([2]));
      const native = new Adam([c, d], { learningRate: 0.1, epsilon: 1e-8, clipNorm: 0.5, clipScope: "global" });
      native.applyArrays(grads.map((g) => Float32Array.from(g)));
      check(native.getState().m, "applyArrays");
      native.dispose();
    }
    // below the clip nothing changes
    const e = tf.variable(tf.zeros([2]));
    const small = new Adam([e], { learningRate: 0.1, epsilon: 1e-8, clipNorm: 0.5, clipScope: "global" });
    const g = tf.tensor1d([0.18, 0.24]);
    small.apply([g]);
    assertClose(Array.from(small.getState().m[0]), [0.018, 0.024], 1e-7, "norm 0.3 < 0.5: untouched");
    tf.dispose(g);
    small.dispose();
  });

  it("follows TF1's Adam: lr_t = lr·sqrt(1-β2^t)/(1-β1^t), θ -= lr_t·m/(sqrt(v)+ε)", () => {
    const x = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const eps = 1e-3; // large enough to tell TF1's placement of epsilon from the paper's
    const adam = new Adam([x], { learningRate: 0.05, epsilon: eps, clipNorm: null });
    const grads = [
      [0.3, -0.1, 2.0],
      [0.1, 0.4, -1.0],
    ];
    const theta = [1, -2, 0.5],
      m = [0, 0, 0],
      v = [0, 0, 0];
    grads.forEach((g, t) => {
      adam.apply([tf.tensor1d(g)]);
      const lrT = (0.05 * Math.sqrt(1 - 0.999 ** (t + 1))) / (1 - 0.9 ** (t + 1));
      for (let k = 0; k < 3; k++) {
        m[k] = 0.9 * m[k] + 0.1 * g[k];
        v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k];
        theta[k] -= (lrT * m[k]) / (Math.sqrt(v[k]) + eps);
      }
      assertClose(values(x), theta, 1e-6, `after step ${t + 1}`);
    });
    assert.equal(adam.step, 2);
    const state = adam.getState();
    const y = tf.variable(tf.zeros([3]));
    const other = new Adam([y], { learningRate: 0.05, epsilon: eps, clipNorm: null });
    other.setState(state);
    assert.deepEqual(other.getState(), state);
    assert.throws(() => new Adam([x], { learningRate: 0, epsilon: 1e-8, clipNorm: null }), /learning rate must be > 0/);
    adam.dispose();
    other.dispose();
  });

  it("moves targets by polyak averaging: θ' = θ + (θ'₀ − θ)(1 − τ)^n with a frozen online net", () => {
    const online = [tf.variable(tf.tensor1d([1, 2, 3]))];
    const target = [tf.variable(tf.tensor1d([-1, 0, 5]))];
    const tau = 0.05,
      n = 20;
    for (let i = 0; i < n; i++) polyakUpdate(target, online, tau);
    const want = [1, 2, 3].map((th, k) => th + ([-1, 0, 5][k] - th) * (1 - tau) ** n);
    assertClose(values(target[0]), want, 1e-5, "target");
  });
});
