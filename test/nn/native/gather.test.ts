// Replay memory (src/nn/native/gather.cc): arrays in huge pages.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { nativeKernels, largeFloat32Array } from "../../../src/nn/native-kernels.js";
import { nativeSkip } from "../../helpers/native.js";
import { ready } from "../../helpers/tf.js";

const skip = nativeSkip();

describe("native kernels: replay memory", { skip }, () => {
  before(async () => {
    await ready();
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
});
