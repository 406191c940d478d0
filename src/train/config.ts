/**
 * The experiment configuration: one typed schema with the names and defaults of the original
 * `train.py` flags (lemol-spec §7, the initial release's README column, with the later release's
 * options added), from which the CLI's parser, `lemol train --help`, the notebook API's option
 * checking and the type `ExperimentConfig` itself are all generated, so they cannot disagree.
 * `OPTIONS` gathers, in `--help` order, the experiment's own options and the lists each part
 * declares beside its config (the MADDPG family's, LeMOL's, PPO's, the UAV grid world's); adding
 * an option is one `opt(...)` in the list of the part that reads it (docs/contributing.md). An
 * option marked not implemented (none at present) is recognised and refused with a clear error,
 * never silently ignored.
 */

import * as os from "node:os";
import * as path from "node:path";
import { LEMOL_OPTIONS } from "../agents/lemol/flags.js";
import { MADDPG_OPTIONS, MAX_EPISODE_LEN, NUM_ADVERSARIES } from "../agents/maddpg-config.js";
import { PPO_OPTIONS } from "../agents/ppo/config.js";
import { UAV_OPTIONS } from "../envs/uav-options.js";
import { ConfigOf, OptionDef, configOf, opt } from "../util/options.js";

export type { OptionDef, OptionType } from "../util/options.js";

/** Every option, in `--help` order. */
export const OPTIONS = [
  // environment
  opt("scenario", "string", "simple_push", "MPE scenario (LeMOL needs a two-player one), or uav for the UAV grid world"),
  MAX_EPISODE_LEN,
  opt("num_episodes", "int", 10000, "episodes per trajectory (one full learning run of the opponent); 11024 with --revision head", { min: 1 }),
  NUM_ADVERSARIES,
  opt("good_policy", "string", "maddpg", "policy of the good agent; '_'-separated list to vary the opponent"),
  opt("bad_policy", "string", "lemol", "policy of the adversary; '_'-separated list to vary the opponent"),
  opt("discrete_actions", "boolean", false, "play one-hot actions (the env takes the arg-max); implies --train_lemol_om_on_oh"),
  opt(
    "discrete_messages",
    "boolean",
    false,
    "send the environment (and store) the one-hot of each sampled message instead of the soft sample, as maddpg-pytorch does; --discrete_actions one-hots the movement only",
  ),
  // training (the MADDPG family's: agents/maddpg-config.ts)
  ...MADDPG_OPTIONS,
  // LeMOL (agents/lemol/flags.ts)
  ...LEMOL_OPTIONS,
  // run, output, checkpoints
  opt("seed", "int", 71, "master seed of every random stream (the original fixes 71)", { min: 0, max: Number.MAX_SAFE_INTEGER }),
  opt("run_dir", "string", null, "run directory (default: runs/<exp_name>-<time>)"),
  opt("exp_name", "string", null, "experiment name (default: <bad_policy>_vs_<good_policy>_<scenario>; the original's was M3DDPG_Experiment whatever ran)", {
    computed: true,
  }),
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
  opt(
    "workers",
    "int",
    null,
    "worker processes for --parallel_trajectories and sweeps (default: the number of cores; with --parallel_trajectories, one per trajectory of a cycle when they number more than the cores but at most twice as many)",
    { min: 1, execution: true },
  ),
  opt(
    "checkpoint_replay",
    "boolean",
    false,
    "include the replay buffers in checkpoints (large; needed to resume mid-trajectory with exactly the numbers of an uninterrupted run)",
  ),
  // PPO (the later release's baseline: agents/ppo/config.ts)
  ...PPO_OPTIONS,
  // the UAV grid world (--scenario uav: envs/uav-options.ts)
  ...UAV_OPTIONS,
] as const;

export const OPTION_BY_NAME: ReadonlyMap<string, OptionDef> = new Map(OPTIONS.map((o): [string, OptionDef] => [o.name, o]));

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

/**
 * The experiment configuration, keys as the original's flags: one field per option of
 * {@link OPTIONS}, typed by its declaration (a number, a boolean, a string or one of its choices;
 * null where the default is null).
 */
export type ExperimentConfig = ConfigOf<typeof OPTIONS>;

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
  // (an option not implemented keeps its default: refused above unless given as it)
  for (const def of OPTIONS) if (!(def.name in out)) out[def.name] = def.name in release ? release[def.name] : def.default;
  const cfg: ExperimentConfig = configOf(OPTIONS, out);
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
