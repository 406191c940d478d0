// Action distributions: Gumbel-softmax sampling (spec §9.2 item 5) and their backward passes.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DiagGaussian, SoftCategorical, SoftMultiCategorical, distributionFor } from "../../src/nn/distributions.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, numericDerivative, ready, tf, values } from "../helpers/tf.js";

describe("action distributions", () => {
  before(ready);

  it("SoftCategorical samples lie on the simplex (tf and plain)", () => {
    const pd = new SoftCategorical(5);
    const rng = new Rng(1);
    const logits = Float32Array.from({ length: 50 }, () => 3 * rng.normal());
    const noise = new Float32Array(50);
    pd.fillNoise(rng, noise, 10);
    const s = tf.tidy(() => values(pd.sample(tf.tensor2d(logits, [10, 5]), tf.tensor2d(noise, [10, 5]))));
    for (let r = 0; r < 10; r++) {
      const row = s.slice(r * 5, r * 5 + 5);
      assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-6 && row.every((v) => v >= 0));
    }
    const out = new Float64Array(5);
    pd.samplePlain(Float64Array.from(logits.subarray(0, 5)), 0, rng, out, 0);
    assert.ok(Math.abs(out.reduce((a, b) => a + b) - 1) < 1e-12);
  });

  it("picks each action with probability softmax(logits): the arg-max frequencies match", () => {
    const pd = new SoftCategorical(5);
    const logits = Float64Array.from([1.5, -0.3, 0.2, 0.9, -1.2]);
    const soft = Array.from(logits, Math.exp);
    const z = soft.reduce((a, b) => a + b);
    const counts = new Array(5).fill(0);
    const rng = new Rng(2);
    const out = new Float64Array(5);
    const n = 40000;
    for (let i = 0; i < n; i++) {
      pd.samplePlain(logits, 0, rng, out, 0);
      counts[out.indexOf(Math.max(...out))]++;
    }
    counts.forEach((c, k) => assert.ok(Math.abs(c / n - soft[k] / z) < 0.01, `action ${k}: ${c / n} vs ${soft[k] / z}`));
  });

  it("clamps u so the Gumbel noise stays finite", () => {
    const pd = new SoftCategorical(3);
    const noise = new Float32Array(3 * 100000);
    pd.fillNoise(new Rng(3), noise, 100000);
    assert.ok(noise.every(Number.isFinite));
  });

  for (const pd of [new SoftCategorical(4), new SoftMultiCategorical([3, 2]), new DiagGaussian(3)]) {
    it(`${pd.kind}: the sample's backward pass matches numeric gradients`, () => {
      const B = 3;
      const rng = new Rng(4);
      const params = Float64Array.from({ length: B * pd.paramSize }, () => rng.normal());
      const noise = new Float32Array(B * pd.noiseSize);
      pd.fillNoise(rng, noise, B);
      const R = Float64Array.from({ length: B * pd.actionSize }, () => rng.normal());
      const loss = () =>
        tf.tidy(() => {
          const s = pd.sample(tf.tensor2d(Float32Array.from(params), [B, pd.paramSize]), tf.tensor2d(noise, [B, pd.noiseSize]));
          return values(s).reduce((a, v, i) => a + v * R[i], 0);
        });
      const got = tf.tidy(() => {
        const p = tf.tensor2d(Float32Array.from(params), [B, pd.paramSize]);
        const nz = tf.tensor2d(noise, [B, pd.noiseSize]);
        const s = pd.sample(p, nz);
        return values(pd.sampleBackward(p, nz, s, tf.tensor2d(Float32Array.from(R), [B, pd.actionSize])));
      });
      // float32 forward: a larger step keeps the difference quotient accurate
      assertClose(
        got,
        Array.from(params, (_, i) => numericDerivative(loss, params, i, 1e-2)),
        2e-3,
        pd.kind,
        1,
      );
    });
  }

  it("give log-likelihoods, entropies and KL divergences as hand-computed", () => {
    const logits = [1, 2, 0.5];
    const z = logits.map(Math.exp).reduce((a, b) => a + b);
    const p = logits.map((l) => Math.exp(l) / z);
    const x = [0.2, 0.5, 0.3];
    const other = [0, -1, 2];
    const zo = other.map(Math.exp).reduce((a, b) => a + b);
    const q = other.map((l) => Math.exp(l) / zo);
    const sc = new SoftCategorical(3);
    const [lp, h, kl] = tf.tidy(() => {
      const L = tf.tensor2d([logits]);
      return [values(sc.logp(L, tf.tensor2d([x]))), values(sc.entropy(L)), values(sc.kl(L, tf.tensor2d([other])))];
    });
    assertClose(lp, [x.reduce((a, xi, k) => a + xi * Math.log(p[k]), 0)], 1e-6, "categorical logp");
    assertClose(h, [-p.reduce((a, pk) => a + pk * Math.log(pk), 0)], 1e-6, "categorical entropy");
    assertClose(kl, [p.reduce((a, pk, k) => a + pk * Math.log(pk / q[k]), 0)], 1e-6, "categorical KL");
    const multi = new SoftMultiCategorical([3, 3]);
    const ml = tf.tidy(() => values(multi.entropy(tf.tensor2d([[...logits, ...logits]]))));
    assertClose(ml, [2 * h[0]], 1e-6, "multi-categorical entropy sums the blocks");
    const g = new DiagGaussian(2);
    const [glp, gh, gkl] = tf.tidy(() => {
      const P = tf.tensor2d([[0.5, -1, Math.log(2), 0]]); // means 0.5, -1; stds 2, 1
      return [values(g.logp(P, tf.tensor2d([[1.5, 0]]))), values(g.entropy(P)), values(g.kl(P, tf.tensor2d([[0, 0, 0, 0]])))];
    });
    const normLogpdf = (v: number, m: number, sd: number) => -0.5 * ((v - m) / sd) ** 2 - Math.log(sd) - 0.5 * Math.log(2 * Math.PI);
    assertClose(glp, [normLogpdf(1.5, 0.5, 2) + normLogpdf(0, -1, 1)], 1e-5, "gaussian logp");
    assertClose(gh, [Math.log(2) + 0.5 * Math.log(2 * Math.PI * Math.E) * 2], 1e-5, "gaussian entropy");
    const klN = (m: number, s: number) => Math.log(1 / s) + (s * s + m * m) / 2 - 0.5;
    assertClose(gkl, [klN(0.5, 2) + klN(-1, 1)], 1e-5, "gaussian KL to N(0, 1)");
  });

  it("maps env action spaces as make_pdtype does", () => {
    assert.equal(distributionFor({ kind: "discrete", n: 5 }).kind, "soft_categorical");
    assert.equal(distributionFor({ kind: "multi_discrete", nvec: [5, 4] }).paramSize, 9);
    const g = distributionFor({ kind: "box", low: -1, high: 1, shape: [2] });
    assert.deepEqual([g.kind, g.paramSize, g.actionSize], ["diag_gaussian", 4, 2]);
    assert.throws(() => distributionFor({ kind: "discrete", n: 5 }, true), /integer actions/);
  });
});
