/**
 * What the experiment's run calls do (lemol-spec §2.2): a step, an episode, a trajectory, a
 * cycle's opponent-model training, a whole cycle (its trajectories on worker processes with
 * `--parallel_trajectories`), and the checkpoints they take. It drives the trajectory player (which
 * steps the loop) and the OM phase, and takes the checkpoints they say are due. Every loop yields
 * to the event loop now and then and checks for a requested stop between steps (and OM chunks), so
 * that notebook interrupts and progress displays are served.
 */
import { ExperimentStopped, yieldEvery, yieldToEventLoop, type CallQueue } from "./calls.js";
import type { OMPassSummary, TrajectoryInfo } from "./events.js";
import { omTrainingRefusal } from "./om-phase.js";
import type { Run } from "./run.js";
import { adoptWorkersEnd, checkpointRun } from "./run-state.js";
import type { TrajectoryPlayer } from "./trajectory-player.js";

export class CycleRunner {
  /**
   * `calls` is where a stop is requested (`requestStop`, an interrupt): the runner stops at the
   * next boundary by throwing {@link ExperimentStopped}.
   */
  constructor(
    private readonly run: Run,
    private readonly player: TrajectoryPlayer,
    private readonly calls: CallQueue,
  ) {}

  /**
   * Writes a checkpoint (`<save_dir>/<label>`, default `latest`) between steps, with the replay
   * buffers when `options.replay` (default `checkpoint_replay`). Returns its path.
   */
  checkpoint(label = "latest", options: { replay?: boolean } = {}): string {
    return checkpointRun(this.run, this.player, label, options.replay ?? this.run.config.checkpoint_replay);
  }

  /** One step (lemol-spec §2.4), then the `save_rate` checkpoint if the step made one due. */
  step(): void {
    if (this.player.step() === "checkpoint_due") this.checkpoint();
  }

  /** Steps until the current episode ends (starting a trajectory if none is under way); returns its per-agent rewards. */
  async episode(): Promise<number[]> {
    this.checkStop(); // a stop between trajectories does not start the next one
    if (!this.run.schedule.inTrajectory) this.player.beginTrajectory();
    const before = this.player.loop.episodesCompleted;
    await this.pump(() => this.player.loop.episodesCompleted > before);
    const rewards = this.player.records.episodeRewards;
    return rewards[rewards.length - 1];
  }

  /** Plays the next trajectory of the schedule to its end (or finishes the one under way). */
  async trajectory(): Promise<TrajectoryInfo> {
    const { schedule } = this.run;
    this.checkStop();
    if (!schedule.inTrajectory) this.player.beginTrajectory();
    const info = schedule.info!;
    await this.pump(() => !schedule.inTrajectory);
    return info;
  }

  /** The cycle's OM training (om-phase.ts), then the next cycle; the trained OM is checkpointed at once. */
  async trainOpponentModel(): Promise<OMPassSummary[]> {
    const { run } = this;
    const { config, schedule, omPhase } = run;
    const refusal = omTrainingRefusal(schedule.phase, run.lemolPresent, config);
    if (refusal) throw new Error(refusal);
    await yieldToEventLoop();
    const turn = yieldEvery();
    const cycle = schedule.cycle;
    let next = omPhase.next(run.print);
    for (; next.next !== "done"; next = omPhase.next(run.print)) {
      if (next.next === "pass_start") {
        // checkpointed as each pass starts, so a crash loses at most one pass (and never the cycle's play).
        // Between trajectories the next one empties the replay buffers, so they are not saved (after
        // the last trajectory they are: that checkpoint ends as the run's final state)
        this.checkpoint("latest", schedule.trajectoriesStarted < schedule.totalTrajectories ? { replay: false } : {});
        omPhase.startPass(run.runDir.experienceFiles());
        continue;
      }
      this.checkStop();
      run.emit("om_chunk", omPhase.trainChunk(cycle, run.metrics));
      run.runDir.heartbeat();
      await turn();
    }
    this.player.finishCycle(true);
    // (after the last cycle this checkpoint is the run's final state)
    this.checkpoint();
    run.writeManifest("running");
    return next.summaries;
  }

  /** The rest of the current cycle: its trajectories (on the workers when parallel), then its OM training. */
  async cycle(): Promise<void> {
    const s = this.run.schedule;
    const cycle = s.cycle;
    if (this.run.config.parallel_trajectories && this.run.workers.count > 1 && s.phase === "play" && !s.inTrajectory && s.repeat === 0 && s.opponent === 0)
      await this.cycleInWorkers();
    while (s.phase === "play" && s.cycle === cycle) await this.trajectory();
    if (s.phase === "om_training" && s.cycle === cycle) await this.trainOpponentModel();
  }

  /** Trajectory `index` of the current cycle (in schedule order), played from the cycle's start (a parallel worker's job). */
  async trajectoryOfCycle(index: number): Promise<TrajectoryInfo> {
    const s = this.run.schedule;
    if (s.phase !== "play" || s.inTrajectory || s.repeat !== 0 || s.opponent !== 0)
      throw new Error("playTrajectoryOfCycle: the experiment is not at the start of a cycle");
    if (!Number.isInteger(index) || index < 0 || index >= s.perCycle)
      throw new RangeError(`playTrajectoryOfCycle: index ${index} is not one of the cycle's ${s.perCycle} trajectories`);
    s.repeat = Math.floor(index / s.shape.opponents);
    s.opponent = index % s.shape.opponents;
    s.trajectoriesStarted += index;
    return this.trajectory();
  }

  /**
   * Steps until `done()` holds. It yields to the event loop before the first step (so no step runs
   * inside the notebook cell's synchronous part, where an interrupt would abort it midway) and
   * then every YIELD_MS, so that interrupts and progress displays are served.
   */
  private async pump(done: () => boolean): Promise<void> {
    await yieldToEventLoop();
    const turn = yieldEvery();
    while (!done()) {
      this.checkStop();
      this.step();
      const yielding = turn();
      if (yielding) await yielding;
    }
  }

  /** At a requested stop: flushes the metrics and throws ExperimentStopped. */
  private checkStop(): void {
    this.calls.checkStop(() => this.run.metrics.flush());
  }

  /** The cycle's trajectories on worker processes (parallel.ts), then the state the last ended in. */
  private async cycleInWorkers(): Promise<void> {
    const { run } = this;
    const { schedule, workers } = run;
    const cycle = schedule.cycle;
    // the workers continue from the cycle's start; it is also where a crashed run resumes
    this.checkpoint("latest");
    const played = await workers.playCycle({
      schedule,
      runDir: run.runDir.root,
      checkpoint: "latest",
      backend: run.backend.name,
      progress: (e) => run.emit("progress", e),
      stopRequested: () => this.calls.stopRequested,
    });
    if (!played) {
      // stopped: nothing of the cycle is kept, a later call plays it again from its start
      this.checkStop();
      throw new ExperimentStopped();
    }
    adoptWorkersEnd(run, this.player, played.rows, played.end);
    // with OM training next, its passes are checkpointed as they start; without, the cycle's end is here
    if (schedule.phase !== "om_training") this.checkpoint();
    if (schedule.cycle !== cycle) run.emit("cycle_end", { cycle, omTrained: false });
    run.print(`cycle ${cycle}: ${schedule.perCycle} trajectories played on ${Math.min(workers.count, schedule.perCycle)} workers`);
    run.writeManifest("running");
  }
}
