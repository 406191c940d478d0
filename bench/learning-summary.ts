/**
 * The summary of the learning benchmark (bench/learning.ts): per configuration (scenario, policy,
 * time-limit storage), across seeds, the random-policy start (the first 500 episodes are all
 * exploration), the mean of the last 1,000 episodes, the best 500-episode window, the decline
 * from it, and each side's gain: over its random-policy start in a cooperative scenario; in a
 * two-sided game (both sides learn at once, so one side's reward may fall as it improves) over an
 * untrained stand-in playing the trained opponent. Rewards are summed over the agents of a side
 * (cooperative scenarios have one side; MPE adversaries come first).
 *
 * Run as a script, it compares lemol with the third-party implementation (see compareWithThirdParty):
 *   node --import tsx bench/learning-summary.ts
 * reads bench/results/learning.json, learning-third-party.json and (if present)
 * learning-lemol-variants.json, and writes the verdicts into learning-third-party.json's "comparison".
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { LearningRun, LearningSummaryRow, ThirdPartyLearningRun } from "../src/notebook/learning.js";

export type { LearningRun };

const r2 = (x: number) => Math.round(x * 100) / 100;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean of the last `n` blocks. */
function tail(blocks: readonly number[], n: number): number {
  return mean(blocks.slice(-n));
}

export function summariseLearning(runs: readonly LearningRun[], blockEpisodes: number): { table: LearningSummaryRow[]; lines: string[] } {
  const lastBlocks = Math.max(1, Math.round(1000 / blockEpisodes));
  const groups = new Map<string, LearningRun[]>();
  for (const r of runs) {
    const key = `${r.scenario}|${r.policy}|${r.bootstrap_time_limit}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const table: LearningSummaryRow[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.seed - b.seed);
    const last = group.map((r) => tail(r.summed_reward_blocks, lastBlocks));
    const best = group.map((r) => Math.max(...r.summed_reward_blocks));
    const decline = group.map((r, i) => Math.max(0, best[i] - last[i]));
    const spread = Math.max(...last) - Math.min(...last);
    const sideGain: Record<string, number[]> = {};
    let improves = true;
    const twoSided = group.every((r) => r.evaluation);
    for (const side of ["bad", "good"] as const) {
      const gains = group.flatMap((r) => {
        const idx = r.agents.map((a, i) => (a.includes(`-${side}_agent_`) ? i : -1)).filter((i) => i >= 0);
        if (idx.length === 0) return [];
        let gain: number, scale: number;
        if (twoSided) {
          const e = r.evaluation!;
          const untrained = side === "bad" ? e.untrained_bad_vs_trained_good.bad : e.trained_bad_vs_untrained_good.good;
          gain = e.trained[side] - untrained;
          scale = Math.abs(untrained);
        } else {
          const sum = (b: number) => idx.reduce((s, i) => s + r.agent_reward_blocks[i][b], 0);
          const blocks = r.agent_reward_blocks[0].map((_, b) => sum(b));
          gain = tail(blocks, lastBlocks) - blocks[0];
          scale = Math.abs(blocks[0]);
        }
        // clearly: by more than 5% of the reference's magnitude (and more than 0.5)
        if (!(gain > Math.max(0.05 * scale, 0.5))) improves = false;
        return [r2(gain)];
      });
      if (gains.length) sideGain[side] = gains;
    }
    const first = group[0];
    table.push({
      scenario: first.scenario,
      policy: first.policy,
      bootstrap_time_limit: first.bootstrap_time_limit,
      seeds: group.map((r) => r.seed),
      start: r2(mean(group.map((r) => r.summed_reward_blocks[0]))),
      last_1000: last.map(r2),
      best_block: best.map(r2),
      decline_from_best: decline.map(r2),
      seed_spread: r2(spread),
      no_decline_beyond_spread: Math.max(...decline) <= spread,
      side_gain: sideGain,
      gain_measure: twoSided ? "over an untrained stand-in, against the trained opponent" : "over the random-policy start",
      improves_on_every_seed: improves,
    });
  }
  const lines = table.map(
    (t) =>
      `${t.scenario.padEnd(24)} ${t.policy.padEnd(8)} ${t.bootstrap_time_limit ? "bootstrap" : "terminal "}  start ${t.start.toFixed(1).padStart(8)}  last 1k ${t.last_1000.map((x) => x.toFixed(1)).join(" / ")}  ` +
      `max decline ${Math.max(...t.decline_from_best).toFixed(1)} (spread ${t.seed_spread.toFixed(1)})  ${t.improves_on_every_seed ? "improves" : "does NOT improve on every seed"} (${Object.entries(
        t.side_gain,
      )
        .map(([k, v]) => `${k} +${v.map((x) => x.toFixed(1)).join("/")}`)
        .join(", ")})`,
  );
  return { table, lines };
}

// ---------------------------------------------------------------------------------------------
// Parity with third-party code (bench/third-party/, bench/results/learning-third-party.json)

/** One run of a third-party implementation, as bench/third-party/aggregate.py records it. */
export type ThirdPartyRun = ThirdPartyLearningRun;

/** What a comparison compares: the summed reward (one side) or one side's reward (two sides). */
export type ParityMeasure = "summed" | "bad" | "good";

/** One scenario and measure: lemol's seeds against the references' widened seed range. */
export interface ParityRow {
  scenario: string;
  measure: ParityMeasure;
  reference_seeds: number[];
  /** Per reference seed: the mean of the last 1,000 episodes. */
  reference_last_1000: number[];
  /** The references' first block (random policies), mean over seeds. */
  reference_start: number;
  /** How far the range is widened on each side (see PARITY_CRITERION). */
  margin: number;
  /** [min − margin, max + margin] of the references' last 1,000. */
  accepted: [number, number];
  lemol_seeds: number[];
  lemol_last_1000: number[];
  below_seeds: number[];
  above_seeds: number[];
  verdict: "matches" | "below" | "above" | "below and above";
}

/** The criterion, as the results file and docs/learning.md state it. */
export const PARITY_CRITERION =
  "Per scenario and measure (the summed reward in a one-sided scenario; each side's reward, summed over its agents, in a two-sided one), each lemol seed's mean reward over its last 1,000 episodes must lie inside the references' 5-seed range of the same quantity (their seeds 1-5 where more have run: a wider sample's range is wider), widened on each side by a margin m = max(the references' range, 10% of the references' progress |mean last 1,000 - mean first 500 episodes| of the summed reward). Why that margin: a seed drawn from the references' own distribution falls outside their bare 5-seed range with probability 2/6, so some of 5 identical seeds would almost always be flagged; widened by the range, 5 seeds from the same normal distribution are flagged 10% of the time (5.6% below), while 2 of 5 seeds 4 reference standard deviations lower are flagged 75% of the time (simulated, 200,000 draws). The progress term keeps the window from collapsing where the references' seeds agree closely. matches: every lemol seed inside; below / above: the seeds outside, and on which side.";

function sideSeries(agentBlocks: readonly number[][], idx: readonly number[]): number[] {
  return agentBlocks[0].map((_, b) => idx.reduce((s, i) => s + agentBlocks[i][b], 0));
}

function measureBlocks(run: { summed_reward_blocks: number[]; agent_reward_blocks: number[][] }, sides: readonly string[], measure: ParityMeasure): number[] {
  if (measure === "summed") return run.summed_reward_blocks;
  const idx = sides.map((s, i) => (s === measure ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) throw new Error(`no ${measure} agents in ${JSON.stringify(sides)}`);
  return sideSeries(run.agent_reward_blocks, idx);
}

/** lemol's agent names carry their side (`maddpg-bad_agent_0`). */
function lemolSides(run: LearningRun): ("bad" | "good")[] {
  return run.agents.map((a) => {
    if (a.includes("-bad_agent_")) return "bad";
    if (a.includes("-good_agent_")) return "good";
    throw new Error(`agent ${a} of ${run.scenario} names no side (-bad_agent_ / -good_agent_)`);
  });
}

/** How many reference seeds (the lowest-numbered) PARITY_CRITERION's range is taken over: its margin is calibrated for 5. */
export const CRITERION_REFERENCE_SEEDS = 5;

/**
 * lemol's runs of one configuration against a third-party implementation's runs of the same
 * scenario, by PARITY_CRITERION. `lemol` must be the runs to compare (e.g. learning.json's
 * MADDPG --bootstrap_time_limit rows); scenarios without reference runs are left out.
 */
export function compareWithThirdParty(lemol: readonly LearningRun[], reference: readonly ThirdPartyRun[], blockEpisodes: number): ParityRow[] {
  const lastBlocks = Math.max(1, Math.round(1000 / blockEpisodes));
  const rows: ParityRow[] = [];
  const scenarios = [...new Set(lemol.map((r) => r.scenario))];
  for (const scenario of scenarios) {
    // the criterion is calibrated for a 5-seed range (a wider sample's range is wider): the lowest 5 seeds
    const refs = reference
      .filter((r) => r.scenario === scenario)
      .sort((a, b) => a.seed - b.seed)
      .slice(0, CRITERION_REFERENCE_SEEDS);
    const ours = lemol.filter((r) => r.scenario === scenario).sort((a, b) => a.seed - b.seed);
    if (refs.length === 0) continue;
    const twoSided = refs[0].sides.includes("bad") && refs[0].sides.includes("good");
    const refSummedLast = refs.map((r) => tail(r.summed_reward_blocks, lastBlocks));
    const progress = Math.abs(mean(refSummedLast) - mean(refs.map((r) => r.summed_reward_blocks[0])));
    const measures: ParityMeasure[] = twoSided ? ["bad", "good"] : ["summed"];
    for (const measure of measures) {
      const refLast = refs.map((r) => tail(measureBlocks(r, r.sides, measure), lastBlocks));
      const ourLast = ours.map((r) => tail(measureBlocks(r, lemolSides(r), measure), lastBlocks));
      const lo = Math.min(...refLast);
      const hi = Math.max(...refLast);
      const margin = Math.max(hi - lo, 0.1 * progress);
      const accepted: [number, number] = [lo - margin, hi + margin];
      const below = ours.filter((_, i) => ourLast[i] < accepted[0]).map((r) => r.seed);
      const above = ours.filter((_, i) => ourLast[i] > accepted[1]).map((r) => r.seed);
      rows.push({
        scenario,
        measure,
        reference_seeds: refs.map((r) => r.seed),
        reference_last_1000: refLast.map(r2),
        reference_start: r2(mean(refs.map((r) => measureBlocks(r, r.sides, measure)[0]))),
        margin: r2(margin),
        accepted: [r2(accepted[0]), r2(accepted[1])],
        lemol_seeds: ours.map((r) => r.seed),
        lemol_last_1000: ourLast.map(r2),
        below_seeds: below,
        above_seeds: above,
        verdict: below.length && above.length ? "below and above" : below.length ? "below" : above.length ? "above" : "matches",
      });
    }
  }
  return rows;
}

/** A scenario's verdict over its measures: `matches` only if every measure matches. */
export function scenarioVerdicts(rows: readonly ParityRow[]): { scenario: string; verdict: string; reference_seeds: number }[] {
  const out: { scenario: string; verdict: string; reference_seeds: number }[] = [];
  for (const scenario of [...new Set(rows.map((r) => r.scenario))]) {
    const mine = rows.filter((r) => r.scenario === scenario);
    const off = mine.filter((r) => r.verdict !== "matches");
    const verdict = off.length === 0 ? "matches" : off.map((r) => `${r.verdict}${r.measure === "summed" ? "" : ` (${r.measure} side)`}`).join(", ");
    out.push({ scenario, verdict, reference_seeds: mine[0].reference_seeds.length });
  }
  return out;
}

export function parityLines(rows: readonly ParityRow[]): string[] {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" / ");
  return rows.map(
    (r) =>
      `${r.scenario.padEnd(24)} ${r.measure.padEnd(6)} reference ${f(r.reference_last_1000)}  accepted ${r.accepted[0].toFixed(1)} .. ${r.accepted[1].toFixed(1)} (margin ${r.margin.toFixed(1)})  lemol ${f(r.lemol_last_1000)}  ${r.verdict}` +
      (r.below_seeds.length ? ` (below: seeds ${r.below_seeds.join(",")})` : "") +
      (r.above_seeds.length ? ` (above: seeds ${r.above_seeds.join(",")})` : ""),
  );
}

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");

/** The script: the comparison of the committed JSONs, written into learning-third-party.json. */
function writeThirdPartyComparison(): void {
  const read = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(RESULTS, name), "utf8")) as T;
  const lemol = read<{ runs: LearningRun[]; settings: { block_episodes: number } }>("learning.json");
  const thirdPartyFile = path.join(RESULTS, "learning-third-party.json");
  const thirdParty = read<{ runs: ThirdPartyRun[]; not_expressible: { configuration: string; reason: string }[]; comparison?: unknown }>(
    "learning-third-party.json",
  );
  const block = lemol.settings.block_episodes;
  const compared = lemol.runs.filter((r) => r.policy === "maddpg" && r.bootstrap_time_limit);
  const rows = compareWithThirdParty(compared, thirdParty.runs, block);
  const verdicts = scenarioVerdicts(rows);
  const scenarios = [...new Set(compared.map((r) => r.scenario))].map((scenario) => {
    const v = verdicts.find((x) => x.scenario === scenario);
    if (v) return { ...v, verdict: v.reference_seeds < 5 ? `${v.verdict} (partial: ${v.reference_seeds} of 5 reference seeds)` : v.verdict };
    const inexpressible = thirdParty.not_expressible.find((n) => n.configuration === scenario);
    return {
      scenario,
      verdict: inexpressible ? `cannot be expressed in the third-party code: ${inexpressible.reason}` : "no reference runs yet",
      reference_seeds: 0,
    };
  });
  const variantsFile = path.join(RESULTS, "learning-lemol-variants.json");
  const variants: Record<string, ParityRow[]> = {};
  if (fs.existsSync(variantsFile)) {
    const v = JSON.parse(fs.readFileSync(variantsFile, "utf8")) as { runs: Record<string, Record<string, { runs: LearningRun[] }>> };
    for (const byVariant of Object.values(v.runs))
      for (const [name, entry] of Object.entries(byVariant))
        variants[name] = [...(variants[name] ?? []), ...compareWithThirdParty(entry.runs, thirdParty.runs, block)];
  }
  const lines = [
    ...parityLines(rows),
    ...scenarios.map((s) => `${s.scenario.padEnd(24)} ${s.verdict}`),
    ...Object.entries(variants).flatMap(([name, vr]) => parityLines(vr).map((l) => `variant ${name}: ${l}`)),
  ];
  thirdParty.comparison = {
    criterion: PARITY_CRITERION,
    lemol:
      "bench/results/learning.json, MADDPG (both sides) with --bootstrap_time_limit: maddpg-pytorch stores only the environment's done, as openai/maddpg does",
    scenarios,
    rows,
    variants,
    lines,
  };
  fs.writeFileSync(thirdPartyFile, JSON.stringify(thirdParty, null, 1) + "\n");
  for (const l of lines) console.log(l);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) writeThirdPartyComparison();
