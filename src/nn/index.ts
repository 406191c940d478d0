/** Networks and their training: the tfjs backend, MLP and LSTM with explicit backward passes, action distributions, Adam with per-variable clipping, polyak, lemol's native kernels. */
export { initBackend, backendInfo, BackendError, tf } from "./backend.js";
export type { BackendInfo, BackendName } from "./backend.js";
export { nativeStatus, activateNative, deactivateNative } from "./native-kernels.js";
export type { NativeStatus } from "./native-kernels.js";
export { MLP, PlainMLP, mlpSizes, mlpKernels, setMLPKernels, compositeKernels } from "./mlp.js";
export type { MLPCache, MLPGrads, MLPKernels } from "./mlp.js";
export { TanhMLP, PlainTanhMLP } from "./tanh-mlp.js";
export { LSTM, PlainLSTM, NativeLSTMRun, nativeLSTMKernels } from "./lstm.js";
export type { LSTMOptions, LSTMSequence, LSTMGrads, RecurrentActivation } from "./lstm.js";
export { SoftCategorical, SoftMultiCategorical, DiagGaussian, distributionFor, gumbel, UnsupportedSpaceError } from "./distributions.js";
export type { ActionDistribution } from "./distributions.js";
export { Adam, clipByNorm, polyakUpdate } from "./optim.js";
export type { AdamConfig, AdamState } from "./optim.js";
export { glorotUniform, orthogonal } from "./init.js";
export { enableAutodiff } from "./gradients.js";
