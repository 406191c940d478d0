/**
 * What an experiment tells the world: where its schedule stands, and the typed events front ends
 * (the CLI's bar, the notebook's live progress, sweep workers) subscribe to.
 */
import type { LearnerEvents } from "../agents/learner.js";

/** Where the schedule stands. */
export type Phase = "play" | "om_training" | "done";

export interface TrajectoryInfo {
  cycle: number;
  repeat: number;
  opponent: number;
  /** Global trajectory id (0, 1, 2, ... in order of play). */
  trajectory: number;
  /** The pairing's trainer names, in agent order. */
  agents: string[];
  /** `<bad>_vs_<good>` as the original names its directories. */
  pair: string;
}

/** What the experiment emits. */
export interface ExperimentEventMap {
  trajectory_start: TrajectoryInfo;
  episode_end: TrajectoryInfo & { episode: number; trainStep: number; rewards: number[]; length: number };
  om_window: TrajectoryInfo & LearnerEvents["om_window"];
  om_chunk: { cycle: number; pass: number; passes: number; iteration: number; chunk: number; chunks: number; loss: number; accuracy: number };
  trajectory_end: TrajectoryInfo & { episodes: number; steps: number; experienceFile: string | null };
  cycle_end: { cycle: number; omTrained: boolean };
  checkpoint: { path: string; episode: number };
  summary: { lines: string[] };
  /** `worker`: which worker process plays the trajectory (parallel trajectories). */
  progress: TrajectoryInfo & {
    episode: number;
    episodes: number;
    trainStep: number;
    stepsPerSecond: number;
    trajectoriesDone: number;
    trajectoriesTotal: number;
    worker?: number;
  };
}
export type ExperimentEvent = keyof ExperimentEventMap;

/** The public calls that run the schedule. */
export type RunCall = "runEpisode" | "runTrajectory" | "trainOpponentModel" | "runCycle" | "run";

/** One opponent-model training pass: chunks trained, mean loss and accuracy over them. */
export interface OMPassSummary {
  chunks: number;
  loss: number;
  accuracy: number;
}

/** Typed subscribers per event: `on` hands out an unsubscribe function, `emit` calls them in order. */
export class EventBus<M> {
  private readonly listeners = new Map<keyof M, Set<(e: never) => void>>();

  on<E extends keyof M>(event: E, fn: (e: M[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => set!.delete(fn as (e: never) => void);
  }

  emit<E extends keyof M>(event: E, payload: M[E]): void {
    const set = this.listeners.get(event);
    if (set) for (const fn of set) (fn as (e: M[E]) => void)(payload);
  }
}
