// The MLP: initialisation, forward (tf and plain) and the hand-written backward pass.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { MLP, mlpSizes } from "../../src/nn/mlp.js";
import { glorotUniform, orthogonal, pytorchLinearUniform } from "../../src/nn/init.js";
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
  it("pytorch's nn.Linear default: weight and bias uniform in +-1/sqrt(fanIn), filling the range", () => {
    const { kernel, bias } = pytorchLinearUniform(37, 64, new Rng(1));
    const lim = 1 / Math.sqrt(37);
    assert.equal(kernel.length, 37 * 64);
    assert.equal(bias.length, 64);
    for (const w of [kernel, bias]) {
      assert.ok(w.every((v) => Math.abs(v) <= lim));
      assert.ok(Math.max(...w) > 0.9 * lim && Math.min(...w) < -0.9 * lim);
    }
    // uniform: the variance is lim² / 3 (within sampling error of 2,368 draws)
    const variance = kernel.reduce((s, v) => s + v * v, 0) / kernel.length;
    assert.ok(Math.abs(variance / (lim * lim) - 1 / 3) < 0.03, `variance ${variance / (lim * lim)} lim², expected 1/3`);
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

  it("starts (and re-initialises) every layer as PyTorch's nn.Linear with init \"pytorch\"; copies another's weights", () => {
    const sizes = [7, 16, 16, 3];
    const net = new MLP(sizes, new Rng(4), "pt", "pytorch");
    const check = (m: MLP) => {
      for (let l = 0; l + 1 < sizes.length; l++) {
        const lim = 1 / Math.sqrt(sizes[l]);
        for (const p of [m.params[2 * l], m.params[2 * l + 1]]) {
          const v = p.dataSync();
          assert.ok(
            v.every((x) => Math.abs(x) <= lim),
            `layer ${l} within +-1/sqrt(${sizes[l]})`,
          );
          assert.ok(
            v.some((x) => Math.abs(x) > lim / 2),
            `layer ${l} spread over its range (not Glorot's narrower kernel, not zero biases)`,
          );
        }
      }
    };
    check(net);
    const first = net.params[1].dataSync().slice();
    net.reinitialise(new Rng(5));
    check(net);
    assert.notDeepEqual(net.params[1].dataSync(), first);
    const other = new MLP(sizes, new Rng(6), "other");
    other.copyFrom(net);
    net.params.forEach((p, k) => assert.deepEqual(other.params[k].dataSync(), p.dataSync()));
    // a copy, not a shared buffer
    net.params[0].assign(tf.zerosLike(net.params[0]));
    assert.ok(other.params[0].dataSync().some((x) => x !== 0));
    assert.throws(() => other.copyFrom(new MLP([7, 16, 3], new Rng(1))), /cannot copy mlp's weights: sizes \[7,16,3\] vs \[7,16,16,3\]/);
    assert.throws(() => new MLP(sizes, new Rng(1), "bad", "he" as never), /bad: unknown initialisation "he"/);
    net.dispose();
    other.dispose();
  });

  it("with an input batch norm: batch statistics in tfjs passes (numeric gradient check), torch's running statistics, eval mode in the plain network", () => {
    const sizes = [5, 8, 8, 3];
    const m = new MLP(sizes, new Rng(6), "bn", "glorot", true);
    const norm = m.norm!;
    assert.equal(m.trainable.length, m.params.length + 2);
    assert.equal(m.size, 5 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3 + 2 * 5);
    const rng = new Rng(8);
    const B = 6;
    // scale and shift away from 1 and 0; features of different means and spreads
    const scale = Float64Array.from({ length: 5 }, () => 0.5 + rng.uniform());
    const shift = Float64Array.from({ length: 5 }, () => rng.normal());
    tf.tidy(() => {
      norm.scale.assign(tf.tensor1d(Float32Array.from(scale)));
      norm.shift.assign(tf.tensor1d(Float32Array.from(shift)));
    });
    const x = Float64Array.from({ length: B * 5 }, (_, i) => 3 * (i % 5) + (1 + (i % 5)) * rng.normal());
    const R = Float64Array.from({ length: B * 3 }, () => rng.normal());
    const params = m.params.map((p) => Float64Array.from(p.dataSync()));
    /** torch's BatchNorm1d in training mode, then the MLP, in float64. */
    const batchNormed = (xs: Float64Array) => {
      const out = new Float64Array(xs.length);
      for (let k = 0; k < 5; k++) {
        let mean = 0;
        for (let b = 0; b < B; b++) mean += xs[b * 5 + k] / B;
        let v = 0;
        for (let b = 0; b < B; b++) v += (xs[b * 5 + k] - mean) ** 2 / B;
        for (let b = 0; b < B; b++) out[b * 5 + k] = ((xs[b * 5 + k] - mean) / Math.sqrt(v + 1e-5)) * scale[k] + shift[k];
      }
      return out;
    };
    const loss = () => {
      const out = forward64(sizes, params, batchNormed(x), B);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * R[i];
      return s;
    };
    const { out, grads, dx, dxOnly } = tf.tidy(() => {
      const cache = m.forward(tf.tensor2d(Float32Array.from(x), [B, 5]));
      const dOut = tf.tensor2d(Float32Array.from(R), [B, 3]);
      const g = m.backward(cache, dOut, true);
      return { out: tf.keep(cache.out), grads: g.params.map((t) => tf.keep(t)), dx: tf.keep(g.input!), dxOnly: tf.keep(m.inputGrad(cache, dOut)) };
    });
    assertClose(values(out), forward64(sizes, params, batchNormed(x), B), 1e-4, "forward");
    [...params, scale, shift].forEach((p, k) => {
      const want = Array.from(p, (_, i) => numericDerivative(loss, p, i));
      assertClose(values(grads[k]), want, 2e-3, k < params.length ? `param ${k}` : k === params.length ? "scale" : "shift", Math.max(...want.map(Math.abs)));
    });
    const wantDx = Array.from(x, (_, i) => numericDerivative(loss, x, i));
    assertClose(values(dx), wantDx, 2e-3, "input gradient through the batch statistics", Math.max(...wantDx.map(Math.abs)));
    assertClose(values(dxOnly), wantDx, 2e-3, "inputGrad", Math.max(...wantDx.map(Math.abs)));
    // one training-mode pass moved the running statistics from (0, 1) by momentum 0.1, the variance unbiased
    const runMean = values(norm.runningMean);
    const runVar = values(norm.runningVar);
    for (let k = 0; k < 5; k++) {
      let mean = 0;
      for (let b = 0; b < B; b++) mean += x[b * 5 + k] / B;
      let v = 0;
      for (let b = 0; b < B; b++) v += (x[b * 5 + k] - mean) ** 2 / (B - 1);
      assert.ok(Math.abs(runMean[k] - 0.1 * mean) < 1e-4 * Math.max(1, Math.abs(mean)), `running mean ${k}`);
      assert.ok(Math.abs(runVar[k] - (0.9 + 0.1 * v)) < 1e-4 * Math.max(1, v), `running var ${k}`);
    }
    // the plain (acting) network normalises by the running statistics: eval mode
    const plain = m.toPlain();
    const evalNormed = Float64Array.from(x.subarray(0, 5), (v, k) => ((v - runMean[k]) / Math.sqrt(runVar[k] + 1e-5)) * scale[k] + shift[k]);
    const act = new Float64Array(3);
    plain.forward(x, 0, act);
    assertClose(act, forward64(sizes, params, evalNormed, 1), 1e-4, "plain network in eval mode");
    // a new start: scale 1, shift 0, running mean 0, variance 1
    m.reinitialise(new Rng(9));
    assert.deepEqual(
      norm.variables.map((v) => [...new Set(values(v))]),
      [[1], [0], [0], [1]],
    );
    assert.throws(() => tf.tidy(() => m.forward(tf.zeros([1, 5])).out), /more than 1 row per batch, got 1/);
    [out, dx, dxOnly, ...grads].forEach((t) => t.dispose());
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
