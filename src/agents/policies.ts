/**
 * The policy registry: every name `--good_policy` / `--bad_policy` accept, with what it is and the
 * file it lives in; the one learner factory (`createLearner`), which the experiment
 * (`train/build.ts`) and `createTrainers` use; and `createTrainers`, one MADDPG-family trainer per
 * agent of an environment (`get_trainers`): adversaries get the bad policy, the others the good
 * one. Names are `{policy}-{bad|good}_agent_{i}`.
 */
import type { MultiAgentEnv } from "../envs/env.js";
import { oneHotRule } from "../envs/one-hot.js";
import type { UAVEnv } from "../envs/uav.js";
import type { MADDPGConfig } from "./actor-critic.js";
import { LeMOLAgentTrainer } from "./lemol/agent.js";
import type { LeMOLOptions } from "./lemol/flags.js";
import type { ActorCriticMaths } from "./maddpg-maths.js";
import { MADDPGAgentTrainer, MADDPGVariant } from "./maddpg.js";
import { PPOAgentTrainer } from "./ppo/agent.js";
import type { PPOConfig } from "./ppo/config.js";

/** Every policy, in the order `--help` lists them. */
export const POLICIES = {
  maddpg: { about: "MADDPG: a centralised critic over every agent's observation and action", file: "agents/maddpg.ts" },
  ddpg: { about: "DDPG: MADDPG with a local critic (own observation and action)", file: "agents/maddpg.ts" },
  mmmaddpg: { about: "M3DDPG: MADDPG whose critic target takes the other agents' one-step worst case", file: "agents/maddpg.ts" },
  lemol: { about: "LeMOL: MADDPG acting on an LSTM opponent model of its opponent's learning (two-player games)", file: "agents/lemol/" },
  ppo: { about: "PPO (the later release's baseline)", file: "agents/ppo.ts" },
} as const;
export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];
/** The policies {@link createTrainers} builds (the MADDPG family, one trainer class with options). */
export const MADDPG_FAMILY: readonly MADDPGVariant[] = ["maddpg", "ddpg", "mmmaddpg"];

export class UnknownPolicyError extends Error {
  constructor(name: string, flag = "policy", known: readonly string[] = POLICY_NAMES) {
    super(`unknown ${flag} "${name}"; expected one of: ${known.join(", ")}`);
    this.name = "UnknownPolicyError";
  }
}

/** `name` as a policy of `known` (default: every policy), or an {@link UnknownPolicyError}. */
export function checkPolicy<P extends string = PolicyName>(
  name: string,
  flag = "policy",
  known: readonly P[] = POLICY_NAMES as readonly string[] as readonly P[],
): P {
  if (!(known as readonly string[]).includes(name)) throw new UnknownPolicyError(name, flag, known);
  return name as P;
}

/** The learner class each policy builds. */
export interface LearnerOf {
  maddpg: MADDPGAgentTrainer;
  ddpg: MADDPGAgentTrainer;
  mmmaddpg: MADDPGAgentTrainer;
  lemol: LeMOLAgentTrainer;
  ppo: PPOAgentTrainer;
}

/** What {@link createLearner} builds one learner from. */
export interface LearnerSetup<P extends PolicyName = PolicyName> {
  policy: P;
  /** The game, for sizes and the one-hot rule (`oneHotRule`: PPO's categorical policy, LeMOL's one-hot m). */
  env: MultiAgentEnv | UAVEnv;
  agentIndex: number;
  /** The agent's side: "bad" for an adversary. */
  side: "bad" | "good";
  /**
   * Whether this side lists several policies (`--bad_policy maddpg_ddpg`): its streams are then
   * keyed by the policy too; otherwise by the slot alone (`bad_agent_0`), so two runs that differ
   * only in the algorithm start from identical weights and noise.
   */
  varying?: boolean;
  seed: number;
  /** The MADDPG family's config (also LeMOL's actor-critic), e.g. `maddpgConfigOf(cfg)`; missing fields: `MADDPG_DEFAULTS`. */
  config?: Partial<MADDPGConfig>;
  /** LeMOL's options (needed for `lemol`); `discreteActions` is the env's (`oneHotRule`). */
  lemol?: Omit<LeMOLOptions, "discreteActions">;
  /** PPO's config; missing fields: `PPO_DEFAULTS`; `discrete` is the env's. */
  ppo?: Partial<Omit<PPOConfig, "discrete">>;
  /** The MADDPG family's update losses (default MADDPG_MATHS, agents/maddpg-maths.ts): to try a changed loss without editing it. */
  maths?: Readonly<ActorCriticMaths>;
}

/**
 * The one learner factory: the learner of `policy` for one agent, named
 * `{policy}-{bad|good}_agent_{i}`, with its streams keyed by its slot (see `varying`).
 */
export function createLearner<P extends PolicyName>(setup: LearnerSetup<P>): LearnerOf[P] {
  const { env, agentIndex: i, side, seed } = setup;
  const policy = checkPolicy(setup.policy, `${side} policy`);
  const name = `${policy}-${side}_agent_${i}`;
  const streamKey = `${side}_agent_${i}${setup.varying ? `/${policy}` : ""}`;
  const discrete = oneHotRule(env).discrete;
  const learners: { [Q in PolicyName]: () => LearnerOf[Q] } = {
    maddpg: () => maddpgFamily("maddpg"),
    ddpg: () => maddpgFamily("ddpg"),
    mmmaddpg: () => maddpgFamily("mmmaddpg"),
    lemol: () => {
      if (!setup.lemol) throw new Error(`${name}: a LeMOL learner needs its options (setup.lemol, e.g. lemolOptionsOf(config, ...))`);
      return new LeMOLAgentTrainer({ ...common(), lemol: { ...setup.lemol, discreteActions: discrete } });
    },
    ppo: () =>
      new PPOAgentTrainer({
        name,
        agentIndex: i,
        obsSize: env.obsSizes[i],
        actionSize: env.actionSizes[i],
        discrete,
        seed,
        streamKey,
        config: setup.ppo,
      }),
  };
  function common() {
    const { obsSizes, actionSizes } = env;
    return { name, agentIndex: i, obsSizes, actionSizes, actionSpace: env.actionSpaces[i], config: setup.config, seed, streamKey, maths: setup.maths };
  }
  function maddpgFamily(variant: MADDPGVariant): MADDPGAgentTrainer {
    return new MADDPGAgentTrainer({ ...common(), variant });
  }
  return learners[policy as P]();
}

export interface TrainerSetup {
  badPolicy: string;
  goodPolicy: string;
  config?: Partial<MADDPGConfig>;
  seed: number;
  /** The update's losses (default MADDPG_MATHS, agents/maddpg-maths.ts): to try a changed loss without editing it. */
  maths?: Readonly<ActorCriticMaths>;
}

/**
 * One MADDPG-family trainer per agent of `env`, in agent order (adversaries first in every MPE
 * scenario), by {@link createLearner}; `numAdversaries` defaults to the scenario's.
 */
export function createTrainers(env: MultiAgentEnv, setup: TrainerSetup): MADDPGAgentTrainer[] {
  const bad = checkPolicy(setup.badPolicy, "bad policy", MADDPG_FAMILY);
  const good = checkPolicy(setup.goodPolicy, "good policy", MADDPG_FAMILY);
  const L = env.world.layout;
  const numAdversaries = L.adversary.reduce((n, x) => n + x, 0);
  if (env.actionMode.discreteActionInput) throw new Error("trainers act with action vectors; create the env without discreteActionInput");
  return Array.from({ length: env.n }, (_, i) => {
    const side = L.adversary[i] ? "bad" : "good";
    return createLearner({
      policy: side === "bad" ? bad : good,
      env,
      agentIndex: i,
      side,
      seed: setup.seed,
      config: { numAdversaries, ...setup.config },
      maths: setup.maths,
    });
  });
}
