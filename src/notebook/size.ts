/**
 * Notebook sizes: every example notebook trains at one of three sizes, chosen by the environment
 * variable LEMOL_NOTEBOOK_SIZE (CI sets `small`) or the notebook's own default.
 */
import type { ExperimentOptions } from "../train/experiment.js";
import { EXAMPLE_RUN_SETTINGS } from "../train/presets.js";

export const NOTEBOOK_SIZES = ["small", "medium", "full"] as const;
export type NotebookSize = (typeof NOTEBOOK_SIZES)[number];

/**
 * The settings for the size in `LEMOL_NOTEBOOK_SIZE` (else `fallback`), and that size. An unknown
 * size is an error naming the valid ones.
 */
export function sizedOptions<T>(sizes: Record<NotebookSize, T>, fallback: NotebookSize = "medium"): { size: NotebookSize; options: T } {
  const requested = process.env.LEMOL_NOTEBOOK_SIZE?.trim() || fallback;
  if (!(NOTEBOOK_SIZES as readonly string[]).includes(requested)) {
    throw new Error(`LEMOL_NOTEBOOK_SIZE must be one of ${NOTEBOOK_SIZES.join(", ")} (got "${requested}")`);
  }
  const size = requested as NotebookSize;
  return { size, options: sizes[size] };
}

/**
 * A LeMOL vs MADDPG experiment on simple_push at each size (notebooks 03 and 04): `small` runs in
 * seconds (CI), `medium` uses the recorded run's settings (data/example-run: about a minute and a
 * half on 2 cores), `full` the original's defaults (10 cycles of 3 trajectories of 10,000 episodes).
 */
export const LEMOL_SIZES: Readonly<Record<NotebookSize, Readonly<ExperimentOptions>>> = {
  small: {
    num_episodes: 60,
    batch_size: 32,
    agent_update_freq: 5,
    num_units: 32,
    lstm_hidden_dim: 16,
    n_opp_cycles: 2,
    traj_per_iter: 2,
    om_training_iters: 2,
    chunk_length: 16,
    save_rate: 30,
  },
  medium: { ...EXAMPLE_RUN_SETTINGS, save_rate: 100 },
  full: {},
};
