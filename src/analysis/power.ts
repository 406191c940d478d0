/**
 * Power and decisions for a pre-registered comparison (docs/study.md): the smallest difference a
 * paired two-sided t-test can detect with n seeds, and the verdict a bootstrap interval gives under
 * the study's decision rule. Student's t quantiles are computed here (the regularised incomplete
 * beta function by its continued fraction, inverted by bisection) so that no statistics package is
 * needed; test/analysis/power.test.ts checks them against scipy's values.
 */
import type { Interval } from "./stats.js";

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: ~1e-15 relative). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz), for x < (a+1)/(a+b+2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    // even step
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    // odd step
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student's t: degrees of freedom must be positive, got ${df}`);
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (what scipy.stats.t.ppf(p, df) gives). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Student's t quantile: p must be in (0, 1), got ${p}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** What a power calculation assumes. */
export interface PowerOptions {
  /** Two-sided significance level (default 0.05). */
  alpha?: number;
  /** Power (default 0.8). */
  power?: number;
}

/**
 * The smallest mean difference a paired two-sided t-test detects with `n` pairs, given the standard
 * deviation of the per-pair differences: (t_{1−α/2, n−1} + t_{power, n−1}) · σ_d / √n. With no
 * pairing benefit assumed, σ_d = √2 · σ of one condition (docs/study.md's power table).
 */
export function smallestDetectableDifference(n: number, sigmaOfDifferences: number, opts: PowerOptions = {}): number {
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`smallest detectable difference: needs at least 2 pairs, got ${n}`);
  if (!(sigmaOfDifferences > 0)) throw new RangeError(`smallest detectable difference: sigma must be positive, got ${sigmaOfDifferences}`);
  return ((studentTQuantile(1 - alpha / 2, n - 1) + studentTQuantile(power, n - 1)) * sigmaOfDifferences) / Math.sqrt(n);
}

/** What an interval says about a hypothesis "the difference is > 0" (docs/study.md's decision rule). */
export type Verdict = "supported" | "not supported" | "inconclusive at this power";

/**
 * The pre-registered decision on the interval of a mean difference: its lower end above 0 →
 * supported; else, its upper end below the smallest detectable difference (the data exclude an
 * effect as large as the study could find) → not supported; else inconclusive at this power. With
 * no smallest detectable difference fixed (`null`), only "supported" or "not supported" is said.
 */
export function decide(interval: Pick<Interval, "low" | "high">, smallestDetectable: number | null): Verdict {
  if (interval.low > 0) return "supported";
  if (smallestDetectable === null || interval.high < smallestDetectable) return "not supported";
  return "inconclusive at this power";
}
