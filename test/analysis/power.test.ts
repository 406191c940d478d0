// Student's t quantiles, the smallest detectable difference and the study's decision rule
// (src/analysis/power.ts), against printed t tables (which agree with scipy.stats.t.ppf to the
// digits shown) and docs/study.md's power table, computed there with scipy.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide, regularizedIncompleteBeta, smallestDetectableDifference, studentTCdf, studentTQuantile } from "../../src/analysis/power.js";

const near = (got: number, want: number, tol: number, what: string) => assert.ok(Math.abs(got - want) <= tol, `${what}: ${got}, expected ${want} ± ${tol}`);

describe("Student's t", () => {
  it("quantiles match the t table (two-sided 95 % and one-sided 80 %) for 1 to 29 degrees of freedom, and the normal's for many", () => {
    const q975: [number, number][] = [
      [1, 12.7062],
      [2, 4.3027],
      [4, 2.7764],
      [7, 2.3646],
      [9, 2.2622],
      [14, 2.1448],
      [29, 2.0452],
    ];
    for (const [df, t] of q975) near(studentTQuantile(0.975, df), t, 6e-5, `t(0.975, ${df})`);
    const q80: [number, number][] = [
      [1, 1.3764],
      [4, 0.941],
      [9, 0.8834],
      [14, 0.8681],
    ];
    for (const [df, t] of q80) near(studentTQuantile(0.8, df), t, 6e-5, `t(0.8, ${df})`);
    near(studentTQuantile(0.975, 1e7), 1.959964, 1e-5, "t(0.975, ∞) = z(0.975)");
    near(studentTQuantile(0.025, 9), -2.2622, 6e-5, "symmetric");
  });

  it("the cdf inverts the quantile, and the incomplete beta has its closed forms", () => {
    for (const df of [1, 3, 10]) for (const p of [0.1, 0.5, 0.8, 0.99]) near(studentTCdf(studentTQuantile(p, df), df), p, 1e-10, `cdf(quantile(${p}), ${df})`);
    near(studentTCdf(1, 1), 0.75, 1e-12, "Cauchy: 1/2 + atan(1)/π");
    near(regularizedIncompleteBeta(0.3, 1, 1), 0.3, 1e-12, "I_x(1,1) = x");
    near(regularizedIncompleteBeta(0.3, 2, 1), 0.09, 1e-12, "I_x(2,1) = x²");
    assert.throws(() => studentTQuantile(1, 3), /p must be in \(0, 1\)/);
  });
});

describe("the smallest detectable difference", () => {
  it("gives docs/study.md's power table (σ_d = √2 σ)", () => {
    const accuracy: [number, number][] = [
      [5, 0.094],
      [8, 0.065],
      [10, 0.056],
      [15, 0.044],
    ];
    for (const [n, d] of accuracy) near(smallestDetectableDifference(n, Math.SQRT2 * 0.04), d, 5e-4, `accuracy, n = ${n}`);
    const reward: [number, number, number, number][] = [
      [5, 0.82, 1.18, 1.58],
      [10, 0.49, 0.7, 0.94],
    ];
    for (const [n, ...ds] of reward)
      [0.35, 0.5, 0.67].forEach((sigma, i) => near(smallestDetectableDifference(n, Math.SQRT2 * sigma), ds[i], 5e-3, `reward σ ${sigma}, n = ${n}`));
    assert.throws(() => smallestDetectableDifference(1, 1), /at least 2 pairs/);
  });
});

describe("the decision rule", () => {
  it("supported above 0, not supported when the interval excludes the detectable size, else inconclusive", () => {
    assert.equal(decide({ low: 0.01, high: 0.2 }, 0.05), "supported");
    assert.equal(decide({ low: -0.02, high: 0.04 }, 0.05), "not supported");
    assert.equal(decide({ low: -0.02, high: 0.06 }, 0.05), "inconclusive at this power");
    assert.equal(decide({ low: 0, high: 0.01 }, 0.05), "not supported", "a lower end at 0 is not above it");
    assert.equal(decide({ low: -0.02, high: 0.5 }, null), "not supported", "no detectable size fixed: supported or not");
  });
});
