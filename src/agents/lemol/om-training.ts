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
 * LeMOL-EP (§4.5) counts `chunk_length` in periods (a chunk is chunk_length × F steps) and always
 * uses the later release's data handling (the first release's EP fails for F > 1 on the partial
 * last chunk), so with F = episode length every chunk is a whole number of episodes.
 *
 * Where episodes can end early (the UAV grid world, `episodicPeriods`), the exploration rows end at
 * the first episode start at or after X, and LeMOL-EP's periods are the episodes themselves: a
 * chunk is chunk_length episodes, each padded to the longest possible (left out of the loss).
 * With fixed-length episodes X is an episode start and nothing changes.
 */
import * as path from "node:path";
import { loadNpz, NdArray, NpzError } from "../../storage/npz.js";
import type { Rng } from "../../util/rng.js";
import { ChunkResult, ChunkState, OpponentModel, Revision } from "./opponent-model.js";
import { argmax } from "./in-play.js";

export interface OMTrainingOptions {
  /** Files drawn (with replacement) per pass (`--num_traj_to_train`). */
  numTrajToTrain: number;
  /** Chunk length (`--chunk_length`): steps, or periods for LeMOL-EP. */
  chunkLength: number;
  revision: Revision;
  /** Exploration rows to drop at the start of each file. */
  explorationSteps: number;
  /** Train on one-hot targets (`--train_lemol_om_on_oh`). */
  trainOnOneHot: boolean;
  /** The stream that picks files. */
  rng: Rng;
  /** Periods follow episodes (episodes of varying length: the UAV grid world). */
  episodicPeriods?: boolean;
}

/** Where an {@link OMTrainingPass} stands: its files, the next chunk, the LSTM state handed on. */
export interface OMPassProgress {
  files: string[];
  next: number;
  useInit: boolean;
  h: Float32Array;
  c: Float32Array;
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
  const E = om.eventSize,
    O = om.obsSize,
    A = om.actionSize,
    P = om.oppActionSize;
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

/** The first episode start at or after row `from` (`events` rows end with the terminal flag). */
export function firstEpisodeStart(d: TrajectoryData, eventSize: number, from: number): number {
  let r = from;
  while (r > 0 && r < d.rows && d.events[(r - 1) * eventSize + eventSize - 1] !== 1) r++;
  return r;
}

/** The complete episodes from row `from` on: starts and lengths. */
export function episodesFrom(d: TrajectoryData, eventSize: number, from: number): { starts: number[]; lengths: number[] } {
  const starts: number[] = [];
  const lengths: number[] = [];
  let begin = from;
  for (let r = from; r < d.rows; r++) {
    if (d.events[r * eventSize + eventSize - 1] === 1) {
      starts.push(begin);
      lengths.push(r + 1 - begin);
      begin = r + 1;
    }
  }
  return { starts, lengths };
}

/** The chunk count and usable length for trajectories of `rows` steps (lemol-spec §9.2 item 4). */
export function chunkPlan(rows: number, explorationSteps: number, chunkLength: number, revision: Revision): { length: number; chunks: number } {
  const length = revision === "init" ? rows - 1 - explorationSteps : rows - explorationSteps;
  if (length <= 0) return { length: Math.max(0, length), chunks: 0 };
  return { length, chunks: revision === "init" ? Math.ceil(length / chunkLength) : Math.floor(length / chunkLength) };
}

/**
 * One `train_opponent_model` pass, chunk by chunk. The files are drawn and read when the pass is
 * built; {@link trainNext} trains the next chunk. A pass can be left between chunks and continued
 * later (an interrupted notebook call) with exactly the same result as an uninterrupted one.
 */
export class OMTrainingPass {
  /** The files drawn for this pass (with replacement). */
  readonly files: string[];
  /** Chunks in the pass. */
  readonly chunks: number;
  /** The next chunk to train (== chunks when the pass is done). */
  next = 0;
  private readonly om: OpponentModel;
  private readonly opts: OMTrainingOptions;
  private readonly data: TrajectoryData[];
  private readonly length: number;
  /** Per file: where its training rows start (after exploration, at an episode start). */
  private readonly starts: number[];
  /** Per file, with episodic periods: its complete episodes after exploration. */
  private readonly episodes: { starts: number[]; lengths: number[] }[] | null;
  /** Per period of the chunk being trained (episodic periods): its length. */
  private readonly periodLengths: Int32Array | null;
  /** Steps per chunk (chunk_length, times F for LeMOL-EP). */
  private readonly chunkSteps: number;
  /** The data handling followed (LeMOL-EP always follows the later release's). */
  private readonly revision: Revision;
  private readonly state: ChunkState;
  private readonly inputs: Float32Array;
  private readonly obs: Float32Array;
  private readonly targets: Float32Array;
  /** The behaviour-cloning baseline's rows of the chunk (bc-baseline.ts): observations, unshifted targets. */
  private readonly baselineObs: Float32Array | null;
  private readonly baselineTargets: Float32Array | null;
  /** Per baseline row: the opponent's previous action in its file (arg-max, −1 at the file's first row). */
  private readonly baselinePrevious: Int32Array | null;

  /**
   * Draws `num_traj_to_train` of `files` (with replacement) and reads them. Throws if there are no
   * files or the trajectories are too short to fill a chunk. `picked` skips the draw (resuming).
   */
  constructor(
    om: OpponentModel,
    files: readonly string[],
    opts: OMTrainingOptions,
    cache: Map<string, TrajectoryData> = new Map(),
    picked?: readonly string[],
  ) {
    if (files.length === 0 && !picked) throw new Error("opponent-model training: no experience files yet (play at least one trajectory first)");
    this.om = om;
    this.opts = opts;
    this.files = picked ? [...picked] : Array.from({ length: opts.numTrajToTrain }, () => files[opts.rng.int(files.length)]);
    this.data = this.files.map((f) => {
      let d = cache.get(f);
      if (!d) cache.set(f, (d = readTrajectory(f, om, opts.trainOnOneHot)));
      return d;
    });
    this.revision = om.blockProcessing ? "head" : opts.revision;
    this.chunkSteps = om.chunkSteps(opts.chunkLength);
    const E = om.eventSize;
    this.starts = this.data.map((d) => firstEpisodeStart(d, E, opts.explorationSteps));
    const episodic = om.blockProcessing && (opts.episodicPeriods ?? false);
    if (episodic) {
      // periods are the episodes: a chunk is chunk_length of them, padded to F = the longest episode
      this.episodes = this.data.map((d, b) => episodesFrom(d, E, this.starts[b]));
      const fewest = Math.min(...this.episodes.map((e) => e.lengths.length));
      if (Math.max(...this.episodes.flatMap((e) => e.lengths)) > om.period)
        throw new Error(`opponent-model training: an episode is longer than the model's period of ${om.period} steps`);
      this.length = fewest;
      this.chunks = Math.floor(fewest / opts.chunkLength);
      this.periodLengths = new Int32Array(this.data.length * opts.chunkLength);
      if (this.chunks === 0)
        throw new Error(
          `opponent-model training: the trajectories hold ${fewest} complete episodes after exploration, less than one chunk of ${opts.chunkLength}`,
        );
    } else {
      this.episodes = null;
      this.periodLengths = null;
      const plans = this.data.map((d, b) => chunkPlan(d.rows, this.starts[b], this.chunkSteps, this.revision));
      const shortest = plans.reduce((a, p) => (p.length < a.length ? p : a));
      if (shortest.chunks === 0) {
        const rows = Math.min(...this.data.map((d) => d.rows));
        throw new Error(
          `opponent-model training: trajectories of ${rows} steps leave ${shortest.length} after ${opts.explorationSteps} exploration steps, less than one chunk of ${this.chunkSteps}`,
        );
      }
      this.length = shortest.length;
      this.chunks = shortest.chunks;
    }
    const B = this.data.length;
    this.state = { h: new Float32Array(B * om.hidden), c: new Float32Array(B * om.hidden), useInit: true };
    this.inputs = new Float32Array(B * this.chunkSteps * om.eventSize);
    this.obs = new Float32Array(B * this.chunkSteps * om.obsSize);
    this.targets = new Float32Array(B * this.chunkSteps * om.oppActionSize);
    this.baselineObs = om.baseline ? new Float32Array(B * this.chunkSteps * om.obsSize) : null;
    this.baselineTargets = om.baseline ? new Float32Array(B * this.chunkSteps * om.oppActionSize) : null;
    this.baselinePrevious = om.baseline ? new Int32Array(B * this.chunkSteps) : null;
  }

  /** Where the pass stands (files relative to `baseDir` when given), for a checkpoint. */
  progress(baseDir?: string): OMPassProgress {
    return {
      files: baseDir ? this.files.map((f) => path.relative(baseDir, f)) : [...this.files],
      next: this.next,
      useInit: this.state.useInit,
      h: Float32Array.from(this.state.h),
      c: Float32Array.from(this.state.c),
    };
  }

  /** A pass continued from {@link progress} (files relative to `baseDir`). */
  static resume(
    om: OpponentModel,
    p: OMPassProgress,
    opts: OMTrainingOptions,
    baseDir: string,
    cache: Map<string, TrajectoryData> = new Map(),
  ): OMTrainingPass {
    const pass = new OMTrainingPass(
      om,
      [],
      opts,
      cache,
      p.files.map((f) => path.resolve(baseDir, f)),
    );
    if (p.next > pass.chunks || p.h.length !== pass.state.h.length || p.c.length !== pass.state.c.length) {
      throw new Error(
        `opponent-model training: saved progress (chunk ${p.next}, state ${p.h.length}) does not fit this pass (${pass.chunks} chunks, state ${pass.state.h.length})`,
      );
    }
    pass.next = p.next;
    pass.state.useInit = p.useInit;
    pass.state.h.set(p.h);
    pass.state.c.set(p.c);
    return pass;
  }

  get done(): boolean {
    return this.next >= this.chunks;
  }

  /** Trains the next chunk (the LSTM state is handed on from the previous one). */
  trainNext(): ChunkResult {
    if (this.done) throw new Error("this opponent-model training pass is already complete");
    const om = this.om;
    const E = om.eventSize,
      O = om.obsSize,
      P = om.oppActionSize;
    const B = this.data.length;
    if (this.episodes) return this.trainNextEpisodes();
    const shift = this.revision === "init" ? 1 : 0; // init predicts the next opponent action
    const C0 = this.chunkSteps;
    const start = this.next * C0;
    const C = Math.min(C0, this.length - start);
    for (let b = 0; b < B; b++) {
      const d = this.data[b];
      const X = this.starts[b];
      for (let k = 0; k < C; k++) {
        const row = X + start + k;
        this.inputs.set(d.events.subarray(row * E, (row + 1) * E), (b * C + k) * E);
        this.obs.set(d.obs.subarray(row * O, (row + 1) * O), (b * C + k) * O);
        this.targets.set(d.targets.subarray((row + shift) * P, (row + shift + 1) * P), (b * C + k) * P);
      }
    }
    const n = B * C;
    const chunk = { inputs: this.inputs.subarray(0, n * E), obs: this.obs.subarray(0, n * O), targets: this.targets.subarray(0, n * P), B, C };
    const r = om.trainChunk({ ...chunk, state: this.state, revision: this.revision }, this.next);
    this.trainBaseline((b, k) => ({ data: this.data[b], row: this.starts[b] + start + k }), B, C);
    this.next++;
    if (this.done) om.syncPlain();
    return r;
  }

  /** The baseline's step on the chunk's rows: `at(b, k)` is (file, row) of file b's k-th step, null for padding. */
  private trainBaseline(at: (b: number, k: number) => { data: TrajectoryData; row: number } | null, B: number, steps: number): void {
    const bc = this.om.baseline;
    if (!bc) return;
    const O = this.om.obsSize,
      P = this.om.oppActionSize;
    const obs = this.baselineObs!,
      targets = this.baselineTargets!,
      previous = this.baselinePrevious!;
    let n = 0;
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < steps; k++) {
        const step = at(b, k);
        if (!step) continue;
        const { data, row } = step;
        obs.set(data.obs.subarray(row * O, (row + 1) * O), n * O);
        targets.set(data.targets.subarray(row * P, (row + 1) * P), n * P);
        previous[n] = row > 0 ? argmax(data.targets.subarray((row - 1) * P, row * P), P) : -1;
        n++;
      }
    }
    if (n > 0) bc.fit(obs, targets, n, previous);
  }

  /** A chunk of whole episodes (episodic periods), each padded to the model's period. */
  private trainNextEpisodes(): ChunkResult {
    const om = this.om;
    const E = om.eventSize,
      O = om.obsSize,
      P = om.oppActionSize,
      F = om.period;
    const B = this.data.length;
    const K = this.opts.chunkLength;
    this.inputs.fill(0);
    this.obs.fill(0);
    this.targets.fill(0);
    const lengths = this.periodLengths!;
    for (let b = 0; b < B; b++) {
      const d = this.data[b];
      const ep = this.episodes![b];
      for (let k = 0; k < K; k++) {
        const e = this.next * K + k;
        const len = ep.lengths[e];
        const from = ep.starts[e];
        const at = (b * K + k) * F;
        lengths[b * K + k] = len;
        this.inputs.set(d.events.subarray(from * E, (from + len) * E), at * E);
        this.obs.set(d.obs.subarray(from * O, (from + len) * O), at * O);
        this.targets.set(d.targets.subarray(from * P, (from + len) * P), at * P);
      }
    }
    const r = om.trainChunk(
      { inputs: this.inputs, obs: this.obs, targets: this.targets, B, C: K * F, state: this.state, revision: this.revision, lengths },
      this.next,
    );
    this.trainBaseline(
      (b, k) => {
        const period = Math.floor(k / F);
        if (k % F >= lengths[b * K + period]) return null; // padding
        return { data: this.data[b], row: this.episodes![b].starts[this.next * K + period] + (k % F) };
      },
      B,
      K * F,
    );
    this.next++;
    if (this.done) om.syncPlain();
    return r;
  }
}

/**
 * One whole pass (see {@link OMTrainingPass}). `onChunk` is called after every chunk (with the
 * OM's global iteration counter); `yieldNow` lets an async caller stay responsive.
 */
export async function trainOpponentModelPass(
  om: OpponentModel,
  files: readonly string[],
  opts: OMTrainingOptions,
  onChunk: (iteration: number, r: ChunkResult, chunk: number, chunks: number) => void,
  yieldNow: () => Promise<void> = async () => {},
  cache: Map<string, TrajectoryData> = new Map(),
): Promise<{ chunks: number; files: string[] }> {
  const pass = new OMTrainingPass(om, files, opts, cache);
  while (!pass.done) {
    const chunk = pass.next;
    const r = pass.trainNext();
    onChunk(om.iterations, r, chunk, pass.chunks);
    await yieldNow();
  }
  return { chunks: pass.chunks, files: pass.files };
}
