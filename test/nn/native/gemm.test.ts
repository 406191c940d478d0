// The GEMMs (src/nn/native/gemm.cc, gemm_tiles.h, isa.cc): a float64 reference on odd shapes, and
// identical numbers from the AVX-512 and AVX2 variants.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { MLP } from "../../../src/nn/mlp.js";
import { nativeGemm } from "../../../src/nn/native-kernels.js";
import { Rng } from "../../../src/util/rng.js";
import { nativeSkip, bothPaths, randomF32, runProbe } from "../../helpers/native.js";
import { assertClose, ready, tf, values } from "../../helpers/tf.js";

const skip = nativeSkip();

describe("native kernels: GEMM", { skip }, () => {
  before(async () => {
    await ready();
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
        const A = randomF32(rng, M * K),
          B = randomF32(rng, (transA ? M : K) * N),
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
      const x = randomF32(rng, B * sizes[0]);
      const d = randomF32(rng, B * sizes[sizes.length - 1]);
      const [c, n] = bothPaths(() =>
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
});

describe("native GEMM variants", { skip }, () => {
  it("AVX-512 and AVX2 give identical training numbers (runs reproduce across these CPUs)", (t) => {
    const run = (isa?: string) => runProbe<{ isa: string; hash: string; rows: number }>("test/helpers/isa-probe.ts", isa ? { LEMOL_NATIVE_ISA: isa } : {});
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
