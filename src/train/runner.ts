/**
 * The training loop for one pairing of learners on one environment, step by step (lemol-spec
 * §2.4 without the LeMOL parts): act, step the env, store transitions (the env's done and whether
 * the time limit was reached; each trainer's `timeLimitTerminal` decides what is stored), reset at
 * episode end, then let every agent update in agent order. Allocation-free
 * per step apart from the updates themselves. The full experiment (cycles, trajectories, the
 * opponent model, metrics files) builds on this.
 */
import { actAll, MADDPGAgentTrainer, UpdateStats } from "../agents/maddpg.js";
import type { MultiAgentEnv } from "../envs/env.js";
import { MOVE_CHOICES } from "../envs/spaces.js";

export interface StepOutcome {
  /** Rewards of this step, per agent (a view, overwritten next step). */
  rewards: Float64Array;
  /** Whether this step ended an episode. */
  episodeEnded: boolean;
  /** Per agent: the update made after this step, or null. */
  updates: (UpdateStats | null)[];
}

export class TrainingRunner {
  readonly env: MultiAgentEnv;
  readonly trainers: readonly MADDPGAgentTrainer[];
  readonly maxEpisodeLen: number;
  /** Steps since the start (the original's `train_step`). */
  trainStep = 0;
  episodeStep = 0;
  episodesCompleted = 0;
  /** Whether agents learn after each step (false = evaluate the current policies). */
  learn: boolean;
  /** Per agent: the current episode's summed reward. */
  readonly currentEpisodeReward: Float64Array;
  /** Per finished episode, per agent: the summed reward. */
  readonly episodeRewards: number[][] = [];

  private readonly obs: Float64Array[];
  private readonly actions: Float64Array[];
  private readonly stored: Float64Array[];
  private readonly updates: (UpdateStats | null)[];
  private readonly outcome: StepOutcome;

  constructor(env: MultiAgentEnv, trainers: readonly MADDPGAgentTrainer[], options: { maxEpisodeLen?: number; learn?: boolean } = {}) {
    if (trainers.length !== env.n) throw new RangeError(`${trainers.length} trainers for ${env.n} agents`);
    this.env = env;
    this.trainers = trainers;
    this.maxEpisodeLen = options.maxEpisodeLen ?? trainers[0]?.config.maxEpisodeLen ?? 25;
    this.learn = options.learn ?? true;
    this.obs = env.obsSizes.map((n) => new Float64Array(n));
    this.actions = env.actionSizes.map((n) => new Float64Array(n));
    this.stored = env.actionSizes.map((n) => new Float64Array(n));
    this.currentEpisodeReward = new Float64Array(env.n);
    this.updates = new Array(env.n).fill(null);
    this.outcome = { rewards: new Float64Array(env.n), episodeEnded: false, updates: this.updates };
    this.copyObs(env.reset());
  }

  private copyObs(src: readonly Float64Array[]): void {
    for (let a = 0; a < src.length; a++) this.obs[a].set(src[a]);
  }

  /** One environment step with every agent, then (when learning) every agent's update. */
  step(): StepOutcome {
    const { env, trainers } = this;
    actAll(trainers, this.obs, this.actions);
    const r = env.step(this.actions);
    this.episodeStep++;
    let allDone = true;
    for (let a = 0; a < env.n; a++) allDone = allDone && r.dones[a];
    const terminal = this.episodeStep >= this.maxEpisodeLen;
    const forceOneHot = env.actionMode.forceDiscreteAction;
    for (let a = 0; a < trainers.length; a++) {
      // with --discrete_actions the original env one-hots the action in place, so that is what is stored
      const act = forceOneHot && env.world.layout.movable[a] && env.actionMode.discreteActionSpace ? oneHotMovement(this.actions[a], this.stored[a]) : this.actions[a];
      trainers[a].experience(this.obs[a], act, r.rewards[a], r.obs[a], allDone, terminal);
      this.currentEpisodeReward[a] += r.rewards[a];
      this.outcome.rewards[a] = r.rewards[a];
    }
    this.outcome.episodeEnded = allDone || terminal;
    if (allDone || terminal) {
      this.episodeRewards.push(Array.from(this.currentEpisodeReward));
      this.currentEpisodeReward.fill(0);
      this.episodesCompleted++;
      this.episodeStep = 0;
      this.copyObs(env.reset());
    } else {
      this.copyObs(r.obs);
    }
    for (let a = 0; a < trainers.length; a++) this.updates[a] = null;
    if (this.learn) {
      for (const t of trainers) t.preupdate();
      for (let a = 0; a < trainers.length; a++) this.updates[a] = trainers[a].update(trainers, this.trainStep);
    }
    this.trainStep++;
    return this.outcome;
  }

  /** Steps until the current episode ends; returns its per-agent summed rewards. */
  runEpisode(): number[] {
    const before = this.episodesCompleted;
    while (this.episodesCompleted === before) this.step();
    return this.episodeRewards[this.episodeRewards.length - 1];
  }
}

/** `src` with its movement chunk (the first 5 numbers) replaced by the one-hot of its arg-max, into `out`. */
function oneHotMovement(src: Float64Array, out: Float64Array): Float64Array {
  out.set(src);
  let best = 0;
  for (let k = 1; k < MOVE_CHOICES; k++) if (src[k] > src[best]) best = k;
  for (let k = 0; k < MOVE_CHOICES; k++) out[k] = k === best ? 1 : 0;
  return out;
}
