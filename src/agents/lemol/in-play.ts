/**
 * How well the opponent model predicts in play (lemol-spec §5.1, §5.2): per step, the prediction
 * m LeMOL acted on is scored against the opponent's action as executed — accuracy (arg-maxes
 * agree), the proper cross-entropy, and the original's "xent" of the revision, kept so curves can
 * be compared with the original's — and the sums are read out as windows.
 */

/** One in-play tracking window (lemol-spec §5.1, §5.2). */
export interface InPlayWindow {
  /** Mean of 1[argmax a_opp = argmax m]. */
  accuracy: number;
  /** Mean proper cross-entropy −Σ a_opp·log m. */
  crossEntropy: number;
  /** Mean of the original's "xent" (per revision; kept for comparison with the original's curves). */
  xentOriginal: number;
  count: number;
}

const LOG_FLOOR = 1e-10;

/** The sums of the window under way. */
export interface InPlaySums {
  accSum: number;
  ceSum: number;
  xentSum: number;
  tracked: number;
}

export class InPlayScore {
  private accSum = 0;
  private ceSum = 0;
  private xentSum = 0;
  private tracked = 0;

  constructor(
    private readonly actionSize: number,
    private readonly revision: "init" | "head",
  ) {}

  /** Scores m against the opponent's executed action. */
  score(m: ArrayLike<number>, oppAction: ArrayLike<number>): void {
    const P = this.actionSize;
    this.accSum += argmax(oppAction, P) === argmax(m, P) ? 1 : 0;
    let ce = 0;
    for (let k = 0; k < P; k++) ce -= oppAction[k] * Math.log(Math.max(m[k], LOG_FLOOR));
    this.ceSum += ce;
    this.xentSum += this.revision === "init" ? xentInit(oppAction, m, P) : xentHead(oppAction, m, P);
    this.tracked++;
  }

  /** The window since the last call (null if empty), then a fresh window. */
  take(): InPlayWindow | null {
    if (this.tracked === 0) return null;
    const n = this.tracked;
    const w = { accuracy: this.accSum / n, crossEntropy: this.ceSum / n, xentOriginal: this.xentSum / n, count: n };
    this.accSum = this.ceSum = this.xentSum = 0;
    this.tracked = 0;
    return w;
  }

  sums(): InPlaySums {
    return { accSum: this.accSum, ceSum: this.ceSum, xentSum: this.xentSum, tracked: this.tracked };
  }

  setSums(s: InPlaySums): void {
    this.accSum = s.accSum;
    this.ceSum = s.ceSum;
    this.xentSum = s.xentSum;
    this.tracked = s.tracked;
  }
}

/** First index of the maximum (numpy's argmax). */
export function argmax(x: ArrayLike<number>, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (x[k] > x[best]) best = k;
  return best;
}

/** The original's HEAD "xent": Σ a·log(softmax(m) + 1e-10), softmax applied to probabilities again. */
export function xentHead(a: ArrayLike<number>, m: ArrayLike<number>, n: number): number {
  let max = -Infinity;
  for (let k = 0; k < n; k++) if (m[k] > max) max = m[k];
  let z = 0;
  for (let k = 0; k < n; k++) z += Math.exp(m[k] - max);
  let x = 0;
  for (let k = 0; k < n; k++) x += a[k] * Math.log(Math.exp(m[k] - max) / z + LOG_FLOOR);
  return x;
}

/** The original's INIT "xent", with its broken softmax `(x − max) / Σ(x − max)` (lemol-spec §5.2). */
export function xentInit(a: ArrayLike<number>, m: ArrayLike<number>, n: number): number {
  let max = -Infinity;
  for (let k = 0; k < n; k++) if (m[k] > max) max = m[k];
  let z = 0;
  for (let k = 0; k < n; k++) z += m[k] - max;
  let x = 0;
  for (let k = 0; k < n; k++) x += a[k] * Math.log((m[k] - max) / z + LOG_FLOOR);
  return x;
}
