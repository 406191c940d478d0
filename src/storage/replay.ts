/**
 * The replay buffer (lemol-spec §3.4): a ring over typed arrays holding one agent's transitions
 * (observation, action, reward, next observation, done). Every agent has its own buffer and every
 * buffer receives exactly one entry per environment step, so an index drawn from one buffer reads
 * aligned transitions from all of them. Sampling is uniform with replacement ({@link ReplayBuffer.makeIndex}),
 * or without ({@link ReplayBuffer.makeDistinctIndex}).
 *
 * Storage grows by doubling up to `capacity` (the default capacity, 1e6, is far more than a
 * trajectory's 275,600 steps), so an unused capacity costs no memory. Float32, as training uses.
 */
import { largeFloat32Array, nativeFillIndex, nativeGatherRows, nativePrefetchRows } from "../nn/native-kernels.js";
import type { Rng } from "../util/rng.js";
import { CheckpointError, CheckpointReader, CheckpointWriter } from "./checkpoint.js";

/** A gathered batch, laid out row-major: obs [B, obsSize], act [B, actSize], ... */
export interface ReplayBatch {
  readonly obs: Float32Array;
  readonly act: Float32Array;
  readonly rew: Float32Array;
  readonly obsNext: Float32Array;
  readonly done: Float32Array;
  /** The per-transition extra numbers (e.g. LeMOL's opponent prediction), [B, extraSize]. */
  readonly extra: Float32Array;
}

export class ReplayBuffer {
  /** Draw batch indices and gather with the native addon when it is built (true by default; false for comparisons). */
  static nativeGather = true;
  readonly obsSize: number;
  readonly actSize: number;
  readonly capacity: number;
  readonly extraSize: number;
  /**
   * One row per transition, [obs | act | rew | obsNext | done | extra]: a random row is then one to three
   * adjacent cache lines instead of five scattered ones (sampling is memory-latency bound).
   */
  private data = new Float32Array(0);
  private readonly stride: number;
  private readonly actOff: number;
  private readonly rewOff: number;
  private readonly nextOff: number;
  private readonly doneOff: number;
  private readonly extraOff: number;
  /** [offset, width] of obs, act, rew, obsNext, done, extra within a row (the native gather's segments). */
  private readonly segments: Int32Array;
  /** Per batch buffer, its arrays in segment order (made once, so a gather allocates nothing). */
  private readonly batchOuts = new WeakMap<ReplayBatch, Float32Array[]>();
  private allocated = 0;
  private size = 0;
  private next = 0;
  /** Sum and sum of squares of the stored rewards (float64, kept as rows come and go): {@link rewardMean}, {@link rewardStd}. */
  private rewSum = 0;
  private rewSumSq = 0;

  constructor(obsSize: number, actSize: number, capacity = 1_000_000, initial = 4096, extraSize = 0) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    this.obsSize = obsSize;
    this.actSize = actSize;
    this.capacity = capacity;
    this.actOff = obsSize;
    this.rewOff = obsSize + actSize;
    this.nextOff = obsSize + actSize + 1;
    this.doneOff = 2 * obsSize + actSize + 1;
    this.extraOff = 2 * obsSize + actSize + 2;
    this.extraSize = extraSize;
    this.stride = 2 * obsSize + actSize + 2 + extraSize;
    this.segments = Int32Array.from([0, obsSize, this.actOff, actSize, this.rewOff, 1, this.nextOff, obsSize, this.doneOff, 1, this.extraOff, extraSize]);
    this.grow(Math.min(capacity, initial));
  }

  /** Number of stored transitions. */
  get length(): number {
    return this.size;
  }

  private grow(rows: number): void {
    const d = largeFloat32Array(rows * this.stride);
    d.set(this.data.subarray(0, this.allocated * this.stride));
    this.data = d;
    this.allocated = rows;
  }

  /** Stores one transition (copying the values; `done` is stored as 0 or 1). */
  add(obs: ArrayLike<number>, act: ArrayLike<number>, rew: number, obsNext: ArrayLike<number>, done: boolean, extra?: ArrayLike<number>): void {
    if (this.extraSize > 0 && (!extra || extra.length !== this.extraSize))
      throw new RangeError(`replay: extra length ${extra?.length ?? 0}, expected ${this.extraSize}`);
    if (obs.length !== this.obsSize || obsNext.length !== this.obsSize)
      throw new RangeError(`replay: observation length ${obs.length}/${obsNext.length}, expected ${this.obsSize}`);
    if (act.length !== this.actSize) throw new RangeError(`replay: action length ${act.length}, expected ${this.actSize}`);
    const i = this.next;
    if (i >= this.allocated) this.grow(Math.min(this.capacity, Math.max(2 * this.allocated, 1)));
    const d = this.data;
    const r = i * this.stride;
    for (let k = 0; k < this.obsSize; k++) {
      d[r + k] = obs[k];
      d[r + this.nextOff + k] = obsNext[k];
    }
    for (let k = 0; k < this.actSize; k++) d[r + this.actOff + k] = act[k];
    if (this.size === this.capacity) {
      // the ring overwrites its oldest row: its reward leaves the moments
      const old = d[r + this.rewOff];
      this.rewSum -= old;
      this.rewSumSq -= old * old;
    }
    d[r + this.rewOff] = rew;
    const stored = d[r + this.rewOff]; // as float32, as a batch reads it
    this.rewSum += stored;
    this.rewSumSq += stored * stored;
    d[r + this.doneOff] = done ? 1 : 0;
    for (let k = 0; k < this.extraSize; k++) d[r + this.extraOff + k] = extra![k];
    if (this.size < this.capacity) this.size++;
    this.next = (i + 1) % this.capacity;
  }

  /** Writes the stored transitions and the write position under `prefix`. */
  saveTo(w: CheckpointWriter, prefix: string): void {
    w.value(`${prefix}/meta`, { size: this.size, next: this.next, stride: this.stride, capacity: this.capacity });
    w.array(`${prefix}/rows`, this.data.subarray(0, this.size * this.stride), [this.size, this.stride]);
  }

  /** Reads what {@link saveTo} wrote (the layout must match). */
  loadFrom(r: CheckpointReader, prefix: string): void {
    const meta = r.value<{ size: number; next: number; stride: number; capacity: number }>(`${prefix}/meta`);
    if (meta.stride !== this.stride || meta.capacity !== this.capacity) {
      throw new CheckpointError(
        `${r.where}: replay buffer "${prefix}" has rows of ${meta.stride} numbers and capacity ${meta.capacity}; this run's has ${this.stride} and ${this.capacity}`,
      );
    }
    const rows = r.f32(`${prefix}/rows`, meta.size * this.stride);
    if (meta.size > this.allocated) this.grow(Math.min(this.capacity, Math.max(meta.size, 2 * this.allocated)));
    this.data.set(rows);
    this.size = meta.size;
    this.next = meta.next;
    this.rewSum = 0;
    this.rewSumSq = 0;
    for (let i = 0; i < this.size; i++) {
      const v = this.data[i * this.stride + this.rewOff];
      this.rewSum += v;
      this.rewSumSq += v * v;
    }
  }

  /** Forgets every transition (storage is kept). */
  clear(): void {
    this.size = 0;
    this.next = 0;
    this.rewSum = 0;
    this.rewSumSq = 0;
  }

  /** Mean of the stored rewards (0 when empty). */
  rewardMean(): number {
    return this.size === 0 ? 0 : this.rewSum / this.size;
  }

  /** Population standard deviation of the stored rewards (numpy's `std`, ddof 0; 0 when empty). */
  rewardStd(): number {
    if (this.size === 0) return 0;
    const mean = this.rewSum / this.size;
    // E[r²] − mean² can round a hair below 0 when every reward is equal
    return Math.sqrt(Math.max(0, this.rewSumSq / this.size - mean * mean));
  }

  /** `index.length` uniform draws with replacement from [0, length). */
  makeIndex(rng: Rng, index: Int32Array): Int32Array {
    if (this.size === 0) throw new RangeError("replay: cannot sample from an empty buffer");
    if (ReplayBuffer.nativeGather && nativeFillIndex(rng, this.size, index)) return index;
    for (let b = 0; b < index.length; b++) index[b] = rng.int(this.size);
    return index;
  }

  /**
   * `index.length` distinct indices from [0, length), each ordered sample equally likely, as numpy's
   * `np.random.choice(length, size, replace=False)` draws them (maddpg-pytorch's batches): uniform
   * draws from `rng`, a repeat drawn again. Needs at least `index.length` stored transitions.
   */
  makeDistinctIndex(rng: Rng, index: Int32Array): Int32Array {
    const n = index.length;
    if (n > this.size)
      throw new RangeError(
        `replay: cannot draw ${n} distinct transitions from a buffer of ${this.size} (sampling without replacement needs at least the batch size stored; raise --learning_starts)`,
      );
    // open addressing over a power-of-two table at most half full: the draws seen in this batch
    let table = this.drawnTable;
    if (table.length < 2 * n) this.drawnTable = table = new Int32Array(2 ** Math.ceil(Math.log2(2 * n)));
    table.fill(-1);
    const mask = table.length - 1;
    for (let b = 0; b < n; b++) {
      for (;;) {
        const i = rng.int(this.size);
        let slot = Math.imul(i, 0x9e3779b1) & mask;
        while (table[slot] !== -1 && table[slot] !== i) slot = (slot + 1) & mask;
        if (table[slot] === i) continue; // drawn before in this batch: draw again
        table[slot] = i;
        index[b] = i;
        break;
      }
    }
    return index;
  }

  /** {@link makeDistinctIndex}'s set of the indices drawn so far (kept, so a draw allocates nothing). */
  private drawnTable = new Int32Array(0);

  /**
   * Asks the memory system for the rows at `index` without waiting (natively; a no-op otherwise):
   * their cache misses then overlap work done before {@link gather} reads them.
   */
  prefetch(index: Int32Array): void {
    if (ReplayBuffer.nativeGather && this.size > 0) nativePrefetchRows(this.data, this.stride, this.size, index);
  }

  /** A batch buffer sized for `batchSize` rows of this buffer. */
  newBatch(batchSize: number): ReplayBatch {
    return {
      obs: new Float32Array(batchSize * this.obsSize),
      act: new Float32Array(batchSize * this.actSize),
      rew: new Float32Array(batchSize),
      obsNext: new Float32Array(batchSize * this.obsSize),
      done: new Float32Array(batchSize),
      extra: new Float32Array(batchSize * this.extraSize),
    };
  }

  /** Copies the rows at `index` into `out` (natively when the addon is built: the same copy, prefetched). */
  gather(index: Int32Array, out: ReplayBatch): void {
    let outs = this.batchOuts.get(out);
    if (!outs) this.batchOuts.set(out, (outs = [out.obs, out.act, out.rew, out.obsNext, out.done, out.extra]));
    if (ReplayBuffer.nativeGather && nativeGatherRows(this.data, this.stride, this.size, index, this.segments, outs)) return;
    const os = this.obsSize;
    const as = this.actSize;
    const size = this.size;
    const stride = this.stride;
    const d = this.data;
    const actOff = this.actOff,
      nextOff = this.nextOff;
    const oObs = out.obs,
      oObsNext = out.obsNext,
      oAct = out.act,
      oRew = out.rew,
      oDone = out.done,
      oExtra = out.extra;
    const es = this.extraSize,
      extraOff = this.extraOff;
    for (let b = 0; b < index.length; b++) {
      const i = index[b];
      if (i < 0 || i >= size) throw new RangeError(`replay: index ${i} out of range [0, ${size})`);
      const r = i * stride;
      const dst = b * os;
      for (let k = 0; k < os; k++) {
        oObs[dst + k] = d[r + k];
        oObsNext[dst + k] = d[r + nextOff + k];
      }
      const adst = b * as;
      for (let k = 0; k < as; k++) oAct[adst + k] = d[r + actOff + k];
      oRew[b] = d[r + this.rewOff];
      oDone[b] = d[r + this.doneOff];
      for (let k = 0; k < es; k++) oExtra[b * es + k] = d[r + extraOff + k];
    }
  }
}
