/**
 * The experiment configuration: one typed schema with the names and defaults of the original
 * `train.py` flags (lemol-spec §7, the initial release's README column, with the later release's
 * options added), from which the CLI's
 * parser, `lemol train --help` and the notebook API's option checking are all generated, so they
 * cannot disagree. An option marked not implemented (none at present) is recognised and refused
 * with a clear error, never silently ignored.
 */

import * as os from "node:os";
import * as path from "node:path";

export type OptionType = "string" | "int" | "number" | "boolean";

export interface OptionDef {
  name: string;
  type: OptionType;
  default: string | number | boolean | null;
  help: string;
  /** Inclusive bounds for numbers; `exclusiveMin` for strictly positive reals. */
  min?: number;
  max?: number;
  exclusiveMin?: number;
  choices?: readonly string[];
  /** False: recognised (the original has it) but not available yet; using it is an error. */
  implemented: boolean;
  /** Why it is not implemented, or where it will come from. */
  note?: string;
  /** How the run is executed, not what it computes (a resumed run may change it). */
  execution?: boolean;
}

const opt = (name: string, type: OptionType, def: OptionDef["default"], help: string, extra: Partial<OptionDef> = {}): OptionDef => ({
  name,
  type,
  default: def,
  help,
  implemented: true,
  ...extra,
});

/** Every option, in `--help` order. */
export const OPTIONS: readonly OptionDef[] = [
  // environment
  opt("scenario", "string", "simple_push", "MPE scenario (LeMOL needs a two-player one), or uav for the UAV grid world"),
  opt("max_episode_len", "int", 25, "steps per episode", { min: 1 }),
  opt("num_episodes", "int", 10000, "episodes per trajectory (one full learning run of the opponent); 11024 with --revision head", { min: 1 }),
  opt("num_adversaries", "int", 1, "number of adversaries (used for M3DDPG's sides)", { min: 0 }),
  opt("good_policy", "string", "maddpg", "policy of the good agent; '_'-separated list to vary the opponent"),
  opt("bad_policy", "string", "lemol", "policy of the adversary; '_'-separated list to vary the opponent"),
  opt("discrete_actions", "boolean", false, "play one-hot actions (the env takes the arg-max); implies --train_lemol_om_on_oh"),
  opt(
    "discrete_messages",
    "boolean",
    false,
    "send the environment (and store) the one-hot of each sampled message instead of the soft sample, as maddpg-pytorch does; --discrete_actions one-hots the movement only",
  ),
  // training
  opt("lr", "number", 1e-2, "learning rate of actors and critics", { exclusiveMin: 0 }),
  opt("gamma", "number", 0.95, "discount factor", { min: 0, max: 1 }),
  opt("batch_size", "int", 1024, "minibatch size; exploration lasts batch_size x max_episode_len steps", { min: 1 }),
  opt("num_units", "int", 64, "units per hidden layer of every MLP", { min: 1 }),
  opt("adv_eps", "number", 1e-3, "M3DDPG perturbation size for competitors", { min: 0 }),
  opt("adv_eps_s", "number", 1e-5, "M3DDPG perturbation size for collaborators", { min: 0 }),
  opt("agent_update_freq", "int", 1, "update every this many steps; also LeMOL's period F for the slow LSTM; 25 with --revision head", { min: 1 }),
  opt("polyak", "number", 1e-4, "target network update step", { min: 0, max: 1 }),
  opt("replay_buffer_capacity", "int", 1_000_000, "replay buffer capacity", { min: 1 }),
  opt(
    "grad_clip_global",
    "boolean",
    false,
    "MADDPG/DDPG/M3DDPG: clip the gradient norm (0.5) over all of a network's parameters, as maddpg-pytorch does, instead of each variable's, as openai/maddpg does",
  ),
  opt(
    "learning_starts",
    "int",
    null,
    "MADDPG/DDPG/M3DDPG update once the buffer holds this many transitions (default: --batch_size x --max_episode_len, as openai/maddpg; maddpg-pytorch starts at --batch_size)",
    { min: 1 },
  ),
  opt(
    "normalise_rewards",
    "boolean",
    false,
    "MADDPG, DDPG, M3DDPG and LeMOL: standardise each sampled batch's rewards by the mean and standard deviation of the agent's whole replay buffer, as maddpg-pytorch does (norm_rews); openai/maddpg uses the raw rewards",
  ),
  opt(
    "argmax_update_actions",
    "boolean",
    false,
    "MADDPG/DDPG/M3DDPG, as maddpg-pytorch: target actions and the other agents' actions in the actor's loss are the policies' arg-max one-hots, the agent's own a straight-through hard Gumbel-softmax sample (openai/maddpg: Gumbel samples and the buffer's actions); runs the update on tfjs ops",
  ),
  opt(
    "bootstrap_time_limit",
    "boolean",
    false,
    "store only the environment's done, so TD targets bootstrap through the time limit (openai/maddpg); by default the time limit counts as terminal, as LeMOL's code does. Learns far better on simple_spread: see docs/learning.md",
  ),
  opt("m3ddpg_adversarial_actor", "boolean", false, "M3DDPG: also perturb the actor's critic input, as the paper intends (the original's code does not)"),
  // LeMOL
  opt("omlr", "number", 1e-3, "opponent-model learning rate", { exclusiveMin: 0 }),
  opt("lstm_hidden_dim", "int", 64, "units of the opponent model's slow LSTM", { min: 1 }),
  opt("lstm_gate_activation", "string", "hard_sigmoid", "gate activation of the OM's LSTM: hard_sigmoid (TF1 CPU) or sigmoid (CuDNN)", {
    choices: ["hard_sigmoid", "sigmoid"],
  }),
  opt("lemol_save_path", "string", null, "directory for experience files (default: <run_dir>/experience)"),
  opt("chunk_length", "int", 64, "truncated-BPTT chunk length of OM training (steps)", { min: 1 }),
  opt("num_traj_to_train", "int", 8, "experience files sampled (with replacement) per OM training pass", { min: 1 }),
  opt("traj_per_iter", "int", 3, "trajectories per opponent per OM cycle", { min: 1 }),
  opt("om_training_iters", "int", 5, "OM training passes after each cycle", { min: 0 }),
  opt("n_opp_cycles", "int", 10, "OM cycles (play, then train the OM)", { min: 1 }),
  opt(
    "cycles_without_lemol",
    "boolean",
    false,
    "with no LeMOL agent, play --n_opp_cycles cycles of --traj_per_iter trajectories per opponent (no OM training) instead of the original's one: a control with the trajectories of a LeMOL run (a fresh opponent each, Adam state carried over, the same streams per trajectory)",
  ),
  opt("lemol_in_play_perf_log_freq", "int", 100, "log in-play OM accuracy every this many steps", { min: 1 }),
  opt("train_lemol_om_on_oh", "boolean", false, "train the OM on one-hot targets"),
  opt("feed_lemol_true_action", "boolean", false, "oracle: feed LeMOL the opponent's true action instead of the OM's prediction"),
  opt("lemol_true_action_feed_proportion", "number", 1.0, "oracle: probability of feeding the truth", { min: 0, max: 1 }),
  opt("feed_lemol_true_action_before", "int", 25, "oracle: feed the truth at episode steps before this"),
  opt("feed_lemol_true_action_after", "int", -1, "oracle: ... or after this"),
  opt("lemol_oracle_baseline_acc", "number", 0.55, "oracle (later release, --revision head): also feed the truth with this probability outside the window", {
    min: 0,
    max: 1,
  }),
  opt(
    "block_processing",
    "boolean",
    false,
    "LeMOL-EP: summarise each period of agent_update_freq steps with a bidirectional LSTM; the slow LSTM steps once per period; chunk_length counts periods",
  ),
  opt("episode_embedding_dim", "int", 128, "LeMOL-EP period summary size (even: half per direction)", { min: 2 }),
  opt(
    "recurrent_om_prediction",
    "boolean",
    false,
    "in-episode LSTM over LeMOL's observations for the OM prediction, reset each episode (needs --block_processing)",
  ),
  opt("in_ep_lstm_dim", "int", 32, "units of the in-episode LSTM", { min: 1 }),
  opt("ablate_lemol_lstm", "boolean", false, "ablation: the OM predicts from the observation only (no learning feature; the slow LSTM is not trained)"),
  opt("use_triplet_representation_loss", "boolean", false, "add the triplet representation loss on the slow LSTM's states to OM training"),
  opt("rep_loss_pos_dist", "int", 3, "triplet loss: maximum distance of a positive", { min: 1 }),
  opt("rep_loss_neg_dist", "int", 40, "triplet loss: distance of a negative (plus up to rep_loss_pos_dist)", { min: 1 }),
  opt("representation_loss_weight", "number", 0.1, "triplet loss weight", { min: 0 }),
  opt("representation_loss_decay_base", "number", 15, "triplet loss weight decay: weight x base / (base + chunk)", { exclusiveMin: 0 }),
  opt("decentralise_lemol_obs", "boolean", false, "LeMOL's critic sees only its own observation (and both actions)"),
  opt(
    "fully_decentralise_lemol",
    "boolean",
    false,
    "LeMOL uses no centralised information: the OM's predictions replace the opponent's target action and stored action in its update (implies --decentralise_lemol_obs)",
  ),
  opt(
    "use_alternative_lstm",
    "boolean",
    false,
    "the original's experimental slow-LSTM cell: an MLP on [opponent action ‖ h] feeds a learning feature into each step (per-step model only; the first release's --use_standard_lstm off)",
  ),
  opt("learning_feature_dim", "int", 64, "learning-feature size of the alternative cell", { min: 1 }),
  opt("skip_to_om_training", "boolean", false, "skip play in every cycle and train the OM on the experience files already in --lemol_save_path"),
  opt("skip_to_om_training_first_cycle", "boolean", false, "skip play in cycle 0 only"),
  opt("log_om_influence", "boolean", false, "log the OM's influence on LeMOL's policy, mean((d logits / d m)^2)"),
  opt("log_om_influence_freq", "int", 5, "... every this many steps", { min: 1 }),
  opt(
    "revision",
    "string",
    "init",
    "which release to follow: its OM alignment and its cadence defaults. init (the seed): 10000 episodes, an update every step; head (the later release): 11024 episodes (1024 of exploration), an update every 25 steps. Given --num_episodes / --agent_update_freq win",
    { choices: ["init", "head"] },
  ),
  // run, output, checkpoints
  opt("seed", "int", 71, "master seed of every random stream (the original fixes 71)", { min: 0, max: Number.MAX_SAFE_INTEGER }),
  opt("run_dir", "string", null, "run directory (default: runs/<exp_name>-<time>)"),
  opt("exp_name", "string", null, "experiment name (default: <bad_policy>_vs_<good_policy>_<scenario>; the original's was M3DDPG_Experiment whatever ran)"),
  opt("save_dir", "string", null, "checkpoint directory (default: <run_dir>/checkpoints)"),
  opt("save_rate", "int", 1000, "print a summary and checkpoint every this many episodes", { min: 1 }),
  // evaluating loaded policies (the original's loading is undone by re-initialisation; here it is not)
  opt("test", "boolean", false, "evaluate loaded policies: play the schedule's trajectories once, without learning"),
  opt("display", "boolean", false, "as --test, and write an HTML animation of each trajectory's first episode to <run_dir>/display/"),
  opt("benchmark", "boolean", false, "as --test, and record the scenario's benchmark data for --benchmark_iters steps to <run_dir>/benchmark.json"),
  opt("benchmark_iters", "int", 100000, "steps recorded by --benchmark", { min: 1 }),
  opt("load_name", "string", null, "with --test/--display/--benchmark: a run directory or checkpoint to load every agent from"),
  opt("load_good", "string", null, "... to load the good agents from (the others keep their fresh weights unless --load_name)"),
  opt("load_bad", "string", null, "... to load the bad agents from"),
  opt(
    "parallel_trajectories",
    "boolean",
    false,
    "run the trajectories of an OM cycle in parallel (on --workers processes): each starts from the cycle's starting optimiser state, with random streams of its own, so results do not depend on the number of workers (a deviation: the original carries Adam state from trajectory to trajectory)",
  ),
  opt("workers", "int", null, "worker processes for --parallel_trajectories and sweeps (default: the number of cores)", { min: 1, execution: true }),
  opt(
    "checkpoint_replay",
    "boolean",
    false,
    "include the replay buffers in checkpoints (large; needed to resume mid-trajectory with exactly the numbers of an uninterrupted run)",
  ),
  // PPO (the later release's baseline; a correct PPO, see src/agents/ppo.ts)
  opt("ppo_lambda", "number", 0.97, "PPO: GAE lambda", { min: 0, max: 1 }),
  opt("ppo_pi_lr", "number", 3e-4, "PPO: policy learning rate", { exclusiveMin: 0 }),
  opt("ppo_vf_lr", "number", 1e-3, "PPO: value learning rate", { exclusiveMin: 0 }),
  opt("ppo_target_kl", "number", 0.01, "PPO: stop the policy steps of an update when the approximate KL exceeds 1.5 x this", { exclusiveMin: 0 }),
  opt("ppo_clip_ratio", "number", 0.2, "PPO: clip ratio of the surrogate objective", { exclusiveMin: 0 }),
  opt("ppo_train_cycles", "int", 80, "PPO: maximum policy steps, and value steps, per update", { min: 1 }),
  opt("ppo_history_length", "int", 250, "PPO: steps collected per update", { min: 1 }),
  opt("verbose_ppo", "boolean", false, "PPO: print early stops on the KL"),
  // the UAV grid world (--scenario uav)
  opt("uav_grid_height", "int", 3, "UAV grid rows (at least 2)", { min: 2 }),
  opt("uav_grid_width", "int", 3, "UAV grid columns (at least 2)", { min: 2 }),
  opt("uav_seeker_noise", "number", 0.3, "UAV: probability that the seeker's reading of the target is wrong", { min: 0, max: 1 }),
  opt("uav_target_noise", "number", 0.45, "UAV: probability that the target's reading of the seeker is wrong", { min: 0, max: 1 }),
  opt("uav_listen_imp", "number", 0.1, "UAV: how much staying put (listening) lowers the noise (the original ignored this option)"),
  opt("uav_reward_scale", "number", 1.0, "UAV: reward for finding / escaping"),
];

export const OPTION_BY_NAME: ReadonlyMap<string, OptionDef> = new Map(OPTIONS.map((o) => [o.name, o]));

/**
 * The option table of docs/options.md (between `<!-- options:begin -->` and `<!-- options:end -->`),
 * generated from the schema so that it cannot disagree with `--help` (a test compares them;
 * `npm run docs:options` rewrites it).
 */
export function optionsMarkdownTable(): string {
  const cell = (v: string) => v.replace(/\|/g, "\\|");
  const rows = OPTIONS.map(
    (o) => `| \`--${o.name}\` | ${o.default === null ? "—" : `\`${o.default}\``} | ${o.implemented ? "yes" : "not yet"} | ${cell(o.help)} |`,
  );
  return ["| option | default | supported | what it does |", "|---|---|---|---|", ...rows].join("\n");
}

/** The experiment configuration, keys as the original's flags. */
export interface ExperimentConfig {
  scenario: string;
  max_episode_len: number;
  num_episodes: number;
  num_adversaries: number;
  good_policy: string;
  bad_policy: string;
  discrete_actions: boolean;
  discrete_messages: boolean;
  lr: number;
  gamma: number;
  batch_size: number;
  num_units: number;
  adv_eps: number;
  adv_eps_s: number;
  agent_update_freq: number;
  polyak: number;
  replay_buffer_capacity: number;
  learning_starts: number | null;
  grad_clip_global: boolean;
  normalise_rewards: boolean;
  argmax_update_actions: boolean;
  bootstrap_time_limit: boolean;
  m3ddpg_adversarial_actor: boolean;
  omlr: number;
  lstm_hidden_dim: number;
  lstm_gate_activation: "hard_sigmoid" | "sigmoid";
  lemol_save_path: string | null;
  chunk_length: number;
  num_traj_to_train: number;
  traj_per_iter: number;
  om_training_iters: number;
  n_opp_cycles: number;
  cycles_without_lemol: boolean;
  lemol_in_play_perf_log_freq: number;
  train_lemol_om_on_oh: boolean;
  feed_lemol_true_action: boolean;
  lemol_true_action_feed_proportion: number;
  feed_lemol_true_action_before: number;
  feed_lemol_true_action_after: number;
  lemol_oracle_baseline_acc: number;
  block_processing: boolean;
  episode_embedding_dim: number;
  recurrent_om_prediction: boolean;
  in_ep_lstm_dim: number;
  ablate_lemol_lstm: boolean;
  use_triplet_representation_loss: boolean;
  rep_loss_pos_dist: number;
  rep_loss_neg_dist: number;
  representation_loss_weight: number;
  representation_loss_decay_base: number;
  decentralise_lemol_obs: boolean;
  fully_decentralise_lemol: boolean;
  use_alternative_lstm: boolean;
  learning_feature_dim: number;
  skip_to_om_training: boolean;
  skip_to_om_training_first_cycle: boolean;
  log_om_influence: boolean;
  log_om_influence_freq: number;
  ppo_lambda: number;
  ppo_pi_lr: number;
  ppo_vf_lr: number;
  ppo_target_kl: number;
  ppo_clip_ratio: number;
  ppo_train_cycles: number;
  ppo_history_length: number;
  verbose_ppo: boolean;
  uav_grid_height: number;
  uav_grid_width: number;
  uav_seeker_noise: number;
  uav_target_noise: number;
  uav_listen_imp: number;
  uav_reward_scale: number;
  revision: "init" | "head";
  seed: number;
  run_dir: string | null;
  exp_name: string;
  save_dir: string | null;
  save_rate: number;
  checkpoint_replay: boolean;
  parallel_trajectories: boolean;
  workers: number | null;
  test: boolean;
  display: boolean;
  benchmark: boolean;
  benchmark_iters: number;
  load_name: string | null;
  load_good: string | null;
  load_bad: string | null;
}

/** How messages name options: `--num_episodes` on the command line, `num_episodes` from the API (the default). */
let optionSyntax: "cli" | "api" = "api";

/** Set by `lemol`'s command line: messages then name options as flags. */
export function setOptionSyntax(syntax: "cli" | "api"): void {
  optionSyntax = syntax;
}

/** The syntax of the front end in use (see setOptionSyntax). */
export function optionSyntaxInUse(): "cli" | "api" {
  return optionSyntax;
}

/** A message written with flags, in the syntax of the front end in use (see setOptionSyntax). */
export function inOptionSyntax(message: string): string {
  return optionSyntax === "api" ? apiSyntax(message) : message;
}

/** The command line's flags in a message, as the API says them. */
function apiSyntax(message: string): string {
  return message
    .replace(/--restore <run_dir>/g, "Experiment.restore(run_dir)")
    .replace(/--([a-z][a-z0-9_]*)/g, (flag, name: string) => (OPTION_BY_NAME.has(name) ? name : flag));
}

/**
 * A bad option value or combination: one line naming the option and what is expected. Messages
 * are written with flags (`--num_episodes`); from the API they name the option as a key instead.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(inOptionSyntax(message));
    this.name = "ConfigError";
  }
}

/** Checks one value against its option definition; returns it converted, or throws a ConfigError. */
/** A value as an error message shows it (JSON, except what JSON cannot say: NaN, Infinity, undefined, functions). */
function shown(value: unknown): string {
  if (typeof value === "number" || typeof value === "undefined" || typeof value === "function" || typeof value === "bigint" || typeof value === "symbol")
    return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function checkOptionValue(def: OptionDef, value: unknown, flag = `--${def.name}`): string | number | boolean | null {
  if (value === null && def.default === null) return null;
  switch (def.type) {
    case "boolean":
      if (typeof value !== "boolean") throw new ConfigError(`${flag}: expected true or false, got ${shown(value)}`);
      return value;
    case "string":
      if (typeof value !== "string") throw new ConfigError(`${flag}: expected a string, got ${shown(value)}`);
      if (def.choices && !def.choices.includes(value)) throw new ConfigError(`${flag}: "${value}" is not one of ${def.choices.join(", ")}`);
      return value;
    case "int":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new ConfigError(`${flag}: expected a finite number, got ${shown(value)}`);
      if (def.type === "int" && !Number.isInteger(value)) throw new ConfigError(`${flag}: expected an integer, got ${value}`);
      if (def.min !== undefined && value < def.min) throw new ConfigError(`${flag}: must be >= ${def.min}, got ${value}`);
      if (def.max !== undefined && value > def.max) throw new ConfigError(`${flag}: must be <= ${def.max}, got ${value}`);
      if (def.exclusiveMin !== undefined && value <= def.exclusiveMin) throw new ConfigError(`${flag}: must be > ${def.exclusiveMin}, got ${value}`);
      return value;
    }
  }
}

/** The full configuration with defaults, from partial options (notebook API or parsed CLI flags). */
export function resolveConfig(partial: Record<string, unknown> = {}): ExperimentConfig {
  if (typeof partial !== "object" || partial === null || Array.isArray(partial)) {
    throw new ConfigError(`options must be an object of option names and values (e.g. { scenario: "simple_push" }), got ${shown(partial)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    const def = OPTION_BY_NAME.get(name);
    if (!def) throw new ConfigError(`unknown option "${name}"`);
    if (!def.implemented) {
      if (value === def.default) continue; // an explicit default changes nothing
      throw new ConfigError(`--${name}: ${def.note ?? "not implemented yet"}`);
    }
    out[name] = checkOptionValue(def, value);
  }
  // options not given take the chosen release's default where the releases differ, else the option's
  const release = REVISION_DEFAULTS[(out.revision as Revision | undefined) ?? "init"] as Record<string, unknown>;
  for (const def of OPTIONS) if (def.implemented && !(def.name in out)) out[def.name] = def.name in release ? release[def.name] : def.default;
  const cfg = out as unknown as ExperimentConfig;
  cfg.exp_name ??= `${cfg.bad_policy}_vs_${cfg.good_policy}_${cfg.scenario}`;
  // the name becomes a directory under runs/: it must stay one directory there
  if (cfg.exp_name === "" || cfg.exp_name === "." || cfg.exp_name === ".." || /[/\\\0]/.test(cfg.exp_name))
    throw new ConfigError(`--exp_name: must name one directory under runs/ (no "/", "\\", "." or ".."), got ${JSON.stringify(cfg.exp_name)}`);
  for (const name of ["run_dir", "save_dir", "lemol_save_path"] as const)
    if (cfg[name]?.trim() === "") throw new ConfigError(`--${name}: an empty path (it would write into the working directory); leave it out for the default`);
  if (cfg.discrete_actions) cfg.train_lemol_om_on_oh = true; // as the original's __main__ does
  if (cfg.fully_decentralise_lemol) cfg.decentralise_lemol_obs = true; // as the later release's __main__ does
  if (cfg.recurrent_om_prediction && !cfg.block_processing) {
    throw new ConfigError("--recurrent_om_prediction needs --block_processing: the in-episode LSTM restarts every period, and only LeMOL-EP has periods");
  }
  if (cfg.use_alternative_lstm && cfg.block_processing)
    throw new ConfigError("--use_alternative_lstm is a cell of the per-step opponent model: it does not combine with --block_processing");
  if (cfg.block_processing && cfg.episode_embedding_dim % 2 !== 0) {
    throw new ConfigError(`--episode_embedding_dim: must be even (half for each direction of the bidirectional LSTM), got ${cfg.episode_embedding_dim}`);
  }
  checkSizes(cfg);
  if (cfg.use_triplet_representation_loss && cfg.chunk_length < cfg.rep_loss_neg_dist + cfg.rep_loss_pos_dist) {
    throw new ConfigError(
      `--use_triplet_representation_loss: a chunk of --chunk_length ${cfg.chunk_length} ${cfg.block_processing ? "periods" : "steps"} is too short for --rep_loss_neg_dist ${cfg.rep_loss_neg_dist} + --rep_loss_pos_dist ${cfg.rep_loss_pos_dist}`,
    );
  }
  return cfg;
}

type Revision = "init" | "head";

/**
 * The defaults each release's code uses where they differ (lemol-spec §7): the later release runs
 * 11,024 episodes (1,024 of exploration, then 10,000 learning) and updates every 25 steps. Where
 * the initial release's code and README differ, lemol follows the README, which describes its
 * experiment: `--lstm_hidden_dim` 64 (code: 32), as the later release's code also has, and
 * `--learning_feature_dim` 64 (the later release's; the initial code's 32 is for a cell it
 * never uses by default).
 */
export const REVISION_DEFAULTS: Readonly<Record<Revision, Partial<ExperimentConfig>>> = {
  init: { num_episodes: 10000, agent_update_freq: 1 },
  head: { num_episodes: 11024, agent_update_freq: 25 },
};

/** Above this many steps an episode or a trajectory is surely a typo (1e15) rather than an experiment. */
const MAX_STEPS = 1e9;

/**
 * Sizes that cannot work, refused before anything is allocated: networks too large for this
 * machine's memory (named with the memory they would need), a replay buffer too small for
 * learning ever to start, episodes or trajectories of absurd length.
 */
function checkSizes(cfg: ExperimentConfig): void {
  if (cfg.max_episode_len > MAX_STEPS)
    throw new ConfigError(`--max_episode_len: ${cfg.max_episode_len} steps per episode is more than ${MAX_STEPS.toExponential()}`);
  const trajectory = cfg.num_episodes * cfg.max_episode_len;
  if (trajectory > MAX_STEPS)
    throw new ConfigError(
      `--num_episodes ${cfg.num_episodes} x --max_episode_len ${cfg.max_episode_len} = ${trajectory.toExponential(2)} steps per trajectory, more than ${MAX_STEPS.toExponential()}`,
    );
  const exploration = cfg.batch_size * cfg.max_episode_len;
  if (exploration > cfg.replay_buffer_capacity) {
    throw new ConfigError(
      `learning would never start: it waits for --batch_size ${cfg.batch_size} x --max_episode_len ${cfg.max_episode_len} = ${exploration} transitions, more than --replay_buffer_capacity ${cfg.replay_buffer_capacity} holds`,
    );
  }
  if (cfg.learning_starts !== null && cfg.learning_starts > cfg.replay_buffer_capacity) {
    throw new ConfigError(
      `learning would never start: --learning_starts ${cfg.learning_starts} is more transitions than --replay_buffer_capacity ${cfg.replay_buffer_capacity} holds`,
    );
  }
  checkNetworkMemory(cfg, os.totalmem() / 2 ** 30, "this machine's");
}

/**
 * Refuses network sizes whose weights would not fit in `limitGiB` (`whose`: "this machine's", or
 * the backend's heap): a hidden layer's weights (units x units floats) exist ~16 times per agent —
 * 4 networks, each with 2 Adam moments, plus gradients and the acting copy; the LSTMs' 4 gates likewise.
 */
export function checkNetworkMemory(cfg: ExperimentConfig, limitGiB: number, whose: string): void {
  const gib = (floats: number) => (floats * 4 * 16) / 2 ** 30;
  for (const [name, floats] of [
    ["num_units", cfg.num_units ** 2],
    ["lstm_hidden_dim", 8 * cfg.lstm_hidden_dim ** 2],
    ["episode_embedding_dim", 8 * cfg.episode_embedding_dim ** 2],
    ["in_ep_lstm_dim", 8 * cfg.in_ep_lstm_dim ** 2],
    ["learning_feature_dim", 8 * cfg.learning_feature_dim ** 2],
  ] as const) {
    if (gib(floats) > limitGiB)
      throw new ConfigError(
        `--${name} ${cfg[name]}: the networks would need about ${gib(floats).toFixed(gib(floats) < 10 ? 1 : 0)} GiB of memory, more than ${whose} ${limitGiB.toFixed(0)} GiB`,
      );
  }
}

/** Paths in the config made absolute, so a run can be resumed from any working directory. */
export function absolutePaths(cfg: ExperimentConfig): ExperimentConfig {
  const abs = (p: string | null) => (p === null ? null : path.resolve(p));
  return {
    ...cfg,
    run_dir: abs(cfg.run_dir),
    lemol_save_path: abs(cfg.lemol_save_path),
    save_dir: abs(cfg.save_dir),
    load_name: abs(cfg.load_name),
    load_good: abs(cfg.load_good),
    load_bad: abs(cfg.load_bad),
  };
}

/** The `_`-separated policy lists and which side varies (lemol-spec §2.1 item 4). */
export function policyLists(cfg: ExperimentConfig): { bad: string[]; good: string[]; varying: "good" | "bad" | null } {
  const bad = cfg.bad_policy.split("_").filter((s) => s.length > 0);
  const good = cfg.good_policy.split("_").filter((s) => s.length > 0);
  if (bad.length === 0) throw new ConfigError("--bad_policy: empty");
  if (good.length === 0) throw new ConfigError("--good_policy: empty");
  if (good.length > 1 && bad.length > 1) throw new ConfigError("only one side may list several policies (--good_policy or --bad_policy, not both)");
  for (const side of [bad, good]) {
    const seen = new Set<string>();
    for (const p of side) {
      if (seen.has(p)) throw new ConfigError(`policy "${p}" is listed twice on one side`);
      seen.add(p);
    }
  }
  return { bad, good, varying: good.length > 1 ? "good" : bad.length > 1 ? "bad" : null };
}
