/**
 * The training loop: one environment step with every learner, in the order of lemol-spec §2.4,
 * over the {@link Learner} interface — the experiment, `TrainingRunner`, the benchmarks and the
 * quick-start API all step through this one function.
 *
 *   1. act       learners in agent order, those that act last (LeMOL) after the others
 *   2. env step  the actions as chosen are kept (`policy`); where the environment one-hots the
 *                movement the one-hot is what is stored (`stored`)
 *   3. observe   every learner sees the transition (the env's done and the time limit apart)
 *   4. episode   at its end (done or time limit): the episode's rewards go to `onEpisodeEnd`, the
 *                environment is reset
 *   5. update    preupdate, then each learner's update in agent order (none when evaluating)
 *   6. afterStep each learner's per-step bookkeeping, knowing whether all updated
 *
 * Allocation-free per step apart from the updates themselves.
 */
import type { Learner, LearnerSink, LearnerStats, StepContext, StepEnd, Transition } from "../agents/learner.js";
import { MOVE_CHOICES } from "../envs/spaces.js";
import type { CheckpointReader, CheckpointWriter } from "../storage/checkpoint.js";
import { PHASE, phaseTimer } from "../util/phase-timer.js";

/** The environment as the loop drives it (MPE's `MultiAgentEnv`, the UAV grid world). */
export interface LoopEnv {
  readonly n: number;
  step(actions: readonly ArrayLike<number>[]): EnvStep;
  reset(): readonly Float64Array[];
}

/** What an environment step returns (`infos` where the environment reports them, e.g. MPE's benchmark data). */
export interface EnvStep {
  obs: readonly Float64Array[];
  rewards: ArrayLike<number>;
  dones: readonly boolean[];
  infos?: readonly { benchmark?: unknown }[];
}

export interface LoopOptions {
  maxEpisodeLen: number;
  /** Per agent: the environment plays the one-hot of the movement (`--discrete_actions`), so that is stored. */
  oneHotMovement?: readonly boolean[];
  /**
   * Per agent: the message chunk `[offset, size]` of its action whose one-hot (of the arg-max) is
   * sent to the environment and stored (`--discrete_messages`), or null to send the sample as it is.
   */
  oneHotMessage?: readonly (readonly [number, number] | null)[];
}

/** Called during a step, at the points the experiment records things. */
export interface StepHooks {
  /** After the environment step, before the episode's end is handled (display frames, benchmark data). */
  envStepped?(result: EnvStep): void;
  /** An episode ended (before this step's updates): its index, per-agent rewards (reused next episode) and length. */
  episodeEnded?(episode: number, rewards: Float64Array, length: number): void;
  /** Learner `agent` updated. */
  updated?(agent: number, stats: LearnerStats): void;
}

/** What a step did. */
export interface StepOutcome {
  /** Rewards of this step, per agent (a view, overwritten next step). */
  rewards: Float64Array;
  episodeEnded: boolean;
  /** Per agent: the update made after this step, or null. */
  updates: (LearnerStats | null)[];
}

const QUIET_SINK: LearnerSink = { metric() {}, emit() {}, print() {} };

export class PlayLoop implements StepContext {
  readonly env: LoopEnv;
  readonly learners: readonly Learner[];
  readonly maxEpisodeLen: number;
  /** Observations before the step, actions as chosen, as stored, and kept before the env played them. */
  readonly obs: Float64Array[];
  readonly actions: Float64Array[];
  readonly stored: Float64Array[];
  readonly policy: Float64Array[];
  /** Per agent: the current episode's summed reward. */
  readonly currentRewards: Float64Array;
  trainStep = 0;
  episodeStep = 0;
  episodesCompleted = 0;
  /** Evaluating loaded policies: learners store nothing and do not learn. */
  evaluating = false;
  /** Whether learners update (false: they still store transitions, as while filling buffers). */
  learning = true;
  sink: LearnerSink = QUIET_SINK;

  private readonly order: number[];
  private readonly oneHot: readonly boolean[];
  private readonly oneHotMessage: readonly (readonly [number, number] | null)[];
  private readonly outcome: StepOutcome;
  private readonly transition: {
    obs: Float64Array[];
    stored: Float64Array[];
    policy: Float64Array[];
    rewards: ArrayLike<number>;
    obsNext: readonly Float64Array[];
    done: boolean;
    terminal: boolean;
  };
  private readonly end: StepEnd & { allUpdated: boolean; allExplored: boolean };

  constructor(env: LoopEnv, learners: readonly Learner[], options: LoopOptions) {
    if (learners.length !== env.n) throw new RangeError(`${learners.length} learners for ${env.n} agents`);
    learners.forEach((l, i) => {
      if (l.agentIndex !== i) throw new RangeError(`learner ${l.name} is agent ${l.agentIndex}, given as agent ${i}`);
    });
    this.env = env;
    this.learners = learners;
    this.maxEpisodeLen = options.maxEpisodeLen;
    this.oneHot = options.oneHotMovement ?? learners.map(() => false);
    this.oneHotMessage = options.oneHotMessage ?? learners.map(() => null);
    const sizes = learners.map((l) => l.replay.actSize);
    this.obs = learners.map((l) => new Float64Array(l.replay.obsSize));
    this.actions = sizes.map((n) => new Float64Array(n));
    this.stored = sizes.map((n) => new Float64Array(n));
    this.policy = sizes.map((n) => new Float64Array(n));
    this.currentRewards = new Float64Array(env.n);
    this.order = [...learners.keys()].sort((a, b) => Number(learners[a].actsLast) - Number(learners[b].actsLast));
    this.outcome = { rewards: new Float64Array(env.n), episodeEnded: false, updates: new Array(env.n).fill(null) };
    this.transition = {
      obs: this.obs,
      stored: this.stored,
      policy: this.policy,
      rewards: this.outcome.rewards,
      obsNext: this.obs,
      done: false,
      terminal: false,
    };
    // the step context learners see is the loop itself; the step's end adds two flags
    this.end = Object.create(this, { allUpdated: { value: false, writable: true }, allExplored: { value: false, writable: true } });
  }

  /** Starts a trajectory from the environment's first observations (the env is reset by the caller). */
  begin(firstObs: readonly ArrayLike<number>[]): void {
    this.trainStep = 0;
    this.episodeStep = 0;
    this.episodesCompleted = 0;
    this.currentRewards.fill(0);
    for (let a = 0; a < this.obs.length; a++) this.obs[a].set(firstObs[a]);
  }

  /** The loop's state between steps: the episode's rewards so far, the observations, the stored actions (counters go with the experiment's state). */
  saveTo(w: CheckpointWriter): void {
    w.array("experiment/current_rewards", Float64Array.from(this.currentRewards));
    for (let a = 0; a < this.obs.length; a++) {
      w.array(`experiment/obs/${a}`, Float64Array.from(this.obs[a]));
      w.array(`experiment/stored/${a}`, Float64Array.from(this.stored[a]));
    }
  }

  /** Reads what {@link saveTo} wrote, and takes the counters. */
  loadFrom(r: CheckpointReader, counters: { trainStep: number; episodeStep: number; episodesCompleted: number }): void {
    this.trainStep = counters.trainStep;
    this.episodeStep = counters.episodeStep;
    this.episodesCompleted = counters.episodesCompleted;
    this.currentRewards.set(r.f64("experiment/current_rewards", this.currentRewards.length));
    for (let a = 0; a < this.obs.length; a++) {
      this.obs[a].set(r.f64(`experiment/obs/${a}`, this.obs[a].length));
      this.stored[a].set(r.f64(`experiment/stored/${a}`, this.stored[a].length));
    }
  }

  /** One environment step with every learner, then their updates (see the file's comment). */
  step(hooks: StepHooks = {}): StepOutcome {
    const { env, learners, obs, actions, stored, policy } = this;
    const n = learners.length;
    const timer = phaseTimer;
    // 1) actions
    let t0 = timer.start();
    for (const a of this.order) learners[a].act(obs[a], actions[a], this);
    for (let a = 0; a < n; a++) policy[a].set(actions[a]);
    timer.stop(PHASE.act, t0);
    // 2) the environment (messages one-hot first, if asked: the env and the buffer see the one-hot)
    for (let a = 0; a < n; a++) {
      const m = this.oneHotMessage[a];
      if (m) oneHotChunk(actions[a], m[0], m[1]);
    }
    t0 = timer.start();
    const r = env.step(actions);
    timer.stop(PHASE.env, t0);
    for (let a = 0; a < n; a++) {
      if (this.oneHot[a]) oneHotMovement(actions[a], stored[a]);
      else stored[a].set(actions[a]);
    }
    this.episodeStep++;
    let allDone = true;
    for (let a = 0; a < n; a++) allDone = allDone && r.dones[a];
    const terminal = this.episodeStep >= this.maxEpisodeLen;
    const finished = allDone || terminal;
    // 3) every learner sees the transition
    t0 = timer.start();
    const t = this.transition;
    t.rewards = r.rewards;
    t.obsNext = r.obs;
    t.done = allDone;
    t.terminal = terminal;
    for (let a = 0; a < n; a++) {
      learners[a].observe(t as Transition, this);
      this.currentRewards[a] += r.rewards[a];
      this.outcome.rewards[a] = r.rewards[a];
    }
    timer.stop(PHASE.observe, t0);
    hooks.envStepped?.(r);
    // 4) the episode's end
    this.outcome.episodeEnded = finished;
    if (finished) {
      t0 = timer.start();
      const episode = this.episodesCompleted++;
      hooks.episodeEnded?.(episode, this.currentRewards, this.episodeStep);
      this.currentRewards.fill(0);
      const next = env.reset();
      for (let a = 0; a < n; a++) obs[a].set(next[a]);
      this.episodeStep = 0;
      timer.stop(PHASE.episode, t0);
    } else {
      for (let a = 0; a < n; a++) obs[a].set(r.obs[a]);
    }
    // 5) learning, in agent order (adversaries first in MPE)
    t0 = timer.start();
    const updates = this.outcome.updates;
    let allUpdated = this.evaluating || this.learning;
    for (let a = 0; a < n; a++) updates[a] = null;
    if (!this.evaluating && this.learning) {
      for (const l of learners) l.preupdate();
      for (let a = 0; a < n; a++) {
        const u = learners[a].update(learners, this.trainStep);
        updates[a] = u;
        if (u) hooks.updated?.(a, u);
        else if (learners[a].updatesOnCadence) allUpdated = false;
      }
    }
    timer.stop(PHASE.update, t0);
    // 6) per-step bookkeeping
    let allExplored = true;
    for (const l of learners) allExplored = allExplored && l.explored;
    this.end.allUpdated = allUpdated;
    this.end.allExplored = allExplored;
    for (const l of learners) l.afterStep(this.end);
    this.trainStep++;
    return this.outcome;
  }
}

/** `src` with its movement chunk (the first 5 numbers) replaced by the one-hot of its arg-max, into `out`. */
export function oneHotMovement(src: Float64Array, out: Float64Array): Float64Array {
  out.set(src);
  let best = 0;
  for (let k = 1; k < MOVE_CHOICES; k++) if (src[k] > src[best]) best = k;
  for (let k = 0; k < MOVE_CHOICES; k++) out[k] = k === best ? 1 : 0;
  return out;
}

/** `x[offset .. offset + size)` replaced in place by the one-hot of its (first) arg-max. */
export function oneHotChunk(x: Float64Array, offset: number, size: number): Float64Array {
  if (offset < 0 || size < 1 || offset + size > x.length)
    throw new RangeError(`chunk [${offset}, ${offset + size}) is outside an action of ${x.length} numbers`);
  let best = offset;
  for (let k = offset + 1; k < offset + size; k++) if (x[k] > x[best]) best = k;
  for (let k = offset; k < offset + size; k++) x[k] = k === best ? 1 : 0;
  return x;
}
