// A small sweep on disk for the analysis tests: two conditions (ablate_lemol_lstm false/true) x
// seeds 1..5, whose numbers the tests work out by hand.
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
