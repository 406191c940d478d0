/**
 * One Adam step (with clipping) on state where a fifth of every array is subnormal, as dead units
 * leave it, through the native kernel, and the float32 arithmetic it must give (each operation
 * rounded with Math.fround): for the kernel tests and their child process (adam-probe.ts).
 */
import { Adam } from "../../src/nn/optim.js";
import { Rng } from "../../src/util/rng.js";
import { tf } from "./tf.js";

type Bits = number[];

export function adamWithSubnormals(): { got: { p: Bits; m: Bits; v: Bits }; want: { p: Bits; m: Bits; v: Bits }; subnormalState: boolean } {
  // dead units' zero gradients let m and v decay into float32's subnormal range
  const rng = new Rng(41);
  const n = 1000 + 13; // a tail that is not a multiple of the vector width
  const pick = (normal: () => number) => {
    const r = rng.uniform();
    return r < 0.2 ? (rng.uniform() - 0.5) * 2e-39 : r < 0.25 ? 0 : r < 0.27 ? -0 : normal();
  };
  const p0 = Float32Array.from({ length: n }, () => pick(() => rng.normal()));
  const m0 = Float32Array.from({ length: n }, () => pick(() => 1e-3 * rng.normal()));
  const v0 = Float32Array.from({ length: n }, () => Math.abs(pick(() => 1e-6 * rng.uniform())));
  const g = Float32Array.from({ length: n }, () => pick(() => 1e-2 * rng.normal()));
  const [b1, b2, lr, eps, clip] = [0.9, 0.999, 0.01, 1e-8, 0.5];
  const f = Math.fround;
  let ss = 0;
  for (const x of g) ss += x * x;
  const norm = Math.sqrt(ss);
  const scale = f(clip / (norm > clip ? norm : clip));
  const lrT = (lr * Math.sqrt(1 - b2)) / (1 - b1);
  const [fb1, fb2, fl, fe] = [f(b1), f(b2), f(lrT), f(eps)];
  const [c1, c2] = [f(1 - fb1), f(1 - fb2)];
  const want = { p: p0.slice(), m: m0.slice(), v: v0.slice() };
  for (let i = 0; i < n; i++) {
    const gi = f(g[i] * scale);
    const mi = f(f(fb1 * m0[i]) + f(c1 * gi));
    const vi = f(f(fb2 * v0[i]) + f(f(c2 * gi) * gi));
    want.m[i] = mi;
    want.v[i] = vi;
    want.p[i] = f(p0[i] - f(f(fl * mi) / f(f(Math.sqrt(vi)) + fe)));
  }
  const x = tf.variable(tf.tensor1d(p0));
  const adam = new Adam([x], { learningRate: lr, epsilon: eps, clipNorm: clip });
  adam.setState({ step: 0, m: [m0], v: [v0] });
  tf.tidy(() => adam.apply([tf.tensor1d(g)]));
  const state = adam.getState();
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  const got = { p: bits(x.dataSync() as Float32Array), m: bits(state.m[0]), v: bits(state.v[0]) };
  adam.dispose();
  x.dispose();
  return {
    got,
    want: { p: bits(want.p), m: bits(want.m), v: bits(want.v) },
    subnormalState: want.v.some((y) => y !== 0 && Math.abs(y) < 1.1754944e-38),
  };
}
