/**
 * A sweep's results in a notebook: every finished run of a sweep in one arquero table, and a plot
 * of one metric per configuration with its mean ± std across seeds.
 *
 *   const t = loadSweep("sweeps/push-opponents");        // or the sweep.json
 *   plotSweep(t, { metric: "om_accuracy_in_play" });     // one line per configuration
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import { listSweepRuns, loadSweepSpec } from "../train/sweep.js";
import { MetricsLog } from "../train/metrics.js";
import { Figure, Trace } from "./plotly.js";
import { PALETTE, PlotOptions } from "./style.js";

/** Options that differ between runs only by their bookkeeping. */
const BOOKKEEPING = new Set(["seed", "run_dir", "save_dir", "lemol_save_path", "exp_name", "workers"]);

export interface SweepTable {
  /** Every metric row of every finished run, with `run`, `seed` and the options that vary. */
  table: aq.ColumnTable;
  /** The options that take different values across the sweep's configurations. */
  varied: string[];
  /** Runs found, and how many of them are finished (only those are in the table). */
  runs: number;
  finished: number;
}

/** Reads a sweep's finished runs from its results directory (or from its sweep file). */
export function loadSweep(where: string): SweepTable {
  const results = where.endsWith(".json") && fs.statSync(where).isFile() ? loadSweepSpec(where).results : path.resolve(where);
  const runs = listSweepRuns(results);
  if (runs.length === 0) throw new Error(`${results}: no runs of a sweep (directories r000-s1, ...)`);
  const done = runs.filter((r) => r.status === "finished");
  const keys = new Set(done.flatMap((r) => Object.keys(r.config)));
  const varied = [...keys].filter((k) => !BOOKKEEPING.has(k) && new Set(done.map((r) => JSON.stringify(r.config[k] ?? null))).size > 1).sort();
  const rows: Record<string, unknown>[] = [];
  for (const r of done) {
    const extra: Record<string, unknown> = { run: r.run, seed: r.config.seed ?? null };
    for (const k of varied) extra[k] = r.config[k] ?? null;
    for (const m of MetricsLog.load(path.join(r.runDir, "metrics.csv")).rows) rows.push({ ...extra, ...m });
  }
  return { table: aq.from(rows), varied, runs: runs.length, finished: done.length };
}

export interface SweepPlotOptions extends PlotOptions {
  /** The metric (default `om_accuracy_in_play`). */
  metric?: string;
  /** Keep only agents whose name contains this (e.g. "bad"). */
  agent?: string;
  /** The options a line stands for (default: every option that varies). */
  by?: string[];
}

/**
 * One line per configuration: the metric's mean per trajectory of each run, then the mean ± std
 * of that across the configuration's seeds, against the trajectory number.
 */
export function plotSweep(sweep: SweepTable, opts: SweepPlotOptions & { show: false }): Figure;
export function plotSweep(sweep: SweepTable, opts?: SweepPlotOptions): void;
export function plotSweep(sweep: SweepTable, opts: SweepPlotOptions = {}): Figure | void {
  const metric = opts.metric ?? "om_accuracy_in_play";
  const by = opts.by ?? sweep.varied;
  const rows = (sweep.table.objects() as Record<string, unknown>[]).filter(
    (r) => r.metric === metric && (!opts.agent || String(r.agent ?? "").includes(opts.agent)),
  );
  if (rows.length === 0) throw new Error(`no "${metric}" rows in this sweep${opts.agent ? ` for agents matching "${opts.agent}"` : ""}`);
  // configuration → trajectory → run → values
  const configs = new Map<string, Map<number, Map<string, number[]>>>();
  for (const r of rows) {
    const label = by.length ? by.map((k) => `${k}=${JSON.stringify(r[k])}`).join(", ") : "all runs";
    const t = Number(r.trajectory ?? 0);
    const perTraj = configs.get(label) ?? configs.set(label, new Map()).get(label)!;
    const perRun = perTraj.get(t) ?? perTraj.set(t, new Map()).get(t)!;
    const list = perRun.get(String(r.run)) ?? perRun.set(String(r.run), []).get(String(r.run))!;
    list.push(Number(r.value));
  }
  const traces: Trace[] = [];
  let k = 0;
  for (const [label, perTraj] of configs) {
    const xs = [...perTraj.keys()].sort((a, b) => a - b);
    const means: number[] = [];
    const stds: number[] = [];
    let seeds = 0;
    for (const t of xs) {
      const runMeans = [...perTraj.get(t)!.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
      seeds = Math.max(seeds, runMeans.length);
      const m = runMeans.reduce((a, b) => a + b, 0) / runMeans.length;
      means.push(m);
      stds.push(runMeans.length > 1 ? Math.sqrt(runMeans.reduce((a, b) => a + (b - m) ** 2, 0) / (runMeans.length - 1)) : 0);
    }
    traces.push({
      type: "scatter",
      mode: "lines+markers",
      name: `${label} (${seeds} seed${seeds === 1 ? "" : "s"})`,
      x: xs,
      y: means,
      error_y: { type: "data", array: stds, visible: true },
      line: { color: PALETTE[k++ % PALETTE.length], width: 2 },
    });
  }
  const fig = new Figure(traces, {
    title: { text: opts.title ?? `${metric}: mean ± std across seeds` },
    xaxis: { title: { text: "trajectory" } },
    yaxis: { title: { text: `${metric} (mean per trajectory)` } },
    legend: { orientation: "h", y: -0.2 },
    ...(opts.height ? { height: opts.height } : {}),
  });
  if (opts.show === false) return fig;
  fig.show();
}
