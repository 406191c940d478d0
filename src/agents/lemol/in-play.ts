/**
 * How well the opponent model predicts in play (lemol-spec §5.1, §5.2): per step, the prediction
 * m LeMOL acted on is scored against the opponent's action as executed — accuracy (arg-maxes
 * agree), the proper cross-entropy, and the original's "xent" of the revision, kept so curves can
 * be compared with the original's — and the sums are read out as windows. On the same steps, the
 * baselines a sceptical reader tries first: persistence (the opponent repeats its previous
 * action), the window's majority action (the most frequent one, in hindsight), and the
 * behaviour-cloning MLP on o_t trained on the OM's own data (bc-baseline.ts).
 */

/** One in-play tracking window (lemol-spec §5.1, §5.2). */
export interface InPlayWindow {
  /** Mean of 1[argmax a_opp = argmax m]. */
  accuracy: number;
  /** Mean proper cross-entropy −Σ a_opp·log m. */
  crossEntropy: number;
  /** Mean of the original's "xent" (per revision; kept for comparison with the original's curves). */
  xentOriginal: number;
  /** Persistence baseline: mean of 1[argmax a_opp(t) = argmax a_opp(t − 1)] on the same steps. */
  persistence: number;
  /** Window-majority baseline: the share of the window's steps whose opponent action is its most frequent one. */
  windowMajority: number;
  /** Behaviour-cloning baseline: mean of 1[argmax a_opp = the BC-MLP's prediction from o_t] on the same steps. */
  behaviourCloning: number;
  count: number;
}

const LOG_FLOOR = 1e-10;

/** The sums of the window under way. */
export interface InPlaySums {
  accSum: number;
  ceSum: number;
  xentSum: number;
  tracked: number;
  /** (absent in checkpoints older than the baselines: 0, empty counts, no previous action) */
  persistSum?: number;
  actionCounts?: number[];
  previousAction?: number;
  /** (absent in checkpoints older than the behaviour-cloning baseline: 0) */
  bcSum?: number;
}

/** LeMOL's play flags as a checkpoint holds them (agent.ts). */
export interface PlayFlags extends InPlaySums {
  useInitialState: boolean;
  tracking: boolean;
  postExplorationSteps: number;
  periodEvents: number;
  recordingPeriods: boolean;
}

export class InPlayScore {
  private accSum = 0;
  private ceSum = 0;
  private xentSum = 0;
  private tracked = 0;
  private persistSum = 0;
  private bcSum = 0;
  private readonly actionCounts: Int32Array;
  /** The opponent's previous executed action (arg-max), −1 at a trajectory's start. */
  private previousAction = -1;

  constructor(
    private readonly actionSize: number,
    private readonly revision: "init" | "head",
    /** The behaviour-cloning baseline (bc-baseline.ts), or null: then it scores nothing. */
    private readonly cloning: { predict(obs: ArrayLike<number>): number } | null = null,
  ) {
    this.actionCounts = new Int32Array(actionSize);
  }

  /**
   * Scores m, predicted from `obs`, and the baselines against the opponent's executed action (call
   * before {@link noteAction} of the step).
   */
  score(m: ArrayLike<number>, oppAction: ArrayLike<number>, obs: ArrayLike<number>): void {
    const P = this.actionSize;
    const a = argmax(oppAction, P);
    this.accSum += a === argmax(m, P) ? 1 : 0;
    this.persistSum += a === this.previousAction ? 1 : 0;
    this.bcSum += this.cloning && a === this.cloning.predict(obs) ? 1 : 0;
    this.actionCounts[a]++;
    let ce = 0;
    for (let k = 0; k < P; k++) ce -= oppAction[k] * Math.log(Math.max(m[k], LOG_FLOOR));
    this.ceSum += ce;
    this.xentSum += this.revision === "init" ? xentInit(oppAction, m, P) : xentHead(oppAction, m, P);
    this.tracked++;
  }

  /** Every step, scored or not: the opponent's executed action becomes the previous one. */
  noteAction(oppAction: ArrayLike<number>): void {
    this.previousAction = argmax(oppAction, this.actionSize);
  }

  /** A new trajectory: no previous action. */
  forgetPrevious(): void {
    this.previousAction = -1;
  }

  /** The window since the last call (null if empty), then a fresh window. */
  take(): InPlayWindow | null {
    if (this.tracked === 0) return null;
    const n = this.tracked;
    const w = {
      accuracy: this.accSum / n,
      crossEntropy: this.ceSum / n,
      xentOriginal: this.xentSum / n,
      persistence: this.persistSum / n,
      windowMajority: Math.max(...this.actionCounts) / n,
      behaviourCloning: this.bcSum / n,
      count: n,
    };
    this.accSum = this.ceSum = this.xentSum = this.persistSum = this.bcSum = 0;
    this.actionCounts.fill(0);
    this.tracked = 0;
    return w;
  }

  sums(): InPlaySums {
    const { accSum, ceSum, xentSum, tracked, persistSum, previousAction, bcSum } = this;
    return { accSum, ceSum, xentSum, tracked, persistSum, actionCounts: Array.from(this.actionCounts), previousAction, bcSum };
  }

  setSums(s: InPlaySums): void {
    this.accSum = s.accSum;
    this.ceSum = s.ceSum;
    this.xentSum = s.xentSum;
    this.tracked = s.tracked;
    this.persistSum = s.persistSum ?? 0;
    this.bcSum = s.bcSum ?? 0;
    this.actionCounts.fill(0);
    if (s.actionCounts) this.actionCounts.set(s.actionCounts);
    this.previousAction = s.previousAction ?? -1;
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
