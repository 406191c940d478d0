/**
 * The UAV grid world's options (`--scenario uav`; the last group of `lemol train --help`): each
 * names the {@link UAVOptions} field it sets (`key`), so the experiment maps them with one generic
 * function (`uavOptionsOf`), and a key that is not a field of UAVOptions fails to compile.
 */
import { AsFieldsOf, ConfigOf, KeyedConfigOf, keyedConfig, opt } from "../util/options.js";
import type { UAVOptions } from "./uav.js";

export const UAV_OPTIONS = [
  opt("uav_grid_height", "int", 3, "UAV grid rows (at least 2)", { min: 2, key: "height" }),
  opt("uav_grid_width", "int", 3, "UAV grid columns (at least 2)", { min: 2, key: "width" }),
  opt("uav_seeker_noise", "number", 0.3, "UAV: probability that the seeker's reading of the target is wrong", { min: 0, max: 1, key: "seekerNoise" }),
  opt("uav_target_noise", "number", 0.45, "UAV: probability that the target's reading of the seeker is wrong", { min: 0, max: 1, key: "targetNoise" }),
  opt("uav_listen_imp", "number", 0.1, "UAV: how much staying put (listening) lowers the noise (the original ignored this option)", {
    key: "listenImprovement",
  }),
  opt("uav_reward_scale", "number", 1.0, "UAV: reward for finding / escaping", { key: "rewardScale" }),
] as const;

/** The UAV env's options from the experiment's (its episode length and seed aside). */
export function uavOptionsOf(cfg: ConfigOf<typeof UAV_OPTIONS>): AsFieldsOf<KeyedConfigOf<typeof UAV_OPTIONS>, UAVOptions> {
  return keyedConfig(UAV_OPTIONS, cfg);
}
