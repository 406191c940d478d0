/**
 * Plots across seeds: given several runs (a list of run directories, experiments or `loadRun`
 * records, a sweep's results directory or sweep file, or a `loadSweep` table), the plots draw each
 * condition's IQM (or mean) across seeds with a bootstrap confidence band, computed by the
 * analysis layer (src/analysis: one implementation for the plots and `lemol stats`).
 *
 *   plot.learningCurves(["runs/a-s1", "runs/a-s2", "runs/a-s3"])   one band per condition and agent
 *   plot.omAccuracy(loadSweep("sweeps/study"), { condition: ["ablate_lemol_lstm"] })   per cycle
 *   plot.pairedDifferences("sweeps/study", "false", "true", { condition: ["ablate_lemol_lstm"] })
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { conditionCurves, ConditionCurve, ConditionOptions, conditionStrata, pairedComparison } from "../analysis/compare.js";
import { ConditionKey, CurveAxis, loadRuns, RunInput, SeedRun } from "../analysis/runs.js";
import type { Aggregate } from "../analysis/stats.js";
import { MetricsLog } from "../train/metrics.js";
import type { MetricRow } from "../train/metrics.js";
import { Figure, Layout, Trace } from "./plotly.js";
import { chanceTrace, PALETTE, PlotOptions } from "./style.js";
import type { SweepTable } from "./sweep.js";

/** Several runs to plot across seeds. */
export type SeedRuns = readonly RunInput[] | SweepTable;

/** How the seed-band plots aggregate across seeds. */
export interface SeedBandOptions {
  /** What a condition is: option names, or a function of the run (default: the options that vary between the runs). */
  condition?: ConditionKey;
  /** The line: `iqm` (default, as rliable recommends) or `mean`, with its bootstrap band. */
  aggregate?: Extract<Aggregate, "iqm" | "mean">;
  /** Seed of the bootstrap resampler (default 0; the figure's subtitle states it). */
  bootstrapSeed?: number;
  /** Bootstrap resamples per point (default 2,000). */
  resamples?: number;
  /** Confidence level of the band (default 0.95). */
  confidence?: number;
  /** Also draw each seed's own curve, faintly (default false). */
  seedLines?: boolean;
}

function isSweepTable(x: unknown): x is SweepTable {
  return typeof x === "object" && x !== null && "table" in x && Array.isArray((x as SweepTable).varied) && typeof (x as SweepTable).runs === "number";
}

/** Whether a plot's source means several runs (so the plot draws bands across seeds) rather than one run's metrics. */
export function isSeedRuns(source: unknown): source is SeedRuns | string {
  if (isSweepTable(source)) return true;
  if (typeof source === "string") {
    // a sweep's results directory (no manifest of its own) or its sweep file
    const stat = fs.statSync(source, { throwIfNoEntry: false });
    if (!stat) return false;
    return stat.isDirectory()
      ? !fs.existsSync(path.join(source, "manifest.json")) && !fs.existsSync(path.join(source, "metrics.csv"))
      : source.endsWith(".json");
  }
  // a list of metric rows is one run; a list of anything else is several runs
  return Array.isArray(source) && source.length > 0 && !(typeof source[0] === "object" && source[0] !== null && "metric" in source[0] && "value" in source[0]);
}

/** The runs of a seed source (a sweep table's rows regrouped by run, with its varied options). */
export function seedRunsOf(source: SeedRuns | string): SeedRun[] {
  if (!isSweepTable(source)) return loadRuns(source as RunInput | readonly RunInput[]);
  const byRun = new Map<string, { options: Record<string, unknown>; rows: MetricRow[] }>();
  for (const r of source.table.objects() as Record<string, unknown>[]) {
    const name = String(r.run);
    let entry = byRun.get(name);
    if (!entry) byRun.set(name, (entry = { options: Object.fromEntries([["seed", r.seed], ...source.varied.map((k) => [k, r[k]])]), rows: [] }));
    entry.rows.push(r as unknown as MetricRow);
  }
  return [...byRun].map(([name, e]) => ({ name, root: null, seed: Number(e.options.seed), options: e.options, metrics: MetricsLog.fromRows(e.rows) }));
}

function bandOptions(opts: SeedBandOptions, select: { metric: string; agent?: string }): Omit<ConditionOptions, "cycles"> {
  return {
    ...select,
    by: opts.condition,
    aggregate: opts.aggregate ?? "iqm",
    seed: opts.bootstrapSeed ?? 0,
    resamples: opts.resamples,
    confidence: opts.confidence,
  };
}

/** What the band is, for the subtitle. */
function bandNote(opts: SeedBandOptions): string {
  const pct = Math.round((opts.confidence ?? 0.95) * 1000) / 10;
  return `${(opts.aggregate ?? "iqm") === "iqm" ? "IQM" : "mean"} across seeds, ${pct} % bootstrap CI (${opts.resamples ?? 2000} resamples, seed ${opts.bootstrapSeed ?? 0})`;
}

/** A condition's curve as a band (low..high, filled) and its line, plus each seed faintly when asked. */
function curveTraces(curve: ConditionCurve, name: string, color: string, opts: SeedBandOptions, dash = "solid"): Trace[] {
  const x = curve.points.map((p) => p.x);
  const traces: Trace[] = [
    {
      type: "scatter",
      mode: "lines",
      x: [...x, ...[...x].reverse()],
      y: [...curve.points.map((p) => p.interval.high), ...[...curve.points].reverse().map((p) => p.interval.low)],
      fill: "toself",
      fillcolor: color,
      opacity: 0.18,
      line: { width: 0, color },
      hoverinfo: "skip",
      showlegend: false,
      legendgroup: name,
    },
    {
      type: "scatter",
      mode: curve.points.length > 30 ? "lines" : "lines+markers",
      name: `${name} (${new Set(curve.seeds).size} seed${curve.seeds.length === 1 ? "" : "s"})`,
      x,
      y: curve.points.map((p) => p.interval.estimate),
      text: curve.points.map((p) => `n=${p.runs.length}, CI [${p.interval.low.toFixed(3)}, ${p.interval.high.toFixed(3)}]`),
      line: { color, width: 2, dash },
      legendgroup: name,
    },
  ];
  if (opts.seedLines)
    for (const seed of new Set(curve.seeds))
      traces.push({
        type: "scatter",
        mode: "lines",
        name: `${name}, seed ${seed}`,
        x,
        y: curve.points.map((p) => p.runs.find((r) => r.seed === seed)?.value ?? null),
        line: { color, width: 1 },
        opacity: 0.35,
        showlegend: false,
        legendgroup: name,
      });
  return traces;
}

function layout(title: string, opts: PlotOptions & SeedBandOptions, xTitle: string, yTitle: string, extra: Layout = {}): Layout {
  return {
    title: { text: opts.title ?? `${title}<br><sup>${bandNote(opts)}</sup>` },
    xaxis: { title: { text: xTitle } },
    yaxis: { title: { text: yTitle } },
    legend: { orientation: "h", y: -0.2 },
    ...extra,
    ...(opts.height ? { height: opts.height } : {}),
  };
}

/**
 * One per-episode metric across seeds: per condition and agent, the run's mean per block of
 * run-wide episodes, aggregated across seeds with its band.
 */
export function seedCurvesFigure(
  source: SeedRuns | string,
  metric: string,
  opts: PlotOptions & SeedBandOptions & { agents?: string[]; window?: number },
  title: string,
): Figure {
  const runs = seedRunsOf(source);
  const agents = opts.agents ?? [...new Set(runs.flatMap((r) => r.metrics.select(metric).map((m) => m.agent ?? "")))];
  if (agents.length === 0) throw new Error(`no "${metric}" rows in these runs`);
  const longest = Math.max(...runs.map((r) => r.metrics.select(metric).length / agents.length));
  const axis: CurveAxis = { by: "episodes", block: opts.window ?? Math.max(1, Math.min(100, Math.round(longest / 50))) };
  const traces: Trace[] = [];
  let k = 0;
  for (const agent of agents)
    for (const curve of conditionCurves(runs, axis, bandOptions(opts, { metric, agent })))
      traces.push(...curveTraces(curve, agents.length > 1 ? `${curve.condition}: ${agent}` : curve.condition, PALETTE[k++ % PALETTE.length], opts));
  return new Figure(traces, layout(title, opts, `episode (run-wide, blocks of ${axis.block})`, `${metric} (block mean)`));
}

/** OM accuracy in play per cycle across seeds, with the baselines the runs logged on the same steps (dashed, without bands). */
export function seedAccuracyFigure(
  source: SeedRuns | string,
  opts: PlotOptions & SeedBandOptions & { baselines?: boolean; chance?: number | null; agent?: string },
): Figure {
  const runs = seedRunsOf(source);
  const agent = opts.agent ?? "";
  const traces: Trace[] = [];
  const groups = [...conditionStrata(runs, { by: opts.condition })].map(([condition, strata]) => ({ condition, runs: [...strata.values()].flat() }));
  // every baseline the runs logged (om_baseline_*_in_play), whichever exist
  const baselines =
    opts.baselines === false
      ? []
      : [...new Set(runs.flatMap((r) => r.metrics.rows.map((m) => m.metric)))].filter((m) => /^om_baseline_.*_in_play$/.test(m)).sort();
  const dashes = ["dot", "dashdot", "dash", "longdash", "longdashdot"];
  const xs: number[] = [];
  groups.forEach(({ condition, runs: own }, k) => {
    const color = PALETTE[k % PALETTE.length];
    const curveOf = (metric: string, list: SeedRun[]) =>
      conditionCurves(list, { by: "cycle" }, { ...bandOptions(opts, { metric, agent }), by: () => condition })[0];
    const curve = curveOf("om_accuracy_in_play", own);
    xs.push(...curve.points.map((p) => p.x));
    traces.push(...curveTraces(curve, groups.length > 1 ? condition : "opponent model", color, opts));
    baselines.forEach((metric, j) => {
      const logged = own.filter((r) => r.metrics.select(metric).length > 0);
      if (logged.length === 0) return;
      const b = curveOf(metric, logged);
      const name = metric.replace(/^om_baseline_/, "").replace(/_in_play$/, "");
      traces.push({
        type: "scatter",
        mode: "lines",
        name: `${groups.length > 1 ? `${condition}: ` : ""}${name} (${b.seeds.length} seed${b.seeds.length === 1 ? "" : "s"})`,
        x: b.points.map((p) => p.x),
        y: b.points.map((p) => p.interval.estimate),
        line: { color: groups.length > 1 ? color : "#777", dash: dashes[j % dashes.length], width: 1.5 },
        legendgroup: condition,
      });
    });
  });
  const chance = opts.chance === undefined ? 0.2 : opts.chance;
  if (chance !== null && xs.length > 0) traces.push(chanceTrace(chance, xs));
  return new Figure(
    traces,
    layout("Opponent-model accuracy in play, per cycle", opts, "cycle", "accuracy (mean of the cycle's windows)", {
      xaxis: { title: { text: "cycle" }, tickmode: "linear", dtick: 1, tickformat: "d" },
      yaxis: { title: { text: "accuracy (mean of the cycle's windows)" }, range: [0, 1] },
    }),
  );
}

export interface PairedPlotOptions extends PlotOptions, SeedBandOptions {
  /** The metric (default `om_accuracy_in_play`). */
  metric?: string;
  /** Keep only agents whose name contains this (needed when the metric has several agents). */
  agent?: string;
  /** The cycles each run's number is the mean over (default `last`). */
  cycles?: "last" | "all" | readonly number[];
}

/**
 * Condition `a` against `b` seed by seed: each seed's difference a − b as a point, and the mean
 * and IQM of the differences with their bootstrap intervals, beside a zero line.
 */
export function pairedDifferencesFigure(source: SeedRuns | string, a: string, b: string, opts: PairedPlotOptions = {}): Figure {
  const metric = opts.metric ?? "om_accuracy_in_play";
  const p = pairedComparison(seedRunsOf(source), a, b, { ...bandOptions(opts, { metric, agent: opts.agent }), cycles: opts.cycles });
  const { differences, seeds } = p.pairs;
  const summary = (label: string, i: typeof p.meanDifference, y: number, color: string): Trace => ({
    type: "scatter",
    mode: "markers",
    name: `${label} ${i.estimate.toFixed(3)} [${i.low.toFixed(3)}, ${i.high.toFixed(3)}]`,
    x: [i.estimate],
    y: [y],
    error_x: { type: "data", symmetric: false, array: [i.high - i.estimate], arrayminus: [i.estimate - i.low], visible: true, thickness: 2 },
    marker: { color, size: 11, symbol: "diamond" },
  });
  const traces: Trace[] = [
    {
      type: "scatter",
      mode: "markers",
      name: `per seed (${seeds.length})`,
      x: differences,
      y: differences.map(() => 2),
      text: seeds.map((s, i) => `seed ${s}: ${p.pairs.a[i].toFixed(4)} − ${p.pairs.b[i].toFixed(4)}`),
      marker: { color: PALETTE[0], size: 9, opacity: 0.8 },
    },
    summary("mean", p.meanDifference, 1, PALETTE[1]),
    summary("IQM", p.iqmDifference, 0, PALETTE[2]),
  ];
  const pct = Math.round((opts.confidence ?? 0.95) * 1000) / 10;
  return new Figure(traces, {
    title: {
      text:
        opts.title ??
        `${metric}: ${a} − ${b}, paired by seed<br><sup>${a} higher on ${p.wins.a} of ${seeds.length} seeds; P(${a} > ${b}) = ${p.probabilityOfImprovement.estimate.toFixed(2)}; ${pct} % bootstrap CIs (seed ${opts.bootstrapSeed ?? 0})</sup>`,
    },
    xaxis: { title: { text: `difference ${a} − ${b}` }, zeroline: true, zerolinecolor: "#555", zerolinewidth: 2 },
    yaxis: { tickmode: "array", tickvals: [0, 1, 2], ticktext: ["IQM", "mean", "seeds"], range: [-0.6, 2.6] },
    // the legend (with each interval's numbers) below the axis title
    legend: { orientation: "h", y: -0.45 },
    margin: { b: 110 },
    height: opts.height ?? 360,
  });
}
