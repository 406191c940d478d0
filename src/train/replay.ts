/**
 * The replay buffer (lemol-spec §3.4): a ring over typed arrays holding one agent's transitions
 * (observation, action, reward, next observation, done). Every agent has its own buffer and every
 * buffer receives exactly one entry per environment step, so an index drawn from one buffer reads
 * aligned transitions from all of them. Sampling is uniform with replacement.
 *
 * Storage grows by doubling up to `capacity` (the default capacity, 1e6, is far more than a
 * trajectory's 275,600 steps), so an unused capacity costs no memory. Float32, as training uses.
 */
import type { Rng } from "../util/rng.js";

/** A gathered batch, laid out row-major: obs [B, obsSize], act [B, actSize], ... */
export interface ReplayBatch {
  obs: Float32Array;
  act: Float32Array;
  rew: Float32Array;
  obsNext: Float32Array;
  done: Float32Array;
}

export class ReplayBuffer {
  readonly obsSize: number;
  readonly actSize: number;
  readonly capacity: number;
  private allocated = 0;
  private obs = new Float32Array(0);
  private act = new Float32Array(0);
  private rew = new Float32Array(0);
  private obsNext = new Float32Array(0);
  private done = new Float32Array(0);
  private size = 0;
  private next = 0;

  constructor(obsSize: number, actSize: number, capacity = 1_000_000, initial = 4096) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    this.obsSize = obsSize;
    this.actSize = actSize;
    this.capacity = capacity;
    this.grow(Math.min(capacity, initial));
  }

  /** Number of stored transitions. */
  get length(): number {
    return this.size;
  }

  private grow(to: number): void {
    const copy = (a: Float32Array, w: number) => {
      const b = new Float32Array(to * w);
      b.set(a.subarray(0, this.size * w));
      return b;
    };
    this.obs = copy(this.obs, this.obsSize);
    this.act = copy(this.act, this.actSize);
    this.rew = copy(this.rew, 1);
    this.obsNext = copy(this.obsNext, this.obsSize);
    this.done = copy(this.done, 1);
    this.allocated = to;
  }

  /** Stores one transition (copying the values; `done` is stored as 0 or 1). */
  add(obs: ArrayLike<number>, act: ArrayLike<number>, rew: number, obsNext: ArrayLike<number>, done: boolean): void {
    if (obs.length !== this.obsSize || obsNext.length !== this.obsSize) throw new RangeError(`replay: observation length ${obs.length}/${obsNext.length}, expected ${this.obsSize}`);
    if (act.length !== this.actSize) throw new RangeError(`replay: action length ${act.length}, expected ${this.actSize}`);
    const i = this.next;
    if (i >= this.allocated) this.grow(Math.min(this.capacity, Math.max(2 * this.allocated, 1)));
    const o = i * this.obsSize;
    for (let k = 0; k < this.obsSize; k++) {
      this.obs[o + k] = obs[k];
      this.obsNext[o + k] = obsNext[k];
    }
    const a = i * this.actSize;
    for (let k = 0; k < this.actSize; k++) this.act[a + k] = act[k];
    this.rew[i] = rew;
    this.done[i] = done ? 1 : 0;
    if (this.size < this.capacity) this.size++;
    this.next = (i + 1) % this.capacity;
  }

  /** Forgets every transition (storage is kept). */
  clear(): void {
    this.size = 0;
    this.next = 0;
  }

  /** `index.length` uniform draws with replacement from [0, length). */
  makeIndex(rng: Rng, index: Int32Array): Int32Array {
    if (this.size === 0) throw new RangeError("replay: cannot sample from an empty buffer");
    for (let b = 0; b < index.length; b++) index[b] = rng.int(this.size);
    return index;
  }

  /** A batch buffer sized for `batchSize` rows of this buffer. */
  newBatch(batchSize: number): ReplayBatch {
    return {
      obs: new Float32Array(batchSize * this.obsSize),
      act: new Float32Array(batchSize * this.actSize),
      rew: new Float32Array(batchSize),
      obsNext: new Float32Array(batchSize * this.obsSize),
      done: new Float32Array(batchSize),
    };
  }

  /** Copies the rows at `index` into `out`. */
  gather(index: Int32Array, out: ReplayBatch): void {
    const os = this.obsSize;
    const as = this.actSize;
    for (let b = 0; b < index.length; b++) {
      const i = index[b];
      if (i < 0 || i >= this.size) throw new RangeError(`replay: index ${i} out of range [0, ${this.size})`);
      for (let k = 0; k < os; k++) {
        out.obs[b * os + k] = this.obs[i * os + k];
        out.obsNext[b * os + k] = this.obsNext[i * os + k];
      }
      for (let k = 0; k < as; k++) out.act[b * as + k] = this.act[i * as + k];
      out.rew[b] = this.rew[i];
      out.done[b] = this.done[i];
    }
  }
}
