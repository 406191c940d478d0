/**
 * `lemol stats <run dirs | sweep results | sweep.json>...`: the runs grouped by condition, one
 * number per run (a metric's mean over the chosen cycles), and per condition the mean, std, IQM
 * and a stratified bootstrap interval; with `--paired A,B` the per-seed differences A − B.
 */
import { pairedComparison, summarizeConditions } from "../analysis/compare.js";
import { AnalysisError, conditionNamer, loadRuns, partitionByMetric, variedOptions } from "../analysis/runs.js";
import type { Aggregate, Interval } from "../analysis/stats.js";
import { OptionSpec, UsageError, formatHelp, parseArgs } from "./args.js";

const SPECS: Record<string, OptionSpec> = {
  by: { type: "string", help: "the option(s) a condition is, comma-separated (default: every option that varies between the runs)" },
  metric: { type: "string", default: "om_accuracy_in_play", help: "the metric (metrics.csv's name, e.g. episode_reward)" },
  agent: { type: "string", help: "only agents whose name contains this (e.g. bad); needed when the metric has several agents" },
  cycles: { type: "string", default: "last", help: "the cycles a run's number is the mean over: last, all, or a list such as 8,9" },
  last_episodes: { type: "int", min: 1, help: "only each trajectory's last N episodes (e.g. 1000 for a final reward)" },
  minus: { type: "string", help: "subtract this metric's mean over the same rows (e.g. om_baseline_bc_in_play): a within-run difference" },
  paired: { type: "string", help: "A,B: compare two conditions seed by seed (differences A - B)" },
  strata: { type: "string", help: "option(s) whose values the bootstrap resamples within, never across (e.g. scenario)" },
  aggregate: { type: "string", default: "iqm", choices: ["iqm", "mean", "median"], help: "the aggregate whose interval is shown" },
  resamples: { type: "int", default: 2000, min: 1, help: "bootstrap resamples" },
  confidence: { type: "number", default: 0.95, help: "confidence level of the intervals" },
  seed: { type: "int", default: 0, min: 0, help: "seed of the bootstrap resampler" },
  help: { type: "boolean", default: false, help: "show this help" },
};

const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);

function cyclesOf(raw: string): "last" | "all" | number[] {
  if (raw === "last" || raw === "all") return raw;
  const cycles = list(raw)!.map(Number);
  if (cycles.length === 0 || cycles.some((c) => !Number.isInteger(c) || c < 0))
    throw new UsageError(`--cycles: expected last, all or a comma-separated list of cycle numbers, got "${raw}"`);
  return cycles;
}

const num = (v: number): string => (Number.isNaN(v) ? "-" : Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4));
const ci = (i: Interval): string => `[${num(i.low)}, ${num(i.high)}]`;

/** Rows as left-aligned first column and right-aligned others. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

export function stats(argv: readonly string[], out: (line: string) => void): number {
  const { options, positionals } = parseArgs(argv, SPECS);
  if (options.help) {
    out(
      formatHelp(
        "lemol stats <run dir | sweep results dir | sweep.json>... [options]",
        "Groups finished runs by condition and compares them across seeds: per condition the mean, std, interquartile mean (IQM) and a stratified bootstrap confidence interval of one number per run; with --paired A,B the per-seed differences A - B, their mean and IQM with intervals, and the probability of improvement.",
        SPECS,
      ),
    );
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("give run directories, a sweep's results directory or a sweep file (lemol stats --help)");
  const confidence = options.confidence as number;
  if (!(confidence > 0 && confidence < 1)) throw new UsageError(`--confidence: must be between 0 and 1, got ${confidence}`);
  const loaded = loadRuns(positionals);
  const by = list(options.by as string | undefined);
  const opts = {
    metric: options.metric as string,
    agent: options.agent as string | undefined,
    cycles: cyclesOf(options.cycles as string),
    lastEpisodes: options.last_episodes as number | undefined,
    minus: options.minus as string | undefined,
    by,
    strata: list(options.strata as string | undefined),
    aggregate: options.aggregate as Aggregate,
    seed: options.seed as number,
    resamples: options.resamples as number,
    confidence,
  };
  // runs that never write the metric (a MADDPG control has no OM accuracy) are left out, and said so
  let runs = loaded;
  const leftOut: string[] = [];
  for (const metric of [opts.metric, ...(opts.minus ? [opts.minus] : [])]) {
    const { kept, without } = partitionByMetric(runs, metric);
    if (without.length > 0) {
      const name = conditionNamer(loaded, by);
      const conditions = [...new Set(without.map(name))];
      leftOut.push(
        `(left out: ${without.length} run${without.length === 1 ? "" : "s"} without "${metric}" rows, condition${conditions.length === 1 ? "" : "s"} ${conditions.join(", ")})`,
      );
    }
    runs = kept;
  }
  if (runs.length === 0) throw new AnalysisError(`no run has "${opts.metric}" rows${opts.minus ? ` and "${opts.minus}" rows` : ""}`);
  const pct = `${Math.round(confidence * 1000) / 10} %`;
  const cycles = Array.isArray(opts.cycles) ? `cycles ${opts.cycles.join(", ")}` : opts.cycles === "last" ? "the last cycle" : "all cycles";
  const what = `${opts.metric}${opts.minus ? ` minus ${opts.minus}` : ""}${opts.agent ? ` (agents matching "${opts.agent}")` : ""}`;
  const episodes = opts.lastEpisodes ? `, each trajectory's last ${opts.lastEpisodes} episodes` : "";
  out(`${loaded.length} finished run${loaded.length === 1 ? "" : "s"}; ${what}, each run's mean over ${cycles}${episodes}`);
  out(
    `conditions by ${by ? by.join(", ") : `the options that vary (${variedOptions(runs).join(", ") || "none"})`}; bootstrap: ${opts.resamples} resamples, seed ${opts.seed}`,
  );
  for (const line of leftOut) out(line);
  out("");
  const summaries = summarizeConditions(runs, opts);
  out(
    table(
      ["condition", "runs", "seeds", "mean", "std", "IQM", `${opts.aggregate} ${pct} CI`],
      summaries.map((s) => [s.condition, String(s.values.length), s.seeds.join(","), num(s.mean), num(s.std), num(s.iqm), ci(s.interval)]),
    ).join("\n"),
  );
  const paired = list(options.paired as string | undefined);
  if (paired) {
    if (paired.length !== 2) throw new UsageError(`--paired: expected two conditions A,B, got "${options.paired as string}"`);
    const [a, b] = paired;
    const p = pairedComparison(runs, a, b, opts);
    out("");
    out(`paired by seed: ${a} - ${b}`);
    out(
      table(
        ["seed", a, b, "difference"],
        p.pairs.seeds.map((s, i) => [String(s), num(p.pairs.a[i]), num(p.pairs.b[i]), num(p.pairs.differences[i])]),
      ).join("\n"),
    );
    for (const [name, seeds] of [
      [a, p.pairs.unpaired.a],
      [b, p.pairs.unpaired.b],
    ] as const)
      if (seeds.length > 0) out(`(left out: ${name} has seed${seeds.length === 1 ? "" : "s"} ${seeds.join(", ")} that the other lacks)`);
    out(`mean difference ${num(p.meanDifference.estimate)}, ${pct} CI ${ci(p.meanDifference)}`);
    out(`IQM difference  ${num(p.iqmDifference.estimate)}, ${pct} CI ${ci(p.iqmDifference)}`);
    out(`${a} higher on ${p.wins.a} of ${p.pairs.seeds.length} seeds, lower on ${p.wins.b}`);
    out(`P(${a} > ${b}) ${num(p.probabilityOfImprovement.estimate)}, ${pct} CI ${ci(p.probabilityOfImprovement)}`);
  }
  return 0;
}
