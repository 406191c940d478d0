/**
 * The LeMOL experiment (lemol-spec §2) as a resumable state machine over (cycle, repeat,
 * opponent, episode, step), so that a notebook can call `step()`, `runEpisode()`,
 * `runTrajectory()`, `trainOpponentModel()`, `runCycle()` or `run()` in any composition and get
 * the same numbers as `lemol train` with the same seed.
 *
 *   for cycle in n_opp_cycles (1 without LeMOL):                         schedule.ts
 *     for k in traj_per_iter: for each opponent j:
 *       one trajectory: fresh learners (new weights, empty buffers, Adam state and OM kept),
 *       num_episodes episodes, each step the loop of §2.4                 loop.ts
 *     OM training: om_training_iters passes over the saved experience    om-phase.ts
 *
 * What it plays is built from the config (build.ts); it records episodes and summaries
 * (records.ts), writes the run directory (manifest, metrics.csv, experience files, checkpoints),
 * runs a cycle on worker processes with `--parallel_trajectories` (parallel.ts), queues the
 * notebook's calls (calls.ts), and emits events that front ends subscribe to (events.ts, hooks.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { inspect } from "node:util";
import { argmax, LeMOLAgentTrainer } from "../agents/lemol/agent.js";
import type { Learner, LearnerSink } from "../agents/learner.js";
import { POLICY_NAMES } from "../agents/policies.js";
import { MultiAgentEnv } from "../envs/env.js";
import type { UAVEnv } from "../envs/uav.js";
import { BackendInfo, initBackend, tf } from "../nn/backend.js";
import { CheckpointReader, CheckpointWriter, saveCheckpoint } from "../storage/checkpoint.js";
import { saveNpz } from "../storage/npz.js";
import { displayPath } from "../util/fs.js";
import { Rng } from "../util/rng.js";
import { buildRun } from "./build.js";
import { CallOutcome, CallQueue, ExperimentStopped, yieldEvery, yieldToEventLoop } from "./calls.js";
import { absolutePaths, ConfigError, ExperimentConfig, resolveConfig } from "./config.js";
import { EvaluationRecorder, loadPolicies } from "./evaluate.js";
import { EventBus, ExperimentEvent, ExperimentEventMap, OMPassSummary, Phase, RunCall, TrajectoryInfo } from "./events.js";
import { ExperimentHooks, resolveHooks } from "./hooks.js";
import { PlayLoop, StepHooks } from "./loop.js";
import { adoptWorkersEnd, readRunState, RunParts, writeRunState } from "./run-state.js";
import { MetricRow, MetricsLog } from "./metrics.js";
import { OMPhase, omTrainingRefusal } from "./om-phase.js";
import { CycleStart, WorkerProcesses } from "./parallel.js";
import { TrajectoryRecords } from "./records.js";
import { openRun, RestoreOptions, Resumption } from "./resume.js";
import { gitCommit, hostInfo, libraryVersion, Manifest, RunDir } from "./run-dir.js";
import type { RunLock } from "./run-lock.js";
import { ExperimentState, Schedule } from "./schedule.js";

export type { ExperimentEvent, ExperimentEventMap, OMPassSummary, Phase, RunCall, TrajectoryInfo } from "./events.js";
export type { ExperimentHooks, InterruptSource, ProgressReporter } from "./hooks.js";
export type { RestoreOptions } from "./resume.js";
export { ExperimentStopped, yieldToEventLoop } from "./calls.js";
export type { CallOutcome } from "./calls.js";

/** Policies the experiment builds (every policy of the registry, agents/policies.ts). */
export const EXPERIMENT_POLICIES = POLICY_NAMES;

/** A learner of the experiment: the MADDPG family (LeMOL included) or PPO. */
export type Trainer = Learner;

export interface ExperimentOptions extends Partial<ExperimentConfig> {
  /** tfjs backend to force (`node`, `wasm`, `cpu`); default: automatic. */
  backend?: string;
}

/** Options of {@link Experiment.runCycle} and {@link Experiment.run}. */
export interface RunOptions {
  /** Worker processes for `parallel_trajectories` (default: the `workers` option, else the number of cores). */
  workers?: number;
}

export class Experiment {
  readonly config: Readonly<ExperimentConfig>;
  readonly runDir: RunDir;
  /** The MPE environment, or the UAV grid world (`--scenario uav`). */
  readonly env: MultiAgentEnv | UAVEnv;
  /** Per agent: whether it is an adversary ("bad"). */
  readonly adversary: readonly boolean[];
  readonly backend: BackendInfo;
  readonly metrics: MetricsLog;
  /** The `_`-separated policy lists of each side, and which side varies. */
  readonly policies: { bad: string[]; good: string[]; varying: "good" | "bad" | null };
  readonly lemolPresent: boolean;
  readonly cycles: number;
  readonly opponents: number;
  readonly explorationSteps: number;
  /** Evaluating loaded policies (`test`, `display`, `benchmark`): no learning, no OM training. */
  readonly evaluating: boolean;

  private readonly schedule: Schedule;
  private readonly trainers: Map<string, Learner>;
  /** The step loop of each pairing (by opponent index); `loop` is the current pairing's. */
  private readonly loops = new Map<number, PlayLoop>();
  private loop: PlayLoop;
  private readonly records = new TrajectoryRecords();
  private readonly omPhase: OMPhase;
  private readonly omRng: Rng;
  private readonly cycleStart = new CycleStart();
  private readonly calls: CallQueue;
  /** Per agent: the env one-hots its movement (`--discrete_actions`), so the one-hot is stored. */
  private readonly oneHotMovement: boolean[];
  /** What learners report through, with this experiment's counters and trajectory. */
  private readonly sink: LearnerSink;
  private readonly stepHooks: StepHooks;
  private readonly events = new EventBus<ExperimentEventMap>();
  private readonly print: (line: string) => void;
  private readonly printConfig: boolean;
  private started = new Date().toISOString();
  /** Resumptions of this run (from the manifest), this one last. */
  private resumed: NonNullable<Manifest["resumed"]> = [];
  /** A save_rate checkpoint waits for the end of the step (checkpoints are taken between steps). */
  private checkpointDue = false;
  /** `--display` frames and `--benchmark` data. */
  private readonly evaluation: EvaluationRecorder;
  private inStep = false;
  private readonly workers: WorkerProcesses;

  /** Builds an experiment: checks the options, chooses the backend, creates the run directory. */
  static async create(options: ExperimentOptions = {}, hooks: ExperimentHooks = {}): Promise<Experiment> {
    if (typeof options !== "object" || options === null || Array.isArray(options)) resolveConfig(options as never); // throws the ConfigError
    const { backend, ...rest } = options;
    const config = resolveConfig(rest);
    const info = await initBackend(backend);
    return new Experiment(config, info, hooks);
  }

  /**
   * Continues a run from one of its checkpoints (default `latest`), in this process or a new one:
   * same config, the state of every network, optimiser, random stream, buffer and counter as it
   * was, the metrics cut back to that point. With the replay buffers in the checkpoint
   * (`checkpoint_replay`) the continued run gives exactly the metrics of an uninterrupted one. A
   * run killed before its first checkpoint starts over; a finished run says so and stays done.
   */
  static async restore(runDir: string, options: RestoreOptions = {}, hooks: ExperimentHooks = {}): Promise<Experiment> {
    const opened = openRun(runDir, options, resolveHooks({ ...hooks, progress: null, interrupts: null }).print);
    try {
      const info = await initBackend(options.backend);
      return new Experiment(opened.config, info, hooks, opened.resume ?? undefined, opened.lock);
    } catch (err) {
      opened.lock?.release();
      throw err;
    }
  }

  private constructor(config: ExperimentConfig, backend: BackendInfo, hooks: ExperimentHooks, resume?: Resumption, lock?: RunLock) {
    this.config = Object.freeze(absolutePaths(config));
    this.backend = backend;
    const { print, progress, interrupts } = resolveHooks(hooks);
    this.print = print;
    this.printConfig = hooks.printConfig ?? false;
    this.calls = new CallQueue(this, progress, interrupts);
    const cfg = this.config;
    const setup = buildRun(cfg, this.print);
    this.env = setup.env;
    this.adversary = setup.adversary;
    this.policies = setup.policies;
    this.evaluating = setup.evaluating;
    this.lemolPresent = setup.lemolPresent;
    this.explorationSteps = setup.explorationSteps;
    this.cycles = setup.cycles;
    this.opponents = setup.opponents;
    this.trainers = setup.trainers;
    const omTrainingDue = this.lemolPresent && !this.evaluating && !cfg.feed_lemol_true_action && cfg.om_training_iters > 0;
    this.schedule = new Schedule(cfg, {
      cycles: this.cycles,
      opponents: this.opponents,
      policies: this.policies,
      omTrainingDue,
      episodicPeriods: setup.episodicPeriods,
    });
    this.omRng = Rng.stream(cfg.seed, "om-files");
    const lemolLearners = [...this.trainers.values()].filter((t): t is LeMOLAgentTrainer => t instanceof LeMOLAgentTrainer);
    this.omPhase = new OMPhase(lemolLearners, cfg, this.explorationSteps, setup.episodicPeriods, this.omRng);
    // with --discrete_actions the original env one-hots the movement in place: that is what is stored
    const env = this.env;
    this.oneHotMovement = Array.from({ length: env.n }, (_, a) => cfg.discrete_actions && env instanceof MultiAgentEnv && env.world.layout.movable[a] === 1);
    this.sink = {
      metric: (learner, metric, value) => this.row({ train_step: this.trainStep, episode: this.episodesCompleted, agent: learner.name, metric, value }),
      emit: (event, payload) => this.emit(event, { ...this.schedule.info!, ...payload }),
      print: (line) => this.print(line),
    };
    this.stepHooks = {
      envStepped: (r) => this.evaluation.stepped(r, () => `${this.schedule.info!.pair} · episode ${this.episodesCompleted + 1} · step ${this.episodeStep}`),
      episodeEnded: (episode, rewards, length) => this.endEpisode(episode, rewards, length),
      updated: (a, u) => {
        this.records.addUpdate(a, u.logged);
        if (u.note) this.print(u.note);
      },
    };
    this.loop = this.loopFor(0);
    if (this.evaluating) loadPolicies(this.trainers, this.adversary, cfg);

    this.workers = new WorkerProcesses(cfg.workers);
    this.runDir = new RunDir(cfg, { resume: resume !== undefined && !resume.detached, lock });
    this.evaluation = new EvaluationRecorder(cfg, this.env, this.runDir.root);
    try {
      if (resume?.detached) {
        // a worker's own directory: fresh metrics, the run's state
        this.metrics = new MetricsLog(this.runDir.metricsFile);
        this.loadState(resume.reader, resume.label, true);
      } else if (resume) {
        this.metrics = MetricsLog.resume(this.runDir.metricsFile, resume.reader.value<ExperimentState>("experiment").metricsBytes);
        this.started = resume.manifest.started ?? this.started;
        this.resumed = [...(resume.manifest.resumed ?? [])];
        this.loadState(resume.reader, resume.label);
        // (a finished run's latest checkpoint is its final state; a run finished by an older lemol
        // checkpointed before its last OM training, so its manifest says it)
        if (this.phase === "done" || (resume.manifest.status === "finished" && resume.label === "latest")) {
          this.schedule.phase = "done";
          this.print(`${displayPath(this.runDir.root)}: this run is finished; nothing to continue (its final state is checkpoint ${resume.label})`);
          return;
        }
        this.writeManifest("running");
        this.print(
          `${cfg.exp_name} resumed from checkpoint ${resume.label} (cycle ${this.cycle}, trajectory ${this.trajectoriesStarted}, episode ${this.episodesCompleted})`,
        );
      } else {
        this.metrics = new MetricsLog(this.runDir.metricsFile);
        this.start();
      }
    } catch (err) {
      this.runDir.releaseLock();
      throw err;
    }
  }

  /** A fresh run: the schedule's start, the manifest, and the original's opening lines. */
  private start(): void {
    const cfg = this.config;
    if (this.schedule.skipsPlay(0)) {
      if (this.runDir.experienceFiles().length === 0) {
        throw new ConfigError(
          `--skip_to_om_training: no experience files under ${this.runDir.experienceDir} to train on (give --lemol_save_path the experience directory of an earlier run)`,
        );
      }
      this.schedule.phase = "om_training";
    }
    this.writeManifest("running");
    this.print(`${cfg.exp_name} (${this.started})`);
    if (this.printConfig) for (const [k, v] of Object.entries(cfg).sort(([a], [b]) => a.localeCompare(b))) this.print(`  ${k}: ${v}`);
    else
      this.print(
        `  ${cfg.scenario}, ${cfg.bad_policy} (bad) vs ${cfg.good_policy} (good), seed ${cfg.seed}: ${this.cycles} cycle(s) of ${this.schedule.perCycle} trajectories of ${cfg.num_episodes} episodes; every option in ${displayPath(this.runDir.manifestFile)}`,
      );
    const nBad = this.adversary.filter((x) => x).length;
    this.print(`${nBad} bad agents`);
    this.print(`${this.env.n - nBad} good agents`);
    if (this.policies.varying) this.print(`Training with varied ${this.policies.varying} agents ...`);
  }

  // --- where it stands ---

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
    return this.loop.trainStep;
  }
  /** Steps of the current episode so far. */
  get episodeStep(): number {
    return this.loop.episodeStep;
  }
  /** Episodes of the current trajectory completed so far. */
  get episodesCompleted(): number {
    return this.loop.episodesCompleted;
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
  get pairing(): readonly Trainer[] {
    return Array.from({ length: this.env.n }, (_, i) => this.trainerFor(i, this.opponent));
  }

  /** The LeMOL agent of the current pairing, if any. */
  get lemol(): LeMOLAgentTrainer | null {
    return (this.pairing.find((t) => t instanceof LeMOLAgentTrainer) as LeMOLAgentTrainer | undefined) ?? null;
  }

  /** Every learner of the experiment (all policies of both sides). */
  get allTrainers(): readonly Trainer[] {
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

  // --- playing ---

  /** The learner for an agent under pairing j. */
  private trainerFor(agent: number, j: number): Trainer {
    const list = this.policies[this.adversary[agent] ? "bad" : "good"];
    return this.trainers.get(`${list.length > 1 ? list[j] : list[0]}/${agent}`)!;
  }

  /** The step loop over the learners of pairing `j` (made once per pairing). */
  private loopFor(j: number): PlayLoop {
    let loop = this.loops.get(j);
    if (!loop) {
      const learners = Array.from({ length: this.env.n }, (_, i) => this.trainerFor(i, j));
      this.loops.set(j, (loop = new PlayLoop(this.env, learners, { maxEpisodeLen: this.config.max_episode_len, oneHotMovement: this.oneHotMovement })));
      loop.evaluating = this.evaluating;
      loop.sink = this.sink;
    }
    return loop;
  }

  private beginTrajectory(): void {
    const cfg = this.config;
    const s = this.schedule;
    this.loop = this.loopFor(s.opponent);
    const agents = this.loop.learners;
    const info = s.startTrajectory(agents.map((a) => a.name)); // refused unless the schedule is playing
    // evaluating, the loaded weights are kept (the original re-initialised them here) and acting starts at once
    if (!this.evaluating && cfg.parallel_trajectories)
      this.cycleStart.beginTrajectory(this.trainers, cfg.seed, info.trajectory, info.repeat === 0 && info.opponent === 0);
    for (const a of agents) a.startTrajectory(this.evaluating ? "evaluate" : "learn");
    this.records.begin(agents.length);
    // with parallel trajectories each has an environment seed of its own
    this.loop.begin(cfg.parallel_trajectories ? this.env.reset(Rng.stream(cfg.seed, `env/trajectory-${info.trajectory}`).int(2 ** 31)) : this.env.reset());
    this.evaluation.trajectoryStarted(`${info.pair} · episode 1 · step 0`);
    this.print(`Using good policy ${info.agents[info.agents.length - 1]} and bad policy ${info.agents[0]} with ${cfg.num_adversaries} adversaries`);
    this.print("Starting iterations...");
    this.emit("trajectory_start", info);
  }

  /** One environment step with every learner, then their updates (lemol-spec §2.4); a due checkpoint after it. */
  private advance(): void {
    this.inStep = true;
    try {
      if (!this.schedule.inTrajectory) this.beginTrajectory();
      this.loop.step(this.stepHooks);
      this.records.countStep();
      if (this.evaluation.benchmarkDone) this.finishBenchmark();
      else if (this.episodesCompleted >= this.config.num_episodes) this.endTrajectory();
    } finally {
      this.inStep = false;
    }
    if (this.checkpointDue) {
      this.checkpointDue = false;
      this.checkpoint();
    }
  }

  /** --benchmark: writes the recorded benchmark data and ends the run (as the original's benchmark mode). */
  private finishBenchmark(): void {
    this.print(this.evaluation.writeBenchmark(this.loop.learners.map((a) => a.name)));
    this.endTrajectory();
    this.schedule.phase = "done";
  }

  private row(partial: Partial<MetricRow> & { metric: string; value: number }): void {
    const t = this.schedule.info;
    this.metrics.add({
      cycle: t?.cycle ?? null,
      trajectory: t?.trajectory ?? null,
      opponent: t ? this.schedule.opponentName() : null,
      episode: null,
      train_step: null,
      om_iter: null,
      agent: null,
      ...partial,
    });
  }

  /** An episode ended (called by the loop before the step's updates): its rows, events and the save_rate report. */
  private endEpisode(episode: number, episodeRewards: Float64Array, length: number): void {
    const cfg = this.config;
    const info = this.schedule.info!;
    const animation = this.evaluation.episodeEnded(info.trajectory, info.pair);
    if (animation) this.print(`display: ${displayPath(animation)}`);
    this.runDir.heartbeat();
    const rewards = this.records.endEpisode(this.loop.learners, episode, episodeRewards, this.trainStep, (r) => this.row(r));
    this.emit("episode_end", { ...info, episode, trainStep: this.trainStep, rewards, length });
    this.emit("progress", {
      ...info,
      episode: this.episodesCompleted,
      episodes: cfg.num_episodes,
      trainStep: this.trainStep,
      stepsPerSecond: this.records.stepsPerSecond,
      trajectoriesDone: info.trajectory,
      trajectoriesTotal: this.totalTrajectories,
    });
    if (this.episodesCompleted % cfg.save_rate === 0) {
      // every save_rate episodes: the original's summary lines, averaged rewards and a checkpoint
      const lines = this.records.summary(this.loop.learners, cfg.save_rate, this.episodesCompleted, this.trainStep, cfg.max_episode_len, (r) => this.row(r));
      for (const l of lines) this.print(l);
      this.emit("summary", { lines });
      this.metrics.flush();
      this.checkpointDue = true;
    }
  }

  private endTrajectory(): void {
    const info = this.schedule.info!;
    let file: string | null = null;
    // what a learner made over the trajectory that outlives it: LeMOL's experience file
    const output = this.loop.learners.map((l) => l.trajectoryOutput()).find((o) => o !== null) ?? null;
    if (output) {
      file = this.runDir.experienceFile(info.pair, info.cycle, info.repeat);
      saveNpz(file, output);
      this.print(`${displayPath(file)} saved`);
    }
    this.print(`...Finished total of ${this.episodesCompleted} episodes.`);
    this.schedule.inTrajectory = false;
    this.metrics.flush();
    this.emit("trajectory_end", { ...info, episodes: this.episodesCompleted, steps: this.trainStep, experienceFile: file });
    if (this.schedule.endTrajectory()) this.finishCycle(false);
    this.writeManifest("running");
  }

  private finishCycle(omTrained: boolean): void {
    this.emit("cycle_end", { cycle: this.cycle, omTrained });
    this.schedule.finishCycle();
  }

  // --- checkpoints ---

  /**
   * Writes a checkpoint (`<save_dir>/<label>`, default `latest`) holding everything needed to
   * continue: networks, optimisers, random streams, counters, the trajectory's experience so far,
   * the OM's play state, where OM training stands, and the replay buffers when `checkpoint_replay`
   * (or `options.replay`) is set. Taken between steps; `save_rate` takes one every that many
   * episodes. Returns its path.
   */
  checkpoint(label = "latest", options: { replay?: boolean } = {}): string {
    if (this.inStep) throw new Error("checkpoint() was called in the middle of a step (from an event handler?); call it between steps");
    this.metrics.flush();
    const w = new CheckpointWriter();
    writeRunState(w, this.parts(), options.replay ?? this.config.checkpoint_replay);
    const where = saveCheckpoint(this.runDir.checkpointsDir, label, { lemol_version: libraryVersion(), config: this.config }, w);
    this.emit("checkpoint", { path: where, episode: this.episodesCompleted });
    return where;
  }

  /** Puts back what {@link checkpoint} wrote (called while restoring, on a freshly built experiment). */
  private loadState(r: CheckpointReader, label: string, detached = false): void {
    const { state, loop, replay } = readRunState(r, this.parts(), (j) => this.loopFor(j), detached);
    this.loop = loop;
    if (detached) return;
    const midTrajectory = state.inTrajectory && this.trainStep > 0;
    this.resumed.push({
      at: new Date().toISOString(),
      checkpoint: label,
      replay,
      ...(midTrajectory && !replay
        ? {
            note: `trajectory ${this.schedule.info!.trajectory} continued from episode ${this.episodesCompleted} with empty replay buffers (the checkpoint has none): its numbers differ from an uninterrupted run's`,
          }
        : {}),
    });
  }

  /** The parts of this experiment its state is made of (run-state.ts). */
  private parts(): RunParts {
    return {
      schedule: this.schedule,
      loop: this.loop,
      records: this.records,
      env: this.env,
      omRng: this.omRng,
      omPhase: this.omPhase,
      trainers: this.trainers,
      cycleStart: this.cycleStart,
      runDir: this.runDir,
      metrics: this.metrics,
    };
  }

  // --- the calls a notebook makes (queued one behind another: calls.ts) ---

  /** One environment step with every agent, then every agent's update (lemol-spec §2.4). */
  step(): void {
    if (this.calls.busy) throw new Error("a run call (runEpisode/runTrajectory/...) is still under way on this experiment; await it first");
    this.advance();
  }

  /** Steps until the current episode ends (starting a trajectory if none is under way). */
  runEpisode(): Promise<number[]> {
    return this.call(
      "runEpisode",
      async () => {
        this.checkStop(); // a stop between trajectories does not start the next one
        if (!this.schedule.inTrajectory) this.beginTrajectory();
        const before = this.episodesCompleted;
        await this.pump(() => this.episodesCompleted > before);
        return this.records.episodeRewards[this.records.episodeRewards.length - 1];
      },
      () => Array.from(this.loop.currentRewards), // interrupted: the episode's rewards so far
    );
  }

  /** Plays the next trajectory of the schedule to its end (or finishes the one under way). */
  runTrajectory(): Promise<TrajectoryInfo> {
    return this.call(
      "runTrajectory",
      () => this.runTrajectory_(),
      () => this.schedule.info!,
    );
  }

  /**
   * The cycle's opponent-model training: `om_training_iters` passes over all experience files
   * saved so far in this run, then the next cycle. Only when the cycle's trajectories are done.
   * An interrupted call leaves the pass where it stopped; the next call continues it.
   */
  trainOpponentModel(): Promise<OMPassSummary[]> {
    return this.call(
      "trainOpponentModel",
      () => this.trainOpponentModel_(),
      () => this.omPhase.completedPasses,
    );
  }

  /**
   * The rest of the current cycle: its remaining trajectories, then its OM training. With
   * `parallel_trajectories`, `workers` (default: the `workers` option, else the number of cores)
   * processes play a cycle's trajectories at once.
   */
  runCycle(options: RunOptions = {}): Promise<void> {
    return this.call(
      "runCycle",
      () => this.workers.with(options.workers, () => this.runCycle_()),
      () => undefined,
    );
  }

  /** Everything that remains; then the manifest says `finished`. Options as {@link runCycle}. */
  run(options: RunOptions = {}): Promise<void> {
    return this.call(
      "run",
      () =>
        this.workers.with(options.workers, async () => {
          while (this.phase !== "done") await this.runCycle_();
          this.close();
        }),
      () => undefined,
    );
  }

  /**
   * Asks the run call under way to stop at the next step (or OM chunk) boundary: it then rejects
   * with {@link ExperimentStopped}, leaving the experiment consistent (a later call continues).
   * Does nothing when no call is under way. (The kernel's interrupt stops a call too, but the call
   * then resolves with what it had done, so that the notebook cell keeps its declarations.)
   */
  requestStop(): void {
    this.calls.requestStop();
  }

  /** `partial`: what the call resolves with when an interrupt stops it (calls.ts). */
  private call<T>(name: RunCall, body: () => Promise<T>, partial: () => T): Promise<T> {
    // the run directory is taken again when a call starts (close() gives it up)
    return this.calls.run(
      name,
      () => this.schedule.plannedEpisodes(name, this.episodesCompleted),
      () => this.runDir.holdLock(),
      body,
      partial,
      () => `at ${this.schedule.where(this.episodesCompleted, this.trainStep)}`,
    );
  }

  private checkStop(): void {
    this.calls.checkStop(() => this.metrics.flush());
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
      this.advance();
      const yielding = turn();
      if (yielding) await yielding;
    }
  }

  private async runTrajectory_(): Promise<TrajectoryInfo> {
    this.checkStop();
    if (!this.schedule.inTrajectory) this.beginTrajectory();
    const info = this.schedule.info!;
    await this.pump(() => !this.schedule.inTrajectory);
    return info;
  }

  private async trainOpponentModel_(): Promise<OMPassSummary[]> {
    const refusal = omTrainingRefusal(this.phase, this.lemolPresent, this.config);
    if (refusal) throw new Error(refusal);
    await yieldToEventLoop();
    const summaries = await this.omPhase.run(
      {
        config: this.config,
        cycle: this.cycle,
        experienceFiles: () => this.runDir.experienceFiles(),
        experienceDir: this.runDir.experienceDir,
        metric: (row) => this.metrics.add(row),
        chunkDone: (e) => {
          this.emit("om_chunk", e);
          this.runDir.heartbeat();
        },
        checkStop: () => this.checkStop(),
        maybeYield: yieldEvery(),
        flush: () => this.metrics.flush(),
      },
      this.print,
    );
    this.finishCycle(true);
    // the trained OM is kept at once (after the last cycle this is the run's final state)
    this.checkpoint();
    this.writeManifest("running");
    return summaries;
  }

  private async runCycle_(): Promise<void> {
    const cycle = this.cycle;
    const s = this.schedule;
    if (this.config.parallel_trajectories && this.workers.count > 1 && s.phase === "play" && !s.inTrajectory && s.repeat === 0 && s.opponent === 0)
      await this.playCycleInWorkers_();
    while (this.phase === "play" && this.cycle === cycle) await this.runTrajectory_();
    if (this.phase === "om_training" && this.cycle === cycle) await this.trainOpponentModel_();
  }

  /**
   * Trajectory `index` of the current cycle (in schedule order), played from the cycle's start
   * (what a parallel worker does; `parallel_trajectories` makes it independent of the others).
   * @internal
   */
  async playTrajectoryOfCycle(index: number): Promise<TrajectoryInfo> {
    const s = this.schedule;
    if (s.phase !== "play" || s.inTrajectory || s.repeat !== 0 || s.opponent !== 0)
      throw new Error("playTrajectoryOfCycle: the experiment is not at the start of a cycle");
    if (!Number.isInteger(index) || index < 0 || index >= s.perCycle)
      throw new RangeError(`playTrajectoryOfCycle: index ${index} is not one of the cycle's ${s.perCycle} trajectories`);
    s.repeat = Math.floor(index / this.opponents);
    s.opponent = index % this.opponents;
    s.trajectoriesStarted += index;
    return this.runTrajectory_();
  }

  /** The cycle's trajectories on worker processes (parallel.ts), then the state the last ended in. */
  private async playCycleInWorkers_(): Promise<void> {
    const cycle = this.cycle;
    // the workers continue from the cycle's start; it is also where a crashed run resumes
    this.checkpoint("latest");
    const base = path.join(this.runDir.root, "workers", `cycle-${cycle}`);
    const played = await this.workers.playCycle({
      schedule: this.schedule,
      runDir: this.runDir.root,
      checkpoint: "latest",
      base,
      backend: this.backend.name,
      progress: (e) => this.emit("progress", e),
      stopRequested: () => this.calls.stopRequested,
    });
    if (!played) {
      // stopped: nothing of the cycle is kept, a later call plays it again from its start
      this.checkStop();
      throw new ExperimentStopped();
    }
    adoptWorkersEnd(this.parts(), played.rows, played.end);
    if (this.cycle !== cycle) this.emit("cycle_end", { cycle, omTrained: false });
    this.print(`cycle ${cycle + 1}: ${this.schedule.perCycle} trajectories played on ${Math.min(this.workers.count, this.schedule.perCycle)} workers`);
    fs.rmSync(base, { recursive: true, force: true });
    this.writeManifest("running");
  }

  // --- events, the end ---

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends ExperimentEvent>(event: E, fn: (e: ExperimentEventMap[E]) => void): () => void {
    return this.events.on(event, fn);
  }

  private emit<E extends ExperimentEvent>(event: E, payload: ExperimentEventMap[E]): void {
    this.events.emit(event, payload);
  }

  private writeManifest(status: Manifest["status"]): void {
    this.runDir.writeManifest({
      lemol_version: libraryVersion(),
      git_commit: gitCommit(),
      node: process.version,
      host: hostInfo(),
      backend: this.backend,
      seed: this.config.seed,
      config: this.config as ExperimentConfig,
      started: this.started,
      ended: status === "running" ? null : new Date().toISOString(),
      status,
      progress: { cycle: this.cycle, trajectories_started: this.trajectoriesStarted, tensors: tf.memory().numTensors },
      ...(this.resumed.length ? { resumed: this.resumed } : {}),
    });
  }

  /** Ends the worker processes of parallel trajectories (a later parallel cycle forks new ones). */
  closeWorkers(): void {
    this.workers.close();
  }

  /**
   * Flushes metrics and records the end in the manifest; ends the worker processes and gives the
   * run directory up. After a failure (`status` "failed") a file that cannot be written (a full
   * disk) is reported on the printed output, not thrown, so the first failure stays the one seen.
   */
  close(status: Manifest["status"] = this.phase === "done" ? "finished" : "stopped"): void {
    this.closeWorkers();
    try {
      this.metrics.flush();
      this.writeManifest(status);
    } catch (err) {
      if (status !== "failed") throw err;
      this.print(`(could not record the failure in ${this.runDir.manifestFile}: ${(err as Error).message})`);
    } finally {
      this.runDir.releaseLock();
    }
  }

  /** Frees every tensor of the experiment's learners and gives the run directory up. */
  dispose(): void {
    this.closeWorkers();
    this.runDir.releaseLock();
    for (const t of this.trainers.values()) t.dispose();
  }
}
