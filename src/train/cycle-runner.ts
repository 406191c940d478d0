/**
 * What the experiment's run calls do (lemol-spec §2.2): step until a trajectory ends, a cycle's
 * opponent-model training, a whole cycle (its trajectories on worker processes with
 * `--parallel_trajectories`). Every loop yields to the event loop now and then and checks for a
 * requested stop between steps, so that notebook interrupts and progress displays are served.
 */
import { ExperimentStopped, yieldEvery, yieldToEventLoop } from "./calls.js";
import type { ExperimentConfig } from "./config.js";
import type { ExperimentEvent, ExperimentEventMap, OMPassSummary, TrajectoryInfo } from "./events.js";
import type { MetricsLog } from "./metrics.js";
import { OMPhase, omTrainingRefusal } from "./om-phase.js";
import type { WorkerProcesses } from "./parallel.js";
import type { RunDir } from "./run-dir.js";
import { adoptWorkersEnd, RunParts } from "./run-state.js";
import type { Schedule } from "./schedule.js";
import type { TrajectoryPlayer } from "./trajectory-player.js";

/** The experiment's parts and services a run call uses. */
export interface CycleHost {
  readonly config: Readonly<ExperimentConfig>;
  readonly schedule: Schedule;
  readonly player: TrajectoryPlayer;
  readonly omPhase: OMPhase;
  readonly workers: WorkerProcesses;
  readonly runDir: RunDir;
  readonly metrics: MetricsLog;
  readonly backendName: string;
  readonly lemolPresent: boolean;
  /** One step, then a checkpoint if one is due. */
  advance(): void;
  /** Throws ExperimentStopped at a requested stop (after flushing metrics). */
  checkStop(): void;
  stopRequested(): boolean;
  checkpoint(label?: string, options?: { replay?: boolean }): string;
  /** The run's progress changed: the manifest records it. */
  progressed(): void;
  parts(): RunParts;
  emit<E extends ExperimentEvent>(event: E, payload: ExperimentEventMap[E]): void;
  print(line: string): void;
}

export class CycleRunner {
  constructor(private readonly h: CycleHost) {}

  /**
   * Steps until `done()` holds. It yields to the event loop before the first step (so no step runs
   * inside the notebook cell's synchronous part, where an interrupt would abort it midway) and
   * then every YIELD_MS, so that interrupts and progress displays are served.
   */
  async pump(done: () => boolean): Promise<void> {
    await yieldToEventLoop();
    const turn = yieldEvery();
    while (!done()) {
      this.h.checkStop();
      this.h.advance();
      const yielding = turn();
      if (yielding) await yielding;
    }
  }

  /** Plays the next trajectory of the schedule to its end (or finishes the one under way). */
  async trajectory(): Promise<TrajectoryInfo> {
    const { schedule } = this.h;
    this.h.checkStop();
    if (!schedule.inTrajectory) this.h.player.beginTrajectory();
    const info = schedule.info!;
    await this.pump(() => !schedule.inTrajectory);
    return info;
  }

  /** The cycle's OM training, then the next cycle; the trained OM is checkpointed at once. */
  async trainOpponentModel(): Promise<OMPassSummary[]> {
    const { config, schedule, runDir, metrics } = this.h;
    const refusal = omTrainingRefusal(schedule.phase, this.h.lemolPresent, config);
    if (refusal) throw new Error(refusal);
    await yieldToEventLoop();
    const host = {
      cycle: schedule.cycle,
      runDir,
      metrics,
      checkStop: () => this.h.checkStop(),
      chunkDone: (e: ExperimentEventMap["om_chunk"]) => this.h.emit("om_chunk", e),
      // between trajectories: the next one empties the replay buffers, so they are not saved
      // (after the last trajectory they are: that checkpoint ends as the run's final state)
      passStarting: () => void this.h.checkpoint("latest", schedule.trajectoriesStarted < schedule.totalTrajectories ? { replay: false } : {}),
    };
    const summaries = await this.h.omPhase.run(host, (line) => this.h.print(line));
    this.h.player.finishCycle(true);
    // (after the last cycle this checkpoint is the run's final state)
    this.h.checkpoint();
    this.h.progressed();
    return summaries;
  }

  /** The rest of the current cycle: its trajectories (on the workers when parallel), then its OM training. */
  async cycle(): Promise<void> {
    const s = this.h.schedule;
    const cycle = s.cycle;
    if (this.h.config.parallel_trajectories && this.h.workers.count > 1 && s.phase === "play" && !s.inTrajectory && s.repeat === 0 && s.opponent === 0)
      await this.cycleInWorkers();
    while (s.phase === "play" && s.cycle === cycle) await this.trajectory();
    if (s.phase === "om_training" && s.cycle === cycle) await this.trainOpponentModel();
  }

  /** Trajectory `index` of the current cycle (in schedule order), played from the cycle's start (a parallel worker's job). */
  async trajectoryOfCycle(index: number): Promise<TrajectoryInfo> {
    const s = this.h.schedule;
    if (s.phase !== "play" || s.inTrajectory || s.repeat !== 0 || s.opponent !== 0)
      throw new Error("playTrajectoryOfCycle: the experiment is not at the start of a cycle");
    if (!Number.isInteger(index) || index < 0 || index >= s.perCycle)
      throw new RangeError(`playTrajectoryOfCycle: index ${index} is not one of the cycle's ${s.perCycle} trajectories`);
    s.repeat = Math.floor(index / s.shape.opponents);
    s.opponent = index % s.shape.opponents;
    s.trajectoriesStarted += index;
    return this.trajectory();
  }

  /** The cycle's trajectories on worker processes (parallel.ts), then the state the last ended in. */
  private async cycleInWorkers(): Promise<void> {
    const { schedule, workers } = this.h;
    const cycle = schedule.cycle;
    // the workers continue from the cycle's start; it is also where a crashed run resumes
    this.h.checkpoint("latest");
    const played = await workers.playCycle({
      schedule,
      runDir: this.h.runDir.root,
      checkpoint: "latest",
      backend: this.h.backendName,
      progress: (e) => this.h.emit("progress", e),
      stopRequested: () => this.h.stopRequested(),
    });
    if (!played) {
      // stopped: nothing of the cycle is kept, a later call plays it again from its start
      this.h.checkStop();
      throw new ExperimentStopped();
    }
    adoptWorkersEnd(this.h.parts(), played.rows, played.end);
    // with OM training next, its passes are checkpointed as they start; without, the cycle's end is here
    if (schedule.phase !== "om_training") this.h.checkpoint();
    if (schedule.cycle !== cycle) this.h.emit("cycle_end", { cycle, omTrained: false });
    this.h.print(`cycle ${cycle}: ${schedule.perCycle} trajectories played on ${Math.min(workers.count, schedule.perCycle)} workers`);
    this.h.progressed();
  }
}
