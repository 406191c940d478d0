// The native kernels compute what the composite tfjs kernels compute (odd shapes included), and
// are the ones in use on the wasm backend when built.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { backendInfo } from "../../src/nn/backend.js";
import { gumbel, SoftCategorical } from "../../src/nn/distributions.js";
import { compositeKernels, MLP, mlpKernels } from "../../src/nn/mlp.js";
import {
  activateNative,
  deactivateNative,
  nativeActive,
  nativeFillGumbel,
  nativeFillIndex,
  nativeGemm,
  nativeKernels,
  largeFloat32Array,
} from "../../src/nn/native.js";
import { concatColumns, sliceColumns, softmaxRows } from "../../src/nn/ops.js";
import { Adam, polyakUpdate } from "../../src/nn/optim.js";
import { Rng } from "../../src/util/rng.js";
import { adamWithSubnormals } from "../helpers/adam-subnormal.js";
import { nativeSkip } from "../helpers/native.js";
import { assertClose, ready, tf, values } from "../helpers/tf.js";

const skip = nativeSkip();

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

  it("runs an MLP's passes in row blocks with the numbers of whole-batch GEMMs, bit for bit", () => {
    // the reference: each layer one GEMM over the whole batch, C starting from the bias, ReLU after
    const k = nativeKernels()!;
    for (const sizes of [
      [37, 64, 64, 1],
      [19, 64, 64, 5],
      [13, 33, 65, 5],
    ])
      for (const B of [1024, 1029, 150, 15]) {
        const rng = new Rng(B);
        const params = sizes.slice(1).flatMap((n, l) => [rand(rng, sizes[l] * n, 0.3), rand(rng, n, 0.1)]);
        const x = rand(rng, B * sizes[0]);
        const outs = sizes.slice(1).map((n) => new Float32Array(B * n));
        k.mlpForward(x, B, params, outs);
        let input = x;
        sizes.slice(1).forEach((n, l) => {
          const want = new Float32Array(B * n);
          for (let r = 0; r < B; r++) want.set(params[2 * l + 1], r * n);
          nativeGemm(input, params[2 * l], want, B, sizes[l], n, false, true);
          if (l + 2 < sizes.length) for (let j = 0; j < want.length; j++) want[j] = Math.max(0, want[j]);
          assert.deepEqual(outs[l], want, `forward ${sizes} B=${B} layer ${l}`);
          input = want;
        });
        // backward: weight and bias gradients accumulated block by block, input gradients per block
        const dOut = rand(rng, B * sizes[sizes.length - 1]);
        const grads = params.map((p) => new Float32Array(p.length));
        const dx = new Float32Array(B * sizes[0]);
        k.mlpBackward(x, B, outs.slice(0, -1), dOut, params, grads, dx);
        let dz = dOut;
        for (let l = sizes.length - 2; l >= 0; l--) {
          const nin = sizes[l];
          const nout = sizes[l + 1];
          const input = l === 0 ? x : outs[l - 1];
          const dW = new Float32Array(nin * nout);
          nativeGemm(input, dz, dW, B, nin, nout, true, false);
          assert.deepEqual(grads[2 * l], dW, `dW ${sizes} B=${B} layer ${l}`);
          const db = new Float32Array(nout);
          for (let r = 0; r < B; r++) for (let j = 0; j < nout; j++) db[j] = Math.fround(db[j] + dz[r * nout + j]);
          assert.deepEqual(grads[2 * l + 1], db, `db ${sizes} B=${B} layer ${l}`);
          const WT = new Float32Array(nout * nin);
          for (let i = 0; i < nin; i++) for (let j = 0; j < nout; j++) WT[j * nin + i] = params[2 * l][i * nout + j];
          const dIn = new Float32Array(B * nin);
          nativeGemm(dz, WT, dIn, B, nout, nin, false, false);
          if (l > 0) for (let j = 0; j < dIn.length; j++) dIn[j] = input[j] > 0 ? dIn[j] : 0;
          else assert.deepEqual(dx, dIn, `dx ${sizes} B=${B}`);
          dz = dIn;
        }
      }
  });

  it("takes a pass's input as column parts and can keep only its output, with the same numbers", () => {
    const k = nativeKernels()!;
    const sizes = [37, 64, 96, 48, 5]; // (three hidden layers of different widths: the scratch alternates)
    for (const B of [300, 40]) {
      const rng = new Rng(B + 1);
      const params = sizes.slice(1).flatMap((n, l) => [rand(rng, sizes[l] * n, 0.3), rand(rng, n, 0.1)]);
      const widths = [19, 8, 5, 5];
      const parts = widths.map((w) => rand(rng, B * w));
      const x = new Float32Array(B * 37);
      let at = 0;
      for (let r = 0; r < B; r++)
        for (const [p, w] of widths.entries()) {
          x.set(parts[p].subarray(r * w, (r + 1) * w), at);
          at += w;
        }
      const outs = sizes.slice(1).map((n) => new Float32Array(B * n));
      k.mlpForward(x, B, params, outs);
      const fromParts = sizes.slice(1).map((n) => new Float32Array(B * n));
      k.mlpForward(parts, B, params, fromParts);
      fromParts.forEach((o, l) => assert.deepEqual(o, outs[l], `layer ${l} from column parts, B=${B}`));
      const only = new Float32Array(B * 5);
      k.mlpForward(parts, B, params, [only]);
      assert.deepEqual(only, outs[3], `[out] alone, B=${B}`);
    }
    assert.throws(() => k.mlpForward([new Float32Array(33)], 3, [new Float32Array(10 * 4), new Float32Array(4)], [new Float32Array(12)]), /x: wrong size/);
    assert.throws(
      () => k.mlpForward([new Float32Array(31)], 3, [new Float32Array(10 * 4), new Float32Array(4)], [new Float32Array(12)]),
      /each part must hold B rows/,
    );
  });

  it("refuses fused update steps, Adam and Polyak on arrays of the wrong size, naming what is wrong", () => {
    const k = nativeKernels()!;
    const B = 4;
    const critic = [new Float32Array(6 * 8), new Float32Array(8), new Float32Array(8), new Float32Array(1)];
    const grads = critic.map((p) => new Float32Array(p.length));
    const v = (n: number) => new Float32Array(n);
    const stats = v(6);
    assert.throws(() => k.criticTrain(v(B * 5), B, critic, grads, v(B), v(B), v(B), 0.95, 0.5, v(B), v(B), v(B), stats), /criticTrain: x must be B rows/);
    assert.throws(
      () => k.criticTrain(v(B * 6), B, critic, grads.slice(1), v(B), v(B), v(B), 0.95, 0.5, v(B), v(B), v(B), stats),
      /grads must be one array per parameter/,
    );
    assert.throws(() => k.criticTrain(v(B * 6), B, critic, grads, v(B), v(B - 1), v(B), 0.95, 0.5, v(B), v(B), v(B), stats), /must hold B values/);
    const actor = [v(3 * 8), v(8), v(8 * 2), v(2)];
    const ag = actor.map((p) => v(p.length));
    const call = (column: number, noise = v(B * 2)) =>
      k.actorTrain(v(B * 3), B, actor, ag, noise, v(B * 6), column, critic, -1 / B, 1e-3, 1e-3, v(B * 2), v(B * 2), v(B));
    assert.throws(() => call(5), /action's columns lie outside the critic's input/);
    assert.throws(() => call(0, v(B * 3)), /noise, logits and sample must be B rows/);
    assert.ok(Number.isFinite(call(4)), "a well-formed call returns the actor's loss");
    // an optimiser step and the targets' update take their variables as lists
    const ps = [v(8), v(3)];
    assert.throws(() => k.adamAll(ps, [v(8), v(3)], [v(8)], [v(8), v(3)], 0.01, 0.9, 0.999, 1e-8, 0.5), /adamAll: one m, v and gradient per variable/);
    assert.throws(() => k.adamAll(ps, [v(8), v(3)], [v(8), v(3)], [v(8), v(4)], 0.01, 0.9, 0.999, 1e-8, 0.5), /adamAll: arrays of variable 1 differ in length/);
    assert.throws(() => k.polyak(ps, [v(8)], 0.01), /polyak: as many targets as online variables/);
    assert.throws(() => k.polyak(ps, [v(8), v(2)], 0.01), /polyak: arrays differ in length/);
  });

  it("gives large arrays in huge pages, zero-filled, and small ones plain", () => {
    const n = (3 << 20) / 4 + 5; // past a huge page and not a whole number of them
    const big = nativeKernels()!.hugeFloats(n)!;
    assert.ok(big instanceof Float32Array && big.length === n);
    assert.ok(big.every((x) => x === 0));
    big[n - 1] = 2;
    assert.equal(big[n - 1], 2);
    assert.throws(() => nativeKernels()!.hugeFloats(0), /positive integer/);
    assert.equal(largeFloat32Array(1000).buffer.byteLength, 4000);
    assert.equal(largeFloat32Array(n).length, n);
  });

  it("gives zero gradients for an empty batch (no row block to write them)", () => {
    const k = nativeKernels()!;
    const sizes = [5, 16, 3];
    const params = sizes.slice(1).flatMap((n, l) => [new Float32Array(sizes[l] * n).fill(0.5), new Float32Array(n)]);
    const grads = params.map((p) => new Float32Array(p.length).fill(7));
    k.mlpBackward(new Float32Array(0), 0, [new Float32Array(0)], new Float32Array(0), params, grads, null);
    for (const g of grads) assert.ok(g.every((v) => v === 0));
    // and a hidden activation of the wrong size is refused, not read past its end
    assert.throws(() => k.mlpBackward(new Float32Array(10), 2, [new Float32Array(16)], new Float32Array(6), params, grads, null), /acts: wrong size/);
  });

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

  it("Adam is float32 arithmetic bit for bit with subnormal moments (computed in double lanes, no subnormal through the FPU)", () => {
    const { got, want, subnormalState } = adamWithSubnormals();
    assert.deepEqual(got.m, want.m, "m");
    assert.deepEqual(got.v, want.v, "v");
    assert.deepEqual(got.p, want.p, "parameters");
    assert.ok(subnormalState, "the state holds subnormals");
  });

  it("gives the same Adam bits with either way of computing blocks that hold a subnormal (integer operations or conversions)", () => {
    const variant = (name?: string) => {
      const r = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/adam-probe.ts"], {
        encoding: "utf8",
        env: { ...process.env, LEMOL_NATIVE_ADAM: name ?? "" },
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as { variant: string; exact: boolean };
    };
    for (const name of ["integer", "converted"]) assert.deepEqual(variant(name), { variant: name, exact: true }, name);
    assert.ok(["integer", "converted"].includes(variant().variant), "unforced: the faster of the two");
  });

  it("clips Adam's gradient by the exact sequential norm, at and around the clip norm too (the fast estimate only skips it when surely below)", () => {
    const k = nativeKernels()!;
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    const clip = 0.5;
    const rng = new Rng(43);
    let clipped = 0;
    for (const n of [1, 31, 1000 + 13, 4096]) {
      const base = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : i % 11 === 5 ? 1e-39 : rng.normal()));
      let ss0 = 0;
      for (const x of base) ss0 += x * x;
      // norms well below, just below, at, just above and well above the clip norm
      for (const ratio of [0.1, 1 - 1e-7, 1 - 1e-12, 1, 1 + 1e-12, 1 + 1e-7, 3]) {
        const g = base.map((x) => x * ((ratio * clip) / Math.sqrt(ss0)));
        let ss = 0;
        for (const x of g) ss += x * x; // the reference: the sequential double sum
        const norm = Math.sqrt(ss);
        const scale = Math.fround(clip / (norm > clip ? norm : clip));
        if (scale !== 1) clipped++;
        const state = () => [rand(new Rng(n), n), rand(new Rng(n + 1), n, 1e-3), Float32Array.from(rand(new Rng(n + 2), n, 1e-3), Math.abs)];
        const [p1, m1, v1] = state();
        k.adam(p1, m1, v1, g, 0.01, 0.9, 0.999, 1e-8, clip);
        const [p2, m2, v2] = state();
        k.adam(
          p2,
          m2,
          v2,
          g.map((x) => Math.fround(x * scale)),
          0.01,
          0.9,
          0.999,
          1e-8,
          0,
        ); // pre-scaled, unclipped
        assert.deepEqual(bits(p1), bits(p2), `parameters, n=${n}, norm ${ratio}·clip`);
        assert.deepEqual(bits(v1), bits(v2), `v, n=${n}, norm ${ratio}·clip`);
      }
    }
    assert.ok(clipped >= 8, "cases on both sides of the clip norm");
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

  it("copies row segments of every width exactly: concatenation, slices out and in, replay gathers", () => {
    const k = nativeKernels()!;
    const rng = new Rng(8);
    const B = 7;
    // NaN payloads and negative zeros too: a copy moves bits
    const special = Float32Array.from([Number.NaN, -0, Infinity, 1e-45]);
    new Uint32Array(special.buffer)[0] = 0x7fc01234;
    const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 11 === 3 ? special[i % 4] : rng.normal()));
    const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
    for (let w = 1; w <= 24; w++) {
      const parts = [fill(B * w), fill(B * 3), fill(B * (25 - w))];
      const widths = [w, 3, 25 - w];
      const cat = new Float32Array(B * 28);
      k.concatColumns(parts, B, cat);
      const want = new Float32Array(B * 28);
      for (let b = 0, o = 0; b < B; b++) for (let p = 0; p < 3; p++) for (let c = 0; c < widths[p]; c++) want[o++] = parts[p][b * widths[p] + c];
      assert.deepEqual(bitsOf(cat), bitsOf(want), `concat, first width ${w}`);
      const slice = new Float32Array(B * w);
      k.sliceColumns(cat, B, 2, slice);
      const wantSlice = Float32Array.from({ length: B * w }, (_, i) => cat[Math.floor(i / w) * 28 + 2 + (i % w)]);
      assert.deepEqual(bitsOf(slice), bitsOf(wantSlice), `slice out, width ${w}`);
      const into = Float32Array.from(cat);
      const fresh = fill(B * w);
      k.sliceColumns(into, B, 28 - w, fresh, true);
      const wantInto = Float32Array.from(cat);
      for (let b = 0; b < B; b++) for (let c = 0; c < w; c++) wantInto[b * 28 + 28 - w + c] = fresh[b * w + c];
      assert.deepEqual(bitsOf(into), bitsOf(wantInto), `slice in, width ${w}`);
      const index = Int32Array.from([5, 0, 6, 6, 2]);
      const outs = [new Float32Array(index.length * w), new Float32Array(index.length)];
      k.gatherRows(cat, 28, B, index, Int32Array.from([1, w, 27, 1]), outs);
      const wantRows = Float32Array.from({ length: index.length * w }, (_, i) => cat[index[Math.floor(i / w)] * 28 + 1 + (i % w)]);
      assert.deepEqual(bitsOf(outs[0]), bitsOf(wantRows), `gather, width ${w}`);
      assert.deepEqual(bitsOf(outs[1]), bitsOf(Float32Array.from(index, (r) => cat[r * 28 + 27])), `gather, width 1 at the row's end`);
    }
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

  it("computes Gumbel noise with a vectorised log that gives glibc's float32 results bit for bit", () => {
    // the fast log defers to glibc's near a float32 rounding boundary (~1 draw in 2,000), so the
    // results are glibc's; 2 million draws cover a thousand such deferrals (and an odd count, a
    // tail shorter than the vector width)
    const a = new Rng(7),
      b = new Rng(7);
    const n = 2_000_003;
    const fast = new Float32Array(n),
      exact = new Float32Array(n);
    assert.ok(nativeFillGumbel(a, fast, n));
    assert.ok(nativeFillGumbel(b, exact, n, true));
    let differ = 0;
    const fb = new Uint32Array(fast.buffer),
      eb = new Uint32Array(exact.buffer);
    for (let i = 0; i < n; i++) if (fb[i] !== eb[i]) differ++;
    assert.equal(differ, 0);
    assert.deepEqual(a.getState(), b.getState());
  });

  it("computes softmax with a vectorised exp that gives glibc's expf results bit for bit", () => {
    // logits over a wide range, so that shifted values reach past -100 (glibc decides there) and
    // every table entry and rounding case is hit; widths 5 (the unrolled rows) and 7
    const k = nativeKernels()!;
    const rng = new Rng(11);
    for (const width of [5, 7]) {
      const B = 200_000;
      const x = Float32Array.from({ length: B * width }, () => (rng.uniform() - 0.5) * (rng.uniform() < 0.01 ? 300 : 20));
      const noise = Float32Array.from({ length: B * width }, () => rng.uniform() - 0.5);
      const fast = new Float32Array(x.length),
        exact = new Float32Array(x.length);
      k.softmaxRows(x, noise, B, fast);
      k.softmaxRows(x, noise, B, exact, true);
      const fb = new Uint32Array(fast.buffer),
        eb = new Uint32Array(exact.buffer);
      let differ = 0;
      for (let i = 0; i < fb.length; i++) if (fb[i] !== eb[i]) differ++;
      assert.equal(differ, 0, `width ${width}`);
      // (the reference is softmax: rows sum to ~1)
      assert.ok(Math.abs(exact.subarray(0, width).reduce((a, b) => a + b, 0) - 1) < 1e-6);
    }
  });

  it("draws replay indices as Rng.int does, leaving the stream in the same state", () => {
    for (const n of [1, 7, 1000, 25_600, 1_000_003, 2 ** 31 - 1]) {
      const a = new Rng(8),
        b = new Rng(8);
      const out = new Int32Array(4096);
      assert.ok(nativeFillIndex(a, n, out));
      const js = Int32Array.from({ length: out.length }, () => b.int(n));
      assert.deepEqual(out, js, `n = ${n}`);
      assert.deepEqual(a.getState(), b.getState());
    }
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
