/**
 * From a configuration to what an experiment plays (lemol-spec §2.1): the environment (an MPE
 * scenario, or the UAV grid world), the checks of option combinations that need it, and every
 * learner, built once — per policy of each side, one per agent of that side — with the options
 * translated into each algorithm's own typed config by the options' declarations (`keyedConfig`:
 * each algorithm lists its options beside its config), built by the one learner factory
 * (`createLearner`). Adding an option is one `opt(...)` where its algorithm declares its options.
 */
import { LeMOLAgentTrainer } from "../agents/lemol/agent.js";
import { lemolOptionsOf } from "../agents/lemol/flags.js";
import { chunkPlan } from "../agents/lemol/om-training.js";
import type { Learner } from "../agents/learner.js";
import { MADDPG_FLAGS, MADDPGConfig } from "../agents/maddpg-config.js";
import { checkPolicy, createLearner, MADDPG_FAMILY, PolicyName } from "../agents/policies.js";
import { PPO_FLAGS, PPOConfig } from "../agents/ppo/config.js";
import { MultiAgentEnv } from "../envs/env.js";
import { OneHotRule, oneHotRule } from "../envs/one-hot.js";
import { getScenario } from "../envs/scenarios/index.js";
import { UAVEnv } from "../envs/uav.js";
import { uavOptionsOf } from "../envs/uav-options.js";
import { keyedConfig } from "../util/options.js";
import { Rng } from "../util/rng.js";
import { ConfigError, ExperimentConfig, policyLists } from "./config.js";
import { OMPhase } from "./om-phase.js";
import { Schedule } from "./schedule.js";

export { lemolOptionsOf } from "../agents/lemol/flags.js";

/** What a configuration builds. */
export interface RunSetup {
  env: MultiAgentEnv | UAVEnv;
  /** Per agent: whether it is an adversary ("bad"). */
  adversary: boolean[];
  policies: { bad: string[]; good: string[]; varying: "good" | "bad" | null };
  /** Evaluating loaded policies (`test`, `display`, `benchmark`): no learning, no OM training. */
  evaluating: boolean;
  lemolPresent: boolean;
  /** Which actions are one-hot: played as arg-max, stored one-hot, messages sent one-hot (the one rule, envs/one-hot.ts). */
  oneHot: OneHotRule;
  /** Episodes can end early (UAV): LeMOL's periods follow episodes. */
  episodicPeriods: boolean;
  /** `batch_size × max_episode_len`. */
  explorationSteps: number;
  cycles: number;
  /** Opponents in turn: the length of the varying side's policy list. */
  opponents: number;
  /** Every learner by `<policy>/<agent index>`. */
  trainers: Map<string, Learner>;
  /** Cycles, trajectories and OM phases in order. */
  schedule: Schedule;
  /** The cycle's OM training over LeMOL's learners, and its file-sampling stream. */
  omPhase: OMPhase;
  omRng: Rng;
}

/** The MADDPG family's config from the experiment's options (each option of MADDPG_FLAGS with a `key`). */
export function maddpgConfigOf(cfg: ExperimentConfig): Partial<MADDPGConfig> {
  return keyedConfig(MADDPG_FLAGS, cfg);
}

/** PPO's config from the experiment's options (each option of PPO_FLAGS with a `key`). */
export function ppoConfigOf(cfg: ExperimentConfig): Partial<PPOConfig> {
  return keyedConfig(PPO_FLAGS, cfg);
}

function buildEnv(cfg: ExperimentConfig, uav: boolean): MultiAgentEnv | UAVEnv {
  const seed = Rng.stream(cfg.seed, "env").int(2 ** 31);
  if (uav) {
    if (cfg.benchmark) throw new ConfigError("--benchmark: the UAV grid world records no benchmark data");
    try {
      return new UAVEnv({ ...uavOptionsOf(cfg), maxEpisodeLen: cfg.max_episode_len, seed });
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  const scenario = getScenario(cfg.scenario);
  try {
    return new MultiAgentEnv(scenario, { seed, forceDiscreteAction: cfg.discrete_actions, benchmark: cfg.benchmark });
  } catch (err) {
    if (cfg.benchmark) throw new ConfigError(`--benchmark: ${(err as Error).message}`);
    throw err;
  }
}

/** Checks that OM training can work with trajectories of this size (or warns where episode lengths vary). */
function checkOMTrainingFits(cfg: ExperimentConfig, explorationSteps: number, uav: boolean, warn: (line: string) => void): void {
  const trajectorySteps = cfg.num_episodes * cfg.max_episode_len;
  if (!uav) {
    // LeMOL-EP counts chunks in periods and follows the later release's data handling
    const chunkSteps = cfg.block_processing ? cfg.chunk_length * cfg.agent_update_freq : cfg.chunk_length;
    const plan = chunkPlan(trajectorySteps, explorationSteps, chunkSteps, cfg.block_processing ? "head" : cfg.revision);
    if (plan.chunks === 0) {
      throw new ConfigError(
        `--chunk_length ${cfg.chunk_length}${cfg.block_processing ? ` periods of ${cfg.agent_update_freq} steps` : ""} is larger than what a trajectory leaves for OM training (${trajectorySteps} steps - ${explorationSteps} exploration = ${Math.max(0, plan.length)}); raise --num_episodes or lower --batch_size/--chunk_length`,
      );
    }
    return;
  }
  // UAV episodes end when the target is found: a trajectory's length is known only once played
  const chunkSteps = cfg.block_processing ? cfg.chunk_length * cfg.max_episode_len : cfg.chunk_length;
  const needed = explorationSteps + chunkSteps;
  if (trajectorySteps < needed) {
    throw new ConfigError(
      `--num_episodes ${cfg.num_episodes}: even if no episode ends early, a trajectory has at most ${trajectorySteps} steps, fewer than OM training needs (${explorationSteps} exploration + ${chunkSteps} for one chunk); raise --num_episodes or lower --batch_size/--chunk_length`,
    );
  }
  if (cfg.num_episodes < needed) {
    warn(
      `warning: UAV episodes end early, so a trajectory of ${cfg.num_episodes} episodes lasts between ${cfg.num_episodes} and ${trajectorySteps} steps; OM training needs more than ${needed} (${explorationSteps} exploration + ${chunkSteps} for one chunk), so the first OM training may find the trajectories too short (raise --num_episodes or lower --batch_size to be sure)`,
    );
  }
}

/**
 * The cycles `cfg` plays (lemol-spec §2.2): `n_opp_cycles` with a LeMOL agent, else the original's
 * one — or, with `--cycles_without_lemol` (a control), as many as a LeMOL run; one when evaluating
 * (each pairing's trajectories once, without OM training in between).
 */
export function scheduledCycles(cfg: Readonly<ExperimentConfig>): number {
  const policies = policyLists(cfg);
  const lemolPresent = [...policies.bad, ...policies.good].includes("lemol");
  const evaluating = cfg.test || cfg.display || cfg.benchmark;
  return !evaluating && (lemolPresent || cfg.cycles_without_lemol) ? cfg.n_opp_cycles : 1;
}

/**
 * The checks of a run's options that need the environment but no learner (what `lemol sweep`
 * checks of each run before queueing it, as `lemol train` would), and what they found.
 */
export function checkRun(cfg: ExperimentConfig, warn: (line: string) => void) {
  const uav = cfg.scenario.startsWith("uav");
  const policies = policyLists(cfg);
  for (const p of [...policies.bad, ...policies.good]) {
    try {
      checkPolicy(p);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  const evaluating = cfg.test || cfg.display || cfg.benchmark;
  const loads = cfg.load_name !== null || cfg.load_good !== null || cfg.load_bad !== null;
  if (loads && !evaluating)
    throw new ConfigError(
      "--load_name/--load_good/--load_bad evaluate trained policies with --test, --display or --benchmark; to continue a run use --restore <run_dir>",
    );
  if (evaluating && !loads)
    throw new ConfigError("--test/--display/--benchmark evaluate loaded policies: give --load_name <run_dir or checkpoint> (or --load_good / --load_bad)");
  const env = buildEnv(cfg, uav);
  const adversary = env instanceof UAVEnv ? [...env.adversary] : Array.from(env.world.layout.adversary, (x) => x === 1);
  // the env plays arg-max actions with --discrete_actions, and always in the UAV grid world
  const oneHot = oneHotRule(env, { discreteMessages: cfg.discrete_messages });
  const discrete = oneHot.discrete;
  const lemolPresent = [...policies.bad, ...policies.good].includes("lemol");
  if (lemolPresent) {
    if (env.n !== 2) throw new ConfigError(`LeMOL needs a two-player scenario; ${cfg.scenario} has ${env.n} agents`);
    if (policies.bad.includes("lemol") && policies.good.includes("lemol")) throw new ConfigError("LeMOL can play only one side");
  }
  const explorationSteps = cfg.batch_size * cfg.max_episode_len;
  const omTraining = lemolPresent && !evaluating && !cfg.feed_lemol_true_action && cfg.om_training_iters > 0;
  if (omTraining) checkOMTrainingFits(cfg, explorationSteps, uav, warn);
  if ((cfg.skip_to_om_training || cfg.skip_to_om_training_first_cycle) && !omTraining) {
    throw new ConfigError(
      "--skip_to_om_training skips play to train the opponent model: it needs a LeMOL agent, --om_training_iters > 0, and neither oracle mode nor an evaluation mode",
    );
  }
  if (cfg.argmax_update_actions) {
    const others = [...policies.bad, ...policies.good].filter((p) => !(MADDPG_FAMILY as readonly string[]).includes(p));
    if (others.length > 0)
      throw new ConfigError(`--argmax_update_actions is implemented for MADDPG, DDPG and M3DDPG only; this run also plays ${[...new Set(others)].join(", ")}`);
  }
  if (cfg.input_batchnorm && lemolPresent)
    throw new ConfigError("--input_batchnorm is implemented for MADDPG, DDPG and M3DDPG only; this run also plays lemol");
  // distinct indices need a buffer of at least one batch when the first update draws (ReplayBuffer.makeDistinctIndex)
  if (cfg.sample_without_replacement && (cfg.learning_starts ?? explorationSteps) < cfg.batch_size)
    throw new ConfigError(
      `--sample_without_replacement draws --batch_size (${cfg.batch_size}) distinct transitions: --learning_starts (${cfg.learning_starts}) must be at least that`,
    );
  if (cfg.cycles_without_lemol && evaluating)
    throw new ConfigError("--cycles_without_lemol repeats training cycles; --test/--display/--benchmark play each pairing's trajectories once");
  return { uav, policies, evaluating, env, adversary, discrete, oneHot, lemolPresent, explorationSteps, omTraining };
}

/** Builds what `cfg` plays; throws a ConfigError for a combination that cannot work. `warn` gets warnings. */
export function buildRun(cfg: ExperimentConfig, warn: (line: string) => void): RunSetup {
  const { uav, policies, evaluating, env, adversary, discrete, oneHot, lemolPresent, explorationSteps, omTraining } = checkRun(cfg, warn);

  // all learners are built once (lemol-spec §2.1): per policy of each side, one per agent of that side
  const trainers = new Map<string, Learner>();
  const config = maddpgConfigOf(cfg);
  const lemol = lemolOptionsOf(cfg, discrete, uav);
  const ppo = ppoConfigOf(cfg);
  for (let i = 0; i < env.n; i++) {
    const side = adversary[i] ? "bad" : "good";
    for (const policy of policies[side]) {
      const varying = policies.varying === side;
      const learner = createLearner({ policy: policy as PolicyName, env, agentIndex: i, side, varying, seed: cfg.seed, config, lemol, ppo });
      trainers.set(`${policy}/${i}`, learner);
    }
  }
  const cycles = scheduledCycles(cfg);
  const opponents = Math.max(policies.bad.length, policies.good.length);
  const schedule = new Schedule(cfg, { cycles, opponents, policies, omTrainingDue: omTraining, episodicPeriods: uav });
  const omRng = Rng.stream(cfg.seed, "om-files");
  const lemolLearners = [...trainers.values()].filter((t): t is LeMOLAgentTrainer => t instanceof LeMOLAgentTrainer);
  const omPhase = new OMPhase(lemolLearners, cfg, explorationSteps, uav, omRng);
  return {
    env,
    adversary,
    policies,
    evaluating,
    oneHot,
    lemolPresent,
    episodicPeriods: uav,
    explorationSteps,
    cycles,
    opponents,
    trainers,
    schedule,
    omPhase,
    omRng,
  };
}
