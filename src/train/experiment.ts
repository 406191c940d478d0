/**
 * The LeMOL experiment (lemol-spec §2) as a state machine over (cycle, repeat, opponent, episode,
 * step), so that a notebook can call `step()`, `runEpisode()`, `runTrajectory()`,
 * `trainOpponentModel()`, `runCycle()` or `run()` in any composition and get the same numbers as
 * `lemol train` with the same seed.
 *
 *   for cycle in n_opp_cycles (1 without LeMOL):
 *     for k in traj_per_iter: for each opponent j:
 *       one trajectory: fresh learners (new weights, empty buffers, Adam state and OM kept),
 *       num_episodes episodes of max_episode_len steps, the per-step order of §2.4
 *     OM training: om_training_iters passes over the saved experience (not in oracle mode)
 *
 * It writes the run directory (manifest, metrics.csv, experience files, checkpoints) and emits
 * events that front ends subscribe to. Progress displays and interrupts come through hooks; inside
 * a notebook kernel the defaults are the notebook's live progress and the kernel's interrupt.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { animationHtml } from "../envs/render.js";
import { writeFileAtomic } from "../util/fs.js";
import { POLICY_NAMES } from "../agents/policies.js";
import type { Learner, LearnerSink } from "../agents/learner.js";
import { UAVEnv } from "../envs/uav.js";
import { argmax, LeMOLAgentTrainer } from "../agents/lemol/agent.js";
import { MultiAgentEnv } from "../envs/env.js";
import { BackendInfo, initBackend, tf } from "../nn/backend.js";
import type { AdamState } from "../nn/optim.js";
import { Rng } from "../util/rng.js";
import { CheckpointError, CheckpointReader, CheckpointWriter, checkpointExists, loadCheckpoint, saveCheckpoint } from "../storage/checkpoint.js";
import { ConfigError, ExperimentConfig, OPTIONS, resolveConfig } from "./config.js";
import { MetricRow, MetricsLog, parseMetricsCsv } from "./metrics.js";
import { buildRun } from "./build.js";
import { OMPhase } from "./om-phase.js";
import { PlayLoop, StepHooks } from "./loop.js";
import { TrajectoryWorkerPool } from "./workers.js";
import { saveNpz } from "../storage/npz.js";
import { ExperimentHooks, InterruptSource, ProgressReporter, resolveHooks } from "./hooks.js";
import { gitCommit, hostInfo, libraryVersion, listExperienceFiles, Manifest, RunDir } from "./run-dir.js";
import { RunLock } from "./run-lock.js";

/** Policies the experiment builds (every policy of the registry, agents/policies.ts). */
export const EXPERIMENT_POLICIES = POLICY_NAMES;

/** A learner of the experiment: the MADDPG family (LeMOL included) or PPO. */
export type Trainer = Learner;

import type { ExperimentEvent, ExperimentEventMap, OMPassSummary, Phase, RunCall, TrajectoryInfo } from "./events.js";
export type { ExperimentEvent, ExperimentEventMap, OMPassSummary, Phase, RunCall, TrajectoryInfo } from "./events.js";
export type { ExperimentHooks, InterruptSource, ProgressReporter } from "./hooks.js";

export interface ExperimentOptions extends Partial<ExperimentConfig> {
  /** tfjs backend to force (`node`, `wasm`, `cpu`); default: automatic. */
  backend?: string;
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
  /** trainers[side][policy] is the trainer list for that policy, one per agent of that side. */
  readonly policies: { bad: string[]; good: string[]; varying: "good" | "bad" | null };
  readonly lemolPresent: boolean;
  readonly cycles: number;
  readonly opponents: number;
  readonly explorationSteps: number;
  /** Evaluating loaded policies (`test`, `display`, `benchmark`): no learning, no OM training. */
  readonly evaluating: boolean;

  // schedule
  private phase_: Phase = "play";
  cycle = 0;
  repeat = 0;
  opponent = 0;
  /** Trajectories started so far (the id of the next one). */
  trajectoriesStarted = 0;
  private inTrajectory = false;

  // the current trajectory
  /** Episodes can end early (UAV): LeMOL's periods follow episodes. */
  private readonly episodicPeriods: boolean;
  /** The step loop of each pairing (by opponent index); `loop` is the current pairing's. */
  private readonly loops = new Map<number, PlayLoop>();
  private loop: PlayLoop;
  private info: TrajectoryInfo | null = null;
  private episodeRewards: number[][] = [];
  private updateSums: Float64Array[] = [];
  private lastSummaryTime = Date.now();
  /** Per agent: the env one-hots its movement (`--discrete_actions`), so the one-hot is stored. */
  private readonly oneHotMovement: boolean[];
  /** What learners report through, with this experiment's counters and trajectory. */
  private readonly sink: LearnerSink;
  private readonly stepHooks: StepHooks;

  private readonly trainers: Map<string, Trainer>;
  private readonly listeners = new Map<ExperimentEvent, Set<(e: never) => void>>();
  private readonly print: (line: string) => void;
  private readonly omRng: Rng;
  /** The cycle's opponent-model training. */
  private readonly omPhase: OMPhase;
  private started = new Date().toISOString();
  /** Resumptions of this run (from the manifest), this one last. */
  private resumed: NonNullable<Manifest["resumed"]> = [];
  /** A save_rate checkpoint waits for the end of the step (checkpoints are taken between steps). */
  private checkpointDue = false;
  /** --display: SVG frames of the current trajectory's first episode. */
  private displayFrames: string[] | null = null;
  /** --benchmark: per step, each agent's benchmark data. */
  private benchmarkData: unknown[][] = [];
  private inStep = false;
  private stopRequested = false;
  /** The run call under way (or the last one queued), null when idle. */
  private active: Promise<unknown> | null = null;
  private readonly reporter: ProgressReporter | null;
  private readonly interrupts: InterruptSource | null;
  /** `workers` of the run call under way. */
  private workersOverride: number | null = null;
  /** Worker processes of `--parallel_trajectories`, forked at the first parallel cycle and kept until close/dispose. */
  private workerPool: TrajectoryWorkerPool | null = null;
  /** `--parallel_trajectories`: each trainer's optimiser states and exploration flag at the cycle's start. */
  private cycleStartState: Map<string, { adam: AdamState[]; explored: boolean }> | null = null;
  private rateSteps = 0;
  private rateTime = Date.now();
  private stepsPerSecond = 0;

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
   * (`checkpoint_replay`) the continued run gives exactly the metrics of an uninterrupted one.
   */
  static async restore(runDir: string, options: RestoreOptions = {}, hooks: ExperimentHooks = {}): Promise<Experiment> {
    const root = path.resolve(runDir);
    const manifestFile = path.join(root, "manifest.json");
    if (!fs.existsSync(manifestFile)) throw new CheckpointError(`${root} is not a lemol run directory (no manifest.json)`);
    // detached: a worker continues from the run's checkpoint in a directory of its own, writing
    // experience files into the run's experience directory
    const detached = options.detached ? path.resolve(options.detached) : null;
    // the run is ours before anything of it is read: another process may be writing it
    const lock = detached ? undefined : RunLock.acquire(root);
    try {
      let manifest: Manifest;
      try {
        manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
      } catch (err) {
        throw new CheckpointError(`${manifestFile}: unreadable (${(err as Error).message})`);
      }
      if (typeof manifest?.config !== "object" || manifest.config === null) throw new CheckpointError(`${manifestFile}: no config`);
      const parent = resolveConfig({ ...(manifest.config as unknown as Record<string, unknown>), run_dir: root });
      const label = options.checkpoint ?? "latest";
      const dir = path.join(parent.save_dir ?? path.join(root, "checkpoints"), label);
      const config = detached ? { ...parent, run_dir: detached, save_dir: null, lemol_save_path: path.resolve(parent.lemol_save_path ?? path.join(root, "experience")) } : parent;
      if (!detached && options.checkpoint === undefined && !checkpointExists(dir)) {
        // killed before its first checkpoint: nothing to continue, so the run starts over
        resolveHooks(hooks).print(`${root}: no checkpoint yet (the run stopped before its first one); starting it over from the beginning with its recorded options`);
        fs.rmSync(path.join(root, "metrics.csv"), { force: true });
        for (const f of listExperienceFiles(path.resolve(parent.lemol_save_path ?? path.join(root, "experience")))) fs.rmSync(f);
        const info = await initBackend(options.backend);
        return new Experiment(parent, info, hooks, undefined, lock);
      }
      const reader = loadCheckpoint(dir);
      const saved = reader.header.config as Record<string, unknown> | undefined;
      if (!saved) throw new CheckpointError(`${dir}: the checkpoint records no config`);
      for (const def of OPTIONS) {
        if (def.name === "run_dir" || !def.implemented || def.execution) continue;
        if (detached && (def.name === "save_dir" || def.name === "lemol_save_path")) continue;
        // an option added after the checkpoint was made had its default then
        const a = def.name in saved ? (saved[def.name] ?? null) : def.default;
        const b = (parent as unknown as Record<string, unknown>)[def.name] ?? null;
        if (a !== b) throw new CheckpointError(`${dir}: made with --${def.name} ${JSON.stringify(a)}, but the run's manifest says ${JSON.stringify(b)}`);
      }
      const info = await initBackend(options.backend);
      return new Experiment(config, info, hooks, { reader, manifest, label, detached: detached !== null }, lock);
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  private constructor(config: ExperimentConfig, backend: BackendInfo, hooks: ExperimentHooks, resume?: { reader: CheckpointReader; manifest: Manifest; label: string; detached?: boolean }, lock?: RunLock) {
    this.config = Object.freeze(absolutePaths(config));
    this.backend = backend;
    ({ print: this.print, progress: this.reporter, interrupts: this.interrupts } = resolveHooks(hooks));
    const cfg = this.config;
    const setup = buildRun(cfg, this.print);
    this.env = setup.env;
    this.adversary = setup.adversary;
    this.policies = setup.policies;
    this.evaluating = setup.evaluating;
    this.lemolPresent = setup.lemolPresent;
    this.episodicPeriods = setup.episodicPeriods;
    this.explorationSteps = setup.explorationSteps;
    this.cycles = setup.cycles;
    this.opponents = setup.opponents;
    this.trainers = setup.trainers;
    this.omRng = Rng.stream(cfg.seed, "om-files");
    const lemolLearners = [...this.trainers.values()].filter((t): t is LeMOLAgentTrainer => t instanceof LeMOLAgentTrainer);
    this.omPhase = new OMPhase(lemolLearners, cfg, this.explorationSteps, this.episodicPeriods, this.omRng);

    const n = this.env.n;
    // with --discrete_actions the original env one-hots the movement in place: that is what is stored
    const env = this.env;
    this.oneHotMovement = Array.from({ length: n }, (_, a) => cfg.discrete_actions && env instanceof MultiAgentEnv && env.world.layout.movable[a] === 1);
    this.sink = {
      metric: (learner, metric, value) => this.row({ train_step: this.trainStep, episode: this.episodesCompleted, agent: learner.name, metric, value }),
      emit: (event, payload) => this.emit(event, { ...this.info!, ...payload }),
      print: (line) => this.print(line),
    };
    this.stepHooks = {
      envStepped: (r) => {
        if (this.displayFrames) this.displayFrames.push(this.env.render({ caption: `${this.info!.pair} · episode ${this.episodesCompleted + 1} · step ${this.episodeStep}` }));
        if (cfg.benchmark) this.benchmarkData.push((r.infos ?? []).map((i) => i.benchmark ?? null));
      },
      episodeEnded: (episode, rewards, length) => this.endEpisode(episode, rewards, length),
      updated: (a, u) => {
        this.addToEpisodeSums(a, u.logged[0], u.logged[1], u.logged[2]);
        if (u.note) this.print(u.note);
      },
    };
    this.loop = this.loopFor(0);

    if (this.evaluating) this.loadPolicies();

    this.runDir = new RunDir(cfg, { resume: resume !== undefined && !resume.detached, lock });
    try {
      if (resume?.detached) {
        // a worker's own directory: fresh metrics, the run's state
        this.metrics = new MetricsLog(this.runDir.metricsFile);
        this.loadState(resume.reader, resume.label, true);
        return;
      }
      if (resume) {
        const at = resume.reader.value<ExperimentState>("experiment");
        this.metrics = MetricsLog.resume(this.runDir.metricsFile, at.metricsBytes);
        this.started = resume.manifest.started ?? this.started;
        this.resumed = [...(resume.manifest.resumed ?? [])];
        this.loadState(resume.reader, resume.label);
        // (a finished run's latest checkpoint is its final state; a run finished by an older lemol
        // checkpointed before its last OM training, so its manifest says it)
        if (this.phase_ === "done" || (resume.manifest.status === "finished" && resume.label === "latest")) {
          this.phase_ = "done";
          this.print(`${this.runDir.root}: this run is finished; nothing to continue (its final state is checkpoint ${resume.label})`);
          return;
        }
        this.writeManifest("running");
        this.print(`${cfg.exp_name} resumed from checkpoint ${resume.label} (cycle ${this.cycle}, trajectory ${this.trajectoriesStarted}, episode ${this.episodesCompleted})`);
        return;
      }
      this.metrics = new MetricsLog(this.runDir.metricsFile);
      if (this.skipsPlay(0)) {
        if (this.runDir.experienceFiles().length === 0) {
          throw new ConfigError(`--skip_to_om_training: no experience files under ${this.runDir.experienceDir} to train on (give --lemol_save_path the experience directory of an earlier run)`);
        }
        this.phase_ = "om_training";
      }
      this.writeManifest("running");
      this.print(`${cfg.exp_name} (${this.started})`);
      for (const [k, v] of Object.entries(cfg).sort(([a], [b]) => a.localeCompare(b))) this.print(`  ${k}: ${v}`);
      const nBad = this.adversary.filter((x) => x).length;
      this.print(`${nBad} bad agents`);
      this.print(`${n - nBad} good agents`);
      if (this.policies.varying) this.print(`Training with varied ${this.policies.varying} agents ...`);
    } catch (err) {
      this.runDir.releaseLock();
      throw err;
    }
  }

  // --- schedule ---

  get phase(): Phase {
    return this.phase_;
  }

  /** Trajectories in the whole run. */
  get totalTrajectories(): number {
    return this.cycles * this.config.traj_per_iter * this.opponents;
  }

  /** The trainer for an agent under pairing j. */
  private trainerFor(agent: number, j: number): Trainer {
    const side = this.adversary[agent] ? "bad" : "good";
    const list = this.policies[side];
    return this.trainers.get(`${list.length > 1 ? list[j] : list[0]}/${agent}`)!;
  }

  /** The trainers of the current pairing, in agent order. */
  get pairing(): readonly Trainer[] {
    return Array.from({ length: this.env.n }, (_, i) => this.trainerFor(i, this.opponent));
  }

  /** The LeMOL agent of the current pairing, if any. */
  get lemol(): LeMOLAgentTrainer | null {
    const p = this.pairing.find((t) => t instanceof LeMOLAgentTrainer);
    return (p as LeMOLAgentTrainer | undefined) ?? null;
  }

  /** Every trainer of the experiment (all policies of both sides). */
  get allTrainers(): readonly Trainer[] {
    return [...this.trainers.values()];
  }

  /**
   * The opponent model's prediction at the last step and the opponent's actual action (as the
   * environment played it); null without a LeMOL agent or before the first step.
   */
  get omPrediction(): { predicted: number[]; opponentAction: number[]; correct: boolean } | null {
    const lemol = this.lemol;
    if (!lemol || this.info === null || (this.trainStep === 0 && this.episodesCompleted === 0)) return null;
    const predicted = Array.from(lemol.prediction);
    const opponentAction = Array.from(lemol.lastOpponentAction);
    return { predicted, opponentAction, correct: argmax(predicted, predicted.length) === argmax(opponentAction, opponentAction.length) };
  }

  /** One line on where the experiment stands (what a notebook prints for `exp`). */
  describe(): string {
    const c = this.config;
    const where =
      this.phase_ === "done"
        ? "finished"
        : this.phase_ === "om_training"
          ? `cycle ${this.cycle + 1}/${this.cycles}: opponent-model training due`
          : `cycle ${this.cycle + 1}/${this.cycles}, trajectory ${this.trajectoriesStarted}/${this.totalTrajectories}` +
            (this.inTrajectory ? ` (${this.info!.pair}), episode ${this.episodesCompleted}/${c.num_episodes}, step ${this.trainStep}` : " (next not started)");
    return `<Experiment ${c.exp_name}: ${c.scenario}, ${c.bad_policy} (bad) vs ${c.good_policy} (good), seed ${c.seed}; ${where}; ${this.metrics.length} metric rows in ${this.runDir.root}>`;
  }

  [inspect.custom](): string {
    return this.describe();
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
    return this.inTrajectory;
  }

  /** The current (or last) trajectory. */
  get trajectory(): TrajectoryInfo | null {
    return this.info;
  }

  private pairName(j: number): string {
    const { bad, good } = this.policies;
    const cfg = this.config;
    const badName = bad.length > 1 ? bad[j] : bad[0];
    const goodName = good.length > 1 ? good[j] : good[0];
    // the original: the whole list for LeMOL's side, the current opponent for the other
    if (bad.includes("lemol")) return `${cfg.bad_policy}_vs_${goodName}`;
    if (good.includes("lemol")) return `${badName}_vs_${cfg.good_policy}`;
    return `${badName}_vs_${goodName}`;
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
    if (this.phase_ !== "play") throw new Error(this.phase_ === "done" ? "the experiment is finished" : "this cycle's trajectories are done: call trainOpponentModel() or runCycle()");
    const cfg = this.config;
    this.loop = this.loopFor(this.opponent);
    const agents = this.loop.learners;
    // evaluating, the loaded weights are kept (the original re-initialised them here) and acting starts at once
    if (!this.evaluating && cfg.parallel_trajectories) this.independentTrajectoryStart();
    for (const a of agents) a.startTrajectory(this.evaluating ? "evaluate" : "learn");
    this.info = {
      cycle: this.cycle,
      repeat: this.repeat,
      opponent: this.opponent,
      trajectory: this.trajectoriesStarted,
      agents: agents.map((a) => a.name),
      pair: this.pairName(this.opponent),
    };
    this.trajectoriesStarted++;
    this.episodeRewards = [];
    this.updateSums = agents.map(() => new Float64Array(4)); // the three logged values' sums, count
    // with parallel trajectories each has an environment seed of its own
    const obs = cfg.parallel_trajectories ? this.env.reset(Rng.stream(cfg.seed, `env/trajectory-${this.trajectoriesStarted - 1}`).int(2 ** 31)) : this.env.reset();
    this.loop.begin(obs);
    if (cfg.display) this.displayFrames = [this.env.render({ caption: `${this.pairName(this.opponent)} · episode 1 · step 0` })];
    this.inTrajectory = true;
    this.lastSummaryTime = Date.now();
    const names = agents.map((a) => a.name);
    this.print(`Using good policy ${names[names.length - 1]} and bad policy ${names[0]} with ${cfg.num_adversaries} adversaries`);
    this.print("Starting iterations...");
    this.emit("trajectory_start", this.info);
  }

  /**
   * `--parallel_trajectories`: a trajectory depends only on the state at its cycle's start and on
   * its id, so trajectories can run in any order or at once. At the cycle's first trajectory the
   * optimiser states and exploration flags are kept; every later one starts from them again; and
   * each trajectory's random streams are seeded from (seed, trainer, stream, trajectory id).
   */
  private independentTrajectoryStart(): void {
    const cfg = this.config;
    const id = this.trajectoriesStarted; // the id this trajectory gets
    if (this.repeat === 0 && this.opponent === 0) {
      this.cycleStartState = new Map();
      for (const [key, t] of this.trainers) this.cycleStartState.set(key, { adam: t.optimisers.map((o) => o.getState()), explored: t.initialExplorationDone });
    } else if (this.cycleStartState) {
      for (const [key, t] of this.trainers) {
        const s = this.cycleStartState.get(key)!;
        t.optimisers.forEach((o, k) => o.setState(s.adam[k]));
        t.initialExplorationDone = s.explored;
      }
    }
    for (const [key, t] of this.trainers) {
      for (const [name, rng] of Object.entries(t.playStreams)) rng.setState(Rng.stream(cfg.seed, `${key}/${name}/trajectory-${id}`).getState());
    }
  }

  /** One environment step with every agent, then every agent's update (lemol-spec §2.4). */
  private advance(): void {
    this.inStep = true;
    try {
      this.advanceStep();
    } finally {
      this.inStep = false;
    }
    if (this.checkpointDue) {
      this.checkpointDue = false;
      this.checkpoint();
    }
  }

  private advanceStep(): void {
    if (!this.inTrajectory) this.beginTrajectory();
    this.loop.step(this.stepHooks);
    this.rateSteps++;
    if (this.config.benchmark && this.benchmarkData.length >= this.config.benchmark_iters) this.finishBenchmark();
    else if (this.episodesCompleted >= this.config.num_episodes) this.endTrajectory();
  }

  /** --benchmark: writes the recorded benchmark data and ends the run (as the original's benchmark mode). */
  private finishBenchmark(): void {
    writeFileAtomic(path.join(this.runDir.root, "benchmark.json"), JSON.stringify({ scenario: this.config.scenario, agents: this.loop.learners.map((a) => a.name), steps: this.benchmarkData.length, data: this.benchmarkData }) + "\n");
    this.print(`benchmark data for ${this.benchmarkData.length} steps saved to ${path.join(this.runDir.root, "benchmark.json")}`);
    this.benchmarkData = [];
    this.endTrajectory();
    this.phase_ = "done";
  }

  /** Loads the policies to evaluate (`load_name` for every agent, `load_bad` / `load_good` per side). */
  private loadPolicies(): void {
    const cfg = this.config;
    const readers = new Map<string, CheckpointReader>();
    const reader = (where: string) => {
      let r = readers.get(where);
      if (!r) readers.set(where, (r = loadCheckpoint(checkpointDirOf(where))));
      return r;
    };
    for (const [key, t] of this.trainers) {
      const side = this.adversary[t.agentIndex] ? "bad" : "good";
      const from = (side === "bad" ? cfg.load_bad : cfg.load_good) ?? cfg.load_name;
      if (from === null) continue;
      const r = reader(from);
      if (!r.has(`trainer/${key}/${t.checkpointProbe}`)) {
        const made = r.header.config as Record<string, unknown> | undefined;
        throw new CheckpointError(`${r.where} has no trainer "${key}" (it was made with --bad_policy ${made?.bad_policy} --good_policy ${made?.good_policy})`);
      }
      t.loadWeightsFrom(r, `trainer/${key}`);
    }
  }

  /** One update's three logged statistics, summed for the episode's means. */
  private addToEpisodeSums(a: number, x: number, y: number, z: number): void {
    const s = this.updateSums[a];
    s[0] += x;
    s[1] += y;
    s[2] += z;
    s[3] += 1;
  }

  private row(partial: Partial<MetricRow> & { metric: string; value: number }): void {
    const t = this.info;
    this.metrics.add({
      cycle: t?.cycle ?? null,
      trajectory: t?.trajectory ?? null,
      opponent: t ? this.opponentName() : null,
      episode: null,
      train_step: null,
      om_iter: null,
      agent: null,
      ...partial,
    });
  }

  /** The name of the opponent policy of the current pairing (the varying side's, or the non-LeMOL side's). */
  private opponentName(): string {
    const { bad, good, varying } = this.policies;
    if (varying === "good") return good[this.opponent];
    if (varying === "bad") return bad[this.opponent];
    return bad[0] === "lemol" ? good[0] : bad[0];
  }

  /** An episode ended (called by the loop before the step's updates): its rows, events and the save_rate report. */
  private endEpisode(episode: number, episodeRewards: Float64Array, length: number): void {
    const cfg = this.config;
    if (this.displayFrames) {
      const file = path.join(this.runDir.root, "display", `${this.info!.trajectory}-${this.info!.pair}.html`);
      writeFileAtomic(file, `<!doctype html><meta charset="utf-8"><title>${this.info!.pair}</title>${animationHtml(this.displayFrames)}`);
      this.print(`display: ${file}`);
      this.displayFrames = null;
    }
    const rewards = Array.from(episodeRewards);
    this.episodeRewards.push(rewards);
    this.runDir.heartbeat();
    this.loop.learners.forEach((a, i) => {
      this.row({ episode, train_step: this.trainStep, agent: a.name, metric: "episode_reward", value: rewards[i] });
      const s = this.updateSums[i];
      if (s[3] > 0) {
        for (let k = 0; k < 3; k++) this.row({ episode, train_step: this.trainStep, agent: a.name, metric: a.updateMetrics[k], value: s[k] / s[3] });
        s.fill(0);
      }
    });
    this.emit("episode_end", { ...this.info!, episode, trainStep: this.trainStep, rewards, length });
    this.updateRate();
    this.emit("progress", {
      ...this.info!,
      episode: this.episodesCompleted,
      episodes: cfg.num_episodes,
      trainStep: this.trainStep,
      stepsPerSecond: this.stepsPerSecond,
      trajectoriesDone: this.info!.trajectory,
      trajectoriesTotal: this.totalTrajectories,
    });
    if (this.episodesCompleted % cfg.save_rate === 0) this.saveRateReport();
  }

  private updateRate(): void {
    const now = Date.now();
    if (now - this.rateTime >= 1000) {
      this.stepsPerSecond = (this.rateSteps * 1000) / (now - this.rateTime);
      this.rateSteps = 0;
      this.rateTime = now;
    }
  }

  /** Every save_rate episodes: the original's summary lines, averaged rewards and a checkpoint. */
  private saveRateReport(): void {
    const cfg = this.config;
    const last = this.episodeRewards.slice(-cfg.save_rate);
    const perAgent = this.loop.learners.map((_, i) => last.reduce((s, r) => s + r[i], 0) / last.length);
    const mean = perAgent.reduce((a, b) => a + b, 0);
    const now = Date.now();
    const elapsed = ((now - this.lastSummaryTime) / 1000).toFixed(3);
    this.lastSummaryTime = now;
    this.loop.learners.forEach((a, i) => this.row({ episode: this.episodesCompleted - 1, train_step: this.trainStep, agent: a.name, metric: "averaged_reward", value: perAgent[i] }));
    const names = this.loop.learners.map((a) => a.name);
    const lines = [
      `${names[0]} vs ${names[names.length - 1]} steps: ${this.trainStep}, episodes: ${this.episodesCompleted}, mean episode reward: ${mean.toFixed(3)}, agent episode reward: [${perAgent.map((v) => v.toFixed(3)).join(", ")}], mean episode length: ${cfg.max_episode_len}, time: ${elapsed}`,
      `agent advance score (good_rew - bad_rew): ${(perAgent[perAgent.length - 1] - perAgent[0]).toFixed(3)}`,
    ];
    for (const l of lines) this.print(l);
    this.emit("summary", { lines });
    this.metrics.flush();
    this.checkpointDue = true;
  }

  /**
   * Writes a checkpoint (`<save_dir>/<label>`, default `latest`) holding everything needed to
   * continue: networks, optimisers, random streams, counters, the trajectory's experience so far,
   * the OM's play state, where OM training stands, and the replay buffers when `checkpoint_replay`
   * (or `options.replay`) is set. Taken between steps; `save_rate` takes one every that many
   * episodes. Returns its path.
   */
  checkpoint(label = "latest", options: { replay?: boolean } = {}): string {
    if (this.inStep) throw new Error("checkpoint() was called in the middle of a step (from an event handler?); call it between steps");
    const replay = options.replay ?? this.config.checkpoint_replay;
    this.metrics.flush();
    const w = new CheckpointWriter();
    const n = this.env.n;
    const state: ExperimentState = {
      phase: this.phase_,
      cycle: this.cycle,
      repeat: this.repeat,
      opponent: this.opponent,
      trajectoriesStarted: this.trajectoriesStarted,
      inTrajectory: this.inTrajectory,
      info: this.info,
      trainStep: this.trainStep,
      episodeStep: this.episodeStep,
      episodesCompleted: this.episodesCompleted,
      metricsRows: this.metrics.length,
      metricsBytes: this.metrics.file ? fs.statSync(this.metrics.file).size : 0,
      experienceFiles: this.runDir.experienceFiles().map((f) => path.relative(this.runDir.experienceDir, f)),
      replay,
    };
    w.value("experiment", state);
    w.array("experiment/episode_rewards", Float64Array.from(this.episodeRewards.flat()), [this.episodeRewards.length, n]);
    w.array("experiment/current_rewards", Float64Array.from(this.loop.currentRewards));
    w.array("experiment/update_sums", Float64Array.from(this.updateSums.flatMap((u) => Array.from(u))), [this.updateSums.length, 4]);
    for (let a = 0; a < n; a++) {
      w.array(`experiment/obs/${a}`, Float64Array.from(this.loop.obs[a]));
      w.array(`experiment/stored/${a}`, Float64Array.from(this.loop.stored[a]));
    }
    w.value("env/state", this.env.saveState());
    w.rng("env/rng", this.env.rng);
    w.rng("experiment/om_files_rng", this.omRng);
    this.omPhase.saveTo(w, this.runDir.experienceDir);
    for (const [key, t] of this.trainers) t.saveTo(w, `trainer/${key}`, { replay });
    if (this.cycleStartState) {
      w.value("cycle_start/explored", Object.fromEntries([...this.cycleStartState].map(([k, s]) => [k, s.explored])));
      for (const [key, st] of this.cycleStartState) st.adam.forEach((a, k) => w.adam(`cycle_start/${key}/adam${k}`, a));
    }
    const where = saveCheckpoint(this.runDir.checkpointsDir, label, { lemol_version: libraryVersion(), config: this.config }, w);
    this.emit("checkpoint", { path: where, episode: this.episodesCompleted });
    return where;
  }

  /** Puts back what {@link checkpoint} wrote (called while restoring, on a freshly built experiment). */
  private loadState(r: CheckpointReader, label: string, detached = false): void {
    const s = r.value<ExperimentState>("experiment");
    this.checkCounters(s, r.where);
    const n = this.env.n;
    this.phase_ = s.phase;
    this.cycle = s.cycle;
    this.repeat = s.repeat;
    this.opponent = s.opponent;
    this.trajectoriesStarted = s.trajectoriesStarted;
    this.inTrajectory = s.inTrajectory;
    this.info = s.info;
    this.loop = this.loopFor(this.opponent);
    this.loop.trainStep = s.trainStep;
    this.loop.episodeStep = s.episodeStep;
    this.loop.episodesCompleted = s.episodesCompleted;
    if (!detached && this.metrics.length !== s.metricsRows) throw new CheckpointError(`${r.where}: metrics.csv holds ${this.metrics.length} rows at the checkpoint's offset, the checkpoint says ${s.metricsRows}`);
    const rewards = r.f64("experiment/episode_rewards");
    this.episodeRewards = Array.from({ length: rewards.length / n }, (_, e) => Array.from(rewards.subarray(e * n, (e + 1) * n)));
    this.loop.currentRewards.set(r.f64("experiment/current_rewards", n));
    for (let a = 0; a < n; a++) {
      this.loop.obs[a].set(r.f64(`experiment/obs/${a}`, this.loop.obs[a].length));
      this.loop.stored[a].set(r.f64(`experiment/stored/${a}`, this.loop.stored[a].length));
    }
    this.env.loadState(r.value("env/state"));
    r.rng("env/rng", this.env.rng);
    r.rng("experiment/om_files_rng", this.omRng);
    let replayRestored = true;
    for (const [key, t] of this.trainers) replayRestored = t.loadFrom(r, `trainer/${key}`).replay && replayRestored;
    if (r.has("cycle_start/explored")) {
      const explored = r.value<Record<string, boolean>>("cycle_start/explored");
      this.cycleStartState = new Map([...this.trainers].map(([key, t]) => [key, { explored: explored[key], adam: t.optimisers.map((o, k) => r.adamState(`cycle_start/${key}/adam${k}`, o.getState().m.length)) }]));
    }
    if (this.inTrajectory) {
      const sums = r.f64("experiment/update_sums", this.loop.learners.length * 4);
      this.updateSums = this.loop.learners.map((_, i) => Float64Array.from(sums.subarray(i * 4, i * 4 + 4)));
    }
    this.omPhase.loadFrom(r, this.runDir.experienceDir);
    if (detached) return;
    // experience files written after the checkpoint belong to steps that will be played again
    const keep = new Set(s.experienceFiles);
    for (const f of this.runDir.experienceFiles()) if (!keep.has(path.relative(this.runDir.experienceDir, f))) fs.rmSync(f);
    const midTrajectory = this.inTrajectory && this.trainStep > 0;
    this.resumed.push({
      at: new Date().toISOString(),
      checkpoint: label,
      replay: replayRestored,
      ...(midTrajectory && !replayRestored
        ? { note: `trajectory ${this.info!.trajectory} continued from episode ${this.episodesCompleted} with empty replay buffers (the checkpoint has none): its numbers differ from an uninterrupted run's` }
        : {}),
    });
  }

  /** Refuses a checkpoint whose schedule and counters cannot belong to this run's configuration. */
  private checkCounters(s: ExperimentState, where: string): void {
    const cfg = this.config;
    const bad = (what: string) => {
      throw new CheckpointError(`${where}: ${what}; the checkpoint does not fit this run's options`);
    };
    const int = (v: unknown, lo: number, hi: number, what: string) => {
      if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) bad(`${what} is ${JSON.stringify(v)}, outside [${lo}, ${hi}]`);
    };
    if (typeof s !== "object" || s === null) bad("no experiment state");
    if (!["play", "om_training", "done"].includes(s.phase)) bad(`phase is ${JSON.stringify(s.phase)}`);
    int(s.cycle, 0, this.cycles, `cycle (of --n_opp_cycles ${cfg.n_opp_cycles})`);
    if (s.cycle === this.cycles && s.phase !== "done") bad(`cycle ${s.cycle} is past the last one but the run is not done`);
    int(s.repeat, 0, cfg.traj_per_iter - 1, `the repeat (of --traj_per_iter ${cfg.traj_per_iter})`);
    int(s.opponent, 0, this.opponents - 1, "the opponent index");
    int(s.trajectoriesStarted, 0, this.totalTrajectories, "trajectories started");
    int(s.episodesCompleted, 0, cfg.num_episodes, `episodes completed (of --num_episodes ${cfg.num_episodes})`);
    int(s.episodeStep, 0, cfg.max_episode_len - 1, `the episode step (of --max_episode_len ${cfg.max_episode_len})`);
    int(s.trainStep, 0, cfg.num_episodes * cfg.max_episode_len, "the train step");
    // MPE episodes all last max_episode_len steps
    if (!this.episodicPeriods && s.inTrajectory && s.trainStep !== s.episodesCompleted * cfg.max_episode_len + s.episodeStep) {
      bad(`the train step ${s.trainStep} is not ${s.episodesCompleted} episodes of ${cfg.max_episode_len} steps + ${s.episodeStep}`);
    }
  }

  private endTrajectory(): void {
    const info = this.info!;
    let file: string | null = null;
    // what a learner made over the trajectory that outlives it: LeMOL's experience file
    const output = this.loop.learners.map((l) => l.trajectoryOutput()).find((o) => o !== null) ?? null;
    if (output) {
      file = this.runDir.experienceFile(info.pair, info.cycle, info.repeat);
      saveNpz(file, output);
      this.print(`${file} saved`);
    }
    this.print(`...Finished total of ${this.episodesCompleted} episodes.`);
    this.inTrajectory = false;
    this.metrics.flush();
    this.emit("trajectory_end", { ...info, episodes: this.episodesCompleted, steps: this.trainStep, experienceFile: file });
    // advance: next opponent, next repeat, then the cycle's OM training
    this.opponent++;
    if (this.opponent >= this.opponents) {
      this.opponent = 0;
      this.repeat++;
      if (this.repeat >= this.config.traj_per_iter) {
        this.repeat = 0;
        if (this.omTrainingDue()) this.phase_ = "om_training";
        else this.finishCycle(false);
      }
    }
    this.writeManifest("running");
  }

  private omTrainingDue(): boolean {
    return this.lemolPresent && !this.evaluating && !this.config.feed_lemol_true_action && this.config.om_training_iters > 0;
  }

  private finishCycle(omTrained: boolean): void {
    this.emit("cycle_end", { cycle: this.cycle, omTrained });
    this.cycle++;
    this.phase_ = this.cycle >= this.cycles ? "done" : this.skipsPlay(this.cycle) ? "om_training" : "play";
  }

  /** `--skip_to_om_training` (every cycle) and `--skip_to_om_training_first_cycle` (cycle 0): no play, OM training on the files there are. */
  private skipsPlay(cycle: number): boolean {
    const cfg = this.config;
    return this.omTrainingDue() && (cfg.skip_to_om_training || (cfg.skip_to_om_training_first_cycle && cycle === 0));
  }

  // --- the calls a notebook makes ---
  //
  // Each public run call is queued behind the previous one (so an un-awaited call, or one still
  // winding down after an interrupt, never interleaves with the next), reports progress, and
  // listens for the kernel's interrupt. The work itself is in the private *_ methods, which call
  // each other freely.

  /** One environment step with every agent, then every agent's update (lemol-spec §2.4). */
  step(): void {
    if (this.active) throw new Error("a run call (runEpisode/runTrajectory/...) is still under way on this experiment; await it first");
    this.advance();
  }

  /** Steps until the current episode ends (starting a trajectory if none is under way). */
  runEpisode(): Promise<number[]> {
    return this.call("runEpisode", () => this.runEpisode_());
  }

  /** Plays the next trajectory of the schedule to its end (or finishes the one under way). */
  runTrajectory(): Promise<TrajectoryInfo> {
    return this.call("runTrajectory", () => this.runTrajectory_());
  }

  /**
   * The cycle's opponent-model training: `om_training_iters` passes over all experience files
   * saved so far in this run, then the next cycle. Only when the cycle's trajectories are done.
   * An interrupted call leaves the pass where it stopped; the next call continues it.
   */
  trainOpponentModel(): Promise<OMPassSummary[]> {
    return this.call("trainOpponentModel", () => this.trainOpponentModel_());
  }

  /**
   * The rest of the current cycle: its remaining trajectories, then its OM training. With
   * `parallel_trajectories`, `workers` (default: the `workers` option, else the number of cores)
   * processes play a cycle's trajectories at once.
   */
  runCycle(options: RunOptions = {}): Promise<void> {
    return this.call("runCycle", () => this.withWorkers(options, () => this.runCycle_()));
  }

  /** Everything that remains; then the manifest says `finished`. Options as {@link runCycle}. */
  run(options: RunOptions = {}): Promise<void> {
    return this.call("run", () =>
      this.withWorkers(options, async () => {
        while (this.phase_ !== "done") await this.runCycle_();
        this.close();
      }),
    );
  }

  private async withWorkers<T>(options: RunOptions, body: () => Promise<T>): Promise<T> {
    if (options.workers !== undefined && (!Number.isInteger(options.workers) || options.workers < 1)) throw new ConfigError(`workers: expected a positive integer, got ${options.workers}`);
    this.workersOverride = options.workers ?? null;
    try {
      return await body();
    } finally {
      this.workersOverride = null;
    }
  }

  /** Episodes a call would play from here (for progress and ETA). */
  private plannedEpisodes(call: RunCall): number {
    const E = this.config.num_episodes;
    const leftInTrajectory = this.inTrajectory ? E - this.episodesCompleted : E;
    if (this.phase_ !== "play") return 0;
    if (call === "runEpisode") return 1;
    if (call === "runTrajectory") return leftInTrajectory;
    const perCycle = this.config.traj_per_iter * this.opponents;
    const doneInCycle = this.repeat * this.opponents + this.opponent + (this.inTrajectory ? 1 : 0);
    const restOfCycle = (perCycle - doneInCycle) * E + (this.inTrajectory ? leftInTrajectory : 0);
    if (call === "runCycle") return restOfCycle;
    return restOfCycle + (this.cycles - this.cycle - 1) * perCycle * E;
  }

  private call<T>(name: RunCall, body: () => Promise<T>): Promise<T> {
    const previous = this.active;
    let self: Promise<T> | null = null;
    const promise: Promise<T> = (async () => {
      // always await, even with nothing queued: the rest then runs after `self` is set below
      await previous?.catch(() => {});
      this.stopRequested = false;
      this.runDir.holdLock(); // released by close(); a later call takes it again
      this.reporter?.begin(this, { call: name, plannedEpisodes: this.plannedEpisodes(name) });
      // An interrupted notebook cell stops awaiting this promise; the rejection that follows the
      // stop is then expected, so it is marked handled rather than reported as unhandled.
      const unsubscribe = this.interrupts?.(() => {
        self?.catch(() => {});
        this.requestStop();
      });
      try {
        const result = await body();
        this.reporter?.end("done");
        return result;
      } catch (e) {
        this.reporter?.end(e instanceof ExperimentStopped ? "stopped" : "failed", e instanceof Error ? e.message : String(e));
        throw e;
      } finally {
        unsubscribe?.();
        if (this.active === self) this.active = null;
      }
    })();
    self = promise;
    this.active = promise;
    return promise;
  }

  private async runEpisode_(): Promise<number[]> {
    this.checkStop(); // a stop between trajectories does not start the next one
    if (!this.inTrajectory) this.beginTrajectory();
    const before = this.episodesCompleted;
    await this.pump(() => this.episodesCompleted > before);
    return this.episodeRewards[this.episodeRewards.length - 1];
  }

  private async runTrajectory_(): Promise<TrajectoryInfo> {
    this.checkStop();
    if (!this.inTrajectory) this.beginTrajectory();
    const info = this.info!;
    await this.pump(() => !this.inTrajectory);
    return info;
  }

  private async trainOpponentModel_(): Promise<OMPassSummary[]> {
    if (this.phase_ !== "om_training") {
      throw new Error(
        this.phase_ === "done" ? "the experiment is finished" : !this.lemolPresent ? "there is no LeMOL agent, so no opponent model to train" : this.config.feed_lemol_true_action ? "oracle mode (--feed_lemol_true_action) trains no opponent model" : "the cycle still has trajectories to play (runTrajectory or runCycle first)",
      );
    }
    await yieldToEventLoop();
    let last = Date.now();
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
        maybeYield: async () => {
          if (Date.now() - last > YIELD_MS) {
            await yieldToEventLoop();
            last = Date.now();
          }
        },
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
    const workers = this.workerCount();
    if (this.config.parallel_trajectories && workers > 1 && this.phase_ === "play" && !this.inTrajectory && this.repeat === 0 && this.opponent === 0) {
      await this.playCycleInWorkers_(workers);
    }
    while (this.phase_ === "play" && this.cycle === cycle) await this.runTrajectory_();
    if (this.phase_ === "om_training" && this.cycle === cycle) await this.trainOpponentModel_();
  }

  /** Worker processes for parallel trajectories: `--workers`, else the number of cores. */
  private workerCount(): number {
    return this.workersOverride ?? this.config.workers ?? os.availableParallelism();
  }

  /**
   * Trajectory `index` of the current cycle (in schedule order), played from the cycle's start
   * (what a parallel worker does; `parallel_trajectories` makes it independent of the others).
   * @internal
   */
  async playTrajectoryOfCycle(index: number): Promise<TrajectoryInfo> {
    if (this.phase_ !== "play" || this.inTrajectory || this.repeat !== 0 || this.opponent !== 0) throw new Error("playTrajectoryOfCycle: the experiment is not at the start of a cycle");
    const perCycle = this.config.traj_per_iter * this.opponents;
    if (!Number.isInteger(index) || index < 0 || index >= perCycle) throw new RangeError(`playTrajectoryOfCycle: index ${index} is not one of the cycle's ${perCycle} trajectories`);
    this.repeat = Math.floor(index / this.opponents);
    this.opponent = index % this.opponents;
    this.trajectoriesStarted += index;
    return this.runTrajectory_();
  }

  /**
   * The cycle's trajectories on `workers` processes (`--parallel_trajectories`): the cycle's start
   * is checkpointed, each worker plays trajectories from it in a directory of its own, and their
   * metrics are appended here in schedule order; then this experiment takes the state the last
   * trajectory ended in, exactly as if it had played them one after the other.
   */
  private async playCycleInWorkers_(workers: number): Promise<void> {
    const T = this.config.traj_per_iter * this.opponents;
    const cycle = this.cycle;
    // the workers continue from the cycle's start; it is also where a crashed run resumes
    const label = "latest";
    this.checkpoint(label);
    const base = path.join(this.runDir.root, "workers", `cycle-${cycle}`);
    fs.rmSync(base, { recursive: true, force: true });
    const dirs = Array.from({ length: T }, (_, i) => path.join(base, `trajectory-${i}`));
    const first = this.trajectoriesStarted;
    this.workerPool ??= new TrajectoryWorkerPool();
    const outcome = await this.workerPool.run({
      workers: Math.min(workers, T),
      jobs: dirs.map((dir, index) => ({ type: "run", runDir: this.runDir.root, checkpoint: label, dir, index, last: index === T - 1, backend: this.backend.name })),
      onProgress: (worker, m) => {
        this.emit("progress", {
          cycle,
          repeat: Math.floor(m.index / this.opponents),
          opponent: m.index % this.opponents,
          trajectory: first + m.index,
          agents: [],
          pair: this.pairName(m.index % this.opponents),
          episode: m.episode,
          episodes: m.episodes,
          trainStep: 0,
          stepsPerSecond: m.stepsPerSecond,
          trajectoriesDone: first,
          trajectoriesTotal: this.totalTrajectories,
          worker,
        });
      },
      stopRequested: () => this.stopRequested,
    });
    if (outcome === "stopped") {
      // nothing of the cycle is kept: a later call plays it again from its start
      fs.rmSync(base, { recursive: true, force: true });
      this.checkStop();
    }
    // metrics in schedule order, then the state the last trajectory ended in
    for (const dir of dirs) {
      const file = path.join(dir, "metrics.csv");
      for (const row of parseMetricsCsv(fs.readFileSync(file, "utf8"), file)) this.metrics.add(row);
    }
    const end = loadCheckpoint(path.join(dirs[T - 1], "checkpoints", "end"));
    for (const [key, t] of this.trainers) t.loadFrom(end, `trainer/${key}`);
    const s = end.value<ExperimentState>("experiment");
    this.phase_ = s.phase;
    this.cycle = s.cycle;
    this.repeat = s.repeat;
    this.opponent = s.opponent;
    this.trajectoriesStarted = s.trajectoriesStarted;
    this.info = s.info;
    this.loop.trainStep = s.trainStep;
    this.loop.episodesCompleted = s.episodesCompleted;
    this.env.loadState(end.value("env/state"));
    this.metrics.flush();
    if (this.cycle !== cycle) this.emit("cycle_end", { cycle, omTrained: false });
    this.print(`cycle ${cycle + 1}: ${T} trajectories played on ${Math.min(workers, T)} workers`);
    fs.rmSync(base, { recursive: true, force: true });
    this.writeManifest("running");
  }

  /** Process ids of the parallel-trajectory worker processes alive now (none before the first parallel cycle). */
  get workerPids(): number[] {
    return this.workerPool?.pids ?? [];
  }

  /** Ends the worker processes of parallel trajectories (a later parallel cycle forks new ones). */
  closeWorkers(): void {
    this.workerPool?.close();
    this.workerPool = null;
  }

  /**
   * Flushes metrics and records the end in the manifest; ends the worker processes and gives the
   * run directory up. After a failure (`status` "failed") a file that cannot be written (a full
   * disk) is reported on the printed output, not thrown, so the first failure stays the one seen.
   */
  close(status: Manifest["status"] = this.phase_ === "done" ? "finished" : "stopped"): void {
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

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends ExperimentEvent>(event: E, fn: (e: ExperimentEventMap[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => set!.delete(fn as (e: never) => void);
  }

  private emit<E extends ExperimentEvent>(event: E, payload: ExperimentEventMap[E]): void {
    const set = this.listeners.get(event);
    if (set) for (const fn of set) (fn as (e: ExperimentEventMap[E]) => void)(payload);
  }

  /**
   * Asks the run call under way to stop at the next step (or OM chunk) boundary: it then rejects
   * with {@link ExperimentStopped}, leaving the experiment consistent (a later call continues).
   * Does nothing when no call is under way.
   */
  requestStop(): void {
    if (this.active) this.stopRequested = true;
  }

  /** Whether a run call is under way (or queued). */
  get busy(): boolean {
    return this.active !== null;
  }

  private checkStop(): void {
    if (!this.stopRequested) return;
    this.stopRequested = false;
    this.metrics.flush();
    throw new ExperimentStopped();
  }

  /**
   * Steps until `done()` holds. It yields to the event loop before the first step (so no step runs
   * inside the notebook cell's synchronous part, where an interrupt would abort it midway) and
   * then every YIELD_MS, so that interrupts and progress displays are served.
   */
  private async pump(done: () => boolean): Promise<void> {
    await yieldToEventLoop();
    let last = Date.now();
    while (!done()) {
      this.checkStop();
      this.advance();
      if (Date.now() - last > YIELD_MS) {
        await yieldToEventLoop();
        last = Date.now();
      }
    }
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

  /** Frees every tensor of the experiment's trainers and gives the run directory up. */
  dispose(): void {
    this.closeWorkers();
    this.runDir.releaseLock();
    for (const t of this.trainers.values()) t.dispose();
  }
}

/** Options of {@link Experiment.runCycle} and {@link Experiment.run}. */
export interface RunOptions {
  /** Worker processes for `parallel_trajectories` (default: the `workers` option, else the number of cores). */
  workers?: number;
}

/** Options of {@link Experiment.restore}. */
export interface RestoreOptions {
  /** Which checkpoint (default `latest`). */
  checkpoint?: string;
  /** tfjs backend to force; default automatic. Resume on the backend the run used for identical numbers. */
  backend?: string;
  /**
   * Continue in this directory instead (a parallel worker): the run's state, metrics of its own,
   * experience files into the run's experience directory; the run directory is not touched.
   */
  detached?: string;
}

/** The experiment's counters and schedule as a checkpoint stores them. */
interface ExperimentState {
  phase: Phase;
  cycle: number;
  repeat: number;
  opponent: number;
  trajectoriesStarted: number;
  inTrajectory: boolean;
  info: TrajectoryInfo | null;
  trainStep: number;
  episodeStep: number;
  episodesCompleted: number;
  metricsRows: number;
  metricsBytes: number;
  experienceFiles: string[];
  replay: boolean;
}

/** A checkpoint directory, or a run directory's latest checkpoint. */
function checkpointDirOf(where: string): string {
  const dir = path.resolve(where);
  if (fs.existsSync(path.join(dir, "header.json"))) return dir;
  const manifestFile = path.join(dir, "manifest.json");
  if (fs.existsSync(manifestFile)) {
    let saveDir: string | null = null;
    try {
      saveDir = (JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest).config?.save_dir ?? null;
    } catch {
      // an unreadable manifest: fall back to the default layout
    }
    return path.join(saveDir ?? path.join(dir, "checkpoints"), "latest");
  }
  return dir; // loadCheckpoint says what is wrong with it
}

/** Paths in the config made absolute, so a run can be resumed from any working directory. */
function absolutePaths(cfg: ExperimentConfig): ExperimentConfig {
  const abs = (p: string | null) => (p === null ? null : path.resolve(p));
  return { ...cfg, run_dir: abs(cfg.run_dir), lemol_save_path: abs(cfg.lemol_save_path), save_dir: abs(cfg.save_dir), load_name: abs(cfg.load_name), load_good: abs(cfg.load_good), load_bad: abs(cfg.load_bad) };
}

/** A run call ended early because {@link Experiment.requestStop} was called. */
export class ExperimentStopped extends Error {
  constructor() {
    super("stopped on request");
    this.name = "ExperimentStopped";
  }
}

/** How often long calls give the event loop a turn (interrupts, progress displays). */
const YIELD_MS = 50;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
