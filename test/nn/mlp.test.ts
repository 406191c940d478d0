// The MLP: initialisation, forward (tf and plain) and the hand-written backward pass.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { MLP, mlpSizes } from "../../src/nn/mlp.js";
import { glorotUniform, orthogonal } from "../../src/nn/init.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, numericDerivative, ready, tf, values } from "../helpers/tf.js";

/** float64 forward of an MLP from flat params (ReLU hidden layers, linear output). */
function forward64(sizes: number[], params: Float64Array[], x: Float64Array, B: number): Float64Array {
  let h = x;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [n, m] = [sizes[l], sizes[l + 1]];
    const out = new Float64Array(B * m);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < m; j++) {
        let s = params[2 * l + 1][j];
        for (let i = 0; i < n; i++) s += h[b * n + i] * params[2 * l][i * m + j];
        out[b * m + j] = l + 2 < sizes.length ? Math.max(0, s) : s;
      }
    h = out;
  }
  return h;
}

describe("initialisers", () => {
  it("glorot-uniform stays within sqrt(6 / (fanIn + fanOut)) and fills the range", () => {
    const w = glorotUniform(37, 64, new Rng(1));
    const lim = Math.sqrt(6 / (37 + 64));
    assert.ok(w.every((v) => Math.abs(v) <= lim));
    assert.ok(Math.max(...w) > 0.95 * lim && Math.min(...w) < -0.95 * lim);
  });
  it("orthogonal gives orthonormal rows (or columns) for both shapes", () => {
    for (const [r, c] of [
      [8, 32],
      [32, 8],
      [16, 16],
    ]) {
      const q = orthogonal(r, c, new Rng(2));
      const n = Math.min(r, c);
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          let dot = 0;
          for (let k = 0; k < Math.max(r, c); k++) dot += r < c ? q[a * c + k] * q[b * c + k] : q[k * c + a] * q[k * c + b];
          assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `${r}x${c}: <${a},${b}> = ${dot}`);
        }
    }
  });
});

describe("MLP", () => {
  before(ready);

  it("has the standard shape: 2 x num_units ReLU layers and a linear head, zero biases", () => {
    const m = new MLP(mlpSizes(37, 1, 64), new Rng(3));
    assert.deepEqual(
      m.params.map((p) => p.shape),
      [[37, 64], [64], [64, 64], [64], [64, 1], [1]],
    );
    assert.ok(values(m.params[1]).every((v) => v === 0));
    assert.equal(m.size, 37 * 64 + 64 + 64 * 64 + 64 + 64 + 1);
    m.dispose();
  });

  it("computes the same output in tf, in plain TypeScript and in a float64 reference", () => {
    const sizes = [7, 16, 16, 4];
    const m = new MLP(sizes, new Rng(4));
    const rng = new Rng(5);
    const B = 6;
    const x = Float64Array.from({ length: B * 7 }, () => rng.normal());
    const tfOut = tf.tidy(() => values(m.apply(tf.tensor2d(Float32Array.from(x), [B, 7]))));
    const ref = forward64(
      sizes,
      m.params.map((p) => Float64Array.from(p.dataSync())),
      x,
      B,
    );
    assertClose(tfOut, ref, 1e-5, "tf vs float64");
    const plain = m.toPlain();
    const out = new Float64Array(4);
    for (let b = 0; b < B; b++) {
      plain.forward(x, b * 7, out);
      assertClose(out, ref.subarray(b * 4, b * 4 + 4), 1e-5, `plain row ${b}`);
    }
    m.dispose();
  });

  it("acts (PlainMLP.forward) with the bits of a float64 sum in input order, zero inputs skipped", () => {
    // widths that leave outputs beyond the forward's blocks of 8 (13 = 8 + 5), inputs with zeros
    const sizes = [7, 13, 9, 4];
    const m = new MLP(sizes, new Rng(8));
    const params = m.params.map((p) => p.dataSync() as Float32Array);
    const reference = (x: Float64Array): Float64Array => {
      let src = x;
      for (let l = 0; l + 1 < sizes.length; l++) {
        const [W, b] = [params[2 * l], params[2 * l + 1]];
        const dst = new Float64Array(sizes[l + 1]);
        for (let j = 0; j < dst.length; j++) {
          let acc = b[j];
          for (let i = 0; i < sizes[l]; i++) if (src[i] !== 0) acc += src[i] * W[i * dst.length + j];
          dst[j] = l + 2 < sizes.length && acc < 0 ? 0 : acc;
        }
        src = dst;
      }
      return src;
    };
    const plain = m.toPlain();
    const rng = new Rng(9);
    const out = new Float64Array(4);
    for (let t = 0; t < 200; t++) {
      const x = Float64Array.from({ length: 7 }, (_, i) => (i % 3 === t % 3 ? 0 : rng.normal() * 3));
      plain.forward(x, 0, out);
      const want = reference(x);
      for (let k = 0; k < 4; k++) assert.ok(Object.is(out[k], want[k]), `output ${k} of input ${t}: ${out[k]} vs ${want[k]}`);
    }
    m.dispose();
  });

  it("backpropagates to every parameter and to the input (numeric gradient check)", () => {
    const sizes = [5, 8, 8, 3];
    const m = new MLP(sizes, new Rng(6));
    const rng = new Rng(7);
    const B = 4;
    const x = Float64Array.from({ length: B * 5 }, () => rng.normal());
    const R = Float64Array.from({ length: B * 3 }, () => rng.normal());
    const params = m.params.map((p) => Float64Array.from(p.dataSync()));
    const loss = () => {
      const out = forward64(sizes, params, x, B);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * R[i];
      return s;
    };
    const { grads, dx } = tf.tidy(() => {
      const cache = m.forward(tf.tensor2d(Float32Array.from(x), [B, 5]));
      const g = m.backward(cache, tf.tensor2d(Float32Array.from(R), [B, 3]), true);
      return { grads: g.params.map((t) => tf.keep(t)), dx: tf.keep(g.input!) };
    });
    params.forEach((p, k) => {
      const got = values(grads[k]);
      const want = Array.from(p, (_, i) => numericDerivative(loss, p, i));
      assertClose(got, want, 2e-3, `param ${k}`);
    });
    assertClose(
      values(dx),
      Array.from(x, (_, i) => numericDerivative(loss, x, i)),
      2e-3,
      "input",
    );
    const only = tf.tidy(() => values(m.inputGrad(m.forward(tf.tensor2d(Float32Array.from(x), [B, 5])), tf.tensor2d(Float32Array.from(R), [B, 3]))));
    assertClose(only, values(dx), 1e-6, "inputGrad alone");
    tf.dispose([...grads, dx]);
    m.dispose();
  });

  it("re-initialises to new random weights and round-trips weights", () => {
    const m = new MLP([3, 4, 2], new Rng(8));
    const before = values(m.params[0]);
    m.reinitialise(new Rng(9));
    assert.notDeepEqual(values(m.params[0]), before);
    assert.ok(values(m.params[1]).every((v) => v === 0));
    const w = m.params.map((p) => Float32Array.from(p.dataSync()));
    const n = new MLP([3, 4, 2], new Rng(10));
    n.setWeights(w);
    assert.deepEqual(values(n.params[0]), Array.from(w[0]));
    assert.throws(() => n.setWeights(w.slice(1)), /expected 4 arrays, got 3/);
    m.dispose();
    n.dispose();
  });
});
