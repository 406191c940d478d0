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
 * What it plays is built from the config (build.ts) and played by trajectory-player.ts, which
 * records episodes and summaries (records.ts); cycle-runner.ts carries out the run calls (a cycle
 * on worker processes with `--parallel_trajectories`: parallel.ts); opening.ts starts a run or
 * puts a checkpoint's state back; experiment-view.ts holds the read-only view of where it stands.
 * The experiment writes the run directory (manifest, metrics.csv, experience files, checkpoints),
 * queues the notebook's calls (calls.ts), and emits events that front ends subscribe to
 * (events.ts, hooks.ts).
 */
import { type Learner, updatePaths } from "../agents/learner.js";
import { POLICY_NAMES } from "../agents/policies.js";
import { MultiAgentEnv } from "../envs/env.js";
import type { UAVEnv } from "../envs/uav.js";
import { BackendInfo, initBackend, tf, usableHeapGiB } from "../nn/backend.js";
import { enableAutodiff } from "../nn/gradients.js";
import { PHASE, phaseTimer } from "../util/phase-timer.js";
import { CheckpointWriter, saveCheckpoint } from "../storage/checkpoint.js";
import { Rng } from "../util/rng.js";
import { buildRun } from "./build.js";
import { CallQueue } from "./calls.js";
import * as fs from "node:fs";
import * as path from "node:path";
import { absolutePaths, checkNetworkMemory, ConfigError, ExperimentConfig, resolveConfig } from "./config.js";
import { displayPath } from "../util/fs.js";
import { clearRun } from "./run-overwrite.js";
import { loadPolicies } from "./evaluate.js";
import { EventBus, ExperimentEvent, ExperimentEventMap, OMPassSummary, RunCall, TrajectoryInfo } from "./events.js";
import { ExperimentHooks, resolveHooks } from "./hooks.js";
import { RunParts, writeRunState } from "./run-state.js";
import { MetricsLog } from "./metrics.js";
import type { OMPhase } from "./om-phase.js";
import { CycleStart, WorkerProcesses } from "./parallel.js";
import { openExperiment } from "./opening.js";
import { openRun, RestoreOptions, Resumption } from "./resume.js";
import { libraryVersion, Manifest, ManifestRecord, RunDir } from "./run-dir.js";
import { RunLock } from "./run-lock.js";
import { ExperimentState, Schedule } from "./schedule.js";
import { TrajectoryPlayer } from "./trajectory-player.js";
import { CycleRunner } from "./cycle-runner.js";
import { ExperimentView } from "./experiment-view.js";

export { ExperimentStopped } from "./calls.js";

/** Policies the experiment builds (every policy of the registry, agents/policies.ts). */
export const EXPERIMENT_POLICIES = POLICY_NAMES;

/** A learner of the experiment: the MADDPG family (LeMOL included) or PPO. */
export type Trainer = Learner;

export interface ExperimentOptions extends Partial<ExperimentConfig> {
  /** tfjs backend to force (`node`, `wasm`, `cpu`); default: automatic. */
  backend?: string;
  /**
   * When `run_dir` already holds a run: continue it (from its latest checkpoint, as
   * {@link Experiment.restore}; the options given must be the run's). With no run there, a new one starts.
   */
  resume?: boolean;
  /** When `run_dir` already holds a run: start over, deleting the files of that run (and only those). */
  overwrite?: boolean;
}

/**
 * The experiments of this process by run directory, so that a notebook cell that creates one
 * again (re-run) finds the one it made before, whose variable the kernel may have lost.
 */
const openExperiments = new Map<string, Experiment>();

/** The options given (keys of `given`) on which `config` and `run` differ, as `name value (the run has value)`. */
function differences(given: object, config: ExperimentConfig, run: Readonly<ExperimentConfig>): string[] {
  const a = absolutePaths(config) as unknown as Record<string, unknown>;
  const b = run as unknown as Record<string, unknown>;
  return Object.keys(given)
    .filter((k) => k in a && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k} ${JSON.stringify(a[k])} (the run has ${JSON.stringify(b[k])})`);
}

/** Options every run call takes (`runEpisode`, `runTrajectory`, `trainOpponentModel`, `runCycle`, `run`). */
export interface CallOptions {
  /**
   * Show the call's live progress (default true: where a progress display is installed, as in a
   * notebook, each cell shows one bar for all its calls); false: nothing for this call.
   */
  progress?: boolean;
}

/** Options of {@link Experiment.runCycle} and {@link Experiment.run}. */
export interface RunOptions extends CallOptions {
  /** Worker processes for `parallel_trajectories` (default: the `workers` option, else the number of cores). */
  workers?: number;
}

export class Experiment extends ExperimentView {
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

  protected readonly schedule: Schedule;
  protected readonly trainers: Map<string, Learner>;
  /** Plays the trajectories: the pairing's loop, episode records, experience files. */
  protected readonly player: TrajectoryPlayer;
  /** What the run calls do: trajectories, OM training, cycles (cycle-runner.ts). */
  private readonly runner: CycleRunner;
  private readonly omPhase: OMPhase;
  private readonly omRng: Rng;
  private readonly cycleStart = new CycleStart();
  protected readonly calls: CallQueue;
  private readonly events = new EventBus<ExperimentEventMap>();
  private readonly print: (line: string) => void;
  /** The manifest's record: when the run started, its resumptions. */
  private readonly manifest: ManifestRecord;
  protected readonly workers: WorkerProcesses;

  /**
   * Builds an experiment: checks the options, chooses the backend, creates the run directory.
   * A `run_dir` that already holds a run is refused unless `resume: true` (continue it) or
   * `overwrite: true` (start over). Created again for a run directory an experiment of this
   * process holds (a notebook cell run twice), it returns that experiment when the options are the
   * same (and not `overwrite`); otherwise it closes it first, so no run directory stays locked by
   * an experiment nothing refers to any more.
   */
  static async create(options: ExperimentOptions = {}, hooks: ExperimentHooks = {}): Promise<Experiment> {
    if (typeof options !== "object" || options === null || Array.isArray(options)) resolveConfig(options as never); // throws the ConfigError
    const { backend, resume, overwrite, ...rest } = options;
    for (const [name, value] of [
      ["resume", resume],
      ["overwrite", overwrite],
    ] as const)
      if (value !== undefined && typeof value !== "boolean") throw new ConfigError(`${name} must be true or false, not ${JSON.stringify(value)}`);
    if (resume && overwrite) throw new ConfigError("resume: true continues the run in run_dir and overwrite: true starts it over: give one of them");
    const config = resolveConfig(rest);
    const print = resolveHooks({ ...hooks, progress: null, interrupts: null }).print;
    if (config.run_dir !== null) {
      const root = path.resolve(config.run_dir);
      const held = openExperiments.get(root);
      if (held) {
        const differ = differences(rest, config, held.config);
        if (!overwrite && differ.length === 0) {
          print(`${displayPath(root)}: the experiment this kernel already has there, ${held.where()} (overwrite: true starts it over)`);
          return held;
        }
        await held.retire(!overwrite, `Experiment.create was called again for ${displayPath(root)}`);
        if (!overwrite)
          throw new ConfigError(
            `${displayPath(root)} holds a run made with other options: ${differ.join(", ")}; it was closed (its state saved as checkpoint latest). Pass overwrite: true to start it over with these options, or choose another run_dir`,
          );
      }
      if (overwrite) {
        const lock = RunLock.acquire(root);
        try {
          clearRun(root);
        } catch (err) {
          lock.release();
          throw err;
        }
        const info = await initBackend(backend).catch((err) => {
          lock.release();
          throw err;
        });
        return new Experiment(config, info, hooks, undefined, lock);
      }
      if (resume && fs.existsSync(path.join(root, "manifest.json"))) {
        const exp = await Experiment.restore(root, backend === undefined ? {} : { backend }, hooks);
        const differ = differences(rest, config, exp.config);
        if (differ.length > 0) {
          exp.dispose();
          throw new ConfigError(
            `${displayPath(root)} holds a run made with other options: ${differ.join(", ")}; resume: true continues it as it was made (leave those out), overwrite: true starts it over`,
          );
        }
        return exp;
      }
    }
    const info = await initBackend(backend);
    await enableAutodiff(); // an opponent model checks its native loss by autodiff when it chooses its training path
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
      await enableAutodiff();
      return new Experiment(opened.config, info, hooks, opened.resume ?? undefined, opened.lock);
    } catch (err) {
      opened.lock?.release();
      throw err;
    }
  }

  private constructor(config: ExperimentConfig, backend: BackendInfo, hooks: ExperimentHooks, resume?: Resumption, lock?: RunLock) {
    super();
    this.config = Object.freeze(absolutePaths(config));
    this.backend = backend;
    // the wasm heap is smaller than the machine (config.ts checked the machine)
    const heap = usableHeapGiB(backend);
    if (heap !== null) checkNetworkMemory(this.config, heap, `the ${backend.name} backend's usable`);
    const { print, progress, interrupts } = resolveHooks(hooks);
    this.print = print;
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
    this.schedule = setup.schedule;
    this.omRng = setup.omRng;
    this.omPhase = setup.omPhase;
    if (this.evaluating) loadPolicies(this.trainers, this.adversary, cfg);

    this.workers = new WorkerProcesses(cfg.workers);
    this.runDir = new RunDir(cfg, { resume: resume !== undefined && !resume.detached, lock, detached: resume?.detached });
    this.manifest = new ManifestRecord(this.runDir, this.config, backend);
    try {
      // a worker's own directory (detached) starts fresh metrics from the run's state
      this.metrics =
        resume && !resume.detached
          ? MetricsLog.resume(this.runDir.metricsFile, resume.reader.value<ExperimentState>("experiment").metricsBytes)
          : new MetricsLog(this.runDir.metricsFile);
      this.player = new TrajectoryPlayer({
        ...{ config: this.config, env: this.env, schedule: this.schedule, trainers: this.trainers, policies: this.policies },
        ...{ adversary: this.adversary, evaluating: this.evaluating, runDir: this.runDir, metrics: this.metrics, cycleStart: this.cycleStart },
        emit: (event, payload) => this.emit(event, payload),
        print: this.print,
        progressed: () => this.writeManifest("running"),
      });
      // which update each learner runs (fused native or tfjs), chosen once: in the manifest and the start line
      this.manifest.updatePaths = updatePaths(Array.from({ length: this.env.n }, (_, i) => this.player.trainerFor(i, 0)));
      this.manifest.omTrainingPaths = this.omPhase.trainingPaths();
      this.runner = new CycleRunner({
        ...{ config: this.config, schedule: this.schedule, player: this.player, omPhase: this.omPhase, workers: this.workers, runDir: this.runDir },
        ...{ metrics: this.metrics, backendName: backend.name, lemolPresent: this.lemolPresent },
        advance: () => this.advance(),
        checkStop: () => this.checkStop(),
        stopRequested: () => this.calls.stopRequested,
        checkpoint: (label, options) => this.checkpoint(label, options),
        progressed: () => this.writeManifest("running"),
        parts: () => this.parts(),
        emit: (event, payload) => this.emit(event, payload),
        print: (line) => this.print(line),
      });
      openExperiment(
        {
          ...{ config: this.config, runDir: this.runDir, schedule: this.schedule, player: this.player, manifest: this.manifest },
          ...{ adversary: this.adversary, policies: this.policies, cycles: this.cycles, printConfig: hooks.printConfig ?? false },
          parts: () => this.parts(),
          writeManifest: (status) => this.writeManifest(status),
          print: this.print,
        },
        resume,
      );
      // a continued log cuts metrics.csv back to the checkpoint only now that the restore is accepted
      this.metrics.flush();
    } catch (err) {
      this.runDir.releaseLock();
      throw err;
    }
    openExperiments.set(this.runDir.root, this);
  }

  /** Whether the run trains an opponent model between cycles (for progress estimates). */
  get opponentModelled(): boolean {
    return this.lemolPresent && !this.evaluating;
  }

  /** Why this experiment can no longer be used (set when it was closed for a new one in its run directory). */
  private retiredBecause: string | null = null;

  /**
   * Closes this experiment for a new one in its run directory (stopping a call under way), first saving its state as
   * checkpoint `latest` when `save` and it has played something, then frees it.
   */
  private async retire(save: boolean, why: string): Promise<void> {
    // a call still under way (not awaited) stops at its next boundary
    this.calls.requestStop();
    await this.calls.idle();
    if (save && !this.evaluating && this.phase !== "done" && this.episodesCompleted + this.episodeStep > 0) this.checkpoint();
    this.close();
    this.dispose();
    this.retiredBecause = `this experiment was closed: ${why}; use the experiment it returned`;
  }

  private assertUsable(): void {
    if (this.retiredBecause) throw new Error(this.retiredBecause);
  }

  /** Where the experiment stands, in words. */
  private where(): string {
    return `at ${this.schedule.where(this.episodesCompleted, this.trainStep)}`;
  }

  // --- playing (trajectory-player.ts) ---

  /** One step (lemol-spec §2.4), then a `save_rate` checkpoint if one is due (checkpoints are taken between steps). */
  private advance(): void {
    if (this.player.step()) this.checkpoint();
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
    if (this.player.inStep) throw new Error("checkpoint() was called in the middle of a step (from an event handler?); call it between steps");
    const t0 = phaseTimer.start();
    this.metrics.flush();
    const w = new CheckpointWriter();
    writeRunState(w, this.parts(), options.replay ?? this.config.checkpoint_replay);
    const where = saveCheckpoint(this.runDir.checkpointsDir, label, { lemol_version: libraryVersion(), config: this.config }, w);
    phaseTimer.stop(PHASE.checkpoint, t0);
    this.emit("checkpoint", { path: where, episode: this.episodesCompleted });
    return where;
  }

  /** The parts of this experiment its state is made of (run-state.ts). */
  private parts(): RunParts {
    return {
      schedule: this.schedule,
      loop: this.player.loop,
      records: this.player.records,
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
    this.assertUsable();
    if (this.calls.busy) throw new Error("a run call (runEpisode/runTrajectory/...) is still under way on this experiment; await it first");
    this.advance();
  }

  /** Steps until the current episode ends (starting a trajectory if none is under way). */
  runEpisode(options: CallOptions = {}): Promise<number[]> {
    return this.call(
      "runEpisode",
      async () => {
        this.checkStop(); // a stop between trajectories does not start the next one
        if (!this.schedule.inTrajectory) this.player.beginTrajectory();
        const before = this.episodesCompleted;
        await this.runner.pump(() => this.episodesCompleted > before);
        return this.player.records.episodeRewards[this.player.records.episodeRewards.length - 1];
      },
      () => Array.from(this.player.loop.currentRewards), // interrupted: the episode's rewards so far
      options,
    );
  }

  /** Plays the next trajectory of the schedule to its end (or finishes the one under way). */
  runTrajectory(options: CallOptions = {}): Promise<TrajectoryInfo> {
    return this.call(
      "runTrajectory",
      () => this.runner.trajectory(),
      () => this.schedule.info!,
      options,
    );
  }

  /**
   * The cycle's opponent-model training: `om_training_iters` passes over all experience files
   * saved so far in this run, then the next cycle. Only when the cycle's trajectories are done.
   * An interrupted call leaves the pass where it stopped; the next call continues it.
   */
  trainOpponentModel(options: CallOptions = {}): Promise<OMPassSummary[]> {
    return this.call(
      "trainOpponentModel",
      () => this.runner.trainOpponentModel(),
      () => this.omPhase.completedPasses,
      options,
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
      () => this.workers.with(options.workers, () => this.runner.cycle()),
      () => undefined,
      options,
    );
  }

  /** Everything that remains; then the manifest says `finished`. Options as {@link runCycle}. */
  run(options: RunOptions = {}): Promise<void> {
    return this.call(
      "run",
      () =>
        this.workers.with(options.workers, async () => {
          while (this.phase !== "done") await this.runner.cycle();
          this.close();
        }),
      () => undefined,
      options,
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
  private call<T>(name: RunCall, body: () => Promise<T>, partial: () => T, options: CallOptions): Promise<T> {
    this.assertUsable();
    // the run directory is taken again when a call starts (close() gives it up)
    return this.calls.run(
      name,
      () => this.schedule.plannedEpisodes(name, this.episodesCompleted),
      () => this.runDir.holdLock(),
      body,
      partial,
      () => this.where(),
      options.progress !== false,
    );
  }

  private checkStop(): void {
    this.calls.checkStop(() => this.metrics.flush());
  }

  /**
   * Trajectory `index` of the current cycle (in schedule order), played from the cycle's start
   * (what a parallel worker does; `parallel_trajectories` makes it independent of the others).
   * @internal
   */
  playTrajectoryOfCycle(index: number): Promise<TrajectoryInfo> {
    return this.runner.trajectoryOfCycle(index);
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
    this.manifest.write(status, { cycle: this.cycle, trajectories_started: this.trajectoriesStarted, tensors: tf.memory().numTensors });
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
    if (openExperiments.get(this.runDir.root) === this) openExperiments.delete(this.runDir.root);
    this.closeWorkers();
    this.runDir.releaseLock();
    for (const t of this.trainers.values()) t.dispose();
  }
}
