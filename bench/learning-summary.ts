/**
 * The summary of the learning benchmark (bench/learning.ts): per configuration (scenario, policy,
 * time-limit storage), across seeds, the random-policy start (the first 500 episodes are all
 * exploration), the mean of the last 1,000 episodes, the best 500-episode window, the decline
 * from it, and each side's gain: over its random-policy start in a cooperative scenario; in a
 * two-sided game (both sides learn at once, so one side's reward may fall as it improves) over an
 * untrained stand-in playing the trained opponent. Rewards are summed over the agents of a side
 * (cooperative scenarios have one side; MPE adversaries come first).
 */

import type { LearningRun, LearningSummaryRow } from "../src/notebook/learning.js";

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
