/**
 * How well the opponent model predicts in play (lemol-spec §5.1, §5.2): per step, the prediction
 * m LeMOL acted on is scored against the opponent's action as executed — accuracy (arg-maxes
 * agree), the proper cross-entropy, and the original's "xent" of the revision, kept so curves can
 * be compared with the original's — and the sums are read out as windows. On the same steps, the
 * baselines a sceptical reader tries first: persistence (the opponent repeats its previous
 * action), the window's majority action (the most frequent one, in hindsight), the
 * behaviour-cloning MLPs on o_t and on [o_t ‖ a_{t−1}] trained on the OM's own data, and the
 * online behaviour cloning fitted on the current opponent's recent steps (bc-baseline.ts).
 */

/** What the in-play score asks of the offline behaviour-cloning baselines (bc-baseline.ts). */
export interface OfflineCloning {
  /** The BC-MLP on o_t. */
  predict(obs: ArrayLike<number>): number;
  /** The BC on [o_t ‖ a_{t−1}] (previous −1: none); absent, it scores nothing. */
  predictWithPrevious?(obs: ArrayLike<number>, previous: number): number;
}

/** What the in-play score asks of the online behaviour-cloning baseline (bc-baseline.ts's OnlineBehaviourCloning). */
export interface OnlineCloning {
  predict(obs: ArrayLike<number>, previous: number): number;
  /** Learns a step after it was scored. */
  observe(obs: ArrayLike<number>, previous: number, oppAction: ArrayLike<number>): void;
  /** A new opponent. */
  reset(): void;
}

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
  /** Behaviour-cloning baseline on [o_t ‖ a_{t−1}]: mean of 1[argmax a_opp = its prediction] on the same steps. */
  behaviourCloningPrevious: number;
  /** Online behaviour cloning (fitted on the current opponent's recent steps): mean of 1[argmax a_opp = its prediction] on the same steps. */
  onlineCloning: number;
  count: number;
}

/** The metrics of a window, in the order they are logged, and the field of {@link InPlayWindow} each reads. */
export const IN_PLAY_WINDOW_METRICS: readonly (readonly [string, keyof InPlayWindow])[] = [
  ["om_accuracy_in_play", "accuracy"],
  ["om_baseline_persistence_in_play", "persistence"],
  ["om_baseline_window_majority_in_play", "windowMajority"],
  ["om_baseline_bc_in_play", "behaviourCloning"],
  ["om_baseline_bc_previous_action_in_play", "behaviourCloningPrevious"],
  ["om_baseline_online_bc_in_play", "onlineCloning"],
  ["om_cross_entropy_in_play", "crossEntropy"],
  ["om_xent_original", "xentOriginal"],
];

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
  /** (absent in checkpoints older than the [o_t ‖ a_{t−1}] and online baselines: 0) */
  bcPreviousSum?: number;
  onlineSum?: number;
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
  private bcPreviousSum = 0;
  private onlineSum = 0;
  private readonly actionCounts: Int32Array;
  /** The opponent's previous executed action (arg-max), −1 at a trajectory's start. */
  private previousAction = -1;

  constructor(
    private readonly actionSize: number,
    private readonly revision: "init" | "head",
    /** The offline behaviour-cloning baselines (bc-baseline.ts), or null: then they score nothing. */
    private readonly cloning: OfflineCloning | null = null,
    /** The online behaviour cloning (bc-baseline.ts), or null: then it scores nothing. */
    private readonly online: OnlineCloning | null = null,
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
    this.bcPreviousSum += this.cloning?.predictWithPrevious && a === this.cloning.predictWithPrevious(obs, this.previousAction) ? 1 : 0;
    this.onlineSum += this.online && a === this.online.predict(obs, this.previousAction) ? 1 : 0;
    this.actionCounts[a]++;
    let ce = 0;
    for (let k = 0; k < P; k++) ce -= oppAction[k] * Math.log(Math.max(m[k], LOG_FLOOR));
    this.ceSum += ce;
    this.xentSum += this.revision === "init" ? xentInit(oppAction, m, P) : xentHead(oppAction, m, P);
    this.tracked++;
  }

  /**
   * Every step, scored or not (after {@link score}): the online baseline learns the step from `obs`
   * (LeMOL's observation), then the opponent's executed action becomes the previous one.
   */
  noteAction(oppAction: ArrayLike<number>, obs: ArrayLike<number>): void {
    this.online?.observe(obs, this.previousAction, oppAction);
    this.previousAction = argmax(oppAction, this.actionSize);
  }

  /** A new trajectory (a new opponent): no previous action, and the online baseline starts afresh. */
  newTrajectory(): void {
    this.previousAction = -1;
    this.online?.reset();
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
      behaviourCloningPrevious: this.bcPreviousSum / n,
      onlineCloning: this.onlineSum / n,
      count: n,
    };
    this.accSum = this.ceSum = this.xentSum = this.persistSum = this.bcSum = this.bcPreviousSum = this.onlineSum = 0;
    this.actionCounts.fill(0);
    this.tracked = 0;
    return w;
  }

  sums(): InPlaySums {
    const { accSum, ceSum, xentSum, tracked, persistSum, previousAction, bcSum, bcPreviousSum, onlineSum } = this;
    return { accSum, ceSum, xentSum, tracked, persistSum, actionCounts: Array.from(this.actionCounts), previousAction, bcSum, bcPreviousSum, onlineSum };
  }

  setSums(s: InPlaySums): void {
    this.accSum = s.accSum;
    this.ceSum = s.ceSum;
    this.xentSum = s.xentSum;
    this.tracked = s.tracked;
    this.persistSum = s.persistSum ?? 0;
    this.bcSum = s.bcSum ?? 0;
    this.bcPreviousSum = s.bcPreviousSum ?? 0;
    this.onlineSum = s.onlineSum ?? 0;
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

/** Replaces a distribution by the one-hot of its argmax (the first maximum), in place. */
export function oneHotInPlace(m: Float64Array, n: number): void {
  const b = argmax(m, n);
  for (let k = 0; k < n; k++) m[k] = k === b ? 1 : 0;
}
