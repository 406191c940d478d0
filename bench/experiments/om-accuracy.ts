/**
 * The science check (lemol-spec §9.2 item 11): a medium LeMOL vs MADDPG experiment on simple_push,
 * sized to finish in under 30 minutes on 2 cores (the initial release's cadence: updates and the
 * slow LSTM every step; `-- --head` uses the later release's non-EP settings instead), and a summary of in-play opponent-model accuracy
 * per (cycle, trajectory) against chance: 0.2 (uniform over 5 actions) and the opponent's
 * majority-action rate after exploration (from the experience files).
 *
 * Expected: after the first OM training (cycles >= 1), accuracy clearly above chance and above
 * cycle 0. Writes bench/results/om-accuracy.json. `-- --quick` runs a much smaller version.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";
import { loadNpz } from "../../src/storage/npz.js";
import { machine, writeResult } from "../common.js";

const quick = process.argv.includes("--quick");
const options: ExperimentOptions = {
  scenario: "simple_push",
  bad_policy: "lemol",
  good_policy: "maddpg",
  revision: process.argv.includes("--head") ? "head" : "init",
  num_episodes: quick ? 300 : 800,
  batch_size: quick ? 64 : 128,
  agent_update_freq: process.argv.includes("--head") ? 5 : 1,
  polyak: 0.01,
  lstm_hidden_dim: 64,
  n_opp_cycles: quick ? 2 : 4,
  traj_per_iter: quick ? 2 : 3,
  om_training_iters: quick ? 2 : 5,
  num_traj_to_train: 8,
  chunk_length: 64,
  save_rate: 500,
  seed: 71,
  run_dir: path.join("bench", "tmp", `om-accuracy-${Date.now()}`),
};

const t0 = Date.now();
const exp = await Experiment.create(options, { print: null });
exp.on("trajectory_end", (t) => console.log(`cycle ${t.cycle} trajectory ${t.trajectory}: ${((Date.now() - t0) / 1000).toFixed(0)} s`));
exp.on("cycle_end", (c) => console.log(`cycle ${c.cycle} done (OM trained: ${c.omTrained}) at ${((Date.now() - t0) / 1000).toFixed(0)} s`));
await exp.run();
const seconds = (Date.now() - t0) / 1000;

const rows = exp.metrics.rows;
const explorationSteps = options.batch_size! * 25;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** The opponent's majority-action rate after exploration in one experience file. */
function majorityRate(file: string): number {
  const z = loadNpz(file);
  const A = z.opponent_actions.shape[1];
  const counts = new Array(A).fill(0);
  for (let t = explorationSteps; t < z.opponent_actions.shape[0]; t++) {
    let best = 0;
    for (let k = 1; k < A; k++) if (z.opponent_actions.data[t * A + k] > z.opponent_actions.data[t * A + best]) best = k;
    counts[best]++;
  }
  return Math.max(...counts) / counts.reduce((a, b) => a + b, 0);
}

const files = exp.runDir.experienceFiles();
interface TrajectorySummary {
  cycle: number | null;
  trajectory: number;
  windows: number;
  accuracy: number;
  accuracy_first_quarter: number;
  accuracy_last_quarter: number;
  cross_entropy: number;
  opponent_majority_rate: number | null;
}
const trajectories: TrajectorySummary[] = [];
for (let id = 0; id < exp.trajectoriesStarted; id++) {
  const acc = rows.filter((r) => r.metric === "om_accuracy_in_play" && r.trajectory === id);
  const ce = rows.filter((r) => r.metric === "om_cross_entropy_in_play" && r.trajectory === id);
  const cycle = acc[0]?.cycle ?? null;
  const q = Math.max(1, Math.floor(acc.length / 4));
  const file = files.find((f) => f.includes(`OM${cycle}${path.sep}`) && f.endsWith(`${id % options.traj_per_iter!}.npz`));
  trajectories.push({
    cycle,
    trajectory: id,
    windows: acc.length,
    accuracy: round(mean(acc.map((r) => r.value))),
    accuracy_first_quarter: round(mean(acc.slice(0, q).map((r) => r.value))),
    accuracy_last_quarter: round(mean(acc.slice(-q).map((r) => r.value))),
    cross_entropy: round(mean(ce.map((r) => r.value))),
    opponent_majority_rate: file ? round(majorityRate(file)) : null,
  });
}
const cycles = [...new Set(trajectories.map((t) => t.cycle))].map((c) => {
  const ts = trajectories.filter((t) => t.cycle === c);
  return { cycle: c, accuracy: round(mean(ts.map((t) => t.accuracy))), opponent_majority_rate: round(mean(ts.map((t) => t.opponent_majority_rate ?? NaN))) };
});
const omPasses = [...new Set(rows.filter((r) => r.metric === "om_training_loss").map((r) => r.cycle))].map((c) => ({
  cycle: c,
  training_accuracy_last_chunks: round(
    mean(
      rows
        .filter((r) => r.metric === "om_training_accuracy" && r.cycle === c)
        .slice(-50)
        .map((r) => r.value),
    ),
  ),
  training_loss_last_chunks: round(
    mean(
      rows
        .filter((r) => r.metric === "om_training_loss" && r.cycle === c)
        .slice(-50)
        .map((r) => r.value),
    ),
  ),
}));
const cycle0 = cycles.find((c) => c.cycle === 0)!;
const later = cycles.filter((c) => (c.cycle ?? 0) >= 1);
const laterAcc = mean(later.map((c) => c.accuracy));
const laterMajority = mean(later.map((c) => c.opponent_majority_rate));
const expectation = {
  statement:
    "after the first OM training (cycles >= 1) in-play accuracy is clearly above chance (0.2 and the opponent's majority-action rate) and above cycle 0",
  cycles_ge_1_accuracy: round(laterAcc),
  cycle_0_accuracy: cycle0.accuracy,
  chance_uniform: 0.2,
  opponent_majority_rate_cycles_ge_1: round(laterMajority),
  holds: laterAcc > 0.2 + 0.05 && laterAcc > laterMajority + 0.02 && laterAcc > cycle0.accuracy + 0.02,
};
const file = writeResult(`om-accuracy${process.argv.includes("--head") ? "-head" : ""}${quick ? "-quick" : ""}`, {
  machine: machine(),
  node: process.version,
  backend: `${exp.backend.name} / ${exp.backend.kernels}`,
  seconds: Math.round(seconds),
  options,
  expectation,
  cycles,
  trajectories,
  om_training: omPasses,
});
exp.dispose();
console.log(JSON.stringify(expectation, null, 2));
console.log(`wrote ${file} (${Math.round(seconds)} s); run directory ${exp.runDir.root}`);
fs.rmSync(exp.runDir.root, { recursive: true, force: true });
