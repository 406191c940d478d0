/**
 * PPO's on-policy data (lemol-spec §6.1): the buffer of one update's steps, and the returns and
 * GAE-λ advantages computed per finished path, as Spinning Up computes them.
 */

/** y_t = Σ_{k≥t} discount^{k−t} x_k (Spinning Up's `discount_cumsum`). */
export function discountedCumsum(x: ArrayLike<number>, discount: number, out = new Float64Array(x.length)): Float64Array {
  let acc = 0;
  for (let t = x.length - 1; t >= 0; t--) {
    acc = x[t] + discount * acc;
    out[t] = acc;
  }
  return out;
}

/**
 * GAE-λ advantages and γ reward-to-go of the path `[start, end)` of `rew`/`val`, written into
 * `adv`/`ret` at the same indices (allocation-free). `lastVal` is the value after the path's last
 * step: 0 after a true terminal state, V(o_end) when the path was cut (time limit, full buffer).
 *
 *   δ_t = r_t + γ·V_{t+1} − V_t  (V_end = lastVal),   A_t = Σ_k (γλ)^k δ_{t+k},
 *   R_t = Σ_k γ^k r_{t+k} + γ^{end−t}·lastVal.
 */
export function finishPathInto(
  rew: ArrayLike<number>,
  val: ArrayLike<number>,
  start: number,
  end: number,
  lastVal: number,
  gamma: number,
  lambda: number,
  adv: Float64Array,
  ret: Float64Array,
): void {
  let gae = 0;
  let R = lastVal;
  let nextV = lastVal;
  for (let t = end - 1; t >= start; t--) {
    const delta = rew[t] + gamma * nextV - val[t];
    gae = delta + gamma * lambda * gae;
    adv[t] = gae;
    R = rew[t] + gamma * R;
    ret[t] = R;
    nextV = val[t];
  }
}

/** {@link finishPathInto} over a whole path, returning new arrays. */
export function gaeAdvantages(
  rew: ArrayLike<number>,
  val: ArrayLike<number>,
  lastVal: number,
  gamma: number,
  lambda: number,
): { adv: Float64Array; ret: Float64Array } {
  if (rew.length !== val.length) throw new RangeError(`gae: ${rew.length} rewards but ${val.length} values`);
  const adv = new Float64Array(rew.length);
  const ret = new Float64Array(rew.length);
  finishPathInto(rew, val, 0, rew.length, lastVal, gamma, lambda, adv, ret);
  return { adv, ret };
}

/** Normalises `x[0..n)` to mean 0 and (population) std 1 into `out`; a constant x gives zeros. */
export function normaliseInto(x: ArrayLike<number>, n: number, out: Float64Array): void {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - mean) ** 2;
  const std = Math.sqrt(v / n);
  for (let i = 0; i < n; i++) out[i] = (x[i] - mean) / (std + 1e-8);
}

// --- pure functions: the clipped objective ---

/**
 * The steps of one update, in order: observation, the action *sample* (z for the Gaussian policy,
 * the category k for the categorical one), reward, V(o), log π(sample | o), and, once its path is
 * finished, the advantage and reward-to-go. Paths are `[pathStart, ptr)`.
 */
export class PPOBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  readonly sampleSize: number;
  readonly obs: Float32Array;
  readonly sample: Float32Array;
  readonly rew: Float64Array;
  readonly val: Float64Array;
  readonly logp: Float64Array;
  readonly adv: Float64Array;
  readonly ret: Float64Array;
  /** Steps stored. */
  ptr = 0;
  /** First step of the path in progress. */
  pathStart = 0;

  constructor(capacity: number, obsSize: number, sampleSize: number) {
    this.capacity = capacity;
    this.obsSize = obsSize;
    this.sampleSize = sampleSize;
    this.obs = new Float32Array(capacity * obsSize);
    this.sample = new Float32Array(capacity * sampleSize);
    this.rew = new Float64Array(capacity);
    this.val = new Float64Array(capacity);
    this.logp = new Float64Array(capacity);
    this.adv = new Float64Array(capacity);
    this.ret = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.ptr >= this.capacity;
  }

  store(obs: ArrayLike<number>, sample: ArrayLike<number>, rew: number, val: number, logp: number): void {
    if (this.full) throw new RangeError("PPO buffer is full");
    const i = this.ptr;
    for (let k = 0; k < this.obsSize; k++) this.obs[i * this.obsSize + k] = obs[k];
    for (let k = 0; k < this.sampleSize; k++) this.sample[i * this.sampleSize + k] = sample[k];
    this.rew[i] = rew;
    this.val[i] = val;
    this.logp[i] = logp;
    this.ptr++;
  }

  /** Ends the path in progress (no-op when it is empty). */
  finishPath(lastVal: number, gamma: number, lambda: number): void {
    if (this.ptr > this.pathStart) finishPathInto(this.rew, this.val, this.pathStart, this.ptr, lastVal, gamma, lambda, this.adv, this.ret);
    this.pathStart = this.ptr;
  }

  clear(): void {
    this.ptr = 0;
    this.pathStart = 0;
  }
}
