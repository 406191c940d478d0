/**
 * What plots and summaries read: the metrics of a run, wherever they are — a live experiment, its
 * metrics log, an arquero table of metric rows, row objects, or a run directory / metrics.csv on
 * disk.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import { MetricRow, MetricsLog } from "../train/metrics.js";
import { loadRun, RunRecord } from "../train/run-dir.js";

/** Anything holding a run's metric rows. */
export type MetricsSource = MetricsLog | aq.ColumnTable | readonly MetricRow[] | string | RunRecord | { metrics: MetricsLog };

function isTable(x: unknown): x is aq.ColumnTable {
  return typeof x === "object" && x !== null && typeof (x as aq.ColumnTable).objects === "function" && typeof (x as aq.ColumnTable).numRows === "function";
}

/** The source as a metrics log (a directory or CSV is read; a table is converted). */
export function metricsOf(source: MetricsSource): MetricsLog {
  if (source instanceof MetricsLog) return source;
  if (typeof source === "string") {
    const stat = fs.statSync(source, { throwIfNoEntry: false });
    if (!stat) throw new Error(`no such run directory or metrics file: ${source}`);
    return stat.isDirectory() ? loadRun(source).metrics : MetricsLog.load(source);
  }
  if (Array.isArray(source)) return MetricsLog.fromRows(source as readonly MetricRow[]);
  if (isTable(source)) return MetricsLog.fromRows(source.objects() as unknown as MetricRow[]);
  const m = (source as { metrics?: unknown }).metrics;
  if (m instanceof MetricsLog) return m;
  throw new TypeError("expected an Experiment, a MetricsLog, an arquero table of metric rows, rows, or a run directory path");
}

/** A short name for a source (plot titles): the run directory's name without its time stamp. */
export function sourceName(source: MetricsSource): string | null {
  const root =
    typeof source === "string" ? path.resolve(source) : ((source as { root?: unknown }).root ?? (source as { runDir?: { root?: unknown } }).runDir?.root);
  if (typeof root !== "string") return null;
  const base = path.basename(root) === "metrics.csv" ? path.basename(path.dirname(root)) : path.basename(root);
  return base.replace(/-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z(-\d+)?$/, "");
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

/** Trailing mean over `window` values (shorter at the start). */
export function rollingMean(values: readonly number[], window: number): number[] {
  const w = Math.max(1, Math.floor(window));
  const out = new Array<number>(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= w) sum -= values[i - w];
    out[i] = sum / Math.min(i + 1, w);
  }
  return out;
}

/** Rows grouped by a key, groups in order of first appearance. */
export function groupBy<T, K>(rows: readonly T[], key: (r: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    let g = out.get(k);
    if (!g) out.set(k, (g = []));
    g.push(r);
  }
  return out;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The q-quantile of values (linear interpolation between order statistics, as numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
