/**
 * The policy registry: every name `--good_policy` / `--bad_policy` accept, with what it is and the
 * file it lives in; and building one MADDPG-family trainer per agent of an environment
 * (`get_trainers`): adversaries get the bad policy, the others the good one. Names are
 * `{policy}-{bad|good}_agent_{i}`. The experiment builds every policy (`train/build.ts`).
 */
import type { MultiAgentEnv } from "../envs/env.js";
import type { MADDPGConfig } from "./actor-critic.js";
import type { ActorCriticMaths } from "./maddpg-maths.js";
import { MADDPGAgentTrainer, MADDPGVariant } from "./maddpg.js";

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

export interface TrainerSetup {
  badPolicy: string;
  goodPolicy: string;
  config?: Partial<MADDPGConfig>;
  seed: number;
  /** The update's losses (default MADDPG_MATHS, agents/maddpg-maths.ts): to try a changed loss without editing it. */
  maths?: Readonly<ActorCriticMaths>;
}

/** One trainer per agent of `env`, in agent order (adversaries first in every MPE scenario). */
export function createTrainers(env: MultiAgentEnv, setup: TrainerSetup): MADDPGAgentTrainer[] {
  const bad = checkPolicy(setup.badPolicy, "bad policy", MADDPG_FAMILY);
  const good = checkPolicy(setup.goodPolicy, "good policy", MADDPG_FAMILY);
  const L = env.world.layout;
  const numAdversaries = L.adversary.reduce((n, x) => n + x, 0);
  if (env.actionMode.discreteActionInput) throw new Error("trainers act with action vectors; create the env without discreteActionInput");
  return Array.from({ length: env.n }, (_, i) => {
    const side = L.adversary[i] ? "bad" : "good";
    const policy: MADDPGVariant = side === "bad" ? bad : good;
    return new MADDPGAgentTrainer({
      name: `${policy}-${side}_agent_${i}`,
      agentIndex: i,
      variant: policy,
      obsSizes: env.obsSizes,
      actionSizes: env.actionSizes,
      actionSpace: env.actionSpaces[i],
      config: { numAdversaries, ...setup.config },
      seed: setup.seed,
      streamKey: `${side}_agent_${i}`,
      maths: setup.maths,
    });
  });
}
