/**
 * Conditions compared across seeds: each condition's aggregate (IQM by default) with a stratified
 * bootstrap interval, paired per-seed differences between two conditions, and curves per cycle or
 * per episode block with an interval at every point. What `lemol stats` prints and the seed-band
 * plots draw.
 */
import {
  Aggregate,
  bootstrapInterval,
  BootstrapOptions,
  interquartileMean,
  Interval,
  mean,
  pairedDifferences,
  PairedDifferences,
  probabilityOfImprovementInterval,
  sampleStd,
} from "./stats.js";
import { AnalysisError, ConditionKey, conditionNamer, CurveAxis, runCurve, runValue, SeedRun, SelectOptions, variedOptions } from "./runs.js";

export interface ConditionOptions extends SelectOptions, BootstrapOptions {
  /** What a condition is (default: the options that vary between the runs, outside `strata`). */
  by?: ConditionKey;
  /**
   * Strata within a condition (e.g. `["scenario"]`): the bootstrap resamples runs within each
   * stratum, never across (rliable's stratified bootstrap), and a seed may recur once per stratum.
   * Default: one stratum.
   */
  strata?: ConditionKey;
  /** The aggregate across runs the interval is for (default `iqm`). */
  aggregate?: Aggregate;
}

/** Runs by condition, then by stratum, in order of first appearance; a seed twice in one stratum is refused. */
export function conditionStrata(runs: readonly SeedRun[], opts: Pick<ConditionOptions, "by" | "strata"> = {}): Map<string, Map<string, SeedRun[]>> {
  const strataKeys = Array.isArray(opts.strata) ? (opts.strata as readonly string[]) : [];
  const condition = conditionNamer(runs, opts.by ?? variedOptions(runs).filter((k) => !strataKeys.includes(k)));
  const stratum = opts.strata === undefined ? () => "" : conditionNamer(runs, opts.strata);
  const out = new Map<string, Map<string, SeedRun[]>>();
  for (const run of runs) {
    const c = condition(run);
    const s = stratum(run);
    const strata = out.get(c) ?? out.set(c, new Map()).get(c)!;
    const list = strata.get(s) ?? strata.set(s, []).get(s)!;
    const twin = list.find((r) => r.seed === run.seed);
    if (twin)
      throw new AnalysisError(
        `condition "${c}"${s ? ` (stratum ${s})` : ""} has seed ${run.seed} twice (${twin.name} and ${run.name}): group by the option that tells them apart`,
      );
    list.push(run);
  }
  return out;
}

/** One condition's runs reduced to one number each, and their aggregate. */
export interface ConditionSummary {
  condition: string;
  /** The runs' seeds and values, in the same order (stratum by stratum). */
  seeds: number[];
  values: number[];
  mean: number;
  /** Sample standard deviation across runs (NaN for one run). */
  std: number;
  /** Interquartile mean across runs. */
  iqm: number;
  /** The chosen aggregate with its stratified bootstrap interval. */
  interval: Interval;
  aggregate: Aggregate;
}

/** Each condition's per-run values (mean of the selected rows), their mean, std, IQM and the aggregate's bootstrap interval. */
export function summarizeConditions(runs: readonly SeedRun[], opts: ConditionOptions): ConditionSummary[] {
  const how = opts.aggregate ?? "iqm";
  return [...conditionStrata(runs, opts)].map(([condition, strata]) => {
    const perStratum = [...strata.values()].map((list) => list.map((r) => runValue(r, opts)));
    const values = perStratum.flat();
    return {
      condition,
      seeds: [...strata.values()].flat().map((r) => r.seed),
      values,
      mean: mean(values),
      std: sampleStd(values),
      iqm: interquartileMean(values),
      interval: bootstrapInterval(perStratum, how, opts),
      aggregate: how,
    };
  });
}

/** Two conditions compared seed by seed. */
export interface PairedComparison {
  /** The conditions compared: differences are `a − b`. */
  conditions: { a: string; b: string };
  metric: string;
  pairs: PairedDifferences;
  /** Mean of the per-seed differences with its bootstrap interval (seeds resampled). */
  meanDifference: Interval;
  /** IQM of the per-seed differences with its bootstrap interval. */
  iqmDifference: Interval;
  /** Seeds on which a > b, and on which a < b. */
  wins: { a: number; b: number };
  /** P(a run of A beats a run of B), unpaired, with its bootstrap interval. */
  probabilityOfImprovement: Interval;
}

/**
 * Condition `a` against condition `b` on the seeds both have: per-seed differences a − b, their
 * mean and IQM with bootstrap intervals, and the probability of improvement. Pairing by seed
 * removes what the two runs of a seed share (the opponent's initialisation, the environment's
 * stream) from the comparison.
 */
export function pairedComparison(runs: readonly SeedRun[], a: string, b: string, opts: Omit<ConditionOptions, "strata" | "aggregate">): PairedComparison {
  const groups = conditionStrata(runs, opts);
  const valuesOf = (name: string): Map<number, number> => {
    const strata = groups.get(name);
    if (!strata) throw new AnalysisError(`no condition "${name}"; the conditions are ${[...groups.keys()].map((k) => `"${k}"`).join(", ")}`);
    return new Map([...strata.values()].flat().map((r) => [r.seed, runValue(r, opts)]));
  };
  const pairs = pairedDifferences(valuesOf(a), valuesOf(b));
  if (pairs.seeds.length === 0) throw new AnalysisError(`conditions "${a}" and "${b}" share no seed: nothing to pair`);
  return {
    conditions: { a, b },
    metric: opts.metric ?? "om_accuracy_in_play",
    pairs,
    meanDifference: bootstrapInterval([pairs.differences], "mean", opts),
    iqmDifference: bootstrapInterval([pairs.differences], "iqm", opts),
    wins: { a: pairs.differences.filter((d) => d > 0).length, b: pairs.differences.filter((d) => d < 0).length },
    probabilityOfImprovement: probabilityOfImprovementInterval(pairs.a, pairs.b, opts),
  };
}

/** One point of a condition's curve across seeds. */
export interface CurvePoint {
  /** The cycle, or the first run-wide episode of the block. */
  x: number;
  /** The aggregate across the seeds that reached x, with its interval. */
  interval: Interval;
  /** The runs' values at x. */
  runs: { run: string; seed: number; value: number }[];
}

/** One condition's curve: per x, the aggregate across seeds with its bootstrap interval. */
export interface ConditionCurve {
  condition: string;
  seeds: number[];
  aggregate: Aggregate;
  points: CurvePoint[];
}

/**
 * Each condition's curve across seeds: every run's metric averaged per cycle or per block of
 * run-wide episodes, then at each x the aggregate (IQM by default) of the seeds that reached it,
 * with a bootstrap interval (the same resampler seed at every point).
 */
export function conditionCurves(runs: readonly SeedRun[], axis: CurveAxis, opts: Omit<ConditionOptions, "cycles">): ConditionCurve[] {
  const how = opts.aggregate ?? "iqm";
  return [...conditionStrata(runs, opts)].map(([condition, strata]) => {
    const curves = [...strata.values()].map((list) => list.map((r) => ({ run: r.name, seed: r.seed, curve: runCurve(r, axis, opts) })));
    const xs = [...new Set(curves.flat().flatMap((c) => [...c.curve.keys()]))].sort((p, q) => p - q);
    const points = xs.map((x) => {
      const perStratum = curves.map((list) => list.filter((c) => c.curve.has(x)).map((c) => c.curve.get(x)!)).filter((v) => v.length > 0);
      const at = curves.flat().flatMap((c) => (c.curve.has(x) ? [{ run: c.run, seed: c.seed, value: c.curve.get(x)! }] : []));
      return { x, interval: bootstrapInterval(perStratum, how, opts), runs: at };
    });
    return { condition, seeds: curves.flat().map((c) => c.seed), aggregate: how, points };
  });
}
