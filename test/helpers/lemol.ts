/** A LeMOL trainer on simple_push for unit tests: defaults below, any option overridden. */
import { LeMOLAgentTrainer, LeMOLOptions } from "../../src/agents/lemol/agent.js";
import type { MADDPGConfig } from "../../src/agents/actor-critic.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import type { OpponentModel } from "../../src/agents/lemol/opponent-model.js";
import type { Rng } from "../../src/util/rng.js";
import { tf } from "./tf.js";

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

/**
 * Gives om's predictor random biases (normal, sd 0.3, drawn from rng) for numeric checks: with the
 * zero initial biases a row whose first layer is all dead sits exactly on a ReLU kink of the
 * second, where the subgradient and a difference quotient disagree. Call om.syncPlain() after.
 */
export function randomPredictorBiases(om: OpponentModel, rng: Rng): void {
  om.predictor.params.forEach((p, k) => {
    if (k % 2 === 1)
      p.assign(
        tf.tensor(
          Float32Array.from({ length: p.size }, () => 0.3 * rng.normal()),
          p.shape,
        ),
      );
  });
}
