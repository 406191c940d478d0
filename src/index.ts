/**
 * lemol: multi-agent reinforcement learning with opponent modelling, in TypeScript.
 *
 * This entry point is the public API; everything a notebook or a script needs is exported here.
 */
export * from "./envs/index.js";
export { checkGolden, checkGoldenFile, goldenFiles, describeMismatch, DEFAULT_TOLERANCE } from "./envs/conformance.js";
export type { ConformanceResult, ConformanceMismatch } from "./envs/conformance.js";
export { randomAction } from "./agents/random.js";
export type { RandomDiscreteKind } from "./agents/random.js";
export { Rng } from "./util/rng.js";
export type { RngState } from "./util/rng.js";
export { writeFileAtomic } from "./util/fs.js";
export { initBackend, backendInfo, BackendError, tf } from "./nn/backend.js";
export type { BackendInfo, BackendName } from "./nn/backend.js";
export { nativeStatus, activateNative, deactivateNative } from "./nn/native.js";
export type { NativeStatus } from "./nn/native.js";
export { MLP, PlainMLP, mlpSizes, mlpKernels, setMLPKernels, compositeKernels } from "./nn/mlp.js";
export type { MLPCache, MLPGrads, MLPKernels } from "./nn/mlp.js";
export { LSTM, PlainLSTM } from "./nn/lstm.js";
export type { LSTMOptions, LSTMSequence, LSTMGrads, RecurrentActivation } from "./nn/lstm.js";
export { SoftCategorical, SoftMultiCategorical, DiagGaussian, distributionFor, gumbel, UnsupportedSpaceError } from "./nn/distributions.js";
export type { ActionDistribution } from "./nn/distributions.js";
export { Adam, clipByNorm, polyakUpdate } from "./nn/optim.js";
export type { AdamConfig, AdamState } from "./nn/optim.js";
export { glorotUniform, orthogonal } from "./nn/init.js";
export { ActorCriticTrainer, MADDPG_DEFAULTS } from "./agents/actor-critic.js";
export type { MADDPGConfig, UpdateStats, TrainerOptions } from "./agents/actor-critic.js";
export { MADDPGAgentTrainer, worstCaseActions, actAll } from "./agents/maddpg.js";
export type { MADDPGVariant, MADDPGTrainerOptions } from "./agents/maddpg.js";
export { createTrainers, checkPolicy, POLICY_NAMES, UnknownPolicyError } from "./agents/policies.js";
export type { PolicyName, TrainerSetup } from "./agents/policies.js";
export { ReplayBuffer } from "./train/replay.js";
export type { ReplayBatch } from "./train/replay.js";
export { TrainingRunner } from "./train/runner.js";
export type { StepOutcome } from "./train/runner.js";
