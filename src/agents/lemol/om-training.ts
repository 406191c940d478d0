/**
 * `train_opponent_model` (lemol-spec §4.4): one pass over `num_traj_to_train` experience files
 * sampled with replacement, truncated BPTT chunk by chunk with the state handed on.
 *
 * From each file (the npz layout of §2.6) the events `[a_opp ‖ o ‖ a ‖ r ‖ terminal]`, the
 * observations and the opponent-action targets are built; the exploration rows are dropped and the
 * sequences aligned per revision:
 *   init  events/obs rows X..T-2, targets X+1..T-1; the last partial chunk is kept
 *   head  events/obs/targets rows X..T-1; the remainder that does not fill a chunk is dropped
 * with X = `batch_size × max_episode_len`. Files of different lengths use the shortest.
 */
import { loadNpz, NdArray, NpzError } from "../../train/npz.js";
import type { Rng } from "../../util/rng.js";
import { ChunkResult, ChunkState, OpponentModel, Revision } from "./opponent-model.js";

export interface OMTrainingOptions {
  /** Files drawn (with replacement) per pass (`--num_traj_to_train`). */
  numTrajToTrain: number;
  /** Chunk length in steps (`--chunk_length`). */
  chunkLength: number;
  revision: Revision;
  /** Exploration rows to drop at the start of each file. */
  explorationSteps: number;
  /** Train on one-hot targets (`--train_lemol_om_on_oh`). */
  trainOnOneHot: boolean;
  /** The stream that picks files. */
  rng: Rng;
}

/** One file's sequences, float32, ready to slice into chunks. */
export interface TrajectoryData {
  file: string;
  rows: number;
  events: Float32Array;
  obs: Float32Array;
  targets: Float32Array;
}

const REQUIRED = ["observations", "actions", "rewards", "terminals", "opponent_actions"] as const;

/** Reads one experience file into event/observation/target sequences, checking keys and shapes. */
export function readTrajectory(file: string, om: OpponentModel, trainOnOneHot: boolean): TrajectoryData {
  const z = loadNpz(file);
  for (const k of REQUIRED) if (!z[k]) throw new NpzError(`${file}: missing key "${k}"`);
  const T = z.observations.shape[0];
  const expect = (k: string, a: NdArray, cols: number | null) => {
    const ok = a.shape[0] === T && (cols === null ? a.shape.length === 1 : a.shape.length === 2 && a.shape[1] === cols);
    if (!ok) throw new NpzError(`${file}: "${k}" has shape (${a.shape}), expected (${T}${cols === null ? "," : `, ${cols}`})`);
  };
  expect("observations", z.observations, om.obsSize);
  expect("actions", z.actions, om.actionSize);
  expect("rewards", z.rewards, null);
  expect("terminals", z.terminals, null);
  expect("opponent_actions", z.opponent_actions, om.oppActionSize);
  const E = om.eventSize, O = om.obsSize, A = om.actionSize, P = om.oppActionSize;
  const events = new Float32Array(T * E);
  const obs = new Float32Array(T * O);
  const targets = new Float32Array(T * P);
  for (let t = 0; t < T; t++) {
    let k = t * E;
    for (let j = 0; j < P; j++) events[k++] = z.opponent_actions.data[t * P + j];
    for (let j = 0; j < O; j++) events[k++] = obs[t * O + j] = z.observations.data[t * O + j];
    for (let j = 0; j < A; j++) events[k++] = z.actions.data[t * A + j];
    events[k++] = z.rewards.data[t];
    events[k++] = z.terminals.data[t];
    if (trainOnOneHot) {
      let best = 0;
      for (let j = 1; j < P; j++) if (z.opponent_actions.data[t * P + j] > z.opponent_actions.data[t * P + best]) best = j;
      targets[t * P + best] = 1;
    } else {
      for (let j = 0; j < P; j++) targets[t * P + j] = z.opponent_actions.data[t * P + j];
    }
  }
  return { file, rows: T, events, obs, targets };
}

/** The chunk count and usable length for trajectories of `rows` steps (lemol-spec §9.2 item 4). */
export function chunkPlan(rows: number, explorationSteps: number, chunkLength: number, revision: Revision): { length: number; chunks: number } {
  const length = revision === "init" ? rows - 1 - explorationSteps : rows - explorationSteps;
  if (length <= 0) return { length: Math.max(0, length), chunks: 0 };
  return { length, chunks: revision === "init" ? Math.ceil(length / chunkLength) : Math.floor(length / chunkLength) };
}

/**
 * One `train_opponent_model` pass. `onChunk` is called after every chunk (with the global chunk
 * counter); `yieldEvery` lets an async caller stay responsive. Throws if there are no files or the
 * trajectories are too short to fill a chunk.
 */
export async function trainOpponentModelPass(
  om: OpponentModel,
  files: readonly string[],
  opts: OMTrainingOptions,
  onChunk: (iteration: number, r: ChunkResult, chunk: number, chunks: number) => void,
  yieldNow: () => Promise<void> = async () => {},
  cache: Map<string, TrajectoryData> = new Map(),
): Promise<{ chunks: number; files: string[] }> {
  if (files.length === 0) throw new Error("opponent-model training: no experience files yet (play at least one trajectory first)");
  const picked = Array.from({ length: opts.numTrajToTrain }, () => files[opts.rng.int(files.length)]);
  const data = picked.map((f) => {
    let d = cache.get(f);
    if (!d) cache.set(f, (d = readTrajectory(f, om, opts.trainOnOneHot)));
    return d;
  });
  const rows = Math.min(...data.map((d) => d.rows));
  const { length, chunks } = chunkPlan(rows, opts.explorationSteps, opts.chunkLength, opts.revision);
  if (chunks === 0) {
    throw new Error(`opponent-model training: trajectories of ${rows} steps leave ${length} after ${opts.explorationSteps} exploration steps, less than one chunk of ${opts.chunkLength}`);
  }
  const B = data.length;
  const E = om.eventSize, O = om.obsSize, P = om.oppActionSize, H = om.hidden;
  const X = opts.explorationSteps;
  const shift = opts.revision === "init" ? 1 : 0; // init predicts the next opponent action
  const state: ChunkState = { h: new Float32Array(B * H), c: new Float32Array(B * H), useInit: true };
  const C0 = opts.chunkLength;
  const inputs = new Float32Array(B * C0 * E);
  const obs = new Float32Array(B * C0 * O);
  const targets = new Float32Array(B * C0 * P);
  for (let i = 0; i < chunks; i++) {
    const start = i * C0;
    const C = Math.min(C0, length - start);
    for (let b = 0; b < B; b++) {
      const d = data[b];
      for (let k = 0; k < C; k++) {
        const row = X + start + k;
        inputs.set(d.events.subarray(row * E, (row + 1) * E), (b * C + k) * E);
        obs.set(d.obs.subarray(row * O, (row + 1) * O), (b * C + k) * O);
        targets.set(d.targets.subarray((row + shift) * P, (row + shift + 1) * P), (b * C + k) * P);
      }
    }
    const n = B * C;
    const r = om.trainChunk(inputs.subarray(0, n * E), obs.subarray(0, n * O), targets.subarray(0, n * P), B, C, state, opts.revision);
    onChunk(om.iterations, r, i, chunks);
    await yieldNow();
  }
  om.syncPlain();
  return { chunks, files: picked };
}
