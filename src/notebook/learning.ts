/**
 * The learning benchmark's results in a notebook (`npm run bench -- learning` writes
 * `bench/results/learning.json`; docs/learning.md explains it): load them, show the summary as a
 * table, and plot each scenario's learning curves as the mean across seeds with a band from the
 * worst to the best seed.
 *
 *   const bench = loadLearningBenchmark("../bench/results/learning.json");
 *   show(learningSummary(bench));
 *   plotLearningBenchmark(bench, { scenario: "simple_spread" });
 */
import * as fs from "node:fs";
import * as aq from "arquero";
import { Figure, Trace } from "./plotly.js";
import { PALETTE, PlotOptions } from "./style.js";

/** One run of the benchmark: a configuration and seed, its rewards per block of episodes. */
export interface LearningRun {
  scenario: string;
  /** The policy of both sides (`maddpg`, `mmmaddpg`). */
  policy: string;
  /** Whether the run bootstrapped through the time limit (`--bootstrap_time_limit`). */
  bootstrap_time_limit: boolean;
  seed: number;
  /** Agent names in agent order (`maddpg-bad_agent_0`, ...). */
  agents: string[];
  /** Mean over each block of episodes of the episode reward summed over agents. */
  summed_reward_blocks: number[];
  /** The same per agent: [agent][block]. */
  agent_reward_blocks: number[][];
  /** Mean critic loss per block, per agent (null before the first update). */
  q_loss_blocks: (number | null)[][];
  /**
   * Two-sided games: each side's mean episode reward (summed over its agents) with both sides
   * trained, and with one side replaced by an untrained stand-in against the trained other side.
   */
  evaluation?: {
    episodes: number;
    trained: { bad: number; good: number };
    untrained_bad_vs_trained_good: { bad: number; good: number };
    trained_bad_vs_untrained_good: { bad: number; good: number };
  };
}

/** The summary of one configuration across its seeds (see bench/learning-summary.ts). */
export interface LearningSummaryRow {
  scenario: string;
  policy: string;
  bootstrap_time_limit: boolean;
  seeds: number[];
  /** Summed reward of the first block (random policies), mean over seeds. */
  start: number;
  /** Summed reward, mean of the last 1,000 episodes, per seed. */
  last_1000: number[];
  best_block: number[];
  /** Per seed: how far the last 1,000 episodes are below the best block (≥ 0). */
  decline_from_best: number[];
  /** max − min of `last_1000` across seeds. */
  seed_spread: number;
  no_decline_beyond_spread: boolean;
  /**
   * Per side, per seed: cooperative scenarios, the last 1,000 episodes minus the first block;
   * two-sided ones, the trained side's reward minus an untrained stand-in's, against the trained opponent.
   */
  side_gain: Record<string, number[]>;
  /** How `side_gain` was measured. */
  gain_measure: "over the random-policy start" | "over an untrained stand-in, against the trained opponent";
  improves_on_every_seed: boolean;
}

export interface LearningBenchmark {
  about: string;
  settings: Record<string, unknown> & { block_episodes: number; num_episodes: number };
  summary: LearningSummaryRow[];
  runs: LearningRun[];
}

/** One run of third-party code (bench/third-party: maddpg-pytorch), as learning-third-party.json records it. */
export interface ThirdPartyLearningRun {
  scenario: string;
  policy: string;
  seed: number;
  /** The environment's agent names (`adversary 0`, `agent 0`, ...). */
  agents: string[];
  /** Per agent: `bad` (an MPE adversary) or `good`. */
  sides: ("bad" | "good")[];
  summed_reward_blocks: number[];
  /** [agent][block] */
  agent_reward_blocks: number[][];
}

/** bench/results/learning-third-party.json: the runs, and lemol's verdicts beside them (bench/learning-summary.ts). */
export interface ThirdPartyBenchmark {
  about: string;
  runs: ThirdPartyLearningRun[];
  comparison?: {
    criterion: string;
    scenarios: { scenario: string; verdict: string; reference_seeds: number }[];
    rows: { scenario: string; measure: string; reference_last_1000: number[]; accepted: [number, number]; lemol_last_1000: number[]; verdict: string }[];
  };
}

/** Reads `learning-third-party.json`, checking that it holds runs. */
export function loadThirdPartyBenchmark(file: string): ThirdPartyBenchmark {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: not a third-party learning result (${(err as Error).message}); bench/third-party/run.sh makes one`, { cause: err });
  }
  const b = raw as ThirdPartyBenchmark;
  if (!b || !Array.isArray(b.runs) || b.runs.some((r) => !Array.isArray(r.sides)))
    throw new Error(`${file}: not a third-party learning result (expected "runs" with "sides")`);
  return b;
}

/**
 * A scenario's third-party runs as one curve group (dashed) for `plotLearningBenchmark`'s `extra`:
 * the summed reward, or one side's (summed over its agents); empty when the scenario has no runs.
 */
export function thirdPartyCurves(
  tp: ThirdPartyBenchmark,
  scenario: string,
  side: "summed" | "bad" | "good" = "summed",
  label = "maddpg-pytorch (third party)",
): CurveGroup[] {
  const runs = tp.runs
    .filter((r) => r.scenario === scenario)
    .map((r) =>
      side === "summed"
        ? r.summed_reward_blocks
        : r.summed_reward_blocks.map((_, b) => r.sides.reduce((s, x, i) => (x === side ? s + r.agent_reward_blocks[i][b] : s), 0)),
    );
  return runs.length ? [{ label, runs, dash: "dash" }] : [];
}

/** Reads `learning.json`, checking that it holds what the plots need. */
export function loadLearningBenchmark(file: string): LearningBenchmark {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: not a learning benchmark result (${(err as Error).message}); run \`npm run bench -- learning\` to make one`, { cause: err });
  }
  const b = raw as LearningBenchmark;
  if (!b || !Array.isArray(b.runs) || !Array.isArray(b.summary) || typeof b.settings?.block_episodes !== "number") {
    throw new Error(`${file}: not a learning benchmark result (expected "settings", "summary" and "runs")`);
  }
  return b;
}

/** The summary as a table: one row per configuration, seeds' values joined. */
export function learningSummary(bench: LearningBenchmark): aq.ColumnTable {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" / ");
  return aq.from(
    bench.summary.map((s) => ({
      scenario: s.scenario,
      policy: s.policy,
      time_limit: s.bootstrap_time_limit ? "bootstrap" : "terminal",
      start: s.start,
      last_1000_per_seed: f(s.last_1000),
      mean_last_1000: Math.round((s.last_1000.reduce((a, b) => a + b, 0) / s.last_1000.length) * 10) / 10,
      max_decline: Math.max(...s.decline_from_best),
      seed_spread: s.seed_spread,
      gain_per_side: Object.entries(s.side_gain)
        .map(([side, g]) => `${side} ${g.map((x) => (x >= 0 ? "+" : "") + x.toFixed(1)).join(" / ")}`)
        .join("; "),
      improves: s.improves_on_every_seed,
    })),
  );
}

/** A set of runs drawn as one mean line with a worst-to-best band. */
export interface CurveGroup {
  label: string;
  /** [seed][block] */
  runs: number[][];
  dash?: "solid" | "dash" | "dot";
}

export interface LearningPlotOptions extends PlotOptions {
  scenario: string;
  /** `summed` (default): the reward summed over agents; `bad` / `good`: one side's agents. */
  side?: "summed" | "bad" | "good";
  /** More curves to draw on the same blocks (e.g. a reference implementation's). */
  extra?: CurveGroup[];
  /** A horizontal line (e.g. a target), with its label. */
  line?: { y: number; label: string };
}

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** A side's reward per block: the sum over its agents. */
function sideBlocks(run: LearningRun, side: "summed" | "bad" | "good"): number[] {
  if (side === "summed") return run.summed_reward_blocks;
  const idx = run.agents.map((a, i) => (a.includes(`-${side}_agent_`) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) throw new Error(`${run.scenario} has no ${side} agents`);
  return run.summed_reward_blocks.map((_, b) => idx.reduce((s, i) => s + run.agent_reward_blocks[i][b], 0));
}

/** Mean line and worst-to-best band traces of one group. */
export function bandTraces(group: CurveGroup, blockEpisodes: number, color: string): Trace[] {
  const blocks = Math.min(...group.runs.map((r) => r.length));
  const x = Array.from({ length: blocks }, (_, b) => (b + 1) * blockEpisodes);
  const at = (b: number) => group.runs.map((r) => r[b]);
  const mean = x.map((_, b) => at(b).reduce((a, v) => a + v, 0) / group.runs.length);
  const lo = x.map((_, b) => Math.min(...at(b)));
  const hi = x.map((_, b) => Math.max(...at(b)));
  const n = group.runs.length;
  return [
    { type: "scatter", mode: "lines", x, y: hi, line: { width: 0, color }, hoverinfo: "skip", showlegend: false, legendgroup: group.label },
    {
      type: "scatter",
      mode: "lines",
      x,
      y: lo,
      line: { width: 0, color },
      fill: "tonexty",
      fillcolor: rgba(color, 0.18),
      hoverinfo: "skip",
      showlegend: false,
      legendgroup: group.label,
    },
    {
      type: "scatter",
      mode: "lines",
      x,
      y: mean,
      name: `${group.label} (${n} seed${n === 1 ? "" : "s"})`,
      line: { color, width: 2, dash: group.dash ?? "solid" },
      legendgroup: group.label,
    },
  ];
}

/**
 * One scenario's learning curves: for each policy and time-limit storage, the mean reward per
 * block across seeds, with a band from the worst to the best seed.
 */
export function plotLearningBenchmark(bench: LearningBenchmark, opts: LearningPlotOptions & { show: false }): Figure;
export function plotLearningBenchmark(bench: LearningBenchmark, opts: LearningPlotOptions): void;
export function plotLearningBenchmark(bench: LearningBenchmark, opts: LearningPlotOptions): Figure | void {
  const side = opts.side ?? "summed";
  const runs = bench.runs.filter((r) => r.scenario === opts.scenario);
  if (runs.length === 0) throw new Error(`no runs of ${opts.scenario} in this benchmark; it has ${[...new Set(bench.runs.map((r) => r.scenario))].join(", ")}`);
  const groups = new Map<string, number[][]>();
  for (const r of runs) {
    const label = `${r.policy}, time limit ${r.bootstrap_time_limit ? "bootstrapped" : "terminal"}`;
    groups.set(label, [...(groups.get(label) ?? []), sideBlocks(r, side)]);
  }
  const all: CurveGroup[] = [...[...groups].map(([label, rs]) => ({ label, runs: rs })), ...(opts.extra ?? [])];
  const B = bench.settings.block_episodes;
  const traces = all.flatMap((g, k) => bandTraces(g, B, PALETTE[k % PALETTE.length]));
  const shapes = opts.line
    ? [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: opts.line.y, y1: opts.line.y, line: { dash: "dot", color: "#555", width: 1 } }]
    : [];
  const annotations = opts.line
    ? [{ xref: "paper", x: 0, y: opts.line.y, text: opts.line.label, showarrow: false, xanchor: "left", yanchor: "bottom", font: { size: 11, color: "#555" } }]
    : [];
  const what = side === "summed" ? "episode reward summed over agents" : `episode reward of the ${side} side`;
  const fig = new Figure(traces, {
    title: { text: opts.title ?? `${opts.scenario}: ${what}<br><sup>mean per ${B} episodes across seeds; bands from the worst to the best seed</sup>` },
    xaxis: { title: { text: "episode" } },
    yaxis: { title: { text: `mean ${what}` } },
    legend: { orientation: "h", y: -0.2 },
    shapes,
    annotations,
    ...(opts.height ? { height: opts.height } : {}),
  });
  if (opts.show === false) return fig;
  fig.show();
}
