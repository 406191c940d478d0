/** Small experiments for tests: a fresh run directory each, quiet. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";

/** The reduced run: 2 cycles x 2 trajectories x 60 episodes, small batches, updates every 5 steps. */
export const REDUCED: ExperimentOptions = {
  num_episodes: 60,
  batch_size: 32,
  agent_update_freq: 5,
  n_opp_cycles: 2,
  traj_per_iter: 2,
  save_rate: 30,
  om_training_iters: 2,
  chunk_length: 16,
  num_units: 32,
  lstm_hidden_dim: 16,
};

export function tmpRun(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-exp-")), "run");
}

export function experiment(options: ExperimentOptions = {}): Promise<Experiment> {
  return Experiment.create({ ...REDUCED, run_dir: tmpRun(), ...options }, { print: null });
}
