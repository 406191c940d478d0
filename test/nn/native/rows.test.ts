// Row-wise kernels (src/nn/native/rows.cc): concatenation, slices, soft-max (glibc's expf bit for
// bit), row copies of every width.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { nativeKernels } from "../../../src/nn/native-kernels.js";
import { concatColumns, sliceColumns, softmaxRows } from "../../../src/nn/ops.js";
import { Rng } from "../../../src/util/rng.js";
import { nativeSkip, bothPaths, randomF32 } from "../../helpers/native.js";
import { assertClose, ready, tf, values } from "../../helpers/tf.js";

const skip = nativeSkip();

describe("native kernels: rows", { skip }, () => {
  before(async () => {
    await ready();
  });

  it("concatenates, slices and soft-maxes columns as tfjs does", () => {
    const rng = new Rng(5);
    const a = randomF32(rng, 50 * 8),
      b = randomF32(rng, 50 * 19),
      noise = randomF32(rng, 50 * 19);
    const [c, n] = bothPaths(() =>
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
});
