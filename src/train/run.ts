/**
 * One run of an experiment, the value every helper that carries it out is given: what the config
 * builds (environment, learners, schedule, OM phase: build.ts), the backend, the run directory with
 * its manifest and metrics, the events front ends subscribe to, where printed lines go, the
 * worker processes and the cycle-start state of parallel trajectories.
 *
 * `Experiment` makes one and hands it down: `CycleRunner` (what the run calls do) →
 * `TrajectoryPlayer` (a trajectory, step by step) → `PlayLoop` (one step); `opening.ts` opens it,
 * `run-state.ts` writes and reads its checkpoints. None of them calls back into the Experiment.
 */
import { tf, usableHeapGiB, type BackendInfo } from "../nn/backend.js";
import type { Learner } from "../agents/learner.js";
import { buildRun, type RunSetup } from "./build.js";
import { absolutePaths, checkNetworkMemory, type ExperimentConfig } from "./config.js";
import { loadPolicies } from "./evaluate.js";
import { EventBus, type ExperimentEvent, type ExperimentEventMap } from "./events.js";
import { MetricsLog } from "./metrics.js";
import { CycleStart, WorkerProcesses } from "./parallel.js";
import type { Resumption } from "./resume.js";
import { ManifestRecord, RunDir, type Manifest } from "./run-dir.js";
import type { RunLock } from "./run-lock.js";
import type { ExperimentState } from "./schedule.js";

export class Run {
  readonly config: Readonly<ExperimentConfig>;
  readonly backend: BackendInfo;
  /** The MPE environment, or the UAV grid world (`--scenario uav`). */
  readonly env: RunSetup["env"];
  /** Per agent: whether it is an adversary ("bad"). */
  readonly adversary: readonly boolean[];
  /** Which actions are one-hot (envs/one-hot.ts). */
  readonly oneHot: RunSetup["oneHot"];
  /** The `_`-separated policy lists of each side, and which side varies. */
  readonly policies: RunSetup["policies"];
  /** Evaluating loaded policies (`test`, `display`, `benchmark`): no learning, no OM training. */
  readonly evaluating: boolean;
  readonly lemolPresent: boolean;
  /** `batch_size × max_episode_len`. */
  readonly explorationSteps: number;
  readonly cycles: number;
  /** Opponents in turn: the length of the varying side's policy list. */
  readonly opponents: number;
  /** Every learner by `<policy>/<agent index>`. */
  readonly trainers: ReadonlyMap<string, Learner>;
  /** Cycles, trajectories and OM phases in order: where the run stands. */
  readonly schedule: RunSetup["schedule"];
  /** The cycle's OM training over LeMOL's learners, and its file-sampling stream. */
  readonly omPhase: RunSetup["omPhase"];
  readonly omRng: RunSetup["omRng"];
  /** Every learner's optimiser states at the cycle's start (`--parallel_trajectories`). */
  readonly cycleStart = new CycleStart();
  /** The worker processes of `--parallel_trajectories`. */
  readonly workers: WorkerProcesses;
  readonly runDir: RunDir;
  /** The manifest's record: when the run started, its resumptions, the update paths. */
  readonly manifest: ManifestRecord;
  readonly metrics: MetricsLog;
  /** What the run tells front ends (`Experiment.on` subscribes). */
  readonly events = new EventBus<ExperimentEventMap>();
  /** Where the original's printed lines go. */
  readonly print: (line: string) => void;

  /**
   * Builds the run from `config` (build.ts) and takes its run directory: a new one, the run's own
   * continued from `resume` (metrics cut back to the checkpoint at the first flush), or a parallel
   * worker's own (`resume.detached`: fresh metrics). Gives the directory up again if it fails.
   */
  constructor(config: ExperimentConfig, backend: BackendInfo, print: (line: string) => void, resume?: Resumption, lock?: RunLock) {
    this.config = Object.freeze(absolutePaths(config));
    this.backend = backend;
    this.print = print;
    try {
      // the wasm heap is smaller than the machine (config.ts checked the machine)
      const heap = usableHeapGiB(backend);
      if (heap !== null) checkNetworkMemory(this.config, heap, `the ${backend.name} backend's usable`);
      const setup = buildRun(this.config, print);
      this.env = setup.env;
      this.adversary = setup.adversary;
      this.oneHot = setup.oneHot;
      this.policies = setup.policies;
      this.evaluating = setup.evaluating;
      this.lemolPresent = setup.lemolPresent;
      this.explorationSteps = setup.explorationSteps;
      this.cycles = setup.cycles;
      this.opponents = setup.opponents;
      this.trainers = setup.trainers;
      this.schedule = setup.schedule;
      this.omPhase = setup.omPhase;
      this.omRng = setup.omRng;
      if (this.evaluating) loadPolicies(this.trainers, this.adversary, this.config);
      this.workers = new WorkerProcesses(this.config.workers, this.schedule.perCycle);
      this.runDir = new RunDir(this.config, { resume: resume !== undefined && !resume.detached, lock, detached: resume?.detached });
    } catch (err) {
      // a lock taken for this run (overwrite, restore) is given up with it: nothing else would release it
      lock?.release();
      throw err;
    }
    this.manifest = new ManifestRecord(this.runDir, this.config, backend);
    try {
      this.metrics =
        resume && !resume.detached
          ? MetricsLog.resume(this.runDir.metricsFile, resume.reader.value<ExperimentState>("experiment").metricsBytes)
          : new MetricsLog(this.runDir.metricsFile);
    } catch (err) {
      this.runDir.releaseLock();
      throw err;
    }
  }

  emit<E extends ExperimentEvent>(event: E, payload: ExperimentEventMap[E]): void {
    this.events.emit(event, payload);
  }

  /** The learner that plays `agent` under pairing `j` (the opponent's index). */
  trainerFor(agent: number, j: number): Learner {
    const list = this.policies[this.adversary[agent] ? "bad" : "good"];
    return this.trainers.get(`${list.length > 1 ? list[j] : list[0]}/${agent}`)!;
  }

  /** The learners of pairing `j`, in agent order. */
  pairing(j: number): Learner[] {
    return Array.from({ length: this.env.n }, (_, i) => this.trainerFor(i, j));
  }

  /** Records the run's status and progress in its manifest. */
  writeManifest(status: Manifest["status"]): void {
    const s = this.schedule;
    this.manifest.write(status, { cycle: s.cycle, trajectories_started: s.trajectoriesStarted, tensors: tf.memory().numTensors });
  }
}
