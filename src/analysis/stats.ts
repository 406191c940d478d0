/**
 * Statistics for few-seed comparisons, following the recommendations of Agarwal et al., "Deep RL
 * at the Edge of the Statistical Precipice" (NeurIPS 2021; the rliable library): the interquartile
 * mean across runs, stratified bootstrap percentile confidence intervals, and the probability of
 * improvement. The unit of replication is the seed: every value here is one run's number.
 *
 * Written from the paper's definitions (no code of rliable's is copied): the IQM trims a quarter
 * of the runs from each end as `scipy.stats.trim_mean(x, 0.25)` does, and percentiles interpolate
 * linearly between order statistics as numpy's default does, so both can be checked against them.
 */
import { Rng } from "../util/rng.js";

/** How runs are summarised into one number. */
export type Aggregate = "iqm" | "mean" | "median";

/** The arithmetic mean (NaN for no values). */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** The sample standard deviation (n − 1 in the denominator; NaN below two values). */
export function sampleStd(values: ArrayLike<number>): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (values.length - 1));
}

/** The q-quantile of values already sorted ascending (linear interpolation, numpy's default). */
function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The q-quantile of values (linear interpolation between order statistics, as numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  return sortedQuantile(Float64Array.from(values).sort(), q);
}

/** The mean of sorted values without the lowest and highest `cut` of them. */
function trimmedSortedMean(sorted: ArrayLike<number>, cut: number): number {
  let sum = 0;
  for (let i = cut; i < sorted.length - cut; i++) sum += sorted[i];
  return sum / (sorted.length - 2 * cut);
}

/**
 * The interquartile mean: the mean of the middle half of the values, dropping ⌊n/4⌋ from each end
 * (as `scipy.stats.trim_mean(x, 0.25)`; with fewer than 4 values nothing is dropped: the mean).
 */
export function interquartileMean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return trimmedSortedMean(sorted, Math.floor(sorted.length / 4));
}

/** Summarises values in place (may reorder `scratch`): the allocation-free form the bootstrap uses. */
function aggregateInPlace(scratch: Float64Array, how: Aggregate): number {
  if (how === "mean") return mean(scratch);
  scratch.sort();
  return how === "median" ? sortedQuantile(scratch, 0.5) : trimmedSortedMean(scratch, Math.floor(scratch.length / 4));
}

/** One of the {@link Aggregate}s of the values. */
export function aggregate(values: ArrayLike<number>, how: Aggregate): number {
  if (how !== "iqm" && how !== "mean" && how !== "median") throw new RangeError(`aggregate: "${String(how)}" is not one of iqm, mean, median`);
  if (values.length === 0) return NaN;
  return aggregateInPlace(Float64Array.from(values), how);
}

export interface BootstrapOptions {
  /** Seed of the resampler (required: the interval is a function of it). */
  seed: number;
  /** Bootstrap resamples (default 2,000; rliable uses 2,000 to 50,000). */
  resamples?: number;
  /** Confidence level of the interval (default 0.95). */
  confidence?: number;
}

/** A point estimate with its percentile bootstrap confidence interval. */
export interface Interval {
  /** The statistic on the data as observed. */
  estimate: number;
  low: number;
  high: number;
  confidence: number;
  resamples: number;
  /** Values (runs) the statistic was computed from, over all strata. */
  n: number;
}

function checkBootstrap(opts: BootstrapOptions): { resamples: number; confidence: number } {
  if (typeof opts !== "object" || opts === null || !Number.isSafeInteger(opts.seed) || opts.seed < 0)
    throw new RangeError("bootstrap: give { seed } (a non-negative integer): the interval depends on the resampler's seed");
  const resamples = opts.resamples ?? 2000;
  const confidence = opts.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  return { resamples, confidence };
}

/**
 * The bootstrap distribution of a statistic over strata: each resample draws, within every stratum
 * independently, as many values as the stratum has, with replacement (rliable's stratified
 * bootstrap: a stratum is a task or condition whose runs must not be mixed with another's).
 * `statistic` receives one scratch array per stratum, which it may reorder; it is called once on the
 * data as observed (returned as `estimate`) and once per resample.
 */
export function bootstrapDistribution(
  strata: readonly ArrayLike<number>[],
  statistic: (strata: Float64Array[]) => number,
  opts: BootstrapOptions,
): { estimate: number; distribution: Float64Array } {
  const { resamples } = checkBootstrap(opts);
  if (strata.length === 0 || strata.some((s) => s.length === 0)) throw new RangeError("bootstrap: every stratum needs at least one value");
  for (const s of strata)
    for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i])) throw new RangeError(`bootstrap: a value is not a finite number (${s[i]})`);
  const scratch = strata.map((s) => new Float64Array(s.length));
  strata.forEach((s, k) => scratch[k].set(s));
  const estimate = statistic(scratch);
  const rng = Rng.stream(opts.seed, "bootstrap");
  const distribution = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let k = 0; k < strata.length; k++) {
      const s = strata[k];
      const out = scratch[k];
      for (let i = 0; i < out.length; i++) out[i] = s[Math.floor(rng.uniform() * s.length)];
    }
    distribution[b] = statistic(scratch);
  }
  return { estimate, distribution };
}

/** The central `confidence` percentile interval of a bootstrap distribution (sorted in place). */
export function percentileInterval(distribution: Float64Array, confidence = 0.95): { low: number; high: number } {
  distribution.sort();
  const tail = (1 - confidence) / 2;
  return { low: sortedQuantile(distribution, tail), high: sortedQuantile(distribution, 1 - tail) };
}

/**
 * A stratified bootstrap confidence interval of an aggregate (IQM by default) over all values of
 * all strata together, resampling within each stratum. One stratum: the ordinary bootstrap.
 */
export function bootstrapInterval(strata: readonly ArrayLike<number>[], how: Aggregate, opts: BootstrapOptions): Interval {
  const { resamples, confidence } = checkBootstrap(opts);
  const n = strata.reduce((a, s) => a + s.length, 0);
  const pooled = new Float64Array(n);
  const statistic = (xs: Float64Array[]): number => {
    let at = 0;
    for (const x of xs) {
      pooled.set(x, at);
      at += x.length;
    }
    return aggregateInPlace(pooled, how);
  };
  const { estimate, distribution } = bootstrapDistribution(strata, statistic, opts);
  return { estimate, ...percentileInterval(distribution, confidence), confidence, resamples, n };
}

/**
 * P(X > Y) for one run X of the first condition and one run Y of the second, drawn independently,
 * ties counting a half (the Mann–Whitney U statistic over n·m): rliable's probability of
 * improvement for one task. 0.5 means neither is better.
 */
export function probabilityOfImprovement(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length === 0 || y.length === 0) throw new RangeError("probabilityOfImprovement: both conditions need at least one run");
  let wins = 0;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < y.length; j++) wins += x[i] > y[j] ? 1 : x[i] === y[j] ? 0.5 : 0;
  return wins / (x.length * y.length);
}

/** The probability of improvement with a bootstrap interval (X's and Y's runs resampled separately). */
export function probabilityOfImprovementInterval(x: ArrayLike<number>, y: ArrayLike<number>, opts: BootstrapOptions): Interval {
  const { resamples, confidence } = checkBootstrap(opts);
  const { estimate, distribution } = bootstrapDistribution([x, y], ([a, b]) => probabilityOfImprovement(a, b), opts);
  return { estimate, ...percentileInterval(distribution, confidence), confidence, resamples, n: x.length + y.length };
}

/** Two conditions' values matched by seed. */
export interface PairedDifferences {
  /** The seeds both conditions have, ascending. */
  seeds: number[];
  a: number[];
  b: number[];
  /** a − b per seed. */
  differences: number[];
  /** Seeds only one condition has (left out of the pairing). */
  unpaired: { a: number[]; b: number[] };
}

/** Per-seed differences a − b of two conditions' values keyed by seed (seeds only one has are listed apart). */
export function pairedDifferences(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): PairedDifferences {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((p, q) => p - q);
  const av = seeds.map((s) => a.get(s)!);
  const bv = seeds.map((s) => b.get(s)!);
  return {
    seeds,
    a: av,
    b: bv,
    differences: av.map((v, i) => v - bv[i]),
    unpaired: { a: [...a.keys()].filter((s) => !b.has(s)).sort((p, q) => p - q), b: [...b.keys()].filter((s) => !a.has(s)).sort((p, q) => p - q) },
  };
}
