// The seedable RNG: determinism, state save/restore, and its distributions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../../src/index.js";

describe("Rng", () => {
  it("repeats for the same seed, differs for another, and restores a saved state", () => {
    const a = new Rng(123),
      b = new Rng(123),
      c = new Rng(124);
    const xa = Array.from({ length: 10 }, () => a.nextUint32());
    assert.deepEqual(
      xa,
      Array.from({ length: 10 }, () => b.nextUint32()),
    );
    assert.notDeepEqual(
      xa,
      Array.from({ length: 10 }, () => c.nextUint32()),
    );
    const s = a.getState();
    const next = [a.uniform(), a.normal(), a.int(7)];
    a.setState(s);
    assert.deepEqual([a.uniform(), a.normal(), a.int(7)], next);
    assert.deepEqual(a.clone().getState(), a.getState());
  });

  it("derives distinct named streams from one seed", () => {
    const env = Rng.stream(5, "env").nextUint32();
    assert.equal(Rng.stream(5, "env").nextUint32(), env);
    assert.notEqual(Rng.stream(5, "replay").nextUint32(), env);
    assert.notEqual(Rng.stream(6, "env").nextUint32(), env);
  });

  it("draws uniforms in [lo, hi), unbiased integers and standard normals", () => {
    const r = new Rng(1);
    const n = 200000;
    let sum = 0,
      sumSq = 0,
      lo = Infinity,
      hi = -Infinity;
    const counts = new Array(6).fill(0);
    for (let i = 0; i < n; i++) {
      const u = r.uniformRange(-1, 1);
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      counts[r.int(6)]++;
      const z = r.normal();
      sum += z;
      sumSq += z * z;
    }
    assert.ok(lo >= -1 && hi < 1 && lo < -0.999 && hi > 0.999);
    for (const c of counts) assert.ok(Math.abs(c / n - 1 / 6) < 0.005, `int(6) counts ${counts}`);
    assert.ok(Math.abs(sum / n) < 0.01, `normal mean ${sum / n}`);
    assert.ok(Math.abs(sumSq / n - 1) < 0.02, `normal variance ${sumSq / n}`);
  });

  it("rejects bad seeds and states", () => {
    assert.throws(() => new Rng(-1), /non-negative safe integer/);
    assert.throws(() => new Rng(0.5), /non-negative safe integer/);
    assert.throws(() => new Rng(0).setState([0, 0, 0, 0]), /not be all zeros/);
    assert.throws(() => new Rng(0).setState([1, 2, 3]), /four unsigned 32-bit integers/);
    assert.throws(() => new Rng(0).int(0), /n must be an integer in \[1, 2\^32\]/);
  });
});
