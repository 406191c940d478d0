/** Small experiments for tests: a fresh run directory each, quiet. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Experiment, ExperimentOptions, ExperimentStopped } from "../../src/train/experiment.js";

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

/** A tiny run for tests of how cycles and trajectories are played: 2 cycles x 2 trajectories x 30 episodes, small networks. */
export const TINY: ExperimentOptions = {
  num_episodes: 30,
  batch_size: 16,
  agent_update_freq: 5,
  n_opp_cycles: 2,
  traj_per_iter: 2,
  save_rate: 15,
  om_training_iters: 1,
  chunk_length: 8,
  num_units: 16,
  lstm_hidden_dim: 8,
};

export function tmpRun(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-exp-")), "run");
}

export function experiment(options: ExperimentOptions = {}): Promise<Experiment> {
  return Experiment.create({ ...REDUCED, run_dir: tmpRun(), ...options }, { print: null });
}

/**
 * Runs `options` until `episodes` episodes have ended, stops, checkpoints (`mid`) and continues
 * from that checkpoint in a fresh experiment to the end: what a crash and `--restore` do.
 */
export async function stopAndResume(options: ExperimentOptions, episodes: number): Promise<Experiment> {
  const a = await Experiment.create({ ...options, run_dir: tmpRun() }, { print: null });
  let n = 0;
  const off = a.on("episode_end", () => {
    if (++n === episodes) a.requestStop();
  });
  await a.run().then(
    () => {
      throw new Error(`the run ended before ${episodes} episodes`);
    },
    (e: Error) => {
      if (!(e instanceof ExperimentStopped)) throw e;
    },
  );
  off();
  a.checkpoint("mid");
  a.dispose();
  const b = await Experiment.restore(a.runDir.root, { checkpoint: "mid" }, { print: null });
  await b.run();
  return b;
}
