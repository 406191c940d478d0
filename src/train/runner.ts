/**
 * A pairing of learners on one MPE environment, step by step, without the experiment around it
 * (no run directory, cycles or opponent model training): the quick-start API, the unit tests of
 * learning and the speed benchmarks. It steps through the same loop as the experiment
 * (`loop.ts`), so what it measures is what experiments run.
 */
import type { Learner } from "../agents/learner.js";
import type { MultiAgentEnv } from "../envs/env.js";
import { oneHotRule } from "../envs/one-hot.js";
import { PlayLoop, StepOutcome } from "./loop.js";

export type { StepOutcome } from "./loop.js";

export class TrainingRunner<L extends Learner = Learner> {
  readonly env: MultiAgentEnv;
  readonly trainers: readonly L[];
  readonly maxEpisodeLen: number;
  /** Per finished episode, per agent: the summed reward. */
  readonly episodeRewards: number[][] = [];
  private readonly loop: PlayLoop;
  private readonly hooks = { episodeEnded: (_e: number, rewards: Float64Array) => void this.episodeRewards.push(Array.from(rewards)) };

  constructor(env: MultiAgentEnv, trainers: readonly L[], options: { maxEpisodeLen?: number; learn?: boolean } = {}) {
    this.env = env;
    this.trainers = trainers;
    // the MADDPG family's trainers know their episode length (their config's maxEpisodeLen)
    const first: object | undefined = trainers[0];
    const cfg = first && "config" in first ? (first.config as { maxEpisodeLen?: number } | undefined) : undefined;
    this.maxEpisodeLen = options.maxEpisodeLen ?? cfg?.maxEpisodeLen ?? 25;
    // with --discrete_actions the original env one-hots the movement in place, so that is what is stored
    this.loop = new PlayLoop(env, trainers, { maxEpisodeLen: this.maxEpisodeLen, oneHotMovement: oneHotRule(env).movement });
    this.loop.learning = options.learn ?? true;
    this.loop.begin(env.reset());
  }

  /** Steps since the start (the original's `train_step`). */
  get trainStep(): number {
    return this.loop.trainStep;
  }
  get episodeStep(): number {
    return this.loop.episodeStep;
  }
  get episodesCompleted(): number {
    return this.loop.episodesCompleted;
  }
  /** Per agent: the current episode's summed reward. */
  get currentEpisodeReward(): Float64Array {
    return this.loop.currentRewards;
  }
  /** Whether agents learn after each step (false: they only store transitions). */
  get learn(): boolean {
    return this.loop.learning;
  }
  set learn(on: boolean) {
    this.loop.learning = on;
  }

  /** One environment step with every agent, then (when learning) every agent's update. */
  step(): Omit<StepOutcome, "updates"> & { updates: (ReturnType<L["update"]> | null)[] } {
    return this.loop.step(this.hooks) as Omit<StepOutcome, "updates"> & { updates: (ReturnType<L["update"]> | null)[] };
  }

  /** Steps until the current episode ends; returns its per-agent summed rewards. */
  runEpisode(): number[] {
    const before = this.loop.episodesCompleted;
    while (this.loop.episodesCompleted === before) this.step();
    return this.episodeRewards[this.episodeRewards.length - 1];
  }
}
