/**
 * A small, fast, seedable random number generator (xoshiro128**) with saveable state.
 *
 * Every source of randomness in lemol takes one of these explicitly, so the same seed gives the
 * same numbers. It does not reproduce numpy's stream; it reproduces the same distributions.
 */

/** The full state of an {@link Rng}: four unsigned 32-bit words. */
export type RngState = [number, number, number, number];

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_26 = 67108864;

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a string to 32 bits (FNV-1a followed by a finaliser). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** Creates a generator from a non-negative integer seed (any safe integer). */
  constructor(seed: number = 0) {
    this.seed(seed);
  }

  /**
   * A generator for a named stream derived from a master seed, e.g. `Rng.stream(seed, "env")`.
   * Different names give independent-looking streams; the same (seed, name) always the same one.
   */
  static stream(seed: number, name: string): Rng {
    const r = new Rng(seed);
    const h = hashString(name);
    r.s0 = fmix32(r.s0 ^ h);
    r.s1 = fmix32(r.s1 + h);
    r.s2 = fmix32(r.s2 ^ Math.imul(h, 0x9e3779b9));
    r.s3 = fmix32(r.s3 + Math.imul(h, 0x7f4a7c15)) | 1;
    r.s3 >>>= 0;
    return r;
  }

  /** Resets the generator to the start of the stream for `seed`. */
  seed(seed: number): void {
    checkSeed(seed);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    // splitmix-style expansion of the 53-bit seed into four non-zero words
    let x = fmix32(lo ^ 0x9e3779b9) ^ fmix32(hi + 0x6a09e667);
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return fmix32(x ^ fmix32(hi ^ 0xbb67ae85));
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * Advances the xoshiro128** state and returns the top 27 bits of its output. Internal draws use
   * these 27-bit chunks because they are small integers (Smis) for V8: a uint32 above 2^30
   * returned from a call that is not inlined would be boxed, i.e. allocated.
   */
  private next27(): number {
    const s0 = this.s0,
      s1 = this.s1,
      s2 = this.s2,
      s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = (s1 ^ n2) >>> 0;
    this.s0 = (s0 ^ n3) >>> 0;
    this.s2 = (n2 ^ t) >>> 0;
    this.s3 = ((n3 << 11) | (n3 >>> 21)) >>> 0;
    return result >>> 5;
  }

  /** The next unsigned 32-bit integer (27 random high bits from two draws would not do: a full draw). */
  nextUint32(): number {
    const hi = this.next27(); // 27 bits
    const lo = this.next27() >>> 22; // 5 bits
    return ((hi << 5) | lo) >>> 0;
  }

  /** A double uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.next27();
    const b = this.next27() >>> 1; // 26 bits
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /** A double uniform on [low, high), computed as numpy does: `low + (high - low) * u`. */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Writes `n` uniforms on [low, high) into `out` from `off` (allocation-free for any caller). */
  fillUniform(out: Float64Array, off: number, n: number, low: number, high: number): void {
    for (let i = 0; i < n; i++) {
      const a = this.next27();
      const b = this.next27() >>> 1;
      out[off + i] = low + (high - low) * ((a * TWO_POW_26 + b) / TWO_POW_53);
    }
  }

  /** {@link fillUniform} for float32 storage (weight initialisation). */
  fillUniform32(out: Float32Array, off: number, n: number, low: number, high: number): void {
    for (let i = 0; i < n; i++) {
      const a = this.next27();
      const b = this.next27() >>> 1;
      out[off + i] = low + (high - low) * ((a * TWO_POW_26 + b) / TWO_POW_53);
    }
  }

  /** A standard normal deviate (Box-Muller; one value per call, so the state is only the 4 words). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [0, n), without modulo bias. `n` must be in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    // rejection sampling over 53-bit integers (exact in doubles)
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    for (;;) {
      const x = this.next27() * TWO_POW_26 + (this.next27() >>> 1);
      if (x < limit) return x % n;
    }
  }

  /** Writes the state into `out` (no allocation; for native code that continues the stream). */
  stateInto(out: Uint32Array): void {
    out[0] = this.s0;
    out[1] = this.s1;
    out[2] = this.s2;
    out[3] = this.s3;
  }

  /** Takes the state back from `src` after native code advanced it. */
  stateFrom(src: Uint32Array): void {
    this.s0 = src[0];
    this.s1 = src[1];
    this.s2 = src[2];
    this.s3 = src[3];
  }

  /** A copy of the current state, to restore later with {@link setState}. */
  getState(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Restores a state previously returned by {@link getState}. */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v >= TWO_POW_32)) {
      throw new TypeError(`Rng state must be four unsigned 32-bit integers, got ${JSON.stringify(state)}`);
    }
    if ((state[0] | state[1] | state[2] | state[3]) === 0) {
      throw new TypeError("Rng state must not be all zeros");
    }
    [this.s0, this.s1, this.s2, this.s3] = state as RngState;
  }

  /** An independent generator with a copy of this one's state. */
  clone(): Rng {
    const r = new Rng(0);
    r.setState(this.getState());
    return r;
  }
}
