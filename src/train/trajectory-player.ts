/**
 * Plays the schedule's trajectories step by step (lemol-spec §2.2, §2.4): starts a trajectory
 * (fresh learners, the pairing's loop, a reset environment), steps the loop, records every episode
 * and the `save_rate` summaries, and ends a trajectory with its experience file. The cycle runner
 * drives it and takes the checkpoints a step says are due (between steps).
 */
import { PHASE, phaseTimer } from "../util/phase-timer.js";
import type { LearnerSink } from "../agents/learner.js";
import { saveNpz } from "../storage/npz.js";
import { displayPath } from "../util/fs.js";
import { Rng } from "../util/rng.js";
import { EvaluationRecorder } from "./evaluate.js";
import { PlayLoop, StepHooks } from "./loop.js";
import type { MetricRow } from "./metrics.js";
import { TrajectoryRecords } from "./records.js";
import type { Run } from "./run.js";

/** What a step of play did: `checkpoint_due` when it completed `save_rate` episodes. */
export type PlayedStep = "stepped" | "checkpoint_due";

export class TrajectoryPlayer {
  readonly records = new TrajectoryRecords();
  /** `--display` frames and `--benchmark` data. */
  readonly evaluation: EvaluationRecorder;
  /** The current pairing's step loop (read as `loop`, changed by `playPairing`). */
  private playing: PlayLoop;
  /** Whether a step is under way (checkpoints are taken between steps). */
  inStep = false;
  /** The step loop of each pairing (by opponent index). */
  private readonly loops = new Map<number, PlayLoop>();
  /** Per agent: the env one-hots its movement (`--discrete_actions`), so the one-hot is stored. */
  private readonly oneHotMovement: boolean[];
  /** Per agent: the message chunk sent as a one-hot (`--discrete_messages`), or null. */
  private readonly oneHotMessage: ([number, number] | null)[];
  /** What learners report through, with the run's counters and trajectory. */
  private readonly sink: LearnerSink;
  private readonly stepHooks: StepHooks;
  /** A save_rate checkpoint waits for the end of the step. */
  private checkpointDue = false;

  constructor(private readonly run: Run) {
    // what the env one-hots in place (and messages sent one-hot) is what is stored: the one rule
    this.oneHotMovement = [...run.oneHot.movement];
    this.oneHotMessage = run.oneHot.message.map((m) => (m ? [m[0], m[1]] : null));
    this.sink = {
      metric: (learner, metric, value) =>
        this.row({ train_step: this.loop.trainStep, episode: this.loop.episodesCompleted, agent: learner.name, metric, value }),
      emit: (event, payload) => run.emit(event, { ...run.schedule.info!, ...payload }),
      print: (line) => run.print(line),
    };
    this.stepHooks = {
      envStepped: (r) =>
        this.evaluation.stepped(r, () => `${run.schedule.info!.pair} · episode ${this.loop.episodesCompleted + 1} · step ${this.loop.episodeStep}`),
      episodeEnded: (episode, rewards, length) => this.endEpisode(episode, rewards, length),
      updated: (a, u) => {
        this.records.addUpdate(a, u.logged);
        if (u.note) run.print(u.note);
      },
    };
    this.playing = this.loopFor(0);
    this.evaluation = new EvaluationRecorder(run.config, run.env, run.runDir.root);
  }

  /** The current pairing's step loop: its counters are where the trajectory stands (`trainStep`, the episode). */
  get loop(): PlayLoop {
    return this.playing;
  }

  /** The step loop over the learners of pairing `j` (made once per pairing). */
  private loopFor(j: number): PlayLoop {
    let loop = this.loops.get(j);
    if (!loop) {
      const { env, config, evaluating } = this.run;
      const options = { maxEpisodeLen: config.max_episode_len, oneHotMovement: this.oneHotMovement, oneHotMessage: this.oneHotMessage };
      this.loops.set(j, (loop = new PlayLoop(env, this.run.pairing(j), options)));
      loop.evaluating = evaluating;
      loop.sink = this.sink;
    }
    return loop;
  }

  /** Makes pairing `j`'s loop the current one (a checkpoint put back); returns it. */
  playPairing(j: number): PlayLoop {
    return (this.playing = this.loopFor(j));
  }

  /** Starts the schedule's next trajectory: fresh learners (lemol-spec §2.2), a reset environment. */
  beginTrajectory(): void {
    const { config: cfg, schedule: s, evaluating, env } = this.run;
    this.playPairing(s.opponent);
    const agents = this.loop.learners;
    const info = s.startTrajectory(agents.map((a) => a.name)); // refused unless the schedule is playing
    // evaluating, the loaded weights are kept (the original re-initialised them here) and acting starts at once
    if (!evaluating && cfg.parallel_trajectories)
      this.run.cycleStart.beginTrajectory(this.run.trainers, cfg.seed, info.trajectory, info.repeat === 0 && info.opponent === 0);
    for (const a of agents) a.startTrajectory(evaluating ? "evaluate" : "learn");
    this.records.begin(agents.length);
    // with parallel trajectories each has an environment seed of its own
    this.loop.begin(cfg.parallel_trajectories ? env.reset(Rng.stream(cfg.seed, `env/trajectory-${info.trajectory}`).int(2 ** 31)) : env.reset());
    this.evaluation.trajectoryStarted(`${info.pair} · episode 1 · step 0`);
    this.run.print(`Using good policy ${info.agents[info.agents.length - 1]} and bad policy ${info.agents[0]} with ${cfg.num_adversaries} adversaries`);
    this.run.print("Starting iterations...");
    this.run.emit("trajectory_start", info);
  }

  /**
   * One environment step with every learner, then their updates (lemol-spec §2.4), starting a
   * trajectory if none is under way. Returns what happened: `checkpoint_due` when the step ended
   * `save_rate` episodes (the caller takes the checkpoint, between steps).
   */
  step(): PlayedStep {
    this.inStep = true;
    try {
      if (!this.run.schedule.inTrajectory) this.beginTrajectory();
      this.loop.step(this.stepHooks);
      this.records.countStep();
      if (this.evaluation.benchmarkDone) this.finishBenchmark();
      else if (this.loop.episodesCompleted >= this.run.config.num_episodes) this.endTrajectory();
    } finally {
      this.inStep = false;
    }
    const due = this.checkpointDue;
    this.checkpointDue = false;
    return due ? "checkpoint_due" : "stepped";
  }

  /** A metrics row of the current trajectory. */
  row(partial: Partial<MetricRow> & { metric: string; value: number }): void {
    const s = this.run.schedule;
    const t = s.info;
    this.run.metrics.add({
      cycle: t?.cycle ?? null,
      trajectory: t?.trajectory ?? null,
      opponent: t ? s.opponentName() : null,
      episode: null,
      train_step: null,
      om_iter: null,
      agent: null,
      ...partial,
    });
  }

  /** The cycle ends (its trajectories played, and its OM training if any). */
  finishCycle(omTrained: boolean): void {
    this.run.emit("cycle_end", { cycle: this.run.schedule.cycle, omTrained });
    this.run.schedule.finishCycle();
  }

  /** --benchmark: writes the recorded benchmark data and ends the run (as the original's benchmark mode). */
  private finishBenchmark(): void {
    this.run.print(this.evaluation.writeBenchmark(this.loop.learners.map((a) => a.name)));
    this.endTrajectory();
    this.run.schedule.phase = "done";
  }

  /** An episode ended (called by the loop before the step's updates): its rows, events and the save_rate report. */
  private endEpisode(episode: number, episodeRewards: Float64Array, length: number): void {
    const { run, loop } = this;
    const { config: cfg, schedule } = run;
    const info = schedule.info!;
    const animation = this.evaluation.episodeEnded(info.trajectory, info.pair);
    if (animation) run.print(`display: ${displayPath(animation)}`);
    run.runDir.heartbeat();
    const rewards = this.records.endEpisode(loop.learners, episode, episodeRewards, loop.trainStep, (r) => this.row(r));
    run.emit("episode_end", { ...info, episode, trainStep: loop.trainStep, rewards, length });
    run.emit("progress", {
      ...info,
      episode: loop.episodesCompleted,
      episodes: cfg.num_episodes,
      trainStep: loop.trainStep,
      stepsPerSecond: this.records.stepsPerSecond,
      trajectoriesDone: info.trajectory,
      trajectoriesTotal: schedule.totalTrajectories,
    });
    if (loop.episodesCompleted % cfg.save_rate === 0) {
      // every save_rate episodes: the original's summary lines, averaged rewards and a checkpoint
      const lines = this.records.summary(loop.learners, cfg.save_rate, loop.episodesCompleted, loop.trainStep, cfg.max_episode_len, (r) => this.row(r));
      for (const l of lines) run.print(l);
      run.emit("summary", { lines });
      run.metrics.flush();
      this.checkpointDue = true;
    }
  }

  /** The trajectory's last episode ended: what outlives it (LeMOL's experience file), then the schedule moves on. */
  private endTrajectory(): void {
    const { run, loop } = this;
    const { schedule, runDir } = run;
    const info = schedule.info!;
    let file: string | null = null;
    const output = loop.learners.map((l) => l.trajectoryOutput()).find((o) => o !== null) ?? null;
    if (output) {
      file = runDir.experienceFile(info.pair, info.cycle, info.repeat);
      const t0 = phaseTimer.start();
      saveNpz(file, output);
      phaseTimer.stop(PHASE.experience_file, t0);
      run.print(`${displayPath(file)} saved`);
    }
    run.print(`...Finished total of ${loop.episodesCompleted} episodes.`);
    schedule.inTrajectory = false;
    run.metrics.flush();
    run.emit("trajectory_end", { ...info, episodes: loop.episodesCompleted, steps: loop.trainStep, experienceFile: file });
    if (schedule.endTrajectory()) this.finishCycle(false);
    run.writeManifest("running");
  }
}
