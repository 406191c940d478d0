/**
 * The HEAD schedule rescoring (om-schedule.ts) on held-out experience files: a small LeMOL vs
 * MADDPG run with the later release's per-step model and cadence (`--revision head`, the slow LSTM
 * and updates every F = 25 steps) plays cycle 0, trains its opponent model on cycle 0's files, then
 * plays cycle 1 and stops before cycle 1's OM training — so cycle 1's files did not exist when the
 * OM (and the BC baselines beside it) trained: they were never in a training draw. On each file,
 * the same weights score with the learning feature advanced every step (the alignment trained
 * with) and every F steps (the schedule played with), beside persistence and the BC-MLPs on o_t
 * and on [o_t ‖ a_{t−1}]; cycle 0's files (drawn for training with probability
 * 1 − (1 − 1/2)^(8·3) each) are scored the same way for comparison.
 *
 *   npm run experiment:om-schedule-heldout [-- --seed N]   (writes bench/results/om-schedule-heldout.json; -seedN.json for N ≠ 71)
 */
import * as path from "node:path";
import type { LeMOLAgentTrainer } from "../../src/agents/lemol/agent.js";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";
import { machine, writeResult } from "../common.js";
import { scheduleScores } from "./schedule-score.js";

const seedArg = process.argv.indexOf("--seed");
const seed = seedArg >= 0 ? Number(process.argv[seedArg + 1]) : 71;
if (!Number.isInteger(seed)) throw new Error(`--seed: an integer is needed, got ${process.argv[seedArg + 1]}`);
const options: ExperimentOptions = {
  scenario: "simple_push",
  bad_policy: "lemol",
  good_policy: "maddpg",
  revision: "head",
  agent_update_freq: 25,
  num_episodes: 300,
  batch_size: 64,
  lstm_hidden_dim: 64,
  n_opp_cycles: 2,
  traj_per_iter: 2,
  om_training_iters: 3,
  num_traj_to_train: 8,
  chunk_length: 64,
  save_rate: 1000,
  seed,
  run_dir: path.join("bench", "tmp", `om-schedule-heldout-${Date.now()}`),
};
const t0 = Date.now();
const exp = await Experiment.create(options, { print: null });
await exp.runCycle(); // cycle 0's trajectories, then the OM's training on their files
const trainedOn = exp.runDir.experienceFiles();
for (let k = 0; k < options.traj_per_iter!; k++) await exp.runTrajectory(); // cycle 1, no training after
const heldOut = exp.runDir.experienceFiles().filter((f) => !trainedOn.includes(f));
const lemol = exp.pairing[0] as LeMOLAgentTrainer;
const X = options.batch_size! * 25;
const score = (f: string) => ({ file: path.relative(exp.runDir.root, f), ...scheduleScores(lemol.om, f, X, options.agent_update_freq!) });
const result = {
  machine: machine(),
  options: { ...options, run_dir: undefined },
  om_training_chunks: lemol.om.iterations,
  held_out: heldOut.map(score),
  training_cycle: trainedOn.map(score),
  seconds: Math.round((Date.now() - t0) / 1000),
};
console.log(JSON.stringify(result, null, 1));
console.log(`wrote ${writeResult(seed === 71 ? "om-schedule-heldout" : `om-schedule-heldout-seed${seed}`, result)}`);
exp.close("stopped");
exp.dispose();
