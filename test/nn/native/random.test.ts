// Random draws (src/nn/native/random.cc, elementwise.h's gumbel): the JavaScript streams' numbers
// and states, glibc's log bit for bit.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { gumbel, SoftCategorical } from "../../../src/nn/distributions.js";
import { nativeFillGumbel, nativeFillIndex } from "../../../src/nn/native-kernels.js";
import { Rng } from "../../../src/util/rng.js";
import { nativeSkip } from "../../helpers/native.js";
import { ready } from "../../helpers/tf.js";

const skip = nativeSkip();

describe("native kernels: random draws", { skip }, () => {
  before(async () => {
    await ready();
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

  it("draws the stream's uniforms in lanes jumped ahead as one draw at a time would, in order, leaving the same state", () => {
    // fillGumbel runs 8 copies of the stream side by side, each started 2·M steps after the
    // previous by a GF(2) jump (M = 16 ... 512 draws); one draw per call takes the sequential
    // stream. Counts: below any lane block, exactly one, blocks of every size, and odd tails.
    for (const n of [5, 128, 129, 1023, 4096, 4097, 5120, 12_345]) {
      const a = new Rng(11 + n),
        b = new Rng(11 + n);
      const lanes = new Float32Array(n),
        one = new Float32Array(1),
        sequential = new Float32Array(n);
      assert.ok(nativeFillGumbel(a, lanes, n, true));
      for (let i = 0; i < n; i++) {
        assert.ok(nativeFillGumbel(b, one, 1, true));
        sequential[i] = one[0];
      }
      assert.deepEqual(new Uint32Array(lanes.buffer), new Uint32Array(sequential.buffer), `n = ${n}`);
      assert.deepEqual(a.getState(), b.getState(), `n = ${n}`);
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
});
