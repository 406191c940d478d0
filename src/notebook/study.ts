/**
 * The pre-registered study's tests drawn as decided (src/analysis/study.ts): per test, each seed's
 * difference, the bootstrap interval of the mean difference, the smallest difference the seeds run
 * could detect, and the verdict. The figure shows what `analyseStudy` computed and nothing else: a
 * test below the plan's 5 seeds has no interval and says "too few seeds".
 *
 *   plot.studyTests(analyseStudy(loadStudyData("../data/study").runs).claim1.h1a)
 */
import { STUDY_PLAN, StudyTest } from "../analysis/study.js";
import { escapeHtml } from "./display.js";
import { Figure, Trace } from "./plotly.js";
import { PALETTE, PlotOptions } from "./style.js";

export interface StudyTestsOptions extends PlotOptions {
  /** The x axis' title (default "difference (the hypothesis' direction is > 0)"). */
  xTitle?: string;
}

/** The row label of a test: its id, seeds and verdict. */
function rowLabel(t: StudyTest): string {
  return `${escapeHtml(t.id)}<br><sup>n=${t.seeds.length} · ${escapeHtml(t.verdict)}</sup>`;
}

/** The figure of {@link studyTests}. */
export function studyTestsFigure(tests: readonly StudyTest[], opts: StudyTestsOptions = {}): Figure {
  if (tests.length === 0) throw new Error("plot.studyTests: no tests to draw");
  const labels = tests.map(rowLabel);
  // the first test on top
  const y = (k: number) => tests.length - 1 - k;
  const perSeed: Trace = {
    type: "scatter",
    mode: "markers",
    name: "per seed",
    x: tests.flatMap((t) => t.differences),
    y: tests.flatMap((t, k) => t.differences.map(() => y(k) + 0.12)),
    text: tests.flatMap((t) => t.seeds.map((s, i) => `seed ${s}: ${t.differences[i].toFixed(4)}`)),
    hoverinfo: "text",
    marker: { color: PALETTE[0], size: 8, opacity: 0.75 },
  };
  const decided = tests.map((t, k) => ({ t, k })).filter(({ t }) => t.mean_difference !== null);
  const pct = Math.round((tests.find((t) => t.mean_difference)?.mean_difference?.confidence ?? 0.95) * 1000) / 10;
  const mean: Trace = {
    type: "scatter",
    mode: "markers",
    name: `mean difference, ${pct} % bootstrap CI`,
    x: decided.map(({ t }) => t.mean_difference!.estimate),
    y: decided.map(({ k }) => y(k) - 0.12),
    text: decided.map(({ t }) => {
      const m = t.mean_difference!;
      return `mean ${m.estimate.toFixed(4)} [${m.low.toFixed(4)}, ${m.high.toFixed(4)}] · ${t.verdict}`;
    }),
    hoverinfo: "text",
    error_x: {
      type: "data",
      symmetric: false,
      array: decided.map(({ t }) => t.mean_difference!.high - t.mean_difference!.estimate),
      arrayminus: decided.map(({ t }) => t.mean_difference!.estimate - t.mean_difference!.low),
      visible: true,
      thickness: 2,
    },
    marker: { color: PALETTE[1], size: 11, symbol: "diamond" },
  };
  const powered = tests.map((t, k) => ({ t, k })).filter(({ t }) => t.smallest_detectable !== null);
  const detectable: Trace = {
    type: "scatter",
    mode: "markers",
    name: "smallest detectable difference",
    x: powered.map(({ t }) => t.smallest_detectable!),
    y: powered.map(({ k }) => y(k) - 0.12),
    hoverinfo: "x",
    marker: { color: "#555", size: 14, symbol: "line-ns-open" },
  };
  const traces = [perSeed, ...(decided.length ? [mean] : []), ...(powered.length ? [detectable] : [])];
  const title = opts.title ?? "Per-seed differences and the plan's decision";
  const undecided =
    decided.length < tests.length ? `<br><sup>below ${STUDY_PLAN.minSeeds} seeds: each seed's difference only (no interval, no verdict)</sup>` : "";
  return new Figure(traces, {
    title: { text: title + undecided },
    showlegend: true,
    xaxis: { title: { text: opts.xTitle ?? "difference (the hypothesis' direction is > 0)" }, zeroline: true, zerolinecolor: "#555", zerolinewidth: 2 },
    yaxis: { tickmode: "array", tickvals: tests.map((_, k) => y(k)), ticktext: labels, range: [-0.6, tests.length - 0.4], automargin: true, zeroline: false },
    legend: { orientation: "h", y: -0.25 },
    height: opts.height ?? 140 + 60 * tests.length,
  });
}

/**
 * The study's tests as decided by `analyseStudy`: per test (a row, labelled with its seeds and
 * verdict) each seed's difference, the mean difference with its bootstrap interval and the
 * smallest detectable difference where the test has them (none below the plan's 5 seeds), beside
 * a zero line.
 */
export function studyTests(tests: readonly StudyTest[], opts: StudyTestsOptions & { show: false }): Figure;
export function studyTests(tests: readonly StudyTest[], opts?: StudyTestsOptions): void;
export function studyTests(tests: readonly StudyTest[], opts: StudyTestsOptions = {}): Figure | void {
  const fig = studyTestsFigure(tests, opts);
  if (opts.show === false) return fig;
  fig.show();
}
