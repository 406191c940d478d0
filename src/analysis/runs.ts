/**
 * Runs as replicates: load run directories, a sweep's results or live experiments, tell each run's
 * condition (its options minus its seed and bookkeeping, or a caller-given key) and seed, and
 * reduce a run's metric to the number the statistics compare (one per seed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MetricRow, MetricsLog } from "../train/metrics.js";
import { loadRun, RunRecord } from "../train/run-dir.js";
import { listSweepRuns, loadSweepSpec } from "../train/sweep.js";

/** Runs that cannot be compared as asked (missing, ambiguous or duplicated data): the input's fault. */
export class AnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnalysisError";
  }
}

/** Options that name where a run writes or how it is scheduled, not what it computes. */
export const BOOKKEEPING_OPTIONS: readonly string[] = [
  "seed",
  "run_dir",
  "save_dir",
  "lemol_save_path",
  "exp_name",
  "workers",
  "save_rate",
  "checkpoint_replay",
  "display",
  "verbose_ppo",
];

/** One run, as the statistics see it. */
export interface SeedRun {
  /** A short name: the run directory's name (a sweep's `r003-s2`), or `run <k>`. */
  name: string;
  /** The run directory, when there is one. */
  root: string | null;
  seed: number;
  /** Every option of the run (from its manifest or the live experiment's config). */
  options: Readonly<Record<string, unknown>>;
  metrics: MetricsLog;
}

/** What {@link loadRuns} accepts: run or sweep directories, sweep files, run records, experiments. */
export type RunInput = string | RunRecord | { config: object; metrics: MetricsLog; runDir?: { root: string } } | SeedRun;

function isSeedRun(x: unknown): x is SeedRun {
  return typeof x === "object" && x !== null && "seed" in x && "options" in x && (x as SeedRun).metrics instanceof MetricsLog;
}

function seedOf(options: Record<string, unknown>, where: string): number {
  const seed = options.seed;
  if (!Number.isSafeInteger(seed)) throw new AnalysisError(`${where}: its options have no integer seed, so it cannot be matched with other seeds`);
  return seed as number;
}

/** A directory's runs: itself when it is a run directory, else the finished runs of a sweep's results directory. */
function runsAt(where: string): SeedRun[] {
  const stat = fs.statSync(where, { throwIfNoEntry: false });
  if (!stat) throw new AnalysisError(`no such run directory, sweep results directory or sweep file: ${where}`);
  if (stat.isFile()) {
    if (!where.endsWith(".json")) throw new AnalysisError(`${where}: expected a run directory, a sweep results directory or a sweep file (.json)`);
    return runsAt(loadSweepSpec(where).results);
  }
  if (fs.existsSync(path.join(where, "manifest.json"))) return [fromRecord(loadRun(where))];
  const sweep = listSweepRuns(where);
  if (sweep.length === 0)
    throw new AnalysisError(`${where} is neither a lemol run directory (manifest.json, metrics.csv) nor a sweep's results directory (r000-s1, ...)`);
  // unfinished runs would bias a comparison towards the conditions that finish first
  return sweep.filter((r) => r.status === "finished").map((r) => fromRecord(loadRun(r.runDir)));
}

function fromRecord(r: RunRecord): SeedRun {
  const options = (r.manifest.config ?? {}) as unknown as Record<string, unknown>;
  return { name: path.basename(r.root), root: r.root, seed: seedOf(options, r.root), options, metrics: r.metrics };
}

/**
 * Runs from any mix of inputs: a run directory, a sweep's results directory or sweep file (its
 * finished runs), a {@link RunRecord} from `loadRun`, or a live experiment.
 */
export function loadRuns(inputs: RunInput | readonly RunInput[]): SeedRun[] {
  const list = Array.isArray(inputs) ? (inputs as readonly RunInput[]) : [inputs as RunInput];
  const runs: SeedRun[] = [];
  list.forEach((input, k) => {
    if (typeof input === "string") runs.push(...runsAt(input));
    else if (isSeedRun(input)) runs.push(input);
    else if (typeof input === "object" && input !== null && "manifest" in input) runs.push(fromRecord(input));
    else if (typeof input === "object" && input !== null && "config" in input && input.metrics instanceof MetricsLog) {
      const options = input.config as Record<string, unknown>;
      const root = input.runDir?.root ?? null;
      runs.push({ name: root ? path.basename(root) : `run ${k}`, root, seed: seedOf(options, root ?? `run ${k}`), options, metrics: input.metrics });
    } else throw new TypeError(`run ${k}: expected a run directory, a sweep, a loadRun() record or an Experiment`);
  });
  if (runs.length === 0) throw new AnalysisError("no finished runs in these inputs");
  return runs;
}

/** How runs are grouped into conditions: option names (the label is their values), or a function of the run. */
export type ConditionKey = readonly string[] | ((run: SeedRun) => string);

/** The options (outside bookkeeping and the seed) whose values differ between runs. */
export function variedOptions(runs: readonly SeedRun[]): string[] {
  const keys = new Set(runs.flatMap((r) => Object.keys(r.options)));
  const skip = new Set(BOOKKEEPING_OPTIONS);
  return [...keys].filter((k) => !skip.has(k) && new Set(runs.map((r) => JSON.stringify(r.options[k] ?? null))).size > 1).sort();
}

function label(run: SeedRun, keys: readonly string[]): string {
  if (keys.length === 0) return "all runs";
  if (keys.length === 1) return String(run.options[keys[0]] ?? null);
  return keys.map((k) => `${k}=${String(run.options[k] ?? null)}`).join(", ");
}

/**
 * A function naming each run's condition: by option names (the label is their values: the value
 * alone for one option, `k=v, ...` for several), by default every option that varies between the
 * runs (so runs differing only in seed and bookkeeping share one), or the caller's own function.
 */
export function conditionNamer(runs: readonly SeedRun[], by?: ConditionKey): (run: SeedRun) => string {
  if (typeof by === "function") return by;
  const keys = by ?? variedOptions(runs);
  for (const k of keys) if (!runs.some((r) => k in r.options)) throw new AnalysisError(`no run has an option "${k}" to group by`);
  return (run) => label(run, keys);
}

/**
 * The runs grouped by condition ({@link conditionNamer}), in order of first appearance. Two runs
 * of one condition with the same seed are refused: they would count one replicate twice.
 */
export function groupByCondition(runs: readonly SeedRun[], by?: ConditionKey): Map<string, SeedRun[]> {
  const name = conditionNamer(runs, by);
  const groups = new Map<string, SeedRun[]>();
  for (const run of runs) {
    const key = name(run);
    const g = groups.get(key) ?? groups.set(key, []).get(key)!;
    const twin = g.find((r) => r.seed === run.seed);
    if (twin)
      throw new AnalysisError(`condition "${key}" has seed ${run.seed} twice (${twin.name} and ${run.name}): group by the option that tells them apart`);
    g.push(run);
  }
  return groups;
}

/** Which of a run's rows a number is computed from. */
export interface SelectOptions {
  /** The metric (default `om_accuracy_in_play`). */
  metric?: string;
  /** Keep only agents whose name contains this (e.g. `bad` for the adversary). Required when the metric has several agents. */
  agent?: string;
  /**
   * Which cycles: `last` (default: each run's last cycle with this metric), `all`, or a list.
   * Rows without a cycle count as cycle 0.
   */
  cycles?: "last" | "all" | readonly number[];
  /** Only each trajectory's last this many episodes (e.g. 1,000 for a final reward); rows need episode numbers. */
  lastEpisodes?: number;
  /**
   * Subtract this metric's mean over the same selection (e.g. `om_baseline_bc_in_play` from
   * `om_accuracy_in_play`: the baselines are scored on the OM's own windows), giving a within-run
   * difference.
   */
  minus?: string;
}

/**
 * Splits runs into those with rows of `metric` and those without (a MADDPG control has no
 * opponent-model accuracy): what to compare, and what to say was left out. A name lemol never
 * writes throws, listing the real ones.
 */
export function partitionByMetric(runs: readonly SeedRun[], metric: string): { kept: SeedRun[]; without: SeedRun[] } {
  const kept: SeedRun[] = [];
  const without: SeedRun[] = [];
  for (const run of runs) {
    let n: number;
    try {
      n = run.metrics.select(metric).length;
    } catch (err) {
      throw new AnalysisError(`${run.name}: ${(err as Error).message}`);
    }
    (n > 0 ? kept : without).push(run);
  }
  return { kept, without };
}

/** The selected rows of one run (throws naming what is missing or ambiguous). */
export function selectRows(run: SeedRun, opts: Omit<SelectOptions, "minus"> = {}): MetricRow[] {
  const metric = opts.metric ?? "om_accuracy_in_play";
  let rows: MetricRow[];
  try {
    rows = run.metrics.select(metric);
  } catch (err) {
    throw new AnalysisError(`${run.name}: ${(err as Error).message}`); // a name lemol never writes
  }
  if (rows.length === 0) throw new AnalysisError(`${run.name}: no "${metric}" rows`);
  if (opts.agent !== undefined) rows = rows.filter((r) => (r.agent ?? "").includes(opts.agent!));
  const agents = [...new Set(rows.map((r) => r.agent))];
  if (rows.length === 0) throw new AnalysisError(`${run.name}: no "${metric}" rows for an agent matching "${opts.agent}"`);
  if (agents.length > 1) throw new AnalysisError(`${run.name}: "${metric}" has ${agents.length} agents (${agents.join(", ")}); choose one with agent`);
  if (opts.lastEpisodes !== undefined) rows = lastEpisodes(run, metric, rows, opts.lastEpisodes);
  const cycles = opts.cycles ?? "last";
  if (cycles === "all") return rows;
  const wanted = cycles === "last" ? [Math.max(...rows.map((r) => r.cycle ?? 0))] : cycles;
  const kept = rows.filter((r) => wanted.includes(r.cycle ?? 0));
  if (kept.length === 0) throw new AnalysisError(`${run.name}: no "${metric}" rows in cycle${wanted.length === 1 ? "" : "s"} ${wanted.join(", ")}`);
  return kept;
}

/** Each trajectory's rows from its last `n` episodes. */
function lastEpisodes(run: SeedRun, metric: string, rows: MetricRow[], n: number): MetricRow[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`lastEpisodes must be a positive integer, got ${n}`);
  if (rows.some((r) => r.episode === null)) throw new AnalysisError(`${run.name}: "${metric}" rows have no episode numbers to take the last ${n} episodes of`);
  const last = new Map<number | null, number>();
  for (const r of rows) last.set(r.trajectory, Math.max(last.get(r.trajectory) ?? -Infinity, r.episode!));
  return rows.filter((r) => r.episode! > last.get(r.trajectory)! - n);
}

function meanOf(rows: readonly MetricRow[]): number {
  let sum = 0;
  for (const r of rows) sum += r.value;
  return sum / rows.length;
}

/** One number per run: the mean of its selected rows (minus the mean of `minus`'s, when given). */
export function runValue(run: SeedRun, opts: SelectOptions = {}): number {
  const value = meanOf(selectRows(run, opts));
  return opts.minus === undefined ? value : value - meanOf(selectRows(run, { ...opts, metric: opts.minus }));
}

/**
 * A run-wide episode index for (trajectory, episode) pairs: episodes restart at 0 in each
 * trajectory, so trajectory k's episodes are offset by the episodes of trajectories before it.
 */
export class EpisodeAxis {
  private readonly offsets = new Map<number, number>();
  /** Trajectory start positions, in order: [trajectory, first global episode, cycle, pair]. */
  readonly starts: { trajectory: number; at: number; cycle: number | null; opponent: string | null }[] = [];

  constructor(rows: readonly MetricRow[]) {
    const last = new Map<number, { max: number; cycle: number | null; opponent: string | null }>();
    for (const r of rows) {
      if (r.trajectory === null || r.episode === null) continue;
      const e = last.get(r.trajectory);
      if (!e) last.set(r.trajectory, { max: r.episode, cycle: r.cycle, opponent: r.opponent });
      else if (r.episode > e.max) e.max = r.episode;
    }
    let at = 0;
    for (const t of [...last.keys()].sort((a, b) => a - b)) {
      const e = last.get(t)!;
      this.offsets.set(t, at);
      this.starts.push({ trajectory: t, at, cycle: e.cycle, opponent: e.opponent });
      at += e.max + 1;
    }
  }

  /** The global episode of a row (its own episode when it has no trajectory). */
  x(r: MetricRow): number {
    return (r.trajectory !== null ? (this.offsets.get(r.trajectory) ?? 0) : 0) + (r.episode ?? 0);
  }
}

/** Where a curve's points are: one per cycle, or per block of run-wide episodes. */
export type CurveAxis = { by: "cycle" } | { by: "episodes"; block: number };

/**
 * One run's curve: x → the mean of the metric's rows at x (a cycle, or the first episode of a block
 * of `block` run-wide episodes).
 */
export function runCurve(run: SeedRun, axis: CurveAxis, opts: Omit<SelectOptions, "cycles"> = {}): Map<number, number> {
  if (opts.minus !== undefined) {
    const other = runCurve(run, axis, { ...opts, metric: opts.minus, minus: undefined });
    const own = runCurve(run, axis, { ...opts, minus: undefined });
    return new Map([...own].filter(([x]) => other.has(x)).map(([x, v]) => [x, v - other.get(x)!]));
  }
  const rows = selectRows(run, { ...opts, cycles: "all" });
  let xOf: (r: MetricRow) => number;
  if (axis.by === "cycle") xOf = (r) => r.cycle ?? 0;
  else {
    if (!Number.isInteger(axis.block) || axis.block < 1) throw new RangeError(`curve: block must be a positive number of episodes, got ${axis.block}`);
    const episodes = new EpisodeAxis(run.metrics.select("episode_reward").length > 0 ? run.metrics.select("episode_reward") : rows);
    xOf = (r) => Math.floor(episodes.x(r) / axis.block) * axis.block;
  }
  const sums = new Map<number, { sum: number; n: number }>();
  for (const r of rows) {
    const x = xOf(r);
    const s = sums.get(x) ?? sums.set(x, { sum: 0, n: 0 }).get(x)!;
    s.sum += r.value;
    s.n++;
  }
  return new Map([...sums.entries()].sort(([a], [b]) => a - b).map(([x, s]) => [x, s.sum / s.n]));
}
