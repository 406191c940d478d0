/**
 * From a configuration to what an experiment plays (lemol-spec §2.1): the environment (an MPE
 * scenario, or the UAV grid world), the checks of option combinations that need it, and every
 * learner, built once — per policy of each side, one per agent of that side — with the options
 * translated into each algorithm's own typed config. Adding an option means: the schema
 * (config.ts), its translation here, and the algorithm's config type.
 */
import type { MADDPGConfig } from "../agents/actor-critic.js";
import { LeMOLAgentTrainer, LeMOLOptions } from "../agents/lemol/agent.js";
import { chunkPlan } from "../agents/lemol/om-training.js";
import type { Learner } from "../agents/learner.js";
import { MADDPGAgentTrainer, MADDPGVariant } from "../agents/maddpg.js";
import { MADDPG_FAMILY, checkPolicy } from "../agents/policies.js";
import { PPOAgentTrainer, PPOConfig } from "../agents/ppo/agent.js";
import { MultiAgentEnv } from "../envs/env.js";
import { getScenario } from "../envs/scenarios/index.js";
import { UAVEnv } from "../envs/uav.js";
import { Rng } from "../util/rng.js";
import { ConfigError, ExperimentConfig, policyLists } from "./config.js";
import { OMPhase } from "./om-phase.js";
import { Schedule } from "./schedule.js";

/** What a configuration builds. */
export interface RunSetup {
  env: MultiAgentEnv | UAVEnv;
  /** Per agent: whether it is an adversary ("bad"). */
  adversary: boolean[];
  policies: { bad: string[]; good: string[]; varying: "good" | "bad" | null };
  /** Evaluating loaded policies (`test`, `display`, `benchmark`): no learning, no OM training. */
  evaluating: boolean;
  lemolPresent: boolean;
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

/** The MADDPG family's config from the experiment's options. */
export function maddpgConfigOf(cfg: ExperimentConfig): Partial<MADDPGConfig> {
  return {
    lr: cfg.lr,
    gamma: cfg.gamma,
    batchSize: cfg.batch_size,
    numUnits: cfg.num_units,
    polyak: cfg.polyak,
    maxEpisodeLen: cfg.max_episode_len,
    agentUpdateFreq: cfg.agent_update_freq,
    replayBufferCapacity: cfg.replay_buffer_capacity,
    advEps: cfg.adv_eps,
    advEpsS: cfg.adv_eps_s,
    numAdversaries: cfg.num_adversaries,
    adversarialActor: cfg.m3ddpg_adversarial_actor,
    timeLimitTerminal: !cfg.bootstrap_time_limit,
    learningStarts: cfg.learning_starts,
    gradClipGlobal: cfg.grad_clip_global,
    normaliseRewards: cfg.normalise_rewards,
    argmaxUpdateActions: cfg.argmax_update_actions,
  };
}

/** LeMOL's options from the experiment's (`discrete`: the env plays arg-max actions; `episodicPeriods`: episodes end early). */
export function lemolOptionsOf(cfg: ExperimentConfig, discrete: boolean, episodicPeriods: boolean): LeMOLOptions {
  return {
    lstmHiddenDim: cfg.lstm_hidden_dim,
    omlr: cfg.omlr,
    revision: cfg.revision,
    recurrentActivation: cfg.lstm_gate_activation,
    discreteActions: discrete,
    oracle: {
      enabled: cfg.feed_lemol_true_action,
      proportion: cfg.lemol_true_action_feed_proportion,
      before: cfg.feed_lemol_true_action_before,
      after: cfg.feed_lemol_true_action_after,
      baselineAccuracy: cfg.lemol_oracle_baseline_acc,
    },
    blockProcessing: cfg.block_processing ? { embeddingDim: cfg.episode_embedding_dim } : null,
    inEpisodeUnits: cfg.recurrent_om_prediction ? cfg.in_ep_lstm_dim : null,
    ablate: cfg.ablate_lemol_lstm,
    triplet: cfg.use_triplet_representation_loss
      ? {
          positiveDistance: cfg.rep_loss_pos_dist,
          negativeDistance: cfg.rep_loss_neg_dist,
          weight: cfg.representation_loss_weight,
          decayBase: cfg.representation_loss_decay_base,
        }
      : null,
    decentralise: cfg.fully_decentralise_lemol ? "full" : cfg.decentralise_lemol_obs ? "obs" : "none",
    alternativeCell: cfg.use_alternative_lstm ? { learningFeatureDim: cfg.learning_feature_dim } : null,
    episodicPeriods,
    inPlayLogFreq: cfg.lemol_in_play_perf_log_freq,
    influenceLogFreq: cfg.log_om_influence ? cfg.log_om_influence_freq : null,
  };
}

/** PPO's config from the experiment's options. */
export function ppoConfigOf(cfg: ExperimentConfig): Partial<PPOConfig> {
  return {
    gamma: cfg.gamma,
    lambda: cfg.ppo_lambda,
    piLr: cfg.ppo_pi_lr,
    vfLr: cfg.ppo_vf_lr,
    targetKl: cfg.ppo_target_kl,
    clipRatio: cfg.ppo_clip_ratio,
    trainCycles: cfg.ppo_train_cycles,
    historyLength: cfg.ppo_history_length,
    numUnits: cfg.num_units,
    maxEpisodeLen: cfg.max_episode_len,
    agentUpdateFreq: cfg.agent_update_freq,
    replayBufferCapacity: cfg.replay_buffer_capacity,
  };
}

function buildEnv(cfg: ExperimentConfig, uav: boolean): MultiAgentEnv | UAVEnv {
  const seed = Rng.stream(cfg.seed, "env").int(2 ** 31);
  if (uav) {
    if (cfg.benchmark) throw new ConfigError("--benchmark: the UAV grid world records no benchmark data");
    try {
      return new UAVEnv({
        height: cfg.uav_grid_height,
        width: cfg.uav_grid_width,
        seekerNoise: cfg.uav_seeker_noise,
        targetNoise: cfg.uav_target_noise,
        listenImprovement: cfg.uav_listen_imp,
        rewardScale: cfg.uav_reward_scale,
        maxEpisodeLen: cfg.max_episode_len,
        seed,
      });
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
  // the UAV env plays the arg-max of each action vector: the original forces discrete actions there
  const discrete = cfg.discrete_actions || uav;
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
  if (cfg.cycles_without_lemol && evaluating)
    throw new ConfigError("--cycles_without_lemol repeats training cycles; --test/--display/--benchmark play each pairing's trajectories once");
  return { uav, policies, evaluating, env, adversary, discrete, lemolPresent, explorationSteps, omTraining };
}

/** Builds what `cfg` plays; throws a ConfigError for a combination that cannot work. `warn` gets warnings. */
export function buildRun(cfg: ExperimentConfig, warn: (line: string) => void): RunSetup {
  const { uav, policies, evaluating, env, adversary, discrete, lemolPresent, explorationSteps, omTraining } = checkRun(cfg, warn);

  // all learners are built once (lemol-spec §2.1): per policy of each side, one per agent of that side
  const trainers = new Map<string, Learner>();
  const maddpg = maddpgConfigOf(cfg);
  for (let i = 0; i < env.n; i++) {
    const side = adversary[i] ? "bad" : "good";
    for (const policy of policies[side]) {
      const name = `${policy}-${side}_agent_${i}`;
      // streams keyed by the slot, so swapping the algorithm with the same seed starts from the same weights
      const streamKey = `${side}_agent_${i}${policies.varying === side ? `/${policy}` : ""}`;
      const common = {
        name,
        agentIndex: i,
        obsSizes: env.obsSizes,
        actionSizes: env.actionSizes,
        actionSpace: env.actionSpaces[i],
        config: maddpg,
        seed: cfg.seed,
        streamKey,
      };
      const learner: Learner =
        policy === "lemol"
          ? new LeMOLAgentTrainer({ ...common, lemol: lemolOptionsOf(cfg, discrete, uav) })
          : policy === "ppo"
            ? new PPOAgentTrainer({
                name,
                agentIndex: i,
                obsSize: env.obsSizes[i],
                actionSize: env.actionSizes[i],
                discrete,
                seed: cfg.seed,
                streamKey,
                verbose: cfg.verbose_ppo,
                config: ppoConfigOf(cfg),
              })
            : new MADDPGAgentTrainer({ ...common, variant: policy as MADDPGVariant });
      trainers.set(`${policy}/${i}`, learner);
    }
  }
  const cycles = scheduledCycles(cfg);
  const opponents = Math.max(policies.bad.length, policies.good.length);
  const schedule = new Schedule(cfg, { cycles, opponents, policies, omTrainingDue: omTraining, episodicPeriods: uav });
  const omRng = Rng.stream(cfg.seed, "om-files");
  const lemolLearners = [...trainers.values()].filter((t): t is LeMOLAgentTrainer => t instanceof LeMOLAgentTrainer);
  const omPhase = new OMPhase(lemolLearners, cfg, explorationSteps, uav, omRng);
  return { env, adversary, policies, evaluating, lemolPresent, episodicPeriods: uav, explorationSteps, cycles, opponents, trainers, schedule, omPhase, omRng };
}
