// The statistics on plain numbers, against values computed by hand and by numpy/scipy.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  aggregate,
  bootstrapDistribution,
  bootstrapInterval,
  interquartileMean,
  pairedDifferences,
  percentileInterval,
  probabilityOfImprovement,
  quantile,
  sampleStd,
} from "../../src/analysis/stats.js";
import { pythonWithNumpy, runPython } from "../helpers/python.js";

const noPython = pythonWithNumpy() ? false : "no python3 with numpy on this machine";

/** Runs a python expression printing JSON and parses it. */
function py(code: string): unknown {
  const r = runPython(`import json, numpy as np\n${code}`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const SAMPLES = [
  [3],
  [2, 9],
  [5, 1, 4],
  [0.2, 0.9, 0.4, 0.35],
  [1, 2, 3, 4, 100],
  [7, -2, 3.5, 0, 11, 4],
  [0.1, 0.5, 0.3, 0.3, 0.9, 0.2, 0.8],
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
];

describe("interquartile mean", () => {
  it("is the mean of the middle values, dropping floor(n/4) from each end (by hand)", () => {
    assert.equal(interquartileMean([1, 2, 3, 4, 100]), 3); // drop 1 and 100
    assert.equal(interquartileMean([10, 1, 9, 2, 8, 3, 7, 4]), 5.5); // drop 1,2 and 9,10: (3+4+7+8)/4
    assert.equal(interquartileMean([5, 1, 4]), 10 / 3); // fewer than 4: the mean
    assert.ok(Number.isNaN(interquartileMean([])));
  });

  it("equals scipy.stats.trim_mean(x, 0.25) (rliable's IQM) on every sample size from 1 to 10", { skip: noPython }, () => {
    const expected = py(
      `from scipy.stats import trim_mean\nprint(json.dumps([trim_mean(np.array(x, dtype=float), 0.25) for x in ${JSON.stringify(SAMPLES)}]))`,
    ) as number[];
    SAMPLES.forEach((x, i) =>
      assert.ok(Math.abs(interquartileMean(x) - expected[i]) < 1e-12, `${JSON.stringify(x)}: ${interquartileMean(x)} vs ${expected[i]}`),
    );
  });

  it("aggregates by name, and refuses an unknown one", () => {
    assert.equal(aggregate([1, 2, 3, 4, 100], "mean"), 22);
    assert.equal(aggregate([1, 2, 3, 4, 100], "median"), 3);
    assert.equal(aggregate([1, 2, 3, 4, 100], "iqm"), 3);
    assert.throws(() => aggregate([1], "max" as never), /"max" is not one of iqm, mean, median/);
  });
});

describe("quantiles and the percentile interval", () => {
  it("match numpy.percentile (linear interpolation)", { skip: noPython }, () => {
    const qs = [0, 0.025, 0.25, 0.5, 0.9, 0.975, 1];
    const expected = py(
      `print(json.dumps([[float(np.percentile(np.array(x, dtype=float), 100 * q)) for q in ${JSON.stringify(qs)}] for x in ${JSON.stringify(SAMPLES)}]))`,
    ) as number[][];
    SAMPLES.forEach((x, i) => qs.forEach((q, j) => assert.ok(Math.abs(quantile(x, q) - expected[i][j]) < 1e-12, `q=${q} of ${JSON.stringify(x)}`)));
  });

  it("takes the 2.5th and 97.5th percentiles of a distribution (by hand: 0..100)", () => {
    const close = (got: { low: number; high: number }, low: number, high: number) =>
      assert.ok(Math.abs(got.low - low) < 1e-9 && Math.abs(got.high - high) < 1e-9, `${JSON.stringify(got)} vs [${low}, ${high}]`);
    close(
      percentileInterval(
        Float64Array.from({ length: 101 }, (_, i) => 100 - i),
        0.95,
      ),
      2.5,
      97.5,
    );
    close(
      percentileInterval(
        Float64Array.from({ length: 101 }, (_, i) => i),
        0.9,
      ),
      5,
      95,
    );
  });

  it("sample std uses n - 1 (by hand)", () => {
    assert.equal(sampleStd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
    assert.ok(Number.isNaN(sampleStd([1])));
  });
});

describe("the bootstrap", () => {
  it("resamples with replacement: the mean's bootstrap variance is the plug-in variance / n (by hand: [1, 2, 6])", () => {
    // exact: population variance of [1,2,6] is 14/3, so var(mean of 3 draws) = 14/9
    const { estimate, distribution } = bootstrapDistribution([[1, 2, 6]], ([x]) => (x[0] + x[1] + x[2]) / 3, { seed: 5, resamples: 40000 });
    assert.equal(estimate, 3);
    const m = distribution.reduce((a, b) => a + b, 0) / distribution.length;
    const v = distribution.reduce((a, b) => a + (b - m) ** 2, 0) / distribution.length;
    assert.ok(Math.abs(m - 3) < 0.03, `mean ${m}`);
    assert.ok(Math.abs(v - 14 / 9) < 0.05, `variance ${v}, expected ${14 / 9}`);
    // only the observed values, and each resample a multiset of them: every value appears
    const seen = new Set(Array.from(distribution, (x) => Math.round(x * 3)));
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [3, 4, 5, 6, 8, 9, 10, 13, 14, 18], // every sum of three draws from {1, 2, 6}
    );
  });

  it("resamples within each stratum, never across (by hand: strata of 0s and 10s always pool to a mean of 4)", () => {
    const stratified = bootstrapInterval(
      [
        [0, 0, 0],
        [10, 10],
      ],
      "mean",
      { seed: 1, resamples: 500 },
    );
    assert.deepEqual([stratified.estimate, stratified.low, stratified.high, stratified.n], [4, 4, 4, 5]);
    const pooled = bootstrapInterval([[0, 0, 0, 10, 10]], "mean", { seed: 1, resamples: 500 });
    assert.equal(pooled.estimate, 4);
    assert.ok(pooled.low < 3 && pooled.high > 5, `pooled ${pooled.low}..${pooled.high}`);
    // every scratch array holds only its own stratum's values
    bootstrapDistribution(
      [
        [1, 2],
        [7, 8, 9],
      ],
      ([a, b]) => {
        assert.ok(a.every((x) => x === 1 || x === 2) && a.length === 2);
        assert.ok(b.every((x) => x >= 7) && b.length === 3);
        return 0;
      },
      { seed: 3, resamples: 50 },
    );
  });

  it("percentile interval of the IQM brackets the estimate, is reproducible from its seed and moves with it", () => {
    const values = [0.31, 0.42, 0.28, 0.5, 0.39, 0.45, 0.33];
    const a = bootstrapInterval([values], "iqm", { seed: 9 });
    assert.deepEqual(bootstrapInterval([values], "iqm", { seed: 9 }), a);
    assert.notDeepEqual(bootstrapInterval([values], "iqm", { seed: 10 }), a);
    assert.equal(a.estimate, interquartileMean(values));
    assert.ok(a.low < a.estimate && a.estimate < a.high && a.low >= 0.28 && a.high <= 0.5, JSON.stringify(a));
    assert.equal(a.resamples, 2000);
    assert.equal(a.confidence, 0.95);
  });

  it("equals numpy's percentiles of the same bootstrap distribution", { skip: noPython }, () => {
    const { distribution } = bootstrapDistribution([[0.31, 0.42, 0.28, 0.5, 0.39]], ([x]) => x.reduce((p, q) => p + q, 0) / x.length, {
      seed: 2,
      resamples: 999,
    });
    const expected = py(
      `d = np.array(${JSON.stringify(Array.from(distribution))})\nprint(json.dumps([float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5))]))`,
    ) as number[];
    const got = percentileInterval(Float64Array.from(distribution), 0.95);
    assert.ok(Math.abs(got.low - expected[0]) < 1e-12 && Math.abs(got.high - expected[1]) < 1e-12, `${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
  });

  it("refuses to run without a seed, on an empty stratum or on a non-finite value, naming the problem", () => {
    assert.throws(() => bootstrapInterval([[1, 2]], "iqm", {} as never), /give \{ seed \}/);
    assert.throws(() => bootstrapInterval([[1, 2], []], "iqm", { seed: 1 }), /every stratum needs at least one value/);
    assert.throws(() => bootstrapInterval([[1, NaN]], "iqm", { seed: 1 }), /not a finite number \(NaN\)/);
    assert.throws(() => bootstrapInterval([[1, 2]], "iqm", { seed: 1, confidence: 95 }), /confidence must be in \(0, 1\)/);
  });
});

describe("comparisons", () => {
  it("probability of improvement counts wins and half ties over all pairs (by hand)", () => {
    // x=[1,3,5], y=[2,3]: pairs (1,2)0 (1,3)0 (3,2)1 (3,3).5 (5,2)1 (5,3)1 -> 3.5/6
    assert.equal(probabilityOfImprovement([1, 3, 5], [2, 3]), 3.5 / 6);
    assert.equal(probabilityOfImprovement([2, 3], [1, 3, 5]), 2.5 / 6);
    assert.equal(probabilityOfImprovement([4], [4]), 0.5);
  });

  it("probability of improvement equals scipy's Mann-Whitney U / (n m)", { skip: noPython }, () => {
    const x = [0.41, 0.38, 0.52, 0.47, 0.38, 0.44];
    const y = [0.36, 0.38, 0.4, 0.31, 0.45];
    const u = py(
      `from scipy.stats import mannwhitneyu\nprint(json.dumps(float(mannwhitneyu(${JSON.stringify(x)}, ${JSON.stringify(y)}).statistic) / 30))`,
    ) as number;
    assert.ok(Math.abs(probabilityOfImprovement(x, y) - u) < 1e-12, `${probabilityOfImprovement(x, y)} vs ${u}`);
  });

  it("pairs two conditions by seed and lists the seeds only one has (by hand)", () => {
    const p = pairedDifferences(
      new Map([
        [3, 0.5],
        [1, 0.4],
        [2, 0.7],
        [9, 0.1],
      ]),
      new Map([
        [2, 0.6],
        [1, 0.45],
        [3, 0.25],
        [4, 0.3],
      ]),
    );
    assert.deepEqual(p.seeds, [1, 2, 3]);
    assert.deepEqual(p.a, [0.4, 0.7, 0.5]);
    assert.deepEqual(p.b, [0.45, 0.6, 0.25]);
    assert.deepEqual(
      p.differences.map((d) => Math.round(d * 1e12) / 1e12),
      [-0.05, 0.1, 0.25],
    );
    assert.deepEqual(p.unpaired, { a: [9], b: [4] });
  });
});
