/** The experiment and everything around it: the option schema, building from a config, the step loop, the run directory, metrics, sweeps. */
export { Experiment, ExperimentStopped, EXPERIMENT_POLICIES } from "./experiment.js";
export type { CallOutcome } from "./calls.js";
export type { Trainer, ExperimentOptions, RunOptions, CallOptions } from "./experiment.js";
export type { Phase, TrajectoryInfo, ExperimentEventMap, ExperimentEvent, RunCall, OMPassSummary } from "./events.js";
export { setDefaultHooks } from "./hooks.js";
export type { ExperimentHooks, ProgressReporter, ProgressSubject, InterruptSource } from "./hooks.js";
export type { RestoreOptions } from "./resume.js";
export { OPTIONS, OPTION_BY_NAME, ConfigError, resolveConfig, policyLists, optionsMarkdownTable } from "./config.js";
export type { OptionDef, OptionType, ExperimentConfig } from "./config.js";
export { buildRun, maddpgConfigOf, lemolOptionsOf, ppoConfigOf, scheduledCycles } from "./build.js";
export type { RunSetup } from "./build.js";
export { PlayLoop, oneHotMovement } from "./loop.js";
export type { LoopEnv, LoopOptions, StepHooks, StepOutcome, EnvStep } from "./loop.js";
export { TrainingRunner } from "./runner.js";
export {
  MetricsLog,
  METRIC_COLUMNS,
  parseMetricsCsv,
  toTable,
  MetricsFileError,
  IN_PLAY_BASELINES,
  IN_PLAY_ACCURACY_METRICS,
  inPlayStability,
  stabilityOf,
} from "./metrics.js";
export type { MetricRow, MetricName, InPlayStability } from "./metrics.js";
export { RunDir, libraryVersion, loadRun, listExperienceFiles, runStatusOf } from "./run-dir.js";
export type { Manifest, RunRecord, RunStatus } from "./run-dir.js";
export { RunLock, RunDirInUseError } from "./run-lock.js";
export { loadSweepSpec, parseSweepSpec, expandSweep, runSweepJob, listSweepRuns } from "./sweep.js";
export type { SweepSpec, SweepJob, SweepJobResult } from "./sweep.js";
export { submitSweep, sweepStatus, waitForSweep, startSweepWorker, redisUrl, QUEUE_NAME, ServiceError } from "./queue.js";
export type { SweepWorker, SweepWorkerOptions, JobStatus, SweepStatus } from "./queue.js";
export { WORKER_V8_FLAGS, WorkerProcessError } from "./workers.js";
