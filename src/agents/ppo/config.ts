/**
 * PPO's options and the config they make: each option names the `PPOConfig` field it sets
 * (`key`), so the config type, its defaults, `lemol train --help` and the experiment's mapping
 * (`keyedConfig`) all come from this list. Adding a hyperparameter is one `opt(...)` here.
 */
import { AGENT_UPDATE_FREQ, GAMMA, MAX_EPISODE_LEN, NUM_UNITS, REPLAY_BUFFER_CAPACITY } from "../maddpg-config.js";
import { KeyedConfigOf, keyedConfig, opt } from "../../util/options.js";

/** PPO's own options (the later release's baseline; a correct PPO, see agent.ts), in `--help` order. */
export const PPO_OPTIONS = [
  opt("ppo_lambda", "number", 0.97, "PPO: GAE lambda", { min: 0, max: 1, key: "lambda" }),
  opt("ppo_pi_lr", "number", 3e-4, "PPO: policy learning rate", { exclusiveMin: 0, key: "piLr" }),
  opt("ppo_vf_lr", "number", 1e-3, "PPO: value learning rate", { exclusiveMin: 0, key: "vfLr" }),
  opt("ppo_target_kl", "number", 0.01, "PPO: stop the policy steps of an update when the approximate KL exceeds 1.5 x this", {
    exclusiveMin: 0,
    key: "targetKl",
  }),
  opt("ppo_clip_ratio", "number", 0.2, "PPO: clip ratio of the surrogate objective", { exclusiveMin: 0, key: "clipRatio" }),
  opt("ppo_train_cycles", "int", 80, "PPO: maximum policy steps, and value steps, per update", { min: 1, key: "trainCycles" }),
  opt("ppo_history_length", "int", 250, "PPO: steps collected per update", { min: 1, key: "historyLength" }),
  // an update that stops early on the KL says so (its stats carry the line)
  opt("verbose_ppo", "boolean", false, "PPO: print early stops on the KL", { key: "verbose" }),
] as const;

/** Every option PPO's config reads: the training options it shares with MADDPG, and its own. */
export const PPO_FLAGS = [GAMMA, NUM_UNITS, MAX_EPISODE_LEN, AGENT_UPDATE_FREQ, REPLAY_BUFFER_CAPACITY, ...PPO_OPTIONS] as const;

/**
 * PPO's hyperparameters: one field per option of {@link PPO_FLAGS} (named by its `key`; its help
 * says what it does), and the action kind, which the environment decides (`oneHotRule`).
 */
export type PPOConfig = KeyedConfigOf<typeof PPO_FLAGS> & {
  /** Categorical policy with one-hot actions (the env plays arg-max actions); otherwise Gaussian with soft actions. */
  discrete: boolean;
};

/** The options' defaults as a config. */
export const PPO_DEFAULTS: Readonly<PPOConfig> = { ...keyedConfig(PPO_FLAGS), discrete: false };
