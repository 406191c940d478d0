/**
 * Plays the schedule's trajectories step by step (lemol-spec §2.2, §2.4): starts a trajectory
 * (fresh learners, the pairing's loop, a reset environment), steps the loop, records every episode
 * and the `save_rate` summaries, and ends a trajectory with its experience file. The Experiment
 * drives it from its calls and takes the checkpoints it asks for between steps.
 */
import { PHASE, phaseTimer } from "../util/phase-timer.js";
import type { Learner, LearnerSink } from "../agents/learner.js";
import { MultiAgentEnv } from "../envs/env.js";
import type { UAVEnv } from "../envs/uav.js";
import { saveNpz } from "../storage/npz.js";
import { displayPath } from "../util/fs.js";
import { Rng } from "../util/rng.js";
import type { ExperimentConfig } from "./config.js";
import { EvaluationRecorder } from "./evaluate.js";
import type { ExperimentEvent, ExperimentEventMap } from "./events.js";
import { PlayLoop, StepHooks } from "./loop.js";
import type { MetricRow, MetricsLog } from "./metrics.js";
import type { CycleStart } from "./parallel.js";
import { TrajectoryRecords } from "./records.js";
import type { RunDir } from "./run-dir.js";
import type { Schedule } from "./schedule.js";

/** What the player plays with and writes to (the Experiment's parts). */
export interface PlayerParts {
  config: Readonly<ExperimentConfig>;
  env: MultiAgentEnv | UAVEnv;
  schedule: Schedule;
  trainers: Map<string, Learner>;
  policies: { bad: string[]; good: string[] };
  adversary: readonly boolean[];
  evaluating: boolean;
  runDir: RunDir;
  metrics: MetricsLog;
  cycleStart: CycleStart;
  emit: <E extends ExperimentEvent>(event: E, payload: ExperimentEventMap[E]) => void;
  print: (line: string) => void;
  /** The run's progress changed enough to record it in the manifest (a trajectory ended). */
  progressed: () => void;
}

export class TrajectoryPlayer {
  readonly records = new TrajectoryRecords();
  /** `--display` frames and `--benchmark` data. */
  readonly evaluation: EvaluationRecorder;
  /** The current pairing's step loop. */
  loop: PlayLoop;
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

  constructor(private readonly p: PlayerParts) {
    const { config: cfg, env } = p;
    // with --discrete_actions the original env one-hots the movement in place: that is what is stored
    this.oneHotMovement = Array.from({ length: env.n }, (_, a) => cfg.discrete_actions && env instanceof MultiAgentEnv && env.world.layout.movable[a] === 1);
    // a speaking agent's message is the last dim_c numbers of its action
    this.oneHotMessage = Array.from({ length: env.n }, (_, a) => {
      if (!cfg.discrete_messages || !(env instanceof MultiAgentEnv) || env.world.layout.silent[a] === 1) return null;
      const dimC = env.world.layout.dimC;
      return dimC > 0 ? [env.actionSizes[a] - dimC, dimC] : null;
    });
    this.sink = {
      metric: (learner, metric, value) => this.row({ train_step: this.trainStep, episode: this.episodesCompleted, agent: learner.name, metric, value }),
      emit: (event, payload) => p.emit(event, { ...p.schedule.info!, ...payload }),
      print: (line) => p.print(line),
    };
    this.stepHooks = {
      envStepped: (r) => this.evaluation.stepped(r, () => `${p.schedule.info!.pair} · episode ${this.episodesCompleted + 1} · step ${this.episodeStep}`),
      episodeEnded: (episode, rewards, length) => this.endEpisode(episode, rewards, length),
      updated: (a, u) => {
        this.records.addUpdate(a, u.logged);
        if (u.note) p.print(u.note);
      },
    };
    this.loop = this.loopFor(0);
    this.evaluation = new EvaluationRecorder(cfg, env, p.runDir.root);
  }

  /** Steps since the current trajectory's start (the original's `train_step`). */
  get trainStep(): number {
    return this.loop.trainStep;
  }
  get episodeStep(): number {
    return this.loop.episodeStep;
  }
  get episodesCompleted(): number {
    return this.loop.episodesCompleted;
  }

  /** The learner for an agent under pairing j. */
  trainerFor(agent: number, j: number): Learner {
    const list = this.p.policies[this.p.adversary[agent] ? "bad" : "good"];
    return this.p.trainers.get(`${list.length > 1 ? list[j] : list[0]}/${agent}`)!;
  }

  /** The step loop over the learners of pairing `j` (made once per pairing). */
  loopFor(j: number): PlayLoop {
    let loop = this.loops.get(j);
    if (!loop) {
      const learners = Array.from({ length: this.p.env.n }, (_, i) => this.trainerFor(i, j));
      this.loops.set(
        j,
        (loop = new PlayLoop(this.p.env, learners, {
          maxEpisodeLen: this.p.config.max_episode_len,
          oneHotMovement: this.oneHotMovement,
          oneHotMessage: this.oneHotMessage,
        })),
      );
      loop.evaluating = this.p.evaluating;
      loop.sink = this.sink;
    }
    return loop;
  }

  /** Starts the schedule's next trajectory: fresh learners (lemol-spec §2.2), a reset environment. */
  beginTrajectory(): void {
    const { config: cfg, schedule: s, evaluating } = this.p;
    this.loop = this.loopFor(s.opponent);
    const agents = this.loop.learners;
    const info = s.startTrajectory(agents.map((a) => a.name)); // refused unless the schedule is playing
    // evaluating, the loaded weights are kept (the original re-initialised them here) and acting starts at once
    if (!evaluating && cfg.parallel_trajectories)
      this.p.cycleStart.beginTrajectory(this.p.trainers, cfg.seed, info.trajectory, info.repeat === 0 && info.opponent === 0);
    for (const a of agents) a.startTrajectory(evaluating ? "evaluate" : "learn");
    this.records.begin(agents.length);
    // with parallel trajectories each has an environment seed of its own
    const env = this.p.env;
    this.loop.begin(cfg.parallel_trajectories ? env.reset(Rng.stream(cfg.seed, `env/trajectory-${info.trajectory}`).int(2 ** 31)) : env.reset());
    this.evaluation.trajectoryStarted(`${info.pair} · episode 1 · step 0`);
    this.p.print(`Using good policy ${info.agents[info.agents.length - 1]} and bad policy ${info.agents[0]} with ${cfg.num_adversaries} adversaries`);
    this.p.print("Starting iterations...");
    this.p.emit("trajectory_start", info);
  }

  /**
   * One environment step with every learner, then their updates (lemol-spec §2.4), starting a
   * trajectory if none is under way. Returns whether a `save_rate` checkpoint is due now.
   */
  step(): boolean {
    this.inStep = true;
    try {
      if (!this.p.schedule.inTrajectory) this.beginTrajectory();
      this.loop.step(this.stepHooks);
      this.records.countStep();
      if (this.evaluation.benchmarkDone) this.finishBenchmark();
      else if (this.episodesCompleted >= this.p.config.num_episodes) this.endTrajectory();
    } finally {
      this.inStep = false;
    }
    const due = this.checkpointDue;
    this.checkpointDue = false;
    return due;
  }

  /** A metrics row of the current trajectory. */
  row(partial: Partial<MetricRow> & { metric: string; value: number }): void {
    const s = this.p.schedule;
    const t = s.info;
    this.p.metrics.add({
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
    this.p.emit("cycle_end", { cycle: this.p.schedule.cycle, omTrained });
    this.p.schedule.finishCycle();
  }

  /** --benchmark: writes the recorded benchmark data and ends the run (as the original's benchmark mode). */
  private finishBenchmark(): void {
    this.p.print(this.evaluation.writeBenchmark(this.loop.learners.map((a) => a.name)));
    this.endTrajectory();
    this.p.schedule.phase = "done";
  }

  /** An episode ended (called by the loop before the step's updates): its rows, events and the save_rate report. */
  private endEpisode(episode: number, episodeRewards: Float64Array, length: number): void {
    const { config: cfg, schedule, emit, print } = this.p;
    const info = schedule.info!;
    const animation = this.evaluation.episodeEnded(info.trajectory, info.pair);
    if (animation) print(`display: ${displayPath(animation)}`);
    this.p.runDir.heartbeat();
    const rewards = this.records.endEpisode(this.loop.learners, episode, episodeRewards, this.trainStep, (r) => this.row(r));
    emit("episode_end", { ...info, episode, trainStep: this.trainStep, rewards, length });
    emit("progress", {
      ...info,
      episode: this.episodesCompleted,
      episodes: cfg.num_episodes,
      trainStep: this.trainStep,
      stepsPerSecond: this.records.stepsPerSecond,
      trajectoriesDone: info.trajectory,
      trajectoriesTotal: schedule.totalTrajectories,
    });
    if (this.episodesCompleted % cfg.save_rate === 0) {
      // every save_rate episodes: the original's summary lines, averaged rewards and a checkpoint
      const lines = this.records.summary(this.loop.learners, cfg.save_rate, this.episodesCompleted, this.trainStep, cfg.max_episode_len, (r) => this.row(r));
      for (const l of lines) print(l);
      emit("summary", { lines });
      this.p.metrics.flush();
      this.checkpointDue = true;
    }
  }

  /** The trajectory's last episode ended: what outlives it (LeMOL's experience file), then the schedule moves on. */
  private endTrajectory(): void {
    const { schedule, runDir, print } = this.p;
    const info = schedule.info!;
    let file: string | null = null;
    const output = this.loop.learners.map((l) => l.trajectoryOutput()).find((o) => o !== null) ?? null;
    if (output) {
      file = runDir.experienceFile(info.pair, info.cycle, info.repeat);
      const t0 = phaseTimer.start();
      saveNpz(file, output);
      phaseTimer.stop(PHASE.experience_file, t0);
      print(`${displayPath(file)} saved`);
    }
    print(`...Finished total of ${this.episodesCompleted} episodes.`);
    schedule.inTrajectory = false;
    this.p.metrics.flush();
    this.p.emit("trajectory_end", { ...info, episodes: this.episodesCompleted, steps: this.trainStep, experienceFile: file });
    if (schedule.endTrajectory()) this.finishCycle(false);
    this.p.progressed();
  }
}
