/** Storage below the agents: replay buffers, the checkpoint format, npz files, LeMOL's experience files. */
export { ReplayBuffer } from "./replay.js";
export type { ReplayBatch } from "./replay.js";
export { saveCheckpoint, loadCheckpoint, checkpointExists, CheckpointWriter, CheckpointReader, CheckpointError, CHECKPOINT_FORMAT } from "./checkpoint.js";
export type { CheckpointHeader, CheckpointTensor, CheckpointArray, CheckpointDtype } from "./checkpoint.js";
export { encodeNpy, decodeNpy, encodeNpz, decodeNpz, saveNpz, loadNpz, NpzError } from "./npz.js";
export type { NdArray } from "./npz.js";
export { EXPERIENCE_KEYS, ExperienceRecorder } from "./experience.js";
export type { ExperienceKey } from "./experience.js";
