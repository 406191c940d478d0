/**
 * One MADDPG update round of both agents of simple_push at batch 1,024, past exploration (the
 * replay holds 25 batches' worth of steps) and warmed up by 100 rounds: what bench/update.ts and
 * bench/experiments/gemm-sequence.ts time.
 */
import { createTrainers } from "../src/agents/policies.js";
import type { MADDPGAgentTrainer } from "../src/agents/maddpg.js";
import { MultiAgentEnv } from "../src/envs/env.js";
import { TrainingRunner } from "../src/train/runner.js";

export const ROUND_BATCH = 1024;

export function updateRound(): { round: () => void; trainers: MADDPGAgentTrainer[] } {
  const env = new MultiAgentEnv("simple_push", { seed: 0 });
  const trainers = createTrainers(env, { badPolicy: "maddpg", goodPolicy: "maddpg", seed: 0, config: { agentUpdateFreq: 1 } }) as MADDPGAgentTrainer[];
  const run = new TrainingRunner(env, trainers, { learn: false });
  while (trainers[0].replay.length < ROUND_BATCH * 25) run.step();
  let t = 0;
  const round = () => {
    for (const tr of trainers) tr.preupdate();
    for (const tr of trainers) tr.update(trainers, t);
    t++;
  };
  for (let i = 0; i < 100; i++) round();
  return { round, trainers };
}
