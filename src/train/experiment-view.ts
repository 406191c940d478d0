/**
 * Where an experiment stands, read between run calls (what a notebook prints and plots): the
 * schedule's position, the current trajectory, the pairing's learners and the opponent model's
 * last prediction. `Experiment` (experiment.ts) extends it with the calls that move it on.
 */
import { inspect } from "node:util";
import { argmax, LeMOLAgentTrainer } from "../agents/lemol/agent.js";
import type { Learner } from "../agents/learner.js";
import type { MultiAgentEnv } from "../envs/env.js";
import type { UAVEnv } from "../envs/uav.js";
import { displayPath } from "../util/fs.js";
import type { CallOutcome, CallQueue } from "./calls.js";
import type { ExperimentConfig } from "./config.js";
import type { Phase, TrajectoryInfo } from "./events.js";
import type { MetricsLog } from "./metrics.js";
import type { WorkerProcesses } from "./parallel.js";
import type { RunDir } from "./run-dir.js";
import type { Schedule } from "./schedule.js";
import type { TrajectoryPlayer } from "./trajectory-player.js";

export abstract class ExperimentView {
  abstract readonly config: Readonly<ExperimentConfig>;
  abstract readonly runDir: RunDir;
  abstract readonly env: MultiAgentEnv | UAVEnv;
  abstract readonly metrics: MetricsLog;
  protected abstract readonly schedule: Schedule;
  protected abstract readonly trainers: Map<string, Learner>;
  protected abstract readonly player: TrajectoryPlayer;
  protected abstract readonly calls: CallQueue;
  protected abstract readonly workers: WorkerProcesses;

  get phase(): Phase {
    return this.schedule.phase;
  }
  get cycle(): number {
    return this.schedule.cycle;
  }
  get repeat(): number {
    return this.schedule.repeat;
  }
  get opponent(): number {
    return this.schedule.opponent;
  }
  /** Trajectories started so far (the id of the next one). */
  get trajectoriesStarted(): number {
    return this.schedule.trajectoriesStarted;
  }
  /** Trajectories in the whole run. */
  get totalTrajectories(): number {
    return this.schedule.totalTrajectories;
  }
  /** Steps since the current trajectory's start (the original's `train_step`). */
  get trainStep(): number {
    return this.player.trainStep;
  }
  /** Steps of the current episode so far. */
  get episodeStep(): number {
    return this.player.episodeStep;
  }
  /** Episodes of the current trajectory completed so far. */
  get episodesCompleted(): number {
    return this.player.episodesCompleted;
  }
  /** Whether a trajectory is under way. */
  get trajectoryInProgress(): boolean {
    return this.schedule.inTrajectory;
  }
  /** The current (or last) trajectory. */
  get trajectory(): TrajectoryInfo | null {
    return this.schedule.info;
  }

  /** The learners of the current pairing, in agent order. */
  get pairing(): readonly Learner[] {
    return Array.from({ length: this.env.n }, (_, i) => this.player.trainerFor(i, this.opponent));
  }

  /** The LeMOL agent of the current pairing, if any. */
  get lemol(): LeMOLAgentTrainer | null {
    return (this.pairing.find((t) => t instanceof LeMOLAgentTrainer) as LeMOLAgentTrainer | undefined) ?? null;
  }

  /** Every learner of the experiment (all policies of both sides). */
  get allTrainers(): readonly Learner[] {
    return [...this.trainers.values()];
  }

  /**
   * The opponent model's prediction at the last step and the opponent's actual action (as the
   * environment played it); null without a LeMOL agent or before the first step.
   */
  get omPrediction(): { predicted: number[]; opponentAction: number[]; correct: boolean } | null {
    const lemol = this.lemol;
    if (!lemol || this.schedule.info === null || (this.trainStep === 0 && this.episodesCompleted === 0)) return null;
    const predicted = Array.from(lemol.prediction);
    const opponentAction = Array.from(lemol.lastOpponentAction);
    return { predicted, opponentAction, correct: argmax(predicted, predicted.length) === argmax(opponentAction, opponentAction.length) };
  }

  /** One line on where the experiment stands (what a notebook prints for `exp`). */
  describe(): string {
    const c = this.config;
    return `<Experiment ${c.exp_name}: ${c.scenario}, ${c.bad_policy} (bad) vs ${c.good_policy} (good), seed ${c.seed}; ${this.schedule.where(this.episodesCompleted, this.trainStep)}; ${this.metrics.length} metric rows in ${displayPath(this.runDir.root)}>`;
  }

  [inspect.custom](): string {
    return this.describe();
  }

  /** Process ids of the parallel-trajectory worker processes alive now (none before the first parallel cycle). */
  get workerPids(): number[] {
    return this.workers.pids;
  }

  /** Whether a run call is under way (or queued). */
  get busy(): boolean {
    return this.calls.busy;
  }

  /** How the last run call ended: done, stopped (interrupt or requestStop), refused or failed. */
  get lastCall(): CallOutcome | null {
    return this.calls.last;
  }
}
