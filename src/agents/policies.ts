/**
 * Policy names as the original's `--good_policy` / `--bad_policy` take them, and building one
 * trainer per agent of an environment (`get_trainers`): adversaries get the bad policy, the
 * others the good one. Names are `{policy}-{bad|good}_agent_{i}`.
 */
import type { MultiAgentEnv } from "../envs/env.js";
import type { MADDPGConfig } from "./actor-critic.js";
import { MADDPGAgentTrainer, MADDPGVariant } from "./maddpg.js";

/** The policies available now; `lemol` and `ppo` arrive with their issues. */
export const POLICY_NAMES = ["maddpg", "ddpg", "mmmaddpg"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export class UnknownPolicyError extends Error {
  constructor(name: string, flag = "policy") {
    super(`unknown ${flag} "${name}"; expected one of: ${POLICY_NAMES.join(", ")}`);
    this.name = "UnknownPolicyError";
  }
}

export function checkPolicy(name: string, flag = "policy"): PolicyName {
  if (!(POLICY_NAMES as readonly string[]).includes(name)) throw new UnknownPolicyError(name, flag);
  return name as PolicyName;
}

export interface TrainerSetup {
  badPolicy: string;
  goodPolicy: string;
  config?: Partial<MADDPGConfig>;
  seed: number;
}

/** One trainer per agent of `env`, in agent order (adversaries first in every MPE scenario). */
export function createTrainers(env: MultiAgentEnv, setup: TrainerSetup): MADDPGAgentTrainer[] {
  const bad = checkPolicy(setup.badPolicy, "bad policy");
  const good = checkPolicy(setup.goodPolicy, "good policy");
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
    });
  });
}
