// The LSTM: Keras gate layout and initialisation, tf vs plain step, and BPTT against numeric gradients.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { LSTM, RecurrentActivation } from "../../src/nn/lstm.js";
import { Adam } from "../../src/nn/optim.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, callsDuring, numericDerivative, ready, tf, values } from "../helpers/tf.js";

/** float64 reference LSTM over xs [B, T, D] from (h0, c0); returns [hs, hT, cT]. */
function lstm64(
  kind: RecurrentActivation,
  K: Float64Array,
  R: Float64Array,
  bias: Float64Array,
  xs: Float64Array,
  h0: Float64Array,
  c0: Float64Array,
  B: number,
  T: number,
  D: number,
  H: number,
) {
  const act = (z: number) => (kind === "sigmoid" ? 1 / (1 + Math.exp(-z)) : Math.min(1, Math.max(0, 0.2 * z + 0.5)));
  const h = Float64Array.from(h0);
  const c = Float64Array.from(c0);
  const hs = new Float64Array(B * T * H);
  for (let t = 0; t < T; t++) {
    const hPrev = Float64Array.from(h);
    for (let b = 0; b < B; b++) {
      const z = new Float64Array(4 * H);
      for (let j = 0; j < 4 * H; j++) {
        let s = bias[j];
        for (let d = 0; d < D; d++) s += xs[(b * T + t) * D + d] * K[d * 4 * H + j];
        for (let k = 0; k < H; k++) s += hPrev[b * H + k] * R[k * 4 * H + j];
        z[j] = s;
      }
      for (let k = 0; k < H; k++) {
        const i = act(z[k]),
          f = act(z[H + k]),
          g = Math.tanh(z[2 * H + k]),
          o = act(z[3 * H + k]);
        c[b * H + k] = f * c[b * H + k] + i * g;
        h[b * H + k] = o * Math.tanh(c[b * H + k]);
        hs[(b * T + t) * H + k] = h[b * H + k];
      }
    }
  }
  return [hs, h, c];
}

describe("LSTM", () => {
  before(ready);

  it("initialises as Keras: Glorot kernel, orthogonal recurrent kernel, forget-gate bias 1", () => {
    const l = new LSTM(20, 32, new Rng(1));
    assert.deepEqual(
      l.params.map((p) => p.shape),
      [[20, 128], [32, 128], [128]],
    );
    const b = values(l.params[2]);
    assert.ok(b.slice(0, 32).every((v) => v === 0) && b.slice(32, 64).every((v) => v === 1) && b.slice(64).every((v) => v === 0));
    assert.equal(l.recurrentActivation, "hard_sigmoid");
    l.dispose();
  });

  for (const kind of ["hard_sigmoid", "sigmoid"] as const) {
    it(`${kind}: forward matches a float64 reference and the plain step; BPTT matches numeric gradients`, () => {
      const [B, T, D, H] = [2, 4, 3, 5];
      const l = new LSTM(D, H, new Rng(2), { recurrentActivation: kind });
      // larger bias spread so both gates' regimes are exercised
      const rng = new Rng(3);
      const xs = Float64Array.from({ length: B * T * D }, () => rng.normal());
      const h0 = Float64Array.from({ length: B * H }, () => 0.5 * rng.normal());
      const c0 = Float64Array.from({ length: B * H }, () => 0.5 * rng.normal());
      const Rh = Float64Array.from({ length: B * T * H }, () => rng.normal());
      const RhT = Float64Array.from({ length: B * H }, () => rng.normal());
      const RcT = Float64Array.from({ length: B * H }, () => rng.normal());
      const [K, Rk, bias] = l.params.map((p) => Float64Array.from(p.dataSync()));
      const run = () => lstm64(kind, K, Rk, bias, xs, h0, c0, B, T, D, H);
      const loss = () => {
        const [hs, h, c] = run();
        let s = 0;
        hs.forEach((v, i) => (s += v * Rh[i]));
        h.forEach((v, i) => (s += v * RhT[i]));
        c.forEach((v, i) => (s += v * RcT[i]));
        return s;
      };
      const f32 = (a: Float64Array) => Float32Array.from(a);
      const out = tf.tidy(() => {
        const seq = l.forward(tf.tensor3d(f32(xs), [B, T, D]), tf.tensor2d(f32(h0), [B, H]), tf.tensor2d(f32(c0), [B, H]));
        const g = l.backward(seq, tf.tensor3d(f32(Rh), [B, T, H]), tf.tensor2d(f32(RhT), [B, H]), tf.tensor2d(f32(RcT), [B, H]));
        return {
          hs: values(seq.hs),
          h: values(seq.h),
          c: values(seq.c),
          dK: values(g.params[0]),
          dR: values(g.params[1]),
          db: values(g.params[2]),
          dh0: values(g.h0),
          dc0: values(g.c0),
          dxs: values(g.xs),
        };
      });
      const [hs, hT, cT] = run();
      assertClose(out.hs, hs, 1e-5, "hs");
      assertClose(out.h, hT, 1e-5, "h");
      assertClose(out.c, cT, 1e-5, "c");
      // the plain step (batch row 0) follows the same trajectory
      const plain = l.toPlain();
      const hp = Float64Array.from(h0.subarray(0, H));
      const cp = Float64Array.from(c0.subarray(0, H));
      for (let t = 0; t < T; t++) plain.step(xs, t * D, hp, cp);
      assertClose(hp, hT.subarray(0, H), 1e-5, "plain h");
      for (const [name, got, x] of [
        ["dK", out.dK, K],
        ["dR", out.dR, Rk],
        ["db", out.db, bias],
        ["dh0", out.dh0, h0],
        ["dc0", out.dc0, c0],
        ["dxs", out.dxs, xs],
      ] as const) {
        assertClose(
          got,
          Array.from(x, (_, i) => numericDerivative(loss, x, i)),
          2e-3,
          `${kind} ${name}`,
        );
      }
      l.dispose();
    });
  }

  it("makes no constants per step: a pass over 8 steps makes as many tensors from values as over 2", () => {
    for (const kind of ["hard_sigmoid", "sigmoid"] as RecurrentActivation[]) {
      const m = new LSTM(3, 4, new Rng(1), { recurrentActivation: kind });
      const xs = { 2: tf.randomNormal([2, 2, 3], 0, 1, "float32", 1), 8: tf.randomNormal([2, 8, 3], 0, 1, "float32", 1) };
      // (a number in an op becomes a tensor made from its value, each call)
      const made = (T: 2 | 8) =>
        callsDuring(tf.engine(), "makeTensor", () =>
          tf.tidy(() => {
            const h0 = tf.zeros([2, 4]) as tf.Tensor2D;
            const seq = m.forward(xs[T] as tf.Tensor3D, h0, h0);
            m.backward(seq, tf.onesLike(seq.hs));
          }),
        );
      made(2); // tfjs's own first-use set-up
      assert.equal(made(8), made(2), kind);
      m.dispose();
      xs[2].dispose();
      xs[8].dispose();
    }
  });

  it("hands state from chunk to chunk: two halves equal one long pass (truncated BPTT)", () => {
    const [B, T, D, H] = [3, 8, 4, 6];
    const l = new LSTM(D, H, new Rng(4));
    const rng = new Rng(5);
    const xs = Float32Array.from({ length: B * T * D }, () => rng.normal());
    const whole = tf.tidy(() => values(l.forward(tf.tensor3d(xs, [B, T, D]), tf.zeros([B, H]), tf.zeros([B, H])).hs));
    const halves = tf.tidy(() => {
      const x = tf.tensor3d(xs, [B, T, D]);
      const first = l.forward(tf.slice(x, [0, 0, 0], [B, T / 2, D]), tf.zeros([B, H]), tf.zeros([B, H]));
      // the state crosses as plain numbers, as the OM trainer hands it over
      const h = tf.tensor2d(first.h.dataSync(), [B, H]);
      const c = tf.tensor2d(first.c.dataSync(), [B, H]);
      const second = l.forward(tf.slice(x, [0, T / 2, 0], [B, T / 2, D]), h, c);
      return values(tf.concat([first.hs, second.hs], 1));
    });
    assertClose(halves, whole, 1e-6, "chunked vs whole");
    l.dispose();
  });

  it("sees weights updated in place by the optimiser (no stale cached copy in the forward pass)", () => {
    const rng = new Rng(8);
    const l = new LSTM(6, 4, rng);
    const adam = new Adam([...l.params], { learningRate: 0.1, epsilon: 1e-8, clipNorm: null });
    const xs = Float32Array.from({ length: 3 * 5 * 6 }, () => rng.normal());
    const run = (m: LSTM) => tf.tidy(() => values(m.forward(tf.tensor3d(xs, [3, 5, 6]), tf.zeros([3, 4]), tf.zeros([3, 4])).hs));
    const before = run(l);
    // one update (in place on the wasm backend with the native kernels)
    tf.tidy(() => adam.apply(l.params.map((p) => tf.onesLike(p))));
    const after = run(l);
    // a fresh LSTM holding the updated weights computes the reference
    const fresh = new LSTM(6, 4, new Rng(1));
    tf.tidy(() => fresh.params.forEach((p, k) => p.assign(tf.tensor(l.params[k].dataSync() as Float32Array, l.params[k].shape))));
    assertClose(after, run(fresh), 1e-6, "forward after the update");
    assert.ok(
      before.some((v, i) => Math.abs(v - after[i]) > 1e-3),
      "the update changed the output",
    );
    l.dispose();
    fresh.dispose();
    adam.dispose();
  });
});
