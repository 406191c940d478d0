// The replay buffer: ring semantics, growth, aligned gathering, uniform sampling with and without replacement.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReplayBuffer } from "../../src/storage/replay.js";
import { Rng } from "../../src/util/rng.js";

describe("ReplayBuffer", () => {
  it("stores transitions, grows past its initial allocation and wraps at capacity", () => {
    const rb = new ReplayBuffer(2, 1, 10, 4);
    for (let t = 0; t < 13; t++) rb.add([t, -t], [t * 10], t / 2, [t + 1, -t - 1], t % 5 === 4);
    assert.equal(rb.length, 10);
    const out = rb.newBatch(3);
    rb.gather(Int32Array.from([0, 2, 9]), out);
    // slots 0..2 were overwritten by transitions 10..12
    assert.deepEqual(Array.from(out.obs), [10, -10, 12, -12, 9, -9]);
    assert.deepEqual(Array.from(out.act), [100, 120, 90]);
    assert.deepEqual(Array.from(out.rew), [5, 6, 4.5]);
    assert.deepEqual(Array.from(out.obsNext), [11, -11, 13, -13, 10, -10]);
    assert.deepEqual(Array.from(out.done), [0, 0, 1]);
    rb.clear();
    assert.equal(rb.length, 0);
    assert.throws(() => rb.makeIndex(new Rng(0), new Int32Array(2)), /empty buffer/);
  });

  it("gathers the same rows natively (prefetched) and in TypeScript, extras included, and refuses indices out of range", () => {
    const rb = new ReplayBuffer(3, 2, 50_000, 16, 4);
    const rng = new Rng(5);
    for (let t = 0; t < 40_000; t++) {
      const u = () => rng.uniform();
      rb.add([u(), u(), u()], [u(), u()], u(), [u(), u(), u()], u() < 0.1, [u(), u(), u(), u()]);
    }
    const index = rb.makeIndex(new Rng(6), new Int32Array(1024));
    const gathered = (native: boolean) => {
      ReplayBuffer.nativeGather = native;
      try {
        const out = rb.newBatch(1024);
        rb.gather(index, out);
        rb.gather(index, out); // a second gather into the same batch gives the same
        return out;
      } finally {
        ReplayBuffer.nativeGather = true;
      }
    };
    const a = gathered(true);
    const b = gathered(false);
    // a prefetch asks for rows and changes nothing (indices out of range are left to the gather)
    const before = a.obs.slice();
    rb.prefetch(Int32Array.from([...index, -1, 40_000]));
    rb.gather(index, a);
    assert.deepEqual(a.obs, before);
    for (const k of ["obs", "act", "rew", "obsNext", "done", "extra"] as const) assert.deepEqual(a[k], b[k], k);
    assert.ok(a.extra.some((x) => x !== 0) && a.done.some((x) => x === 1));
    for (const native of [true, false]) {
      ReplayBuffer.nativeGather = native;
      try {
        assert.throws(() => rb.gather(Int32Array.from([0, 40_000]), rb.newBatch(2)), /replay: index 40000 out of range \[0, 40000\)/);
      } finally {
        ReplayBuffer.nativeGather = true;
      }
    }
  });

  it("samples indices uniformly with replacement", () => {
    const rb = new ReplayBuffer(1, 1, 100);
    for (let t = 0; t < 5; t++) rb.add([t], [0], 0, [t], false);
    const idx = rb.makeIndex(new Rng(1), new Int32Array(50000));
    const counts = new Array(5).fill(0);
    idx.forEach((i) => counts[i]++);
    counts.forEach((c) => assert.ok(Math.abs(c / 50000 - 0.2) < 0.01, `${counts}`));
  });

  it("rejects transitions of the wrong shape", () => {
    const rb = new ReplayBuffer(3, 2);
    assert.throws(() => rb.add([1, 2], [0, 0], 0, [1, 2, 3], false), /observation length 2\/3, expected 3/);
    assert.throws(() => rb.add([1, 2, 3], [0], 0, [1, 2, 3], false), /action length 1, expected 2/);
    assert.throws(() => new ReplayBuffer(1, 1, 0), /capacity must be a positive integer/);
  });
});

describe("ReplayBuffer.makeDistinctIndex (--sample_without_replacement)", () => {
  const filled = (n: number) => {
    const buf = new ReplayBuffer(1, 1, 1000, 16);
    for (let k = 0; k < n; k++) buf.add([k], [0], k, [k], false);
    return buf;
  };

  it("draws distinct indices in range; from a buffer of exactly the batch size, a permutation", () => {
    const rng = new Rng(3);
    const index = new Int32Array(64);
    const buf = filled(100);
    for (let draw = 0; draw < 50; draw++) {
      buf.makeDistinctIndex(rng, index);
      assert.equal(new Set(index).size, 64, `draw ${draw}: distinct`);
      assert.ok(index.every((i) => i >= 0 && i < 100));
    }
    const exact = filled(64);
    exact.makeDistinctIndex(rng, index);
    assert.deepEqual(
      [...index].sort((a, b) => a - b),
      Array.from({ length: 64 }, (_, k) => k),
    );
    // with replacement (the default draw) the same buffer repeats indices: the test can tell them apart
    exact.makeIndex(rng, index);
    assert.ok(new Set(index).size < 64);
  });

  it("draws every index equally often, and in every position", () => {
    // 4 of 10, 20,000 times: each index is in a batch with probability 0.4 and at each position 0.1
    const rng = new Rng(9);
    const buf = filled(10);
    const index = new Int32Array(4);
    const counts = Array.from({ length: 4 }, () => new Array<number>(10).fill(0));
    const n = 20000;
    for (let draw = 0; draw < n; draw++) {
      buf.makeDistinctIndex(rng, index);
      index.forEach((i, pos) => counts[pos][i]++);
    }
    // binomial(20000, 0.1): sd 42; 6 sd
    for (const row of counts) for (const c of row) assert.ok(Math.abs(c - n / 10) < 255, `count ${c}, expected ${n / 10}`);
  });

  it("refuses a batch larger than the buffer, naming what to change", () => {
    assert.throws(
      () => filled(10).makeDistinctIndex(new Rng(1), new Int32Array(11)),
      /cannot draw 11 distinct transitions from a buffer of 10 .*--learning_starts/,
    );
  });
});
