// Small sweeps on disk for the analysis tests, whose numbers the tests work out by hand: two
// conditions (ablate_lemol_lstm false/true) x seeds 1..5, and the study's five conditions.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { csvLine, METRIC_COLUMNS, MetricRow } from "../../src/train/metrics.js";

// last-cycle OM accuracy per seed 1..5 (each the mean of v - 0.05 and v + 0.05)
export const A = [0.5, 0.42, 0.61, 0.45, 0.9]; // ablate_lemol_lstm: false
export const B = [0.4, 0.44, 0.5, 0.41, 0.3]; // ablate_lemol_lstm: true
const BAD = "lemol-bad_agent_0";

/** A metrics row: every field empty (opponent maddpg) but those given. */
export function metricRow(over: Partial<MetricRow>): MetricRow {
  return { cycle: null, trajectory: null, opponent: "maddpg", episode: null, train_step: null, om_iter: null, agent: "", metric: "", value: 0, ...over };
}

function rows(seed: number, last: number, first: number): MetricRow[] {
  const out: MetricRow[] = [];
  const row = (over: Partial<MetricRow>) => metricRow({ agent: BAD, ...over });
  for (const cycle of [0, 1]) {
    const v = cycle === 1 ? last : first;
    for (const [k, d] of [-0.05, 0.05].entries()) out.push(row({ cycle, trajectory: cycle, train_step: k, metric: "om_accuracy_in_play", value: v + d }));
    // a baseline on the same steps: 0.3 throughout
    out.push(row({ cycle, trajectory: cycle, train_step: 0, metric: "om_baseline_persistence_in_play", value: 0.3 }));
    // rewards: the bad agent's is seed*10 + the run-wide episode, the good agent's its negative
    for (let e = 0; e < 4; e++)
      for (const [agent, sign] of [
        [BAD, 1],
        ["maddpg-good_agent_1", -1],
      ] as const)
        out.push(row({ cycle, trajectory: cycle, episode: e, agent, metric: "episode_reward", value: sign * (seed * 10 + cycle * 4 + e) }));
  }
  return out;
}

export function writeRun(dir: string, options: Record<string, unknown>, metricRows: MetricRow[], status = "finished"): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "manifest.json"),
    JSON.stringify({ seed: options.seed, status, config: { scenario: "simple_push", run_dir: dir, ...options } }),
  );
  fs.writeFileSync(path.join(dir, "metrics.csv"), METRIC_COLUMNS.join(",") + "\n" + metricRows.map(csvLine).join(""));
}

let made: string | null = null;

/** Writes the sweep (two conditions x seeds 1..5, and one unfinished run) under a new temporary directory. */
export function writeStatsSweep(): { root: string; results: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-stats-"));
  made = root;
  const results = path.join(root, "sweep");
  [A, B].forEach((values, c) =>
    values.forEach((v, i) =>
      writeRun(path.join(results, `r00${c}-s${i + 1}`), { seed: i + 1, ablate_lemol_lstm: c === 1 }, rows(i + 1, v, c === 0 ? 0.2 : 0.25)),
    ),
  );
  // an unfinished run is left out: it would bias the comparison towards conditions that finish first
  writeRun(path.join(results, "r000-s6"), { seed: 6, ablate_lemol_lstm: false }, rows(6, 0.99, 0.99), "running");
  return { root, results };
}

/** Removes what {@link writeStatsSweep} wrote. */
export function removeStatsSweep(): void {
  if (made) fs.rmSync(made, { recursive: true, force: true });
  made = null;
}

const BASELINE_NAMES = ["persistence", "window_majority", "bc", "bc_previous_action", "online_bc"];

/** One run: 2 cycles x 1 trajectory; in-play windows [first, rest...] for the OM and each baseline; 1,200 episodes of reward. */
function studyRows(agent: string, om: number[] | null, baseline: number[], reward: number): MetricRow[] {
  const out: MetricRow[] = [];
  const row = (over: Partial<MetricRow>) => metricRow({ agent, ...over });
  for (const cycle of [0, 1]) {
    const windows = (values: number[], metric: string) =>
      values.forEach((v, k) => out.push(row({ cycle, trajectory: cycle, train_step: k, metric, value: cycle === 1 ? v : 0.1 })));
    if (om) windows(om, "om_accuracy_in_play");
    if (om) for (const b of BASELINE_NAMES) windows(baseline, `om_baseline_${b}_in_play`);
    // the last 1,000 episodes average `reward` (cycle 1); the first 200 (outside them) are -100
    for (let e = 0; e < 1200; e++) {
      const value = cycle === 1 && e >= 200 ? reward : -100;
      out.push(row({ cycle, trajectory: cycle, episode: e, metric: "episode_reward", value }));
      // the attacker's reward: the defender's negated
      out.push(metricRow({ agent: "maddpg-good_agent_1", cycle, trajectory: cycle, episode: e, metric: "episode_reward", value: -value }));
    }
  }
  return out;
}

/**
 * The pre-registered study's five conditions (docs/study.md) on seeds `seeds`, in a sweep's results
 * directory under a new temporary directory (the caller removes it): 2 cycles x 1 trajectory of
 * 1,200 episodes each; in the last cycle the OM's windows are 0.6 + seed/1000, 0.6, 0.6 (LeMOL-EP),
 * every baseline's 0.1, 0.55, 0.55, and the defender's final reward -1 + seed/1000 (LeMOL-EP), -2 +
 * seed/1000 (MADDPG); the attacker's reward is the defender's negated.
 */
export function writeStudySweep(seeds: number[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-study-"));
  for (const seed of seeds) {
    const j = seed * 0.001; // seed-to-seed jitter
    // the OM: 0.6 steady; the baselines 0.4 dropping at the opponent change (first window 0.1)
    const conditions: [string, number[] | null, number[], number][] = [
      ["maddpg", null, [], -2 + j],
      ["lemol-ep", [0.6 + j, 0.6, 0.6], [0.1, 0.55, 0.55], -1 + j],
      ["lemol-ep-ablated", [0.5 + j, 0.5, 0.5], [0.1, 0.55, 0.55], -1 - j],
      ["lemol-ep-oracle", [1, 1, 1], [0.1, 0.55, 0.55], -0.5],
      ["lemol-init", [0.3, 0.3, 0.3], [0.1, 0.55, 0.55], -3 + j],
    ];
    conditions.forEach(([name, om, baseline, reward], i) => {
      const agent = name === "maddpg" ? "maddpg-bad_agent_0" : "lemol-bad_agent_0";
      writeRun(path.join(dir, `r00${i}-s${seed}`), { seed, exp_name: name, num_episodes: 1200 }, studyRows(agent, om, baseline, reward));
    });
  }
  return dir;
}
