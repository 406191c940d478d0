// Slicing on the wasm backend through heap views (src/nn/wasm-slice.ts): the same values as a
// naive index-by-index slice for every rank, axis and dtype used, without copying the input
// out of the wasm heap (tfjs's own Slice read the whole input with readSync for each slice).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { copySlice } from "../../src/nn/wasm-slice.js";
import { Rng } from "../../src/util/rng.js";
import { callsDuring, ready, tf } from "../helpers/tf.js";

/** x[begin : begin + size], element by element from the multi-index. */
function naiveSlice(x: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const n = size.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let flat = 0; flat < n; flat++) {
    let rest = flat;
    let at = 0;
    let stride = 1;
    const idx = new Array<number>(shape.length);
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a] = rest % size[a];
      rest = Math.floor(rest / size[a]);
    }
    for (let a = shape.length - 1; a >= 0; a--) {
      at += (begin[a] + idx[a]) * stride;
      stride *= shape[a];
    }
    out.push(x[at]);
  }
  return out;
}

describe("wasm slicing through heap views", () => {
  before(async () => {
    await ready();
  });

  it("copies any slice as the naive reference does (merging whole trailing axes into runs)", () => {
    const rng = new Rng(3);
    for (const shape of [[7], [5, 9], [3, 4, 70], [2, 3, 4, 5], [4, 1, 3]]) {
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      for (let trial = 0; trial < 20; trial++) {
        const begin = shape.map((n) => rng.int(n));
        const size = shape.map((n, a) => 1 + rng.int(n - begin[a]));
        const out = new Float32Array(size.reduce((a, b) => a * b, 1));
        copySlice(x, shape, begin, size, out);
        assert.deepEqual(Array.from(out), naiveSlice(x, shape, begin, size), `${shape} [${begin}] [${size}]`);
      }
    }
  });

  it("slices, unstacks and splits on the wasm backend with tfjs's results, never reading the input back", () => {
    assert.equal(tf.getBackend(), "wasm");
    const rng = new Rng(5);
    const shape = [3, 6, 80];
    const xv = Float32Array.from({ length: 3 * 6 * 80 }, () => rng.normal());
    const results: [tf.Tensor, number[]][] = [];
    const reads = callsDuring(tf.backend(), "readSync", () =>
      tf.tidy(() => {
        const x = tf.tensor3d(xv, shape as [number, number, number]);
        results.push([tf.keep(tf.slice(x, [1, 2, 5], [2, 3, 70])), naiveSlice(xv, shape, [1, 2, 5], [2, 3, 70])]);
        tf.unstack(x, 1).forEach((t, i) => results.push([tf.keep(t), naiveSlice(xv, shape, [0, i, 0], [3, 1, 80])]));
        tf.unstack(x, 2)
          .slice(0, 3)
          .forEach((t, i) => results.push([tf.keep(t), naiveSlice(xv, shape, [0, 0, i], [3, 6, 1])]));
        tf.split(x, [20, 60], 2).forEach((t, i) => results.push([tf.keep(t), naiveSlice(xv, shape, [0, 0, 20 * i], [3, 6, i ? 60 : 20])]));
        const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], "int32");
        results.push([tf.keep(tf.slice(ints, [0, 1], [2, 2])), [2, 3, 5, 6]]);
        const bools = tf.tensor1d([true, false, true, true], "bool");
        results.push([tf.keep(tf.slice(bools, [1], [2])), [0, 1]]);
      }),
    );
    assert.equal(reads, 0, "no slice copied its input out of the heap");
    for (const [t, want] of results) {
      assert.deepEqual(Array.from(t.dataSync()), want);
      t.dispose();
    }
  });
});
