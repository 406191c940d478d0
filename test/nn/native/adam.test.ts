// Adam and polyak (src/nn/native/adam.cc, polyak.cc, elementwise.h): the composite ops' numbers,
// float32 bits with subnormal moments, exact clipping.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { nativeKernels } from "../../../src/nn/native-kernels.js";
import { Adam, polyakUpdate } from "../../../src/nn/optim.js";
import { Rng } from "../../../src/util/rng.js";
import { adamWithSubnormals } from "../../helpers/adam-subnormal.js";
import { nativeSkip, bothPaths, randomF32, runProbe } from "../../helpers/native.js";
import { assertClose, ready, tf, values } from "../../helpers/tf.js";

const skip = nativeSkip();

describe("native kernels: Adam and polyak", { skip }, () => {
  before(async () => {
    await ready();
  });

  it("Adam (with per-variable clipping) and polyak update the variables as the composite ops do", () => {
    const rng = new Rng(4);
    const init = [randomF32(rng, 37 * 64), randomF32(rng, 64)];
    const grads = [randomF32(rng, 37 * 64, 0.1), randomF32(rng, 64, 0.01)];
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
    const [c, n] = bothPaths(run);
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
    const variant = (name?: string) => runProbe<{ variant: string; exact: boolean }>("test/helpers/adam-probe.ts", { LEMOL_NATIVE_ADAM: name ?? "" });
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
        const state = () => [randomF32(new Rng(n), n), randomF32(new Rng(n + 1), n, 1e-3), Float32Array.from(randomF32(new Rng(n + 2), n, 1e-3), Math.abs)];
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
});
