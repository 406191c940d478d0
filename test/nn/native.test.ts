// The native kernels compute what the composite tfjs kernels compute (odd shapes included), and
// are the ones in use on the wasm backend when built.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { backendInfo } from "../../src/nn/backend.js";
import { gumbel, SoftCategorical } from "../../src/nn/distributions.js";
import { compositeKernels, MLP, mlpKernels } from "../../src/nn/mlp.js";
import { activateNative, deactivateNative, nativeActive, nativeGemm, nativeStatus } from "../../src/nn/native.js";
import { concatColumns, sliceColumns, softmaxRows } from "../../src/nn/ops.js";
import { Adam, polyakUpdate } from "../../src/nn/optim.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, ready, tf, values } from "../helpers/tf.js";

const status = nativeStatus();
const skip = status.available ? false : `native kernels not built (${status.reason})`;

/** Runs fn with the composite kernels, then with the native ones, returning both results. */
function both<T>(fn: () => T): [T, T] {
  deactivateNative();
  const composite = fn();
  activateNative();
  const native = fn();
  return [composite, native];
}

const rand = (rng: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * rng.normal());

describe("native kernels", { skip }, () => {
  before(async () => {
    await ready();
  });

  it("are active on the wasm backend and reported by initBackend", () => {
    if (backendInfo()!.name !== "wasm") return;
    assert.ok(nativeActive());
    assert.equal(mlpKernels().name, "native");
    assert.match(backendInfo()!.kernels, /^native \((avx512|avx2|generic)\)$/);
  });

  it("GEMM matches a float64 reference, plain and transposed, on odd shapes", () => {
    const rng = new Rng(1);
    for (const [M, K, N] of [
      [1024, 64, 64],
      [1027, 37, 5],
      [13, 64, 1],
      [3, 5, 7],
      [8, 30, 256],
    ]) {
      for (const transA of [false, true]) {
        const A = rand(rng, M * K),
          B = rand(rng, (transA ? M : K) * N),
          C = new Float32Array((transA ? K : M) * N);
        nativeGemm(A, B, C, M, K, N, transA);
        const rows = transA ? K : M;
        const want = new Float64Array(rows * N);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < (transA ? M : K); k++) s += transA ? A[k * K + r] * B[k * N + j] : A[r * K + k] * B[k * N + j];
            want[r * N + j] = s;
          }
        assertClose(C, want, 1e-4, `gemm ${M}x${K}x${N} transA=${transA}`, Math.sqrt(transA ? M : K));
      }
    }
  });

  for (const sizes of [
    [37, 64, 64, 1],
    [19, 64, 64, 5],
    [7, 16, 9],
    [13, 33, 65, 5],
  ]) {
    it(`MLP ${sizes}: forward, backward and input gradient equal the composite kernels`, () => {
      const m = new MLP(sizes, new Rng(2));
      const rng = new Rng(3);
      const B = 1029; // not a multiple of the 4-row register tile
      const x = rand(rng, B * sizes[0]);
      const d = rand(rng, B * sizes[sizes.length - 1]);
      const [c, n] = both(() =>
        tf.tidy(() => {
          const cache = m.forward(tf.tensor2d(x, [B, sizes[0]]));
          const g = m.backward(cache, tf.tensor2d(d, [B, sizes[sizes.length - 1]]), true);
          return {
            out: values(cache.out),
            grads: g.params.map(values),
            dx: values(g.input!),
            only: values(m.inputGrad(cache, tf.tensor2d(d, [B, sizes[sizes.length - 1]]))),
          };
        }),
      );
      assertClose(n.out, c.out, 1e-4, "out");
      n.grads.forEach((g, k) => assertClose(g, c.grads[k], 1e-3, `grad ${k}`, Math.sqrt(B)));
      assertClose(n.dx, c.dx, 1e-4, "dx");
      assertClose(n.only, c.dx, 1e-4, "inputGrad");
      m.dispose();
    });
  }

  it("Adam (with per-variable clipping) and polyak update the variables as the composite ops do", () => {
    const rng = new Rng(4);
    const init = [rand(rng, 37 * 64), rand(rng, 64)];
    const grads = [rand(rng, 37 * 64, 0.1), rand(rng, 64, 0.01)];
    const run = () => {
      const vars = [tf.variable(tf.tensor2d(init[0], [37, 64])), tf.variable(tf.tensor1d(init[1]))];
      const target = [tf.variable(tf.zeros([37, 64])), tf.variable(tf.zeros([64]))];
      const adam = new Adam(vars, { learningRate: 0.01, epsilon: 1e-8, clipNorm: 0.5 });
      for (let s = 0; s < 3; s++) tf.tidy(() => adam.apply([tf.tensor2d(grads[0], [37, 64]), tf.tensor1d(grads[1])]));
      polyakUpdate(target, vars, 0.3);
      const out = { vars: vars.map(values), target: target.map(values), state: adam.getState() };
      adam.dispose();
      tf.dispose([...vars, ...target]);
      return out;
    };
    const [c, n] = both(run);
    n.vars.forEach((v, k) => assertClose(v, c.vars[k], 1e-6, `var ${k}`));
    n.target.forEach((v, k) => assertClose(v, c.target[k], 1e-6, `target ${k}`));
    n.state.m.forEach((v, k) => assertClose(v, c.state.m[k], 1e-7, `m ${k}`));
  });

  it("concatenates, slices and soft-maxes columns as tfjs does", () => {
    const rng = new Rng(5);
    const a = rand(rng, 50 * 8),
      b = rand(rng, 50 * 19),
      noise = rand(rng, 50 * 19);
    const [c, n] = both(() =>
      tf.tidy(() => {
        const ta = tf.tensor2d(a, [50, 8]),
          tb = tf.tensor2d(b, [50, 19]);
        const cat = concatColumns([ta, tb]);
        return {
          cat: values(cat),
          slice: values(sliceColumns(cat, 5, 9)),
          soft: values(softmaxRows(tb, tf.tensor2d(noise, [50, 19]))),
          plain: values(softmaxRows(tb)),
        };
      }),
    );
    assertClose(n.cat, c.cat, 0, "concat");
    assertClose(n.slice, c.slice, 0, "slice");
    assertClose(n.soft, c.soft, 1e-6, "softmax with noise");
    assertClose(n.plain, c.plain, 1e-6, "softmax");
  });

  it("draws the same Gumbel noise as the JavaScript path and leaves the stream in the same state", () => {
    const pd = new SoftCategorical(5);
    const a = new Rng(6),
      b = new Rng(6);
    const out = new Float32Array(5000);
    pd.fillNoise(a, out, 1000);
    const js = Float32Array.from({ length: 5000 }, () => gumbel(b));
    let differ = 0;
    for (let i = 0; i < out.length; i++) if (Math.abs(out[i] - js[i]) > 1e-6 * Math.max(1, Math.abs(js[i]))) differ++;
    assert.equal(differ, 0);
    assert.deepEqual(a.getState(), b.getState());
  });

  it("can be switched off, falling back to the composite kernels", () => {
    deactivateNative();
    assert.equal(mlpKernels(), compositeKernels);
    activateNative();
    assert.equal(mlpKernels().name, backendInfo()!.name === "wasm" ? "native" : "composite");
  });
});

describe("native GEMM variants", { skip }, () => {
  it("AVX-512 and AVX2 give identical training numbers (runs reproduce across these CPUs)", (t) => {
    const run = (isa?: string) => {
      const r = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/isa-probe.ts"], {
        encoding: "utf8",
        env: { ...process.env, ...(isa ? { LEMOL_NATIVE_ISA: isa } : {}) },
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as { isa: string; hash: string; rows: number };
    };
    const widest = run();
    if (widest.isa !== "avx512") {
      t.skip(`this CPU's widest GEMM is ${widest.isa}; nothing to compare`);
      return;
    }
    const avx2 = run("avx2");
    assert.equal(avx2.isa, "avx2");
    assert.ok(widest.rows > 300);
    assert.equal(avx2.hash, widest.hash);
    // the probe is sensitive: the generic variant (no FMA) rounds differently
    assert.notEqual(run("generic").hash, widest.hash);
  });
});
