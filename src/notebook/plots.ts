/**
 * The plots a LeMOL researcher looks at, from any {@link MetricsSource} (a live experiment, a
 * metrics table or a run directory). Each returns a {@link Figure} and shows it in the cell unless
 * `show: false` (then call `fig.show()` when ready, or tweak `fig.layout` first).
 *
 *   plot.learningCurves(run)   episode reward per agent (raw, faint) and its rolling mean
 *   plot.omAccuracy(run)       opponent-model accuracy in play per (cycle, trajectory), against the
 *                              baselines on the same steps (persistence, window majority, the
 *                              behaviour-cloning MLP on o_t) and chance
 *   plot.omTraining(run)       OM training accuracy and loss per training chunk, by cycle
 *   plot.losses(run)           critic (q) and actor (p) losses per agent
 *   plot.qValues(run)          mean Q per agent
 *   plot.metric(run, name)     any per-episode metric per agent
 *   plot.compare(runs, ...)    one metric across several runs
 *   plot.sweep(loadSweep(dir)) one metric per configuration of a sweep, mean ± std across seeds
 *   plot.learningBenchmark(b)  the learning benchmark's curves for one scenario, bands across seeds
 *   plot.pairedDifferences(runs, a, b)   two conditions compared seed by seed, with CIs
 *
 * Given several runs instead of one (a list of runs or experiments, a sweep's results directory,
 * or `loadSweep(...)`), learningCurves, metric and omAccuracy draw each condition's IQM across
 * seeds with a bootstrap band (seeds.ts, on the statistics of src/analysis).
 */
import { MOVE_CHOICES } from "../envs/spaces.js";
import { IN_PLAY_BASELINES, type MetricRow } from "../train/metrics.js";
import { escapeHtml } from "./display.js";
import { Figure, Trace } from "./plotly.js";
import { chanceTrace, PALETTE, PlotOptions } from "./style.js";
import { plotLearningBenchmark } from "./learning.js";
import { plotSweep } from "./sweep.js";
import { studyTests } from "./study.js";
import { EpisodeAxis, groupBy, mean, metricsOf, MetricsSource, quantile, rollingMean, sourceName } from "./source.js";
import { isSeedRuns, PairedPlotOptions, pairedDifferencesFigure, SeedBandOptions, seedAccuracyFigure, seedCurvesFigure, SeedRuns } from "./seeds.js";

export { PALETTE, type PlotOptions } from "./style.js";

export interface CurveOptions extends PlotOptions {
  /** Rolling-mean window in episodes (default: about a tenth of a trajectory, at most 100). */
  window?: number;
  /** Only these agents (trainer names, e.g. `lemol-bad_agent_0`); default all. */
  agents?: string[];
  /** Also draw the raw values, faintly (default true). */
  raw?: boolean;
}

export interface AccuracyOptions extends PlotOptions {
  /** `trajectory` (default): mean accuracy of each trajectory; `step`: the windows within each trajectory. */
  by?: "trajectory" | "step";
  /** One trace per `cycle` (default) or per `opponent`. */
  groupBy?: "cycle" | "opponent";
  /** The chance line (default 1/5: uniform over the movement choices); null for none. */
  chance?: number | null;
  /**
   * The baselines scored in play on the same steps, per trajectory (default true, where the run
   * logged them): persistence (the opponent repeats its previous action), the window's
   * majority action, and the behaviour-cloning MLP on o_t trained on the OM's data.
   */
  baselines?: boolean;
}

/** `show: false` returns the figure; otherwise it is shown and nothing is returned (so a notebook cell does not also print it). */
export interface TrainingPlotOptions extends PlotOptions {
  /** Rolling-mean window in chunks (default: about a fortieth of the chunks, at most 50). */
  window?: number;
}

export interface CompareOptions extends CurveOptions {
  /** The metric (default `episode_reward`). */
  metric?: string;
  /** Keep only agents whose name contains this (e.g. "bad" for the adversaries). */
  agent?: string;
}

function finish(fig: Figure, opts: PlotOptions): Figure | void {
  if (opts.show === false) return fig;
  fig.show();
}

/** The title, with the run's name (and any detail) as a smaller second line. */
function titled(base: string, opts: PlotOptions, source: MetricsSource, detail?: string): string {
  if (opts.title) return opts.title;
  const sub = [sourceName(source), detail].filter(Boolean).join(" · ");
  return sub ? `${base}<br><sup>${escapeHtml(sub)}</sup>` : base;
}

function defaultWindow(axis: EpisodeAxis, total: number): number {
  const perTrajectory = axis.starts.length > 0 ? total / axis.starts.length : total;
  return Math.max(1, Math.min(100, Math.round(perTrajectory / 10)));
}

/** Vertical separators (and labels when few) at trajectory starts. */
function trajectoryMarks(axis: EpisodeAxis): { shapes: object[]; annotations: object[] } {
  const shapes: object[] = [];
  const annotations: object[] = [];
  const label = axis.starts.length <= 24;
  for (const s of axis.starts) {
    if (s.at > 0)
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: s.at - 0.5, x1: s.at - 0.5, y0: 0, y1: 1, line: { color: "#bbb", width: 1, dash: "dot" } });
    if (label)
      annotations.push({
        xref: "x",
        yref: "paper",
        x: s.at,
        y: 1,
        yanchor: "bottom",
        xanchor: "left",
        showarrow: false,
        font: { size: 9, color: "#888" },
        text: `t${s.trajectory}${s.cycle !== null ? ` c${s.cycle}` : ""}`,
      });
  }
  return { shapes, annotations };
}

/**
 * x, raw y and the rolling mean of one agent's rows, trajectory by trajectory: each trajectory is a
 * fresh learner, so its mean restarts, and a null between trajectories breaks the line.
 */
function segments(rows: readonly MetricRow[], axis: EpisodeAxis, window: number): { x: (number | null)[]; y: (number | null)[]; smooth: (number | null)[] } {
  const x: (number | null)[] = [];
  const y: (number | null)[] = [];
  const smooth: (number | null)[] = [];
  for (const list of groupBy(rows, (r) => r.trajectory ?? -1).values()) {
    if (x.length > 0) {
      x.push(null);
      y.push(null);
      smooth.push(null);
    }
    const values = list.map((r) => r.value);
    for (const r of list) x.push(axis.x(r));
    y.push(...values);
    smooth.push(...rollingMean(values, window));
  }
  return { x, y, smooth };
}

/** Curves of one per-episode metric per agent against the run-wide episode. */
function curves(source: MetricsSource, metric: string, opts: CurveOptions, ylabel: string, title: string): Figure {
  const log = metricsOf(source);
  const rows = log.select(metric).filter((r) => !opts.agents || (r.agent !== null && opts.agents.includes(r.agent)));
  if (rows.length === 0) throw new Error(`no "${metric}" rows in this run${opts.agents ? ` for agents ${opts.agents.join(", ")}` : ""}`);
  const axis = new EpisodeAxis(log.select("episode_reward").length > 0 ? log.select("episode_reward") : rows);
  const byAgent = groupBy(rows, (r) => r.agent ?? "");
  const window = opts.window ?? defaultWindow(axis, rows.length / byAgent.size);
  const traces: Trace[] = [];
  let k = 0;
  for (const [agent, list] of byAgent) {
    const color = PALETTE[k++ % PALETTE.length];
    const { x, y, smooth } = segments(list, axis, window);
    if (opts.raw !== false)
      traces.push({
        type: "scatter",
        mode: "lines",
        name: `${agent} (raw)`,
        x,
        y,
        line: { color, width: 1 },
        opacity: 0.25,
        legendgroup: agent,
        showlegend: false,
        hoverinfo: "skip",
      });
    traces.push({
      type: "scatter",
      mode: "lines",
      name: window > 1 ? `${agent} (mean of ${window})` : agent,
      x,
      y: smooth,
      line: { color, width: 2 },
      legendgroup: agent,
    });
  }
  const marks = trajectoryMarks(axis);
  return new Figure(traces, {
    title: { text: titled(title, opts, source) },
    xaxis: { title: { text: "episode (run-wide; dotted lines start trajectories)" } },
    yaxis: { title: { text: ylabel } },
    legend: { orientation: "h", y: -0.2 },
    ...marks,
    ...(opts.height ? { height: opts.height } : {}),
  });
}

/**
 * Episode reward per agent with a rolling mean; given several runs (a list, a sweep), per condition
 * and agent the IQM across seeds of each block's mean with a bootstrap band (`window` is the block).
 */
export function learningCurves(source: MetricsSource | SeedRuns, opts: CurveOptions & SeedBandOptions & { show: false }): Figure;
export function learningCurves(source: MetricsSource | SeedRuns, opts?: CurveOptions & SeedBandOptions): void;
export function learningCurves(source: MetricsSource | SeedRuns, opts: CurveOptions & SeedBandOptions = {}): Figure | void {
  if (isSeedRuns(source)) return finish(seedCurvesFigure(source, "episode_reward", opts, "Learning curves"), opts);
  return finish(curves(source, "episode_reward", opts, "episode reward", "Learning curves"), opts);
}

/** Any per-episode metric (`q_loss`, `p_loss`, `q_value`, `episode_reward`, ...) per agent; across seeds as {@link learningCurves}. */
export function metric(source: MetricsSource | SeedRuns, name: string, opts: CurveOptions & SeedBandOptions & { show: false }): Figure;
export function metric(source: MetricsSource | SeedRuns, name: string, opts?: CurveOptions & SeedBandOptions): void;
export function metric(source: MetricsSource | SeedRuns, name: string, opts: CurveOptions & SeedBandOptions = {}): Figure | void {
  if (isSeedRuns(source)) return finish(seedCurvesFigure(source, name, opts, name), opts);
  return finish(curves(source, name, opts, name, name), opts);
}

/** Mean Q of the sampled batches per agent; across seeds as {@link learningCurves}. */
export function qValues(source: MetricsSource | SeedRuns, opts: CurveOptions & SeedBandOptions & { show: false }): Figure;
export function qValues(source: MetricsSource | SeedRuns, opts?: CurveOptions & SeedBandOptions): void;
export function qValues(source: MetricsSource | SeedRuns, opts: CurveOptions & SeedBandOptions = {}): Figure | void {
  if (isSeedRuns(source)) return finish(seedCurvesFigure(source, "q_value", opts, "Q values"), opts);
  return finish(curves(source, "q_value", opts, "Q", "Q values"), opts);
}

/** Critic and actor losses per agent, one panel each. */
export function losses(source: MetricsSource, opts: CurveOptions & { show: false }): Figure;
export function losses(source: MetricsSource, opts?: CurveOptions): void;
export function losses(source: MetricsSource, opts: CurveOptions = {}): Figure | void {
  const q = curves(source, "q_loss", opts, "q_loss", "Losses");
  const p = curves(source, "p_loss", opts, "p_loss", "Losses");
  const data = [...q.data, ...p.data.map((t) => ({ ...t, xaxis: "x2", yaxis: "y2", showlegend: false }))];
  // the trajectory separators (xref x, yref paper) span both panels: the x axes match
  const fig = new Figure(data, {
    ...q.layout,
    height: opts.height ?? 560,
    yaxis: { title: { text: "critic loss (q_loss)" }, domain: [0.55, 1] },
    yaxis2: { title: { text: "actor loss (p_loss)" }, domain: [0, 0.45], anchor: "x2" },
    xaxis: { anchor: "y", matches: "x2", showticklabels: false },
    xaxis2: { title: { text: "episode (run-wide)" }, anchor: "y2" },
  });
  return finish(fig, opts);
}

/**
 * Opponent-model accuracy in play: per trajectory (by cycle or opponent), or within each trajectory;
 * given several runs, per cycle the IQM across seeds with a bootstrap band, and every logged baseline.
 */
export function omAccuracy(source: MetricsSource | SeedRuns, opts: AccuracyOptions & SeedBandOptions & { show: false }): Figure;
export function omAccuracy(source: MetricsSource | SeedRuns, opts?: AccuracyOptions & SeedBandOptions): void;
export function omAccuracy(source: MetricsSource | SeedRuns, opts: AccuracyOptions & SeedBandOptions = {}): Figure | void {
  if (isSeedRuns(source)) {
    if (opts.by === "step" || opts.groupBy === "opponent")
      throw new Error(
        `omAccuracy: ${opts.by === "step" ? 'by: "step"' : 'groupBy: "opponent"'} draws one run; given several runs it draws each condition per cycle across seeds`,
      );
    return finish(seedAccuracyFigure(source, opts), opts);
  }
  const log = metricsOf(source);
  const rows = log.select("om_accuracy_in_play");
  if (rows.length === 0) throw new Error("no opponent-model accuracy in this run (om_accuracy_in_play): it needs a LeMOL agent past its exploration phase");
  const chance = opts.chance === undefined ? 1 / MOVE_CHOICES : opts.chance;
  const groupKey = opts.groupBy ?? "cycle";
  const key = (r: MetricRow) => (groupKey === "cycle" ? `cycle ${r.cycle}` : `vs ${r.opponent}`);
  const traces: Trace[] = [];
  let xTitle: string;
  if ((opts.by ?? "trajectory") === "trajectory") {
    xTitle = "trajectory";
    let k = 0;
    for (const [name, list] of groupBy(rows, key)) {
      const perTrajectory = groupBy(list, (r) => r.trajectory ?? -1);
      const x: number[] = [];
      const y: number[] = [];
      const above: number[] = [];
      const below: number[] = [];
      const text: string[] = [];
      for (const [t, rs] of perTrajectory) {
        const v = rs.map((r) => r.value);
        const m = mean(v);
        x.push(t);
        y.push(m);
        // the bar spans the middle half of the trajectory's windows
        above.push(Math.max(0, quantile(v, 0.75) - m));
        below.push(Math.max(0, m - quantile(v, 0.25)));
        text.push(`trajectory ${t}, cycle ${rs[0].cycle}, vs ${rs[0].opponent}: ${rs.length} windows`);
      }
      traces.push({
        type: "scatter",
        mode: "lines+markers",
        name,
        x,
        y,
        text,
        error_y: { type: "data", array: above, arrayminus: below, visible: true, thickness: 1 },
        marker: { color: PALETTE[k % PALETTE.length], size: 8 },
        line: { color: PALETTE[k++ % PALETTE.length] },
      });
    }
  } else {
    xTitle = "training step within the trajectory";
    const cycles = [...new Set(rows.map((r) => key(r)))];
    for (const [t, list] of groupBy(rows, (r) => r.trajectory ?? -1)) {
      const g = key(list[0]);
      const color = PALETTE[cycles.indexOf(g) % PALETTE.length];
      traces.push({
        type: "scatter",
        mode: "lines",
        name: `trajectory ${t} (${g})`,
        legendgroup: g,
        x: list.map((r) => r.train_step),
        y: list.map((r) => r.value),
        line: { color, width: 1.5 },
      });
    }
  }
  if ((opts.by ?? "trajectory") === "trajectory" && opts.baselines !== false) {
    // the baselines on the same steps, per trajectory over every group: what the OM has to beat
    const dashes = ["dot", "dashdot", "dash", "longdash", "longdashdot"];
    for (const [k, { metric, label: name }] of IN_PLAY_BASELINES.entries()) {
      const dash = dashes[k % dashes.length];
      const b = log.select(metric);
      if (b.length === 0) continue;
      const per = [...groupBy(b, (r) => r.trajectory ?? -1)];
      traces.push({
        type: "scatter",
        mode: "lines",
        name,
        x: per.map(([t]) => t),
        y: per.map(([, rs]) => mean(rs.map((r) => r.value))),
        line: { color: "#777", dash, width: 1.5 },
      });
    }
  }
  if (chance !== null) {
    const xs = traces.flatMap((t) => t.x as number[]);
    traces.push(chanceTrace(chance, xs));
  }
  return finish(
    new Figure(traces, {
      title: { text: titled("Opponent-model accuracy in play", opts, source) },
      // trajectories are whole numbers: no 0.5 ticks
      xaxis: { title: { text: xTitle }, zeroline: false, ...(xTitle === "trajectory" ? { tickmode: "linear", dtick: 1, tickformat: "d" } : {}) },
      yaxis: { title: { text: "accuracy (argmax prediction = opponent's action)" }, range: [0, 1] },
      ...(opts.height ? { height: opts.height } : {}),
    }),
    opts,
  );
}

/** Opponent-model training: accuracy (left axis) and loss (right axis) per chunk, one colour per cycle. */
export function omTraining(source: MetricsSource, opts: TrainingPlotOptions & { show: false }): Figure;
export function omTraining(source: MetricsSource, opts?: TrainingPlotOptions): void;
export function omTraining(source: MetricsSource, opts: TrainingPlotOptions = {}): Figure | void {
  const log = metricsOf(source);
  const acc = log.select("om_training_accuracy");
  const loss = log.select("om_training_loss");
  if (acc.length === 0) throw new Error("no opponent-model training in this run yet (om_training_*): run trainOpponentModel() after a cycle's trajectories");
  const window = opts.window ?? Math.max(1, Math.min(50, Math.round(acc.length / 40)));
  const traces: Trace[] = [];
  let k = 0;
  const accBy = groupBy(acc, (r) => r.cycle ?? -1);
  const lossBy = groupBy(loss, (r) => r.cycle ?? -1);
  for (const [cycle, list] of accBy) {
    const color = PALETTE[k++ % PALETTE.length];
    const x = list.map((r) => r.om_iter);
    traces.push({
      type: "scatter",
      mode: "lines",
      name: `accuracy, cycle ${cycle}`,
      x,
      y: rollingMean(
        list.map((r) => r.value),
        window,
      ),
      line: { color, width: 2 },
      legendgroup: `c${cycle}`,
    });
    const l = lossBy.get(cycle) ?? [];
    traces.push({
      type: "scatter",
      mode: "lines",
      name: `loss, cycle ${cycle}`,
      x: l.map((r) => r.om_iter),
      y: rollingMean(
        l.map((r) => r.value),
        window,
      ),
      yaxis: "y2",
      line: { color, width: 1, dash: "dot" },
      legendgroup: `c${cycle}`,
    });
  }
  return finish(
    new Figure(traces, {
      title: { text: titled("Opponent-model training", opts, source, window > 1 ? `rolling mean of ${window} chunks` : undefined) },
      xaxis: { title: { text: "OM training iteration (chunk)" } },
      yaxis: { title: { text: "accuracy" }, range: [0, 1] },
      yaxis2: { title: { text: "loss (cross-entropy)" }, overlaying: "y", side: "right" },
      // the legend below the axis title, clear of it
      margin: { t: 72, r: 72, b: 110, l: 64 },
      legend: { orientation: "h", x: 0, y: -0.22, yanchor: "top" },
      ...(opts.height ? { height: opts.height } : {}),
    }),
    opts,
  );
}

/**
 * One metric across several runs (e.g. LeMOL against different opponents): one smoothed curve
 * per run and agent, keeping only agents whose name contains `agent` when given (e.g. "bad").
 */
export function compare(runs: Record<string, MetricsSource>, opts: CompareOptions & { show: false }): Figure;
export function compare(runs: Record<string, MetricsSource>, opts?: CompareOptions): void;
export function compare(runs: Record<string, MetricsSource>, opts: CompareOptions = {}): Figure | void {
  const metricName = opts.metric ?? "episode_reward";
  const traces: Trace[] = [];
  let k = 0;
  for (const [label, source] of Object.entries(runs)) {
    const log = metricsOf(source);
    const rows = log.select(metricName).filter((r) => !opts.agent || (r.agent ?? "").includes(opts.agent));
    const axis = new EpisodeAxis(log.select("episode_reward"));
    for (const [agent, list] of groupBy(rows, (r) => r.agent ?? "")) {
      const window = opts.window ?? defaultWindow(axis, list.length);
      const { x, smooth } = segments(list, axis, window);
      traces.push({ type: "scatter", mode: "lines", name: `${label}: ${agent}`, x, y: smooth, line: { color: PALETTE[k++ % PALETTE.length], width: 2 } });
    }
  }
  if (traces.length === 0) throw new Error(`no "${metricName}" rows${opts.agent ? ` for agents matching "${opts.agent}"` : ""} in these runs`);
  return finish(
    new Figure(traces, {
      title: { text: opts.title ?? `${metricName} by run` },
      xaxis: { title: { text: "episode (run-wide)" } },
      yaxis: { title: { text: metricName } },
      legend: { orientation: "h", y: -0.2 },
      ...(opts.height ? { height: opts.height } : {}),
    }),
    opts,
  );
}

/**
 * Two conditions of several runs compared seed by seed: each seed's difference a − b, and the
 * mean and IQM of the differences with bootstrap intervals (analysis's `pairedComparison`).
 */
export function pairedDifferences(source: SeedRuns | string, a: string, b: string, opts: PairedPlotOptions & { show: false }): Figure;
export function pairedDifferences(source: SeedRuns | string, a: string, b: string, opts?: PairedPlotOptions): void;
export function pairedDifferences(source: SeedRuns | string, a: string, b: string, opts: PairedPlotOptions = {}): Figure | void {
  return finish(pairedDifferencesFigure(source, a, b, opts), opts);
}

/** The plot helpers as one namespace: `plot.learningCurves(exp)`, `plot.omAccuracy(run)`, ... */
export const plot = {
  learningCurves,
  omAccuracy,
  omTraining,
  losses,
  qValues,
  metric,
  compare,
  pairedDifferences,
  studyTests,
  sweep: plotSweep,
  learningBenchmark: plotLearningBenchmark,
};
