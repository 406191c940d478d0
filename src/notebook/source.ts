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

// one implementation for the plots and the statistics (src/analysis)
export { EpisodeAxis } from "../analysis/runs.js";
export { mean, quantile } from "../analysis/stats.js";

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
