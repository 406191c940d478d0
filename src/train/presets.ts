/**
 * Named experiment settings used in more than one place: the recorded run's (data/example-run,
 * made by scripts/data-example.ts), which notebooks 03 and 04 also use at their medium size.
 */
import type { ExperimentOptions } from "./experiment.js";

/** LeMOL vs MADDPG on simple_push at the recorded run's size: 3 cycles × 2 trajectories × 300 episodes, batch 64 (about a minute and a half on 2 cores). */
export const EXAMPLE_RUN_SETTINGS: Readonly<ExperimentOptions> = {
  num_episodes: 300,
  batch_size: 64,
  agent_update_freq: 1,
  polyak: 0.01,
  lstm_hidden_dim: 64,
  n_opp_cycles: 3,
  traj_per_iter: 2,
  om_training_iters: 3,
  num_traj_to_train: 4,
  chunk_length: 32,
};
