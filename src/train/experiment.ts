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
 * The run (run.ts) is built from the config (build.ts) with its run directory, manifest, metrics
 * and events; control goes down from here: the experiment queues the notebook's calls (calls.ts)
 * and hands them to cycle-runner.ts (steps, trajectories, OM training, cycles; a cycle on worker
 * processes with `--parallel_trajectories`: parallel.ts), which drives trajectory-player.ts (a
 * trajectory's steps, episode records and summaries: records.ts), which steps the loop (loop.ts).
 * opening.ts starts a run or puts a checkpoint's state back (run-state.ts); front ends subscribe
 * to the run's events (events.ts, hooks.ts).
 */
import { inspect } from "node:util";
import * as fs from "node:fs";
import * as path from "node:path";
import { argmax, LeMOLAgentTrainer } from "../agents/lemol/agent.js";
import { type Learner, updatePaths } from "../agents/learner.js";
import { POLICY_NAMES } from "../agents/policies.js";
import type { MultiAgentEnv } from "../envs/env.js";
import type { UAVEnv } from "../envs/uav.js";
import { BackendInfo, initBackend } from "../nn/backend.js";
import { enableAutodiff } from "../nn/gradients.js";
import { displayPath } from "../util/fs.js";
import { CallOutcome, CallQueue } from "./calls.js";
import { absolutePaths, ConfigError, ExperimentConfig, resolveConfig } from "./config.js";
import { CycleRunner } from "./cycle-runner.js";
import type { ExperimentEvent, ExperimentEventMap, OMPassSummary, Phase, RunCall, TrajectoryInfo } from "./events.js";
import { ExperimentHooks, resolveHooks } from "./hooks.js";
import type { MetricsLog } from "./metrics.js";
import { openExperiment } from "./opening.js";
import { openRun, RestoreOptions, Resumption } from "./resume.js";
import { Run } from "./run.js";
import type { Manifest, RunDir } from "./run-dir.js";
import { RunLock } from "./run-lock.js";
import { clearRun } from "./run-overwrite.js";
import { TrajectoryPlayer } from "./trajectory-player.js";

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
  const a: Record<string, unknown> = absolutePaths(config);
  const b: Readonly<Record<string, unknown>> = run;
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

export class Experiment {
  /** The run: what the config built, its run directory, manifest, metrics and events (run.ts). (`run` is the call.) */
  readonly #run: Run;
  /** Plays the trajectories: the pairing's loop (where the trajectory stands), episode records, experience files. */
  private readonly player: TrajectoryPlayer;
  /** What the run calls do: steps, trajectories, OM training, cycles, checkpoints (cycle-runner.ts). */
  private readonly runner: CycleRunner;
  /** The notebook's run calls, one behind another, with their progress and interrupts (calls.ts). */
  private readonly calls: CallQueue;

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
        fs.mkdirSync(root, { recursive: true }); // nothing to start over yet: the run's directory, for its lock
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
    const { print, progress, interrupts } = resolveHooks(hooks);
    this.calls = new CallQueue(this, progress, interrupts);
    const run = (this.#run = new Run(config, backend, print, resume, lock));
    try {
      this.player = new TrajectoryPlayer(run);
      // which update each learner runs (fused native or tfjs), chosen once: in the manifest and the start line
      run.manifest.updatePaths = updatePaths(run.pairing(0));
      run.manifest.omTrainingPaths = run.omPhase.trainingPaths();
      this.runner = new CycleRunner(run, this.player, this.calls);
      openExperiment(run, this.player, resume, hooks.printConfig ?? false);
      // a continued log cuts metrics.csv back to the checkpoint only now that the restore is accepted
      run.metrics.flush();
    } catch (err) {
      run.runDir.releaseLock();
      throw err;
    }
    openExperiments.set(run.runDir.root, this);
  }

  // --- what it is: the run's set-up (run.ts) ---

  get config(): Readonly<ExperimentConfig> {
    return this.#run.config;
  }
  get runDir(): RunDir {
    return this.#run.runDir;
  }
  /** The MPE environment, or the UAV grid world (`--scenario uav`). */
  get env(): MultiAgentEnv | UAVEnv {
    return this.#run.env;
  }
  /** Per agent: whether it is an adversary ("bad"). */
  get adversary(): readonly boolean[] {
    return this.#run.adversary;
  }
  get backend(): BackendInfo {
    return this.#run.backend;
  }
  get metrics(): MetricsLog {
    return this.#run.metrics;
  }
  /** The `_`-separated policy lists of each side, and which side varies. */
  get policies(): { bad: string[]; good: string[]; varying: "good" | "bad" | null } {
    return this.#run.policies;
  }
  get lemolPresent(): boolean {
    return this.#run.lemolPresent;
  }
  get cycles(): number {
    return this.#run.cycles;
  }
  get opponents(): number {
    return this.#run.opponents;
  }
  get explorationSteps(): number {
    return this.#run.explorationSteps;
  }
  /** Evaluating loaded policies (`test`, `display`, `benchmark`): no learning, no OM training. */
  get evaluating(): boolean {
    return this.#run.evaluating;
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

  // --- where it stands: the schedule (schedule.ts) and the current pairing's loop (loop.ts) ---

  get phase(): Phase {
    return this.#run.schedule.phase;
  }
  get cycle(): number {
    return this.#run.schedule.cycle;
  }
  get repeat(): number {
    return this.#run.schedule.repeat;
  }
  get opponent(): number {
    return this.#run.schedule.opponent;
  }
  /** Trajectories started so far (the id of the next one). */
  get trajectoriesStarted(): number {
    return this.#run.schedule.trajectoriesStarted;
  }
  /** Trajectories in the whole run. */
  get totalTrajectories(): number {
    return this.#run.schedule.totalTrajectories;
  }
  /** Whether a trajectory is under way. */
  get trajectoryInProgress(): boolean {
    return this.#run.schedule.inTrajectory;
  }
  /** The current (or last) trajectory. */
  get trajectory(): TrajectoryInfo | null {
    return this.#run.schedule.info;
  }
  /** Steps since the current trajectory's start (the original's `train_step`). */
  get trainStep(): number {
    return this.player.loop.trainStep;
  }
  /** Steps of the current episode so far. */
  get episodeStep(): number {
    return this.player.loop.episodeStep;
  }
  /** Episodes of the current trajectory completed so far. */
  get episodesCompleted(): number {
    return this.player.loop.episodesCompleted;
  }

  /** The learners of the current pairing, in agent order. */
  get pairing(): readonly Learner[] {
    return this.#run.pairing(this.opponent);
  }

  /** The LeMOL agent of the current pairing, if any. */
  get lemol(): LeMOLAgentTrainer | null {
    return (this.pairing.find((t) => t instanceof LeMOLAgentTrainer) as LeMOLAgentTrainer | undefined) ?? null;
  }

  /** Every learner of the experiment (all policies of both sides). */
  get allTrainers(): readonly Learner[] {
    return [...this.#run.trainers.values()];
  }

  /**
   * The opponent model's prediction at the last step and the opponent's actual action (as the
   * environment played it); null without a LeMOL agent or before the first step.
   */
  get omPrediction(): { predicted: number[]; opponentAction: number[]; correct: boolean } | null {
    const lemol = this.lemol;
    if (!lemol || this.trajectory === null || (this.trainStep === 0 && this.episodesCompleted === 0)) return null;
    const predicted = Array.from(lemol.prediction);
    const opponentAction = Array.from(lemol.lastOpponentAction);
    return { predicted, opponentAction, correct: argmax(predicted, predicted.length) === argmax(opponentAction, opponentAction.length) };
  }

  /** Where the experiment stands, in words. */
  private where(): string {
    return `at ${this.#run.schedule.where(this.episodesCompleted, this.trainStep)}`;
  }

  /** One line on where the experiment stands (what a notebook prints for `exp`). */
  describe(): string {
    const c = this.config;
    return `<Experiment ${c.exp_name}: ${c.scenario}, ${c.bad_policy} (bad) vs ${c.good_policy} (good), seed ${c.seed}; ${this.#run.schedule.where(this.episodesCompleted, this.trainStep)}; ${this.metrics.length} metric rows in ${displayPath(this.runDir.root)}>`;
  }

  [inspect.custom](): string {
    return this.describe();
  }

  /** Process ids of the parallel-trajectory worker processes alive now (none before the first parallel cycle). */
  get workerPids(): number[] {
    return this.#run.workers.pids;
  }

  /** Whether a run call is under way (or queued). */
  get busy(): boolean {
    return this.calls.busy;
  }

  /** How the last run call ended: done, stopped (interrupt or requestStop), refused or failed. */
  get lastCall(): CallOutcome | null {
    return this.calls.last;
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
    return this.runner.checkpoint(label, options);
  }

  // --- the calls a notebook makes (queued one behind another: calls.ts), carried out by the runner (cycle-runner.ts) ---

  /** One environment step with every agent, then every agent's update (lemol-spec §2.4). */
  step(): void {
    this.assertUsable();
    if (this.calls.busy) throw new Error("a run call (runEpisode/runTrajectory/...) is still under way on this experiment; await it first");
    this.runner.step();
  }

  /** Steps until the current episode ends (starting a trajectory if none is under way). */
  runEpisode(options: CallOptions = {}): Promise<number[]> {
    return this.call(
      "runEpisode",
      () => this.runner.episode(),
      () => Array.from(this.player.loop.currentRewards), // interrupted: the episode's rewards so far
      options,
    );
  }

  /** Plays the next trajectory of the schedule to its end (or finishes the one under way). */
  runTrajectory(options: CallOptions = {}): Promise<TrajectoryInfo> {
    return this.call(
      "runTrajectory",
      () => this.runner.trajectory(),
      () => this.trajectory!,
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
      () => this.#run.omPhase.completedPasses,
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
      () => this.#run.workers.with(options.workers, () => this.runner.cycle()),
      () => undefined,
      options,
    );
  }

  /** Everything that remains; then the manifest says `finished`. Options as {@link runCycle}. */
  run(options: RunOptions = {}): Promise<void> {
    return this.call(
      "run",
      () =>
        this.#run.workers.with(options.workers, async () => {
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
      () => this.#run.schedule.plannedEpisodes(name, this.episodesCompleted),
      () => this.runDir.holdLock(),
      body,
      partial,
      () => this.where(),
      options.progress !== false,
    );
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
    return this.#run.events.on(event, fn);
  }

  /** Ends the worker processes of parallel trajectories (a later parallel cycle forks new ones). */
  closeWorkers(): void {
    this.#run.workers.close();
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
      this.#run.writeManifest(status);
    } catch (err) {
      if (status !== "failed") throw err;
      this.#run.print(`(could not record the failure in ${this.runDir.manifestFile}: ${(err as Error).message})`);
    } finally {
      this.runDir.releaseLock();
    }
  }

  /** Frees every tensor of the experiment's learners and gives the run directory up. */
  dispose(): void {
    if (openExperiments.get(this.runDir.root) === this) openExperiments.delete(this.runDir.root);
    this.closeWorkers();
    this.runDir.releaseLock();
    for (const t of this.#run.trainers.values()) t.dispose();
  }
}
