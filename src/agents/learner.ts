/**
 * The one interface every algorithm implements (MADDPG, DDPG and M3DDPG, LeMOL, PPO), so that the
 * training loop (`train/loop.ts`) never asks which kind of learner it holds. Per step, in order
 * (lemol-spec §2.4):
 *
 *   act        each learner picks its action; a learner with `actsLast` (LeMOL) acts after the
 *              others and reads their actions of this step from the context
 *   observe    after the environment step, each learner sees the whole transition (every agent's
 *              observations and actions, its own reward, the env's done and the time limit apart)
 *              and stores what it needs
 *   update     on its own cadence, reading its partners' buffers (centralised critics)
 *   afterStep  per-step bookkeeping once every learner has updated (LeMOL's accuracy windows)
 *
 * and per trajectory `startTrajectory` (new weights and empty buffers, optimiser state kept, or
 * the loaded weights kept when evaluating). A learner reports metrics and events through the
 * step's sink; it owns its networks, optimisers, buffers and random streams, and saves them.
 */
import type { Adam } from "../nn/optim.js";
import type { CheckpointReader, CheckpointWriter } from "../storage/checkpoint.js";
import type { NdArray } from "../storage/npz.js";
import type { ReplayBuffer } from "../storage/replay.js";
import type { Rng } from "../util/rng.js";
import type { InPlayWindow } from "./lemol/in-play.js";

/** Events learners raise (the experiment adds where in its schedule they happened). */
export interface LearnerEvents {
  /** An in-play opponent-model accuracy window closed (lemol-spec §5.1). */
  om_window: { trainStep: number } & InPlayWindow;
}

/** Where learners report what they measure during play. */
export interface LearnerSink {
  /** A metric row of this learner at the current step. */
  metric(learner: Learner, name: string, value: number): void;
  emit<E extends keyof LearnerEvents>(event: E, payload: LearnerEvents[E]): void;
  /** A printed line (the original's console output). */
  print(line: string): void;
}

/** What a learner sees of the step under way. */
export interface StepContext {
  /** Steps since the trajectory's start (the original's `train_step`), this one not counted yet. */
  readonly trainStep: number;
  /** Steps of the current episode before this one (0 at an episode's first step). */
  readonly episodeStep: number;
  readonly episodesCompleted: number;
  /** Evaluating loaded policies: no storing, no learning. */
  readonly evaluating: boolean;
  /** This step's actions in agent order, as chosen (those of learners that acted already). */
  readonly actions: readonly Float64Array[];
  readonly sink: LearnerSink;
}

/** One environment step, for every agent. */
export interface Transition {
  readonly obs: readonly ArrayLike<number>[];
  /** Actions as the environment played them (one-hot where it one-hots them in place). */
  readonly stored: readonly Float64Array[];
  /** Actions as chosen (soft samples), before the environment one-hotted them. */
  readonly policy: readonly Float64Array[];
  readonly rewards: ArrayLike<number>;
  readonly obsNext: readonly ArrayLike<number>[];
  /** The environment ended the episode (every agent done). */
  readonly done: boolean;
  /** The episode reached `max_episode_len` (the time limit). */
  readonly terminal: boolean;
}

/** What one update reports: the three values logged per episode (named by `updateMetrics`), and a line to print if any. */
export interface LearnerStats {
  readonly logged: readonly [number, number, number];
  readonly note?: string;
}

/** After every learner of the step has updated. */
export interface StepEnd extends StepContext {
  /** Every learner that updates on the shared cadence did so this step (or evaluating). */
  readonly allUpdated: boolean;
  /** Every learner is past its exploration phase. */
  readonly allExplored: boolean;
}

/** Per learner (by name), which implementation its updates run in the game `learners` and why (those with a choice). */
export function updatePaths(learners: readonly Learner[]): Record<string, { path: string; reason: string }> {
  const out: Record<string, { path: string; reason: string }> = {};
  for (const l of learners) if (l.updatePath) out[l.name] = l.updatePath(learners);
  return out;
}

/** The update paths as one line for a run's start: `fused: a, b; tfjs: c (why)` (the reason given for paths other than `fast`). */
export function updatePathsLine(paths: Record<string, { path: string; reason: string }>, fast = "fused"): string {
  const groups = new Map<string, string[]>();
  for (const [name, p] of Object.entries(paths)) {
    const key = p.path === fast ? fast : `${p.path} (${p.reason})`;
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups].map(([key, names]) => key.replace(/^(\S+)/, `$1: ${names.join(", ")}`)).join("; ");
}

export interface Learner {
  /** `{policy}-{bad|good}_agent_{i}`. */
  readonly name: string;
  readonly agentIndex: number;
  /** One transition per environment step (partners read it at their sampled indices). */
  readonly replay: ReplayBuffer;
  /** Its target action needs the opponent's target action first (LeMOL). */
  readonly targetNeedsOpponent: boolean;
  /** It acts after the other agents, reading their actions of the step (LeMOL). */
  readonly actsLast: boolean;
  /** Its updates follow the shared cadence (per-step logging waits for them); PPO's do not. */
  readonly updatesOnCadence: boolean;
  /** Names of the three values `update` logs per episode (`q_loss, p_loss, q_value`; PPO `v_loss, p_loss, kl`). */
  readonly updateMetrics: readonly [string, string, string];
  /** An array every checkpoint of this learner's weights holds (to tell a checkpoint of another configuration). */
  readonly checkpointProbe: string;
  /** The original's `initial_exploration_done` (set by the first update; kept per cycle with parallel trajectories). */
  initialExplorationDone: boolean;
  /** Past its exploration phase (PPO has none). */
  readonly explored: boolean;
  /** Optimisers whose state carries over from one trajectory to the next. */
  readonly optimisers: Adam[];
  /** The random streams a trajectory draws from, by name (reseeded per trajectory when trajectories run in parallel). */
  readonly playStreams: Record<string, Rng>;

  act(obs: ArrayLike<number>, out: Float64Array, ctx?: StepContext): void;
  observe(t: Transition, ctx: StepContext): void;
  /** The original's `preupdate`. */
  preupdate(): void;
  /**
   * Which implementation its updates run in the game `partners` (agent order) and why, chosen once
   * (the MADDPG family: the fused native update or tfjs ops); absent: one implementation only.
   */
  updatePath?(partners: readonly Learner[]): { path: string; reason: string };
  /** An update if due at step `t`, else null; `partners` is the whole game in agent order. */
  update(partners: readonly Learner[], t: number): LearnerStats | null;
  afterStep(end: StepEnd): void;
  /** A new trajectory: `learn` re-initialises (weights, buffers; optimisers kept); `evaluate` keeps loaded weights. */
  startTrajectory(mode: "learn" | "evaluate"): void;
  /** New random weights and empty buffers, optimiser state kept. */
  resetLearner(): void;
  /** What the learner made over the trajectory that outlives it (LeMOL's experience file), or null. */
  trajectoryOutput(): Record<string, NdArray> | null;

  saveTo(w: CheckpointWriter, prefix: string, options: { replay: boolean }): void;
  loadFrom(r: CheckpointReader, prefix: string): { replay: boolean };
  saveWeightsTo(w: CheckpointWriter, prefix: string): void;
  loadWeightsFrom(r: CheckpointReader, prefix: string): void;
  dispose(): void;
}
