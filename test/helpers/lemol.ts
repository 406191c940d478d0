/** A LeMOL trainer on simple_push for unit tests: defaults below, any option overridden. */
import { LeMOLAgentTrainer, LeMOLOptions } from "../../src/agents/lemol/agent.js";
import type { MADDPGConfig } from "../../src/agents/actor-critic.js";
import { MultiAgentEnv } from "../../src/envs/env.js";

export function makeLeMOL(agentIndex: number, lemol: Partial<LeMOLOptions> = {}, config: Partial<MADDPGConfig> = {}): LeMOLAgentTrainer {
  const env = new MultiAgentEnv("simple_push");
  return new LeMOLAgentTrainer({
    name: `lemol-${agentIndex === 0 ? "bad" : "good"}_agent_${agentIndex}`,
    agentIndex,
    obsSizes: env.obsSizes,
    actionSizes: env.actionSizes,
    actionSpace: env.actionSpaces[agentIndex],
    config: { batchSize: 4, maxEpisodeLen: 5, numUnits: 16, ...config },
    seed: 1,
    lemol: {
      lstmHiddenDim: 64,
      omlr: 1e-3,
      revision: "init",
      recurrentActivation: "hard_sigmoid",
      discreteActions: false,
      oracle: { enabled: false, proportion: 1, before: 25, after: -1 },
      ...lemol,
    },
  });
}
