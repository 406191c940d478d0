// The MLP passes over row blocks (src/nn/native/mlp.cc): the numbers of whole-batch GEMMs, column
// parts, empty batches.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { nativeGemm, nativeKernels } from "../../../src/nn/native-kernels.js";
import { Rng } from "../../../src/util/rng.js";
import { nativeSkip, randomF32 } from "../../helpers/native.js";
import { ready } from "../../helpers/tf.js";

const skip = nativeSkip();

describe("native kernels: MLP passes", { skip }, () => {
  before(async () => {
    await ready();
  });

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
        const params = sizes.slice(1).flatMap((n, l) => [randomF32(rng, sizes[l] * n, 0.3), randomF32(rng, n, 0.1)]);
        const x = randomF32(rng, B * sizes[0]);
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
        const dOut = randomF32(rng, B * sizes[sizes.length - 1]);
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
      const params = sizes.slice(1).flatMap((n, l) => [randomF32(rng, sizes[l] * n, 0.3), randomF32(rng, n, 0.1)]);
      const widths = [19, 8, 5, 5];
      const parts = widths.map((w) => randomF32(rng, B * w));
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
});
