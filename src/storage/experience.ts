/**
 * LeMOL's experience of one trajectory, kept row by row and saved in the original's npz layout
 * (lemol-spec §2.6): the opponent model trains on these files between cycles, and `numpy.load`
 * reads them. Unlike the original, a file is written at the end of every trajectory whatever the
 * episode lengths (the original writes only when exactly `num_episodes × max_episode_len` rows
 * exist, so early-terminating environments never produced files).
 */
import type { CheckpointReader, CheckpointWriter } from "./checkpoint.js";
import type { NdArray } from "./npz.js";

/** Keys and widths of an experience file, in the original's order. */
export const EXPERIENCE_KEYS = ["observations", "actions", "rewards", "terminals", "opponent_actions", "om_predictions", "policy", "opponent_policy"] as const;
export type ExperienceKey = (typeof EXPERIENCE_KEYS)[number];

class Column {
  data: Float64Array;
  constructor(readonly width: number) {
    this.data = new Float64Array(4096 * Math.max(1, width));
  }
  put(row: number, src: ArrayLike<number> | number): void {
    const need = (row + 1) * this.width;
    if (need > this.data.length) {
      const d = new Float64Array(Math.max(need, 2 * this.data.length));
      d.set(this.data);
      this.data = d;
    }
    if (typeof src === "number") this.data[row * this.width] = src;
    else for (let k = 0; k < this.width; k++) this.data[row * this.width + k] = src[k];
  }
}

export class ExperienceRecorder {
  private readonly columns: Record<ExperienceKey, Column>;
  private n = 0;

  constructor(obsSize: number, actionSize: number, oppActionSize: number) {
    this.columns = {
      observations: new Column(obsSize),
      actions: new Column(actionSize),
      rewards: new Column(1),
      terminals: new Column(1),
      opponent_actions: new Column(oppActionSize),
      om_predictions: new Column(oppActionSize),
      policy: new Column(actionSize),
      opponent_policy: new Column(oppActionSize),
    };
  }

  get rows(): number {
    return this.n;
  }

  /**
   * One step: LeMOL's observation, its executed action (one-hot in discrete mode), reward,
   * `done or terminal`, the opponent's executed action, the m LeMOL acted on, and both agents'
   * soft (pre-step) actions.
   */
  add(
    obs: ArrayLike<number>,
    action: ArrayLike<number>,
    reward: number,
    terminal: boolean,
    oppAction: ArrayLike<number>,
    m: ArrayLike<number>,
    policy: ArrayLike<number>,
    oppPolicy: ArrayLike<number>,
  ): void {
    const c = this.columns;
    const r = this.n++;
    c.observations.put(r, obs);
    c.actions.put(r, action);
    c.rewards.put(r, reward);
    c.terminals.put(r, terminal ? 1 : 0);
    c.opponent_actions.put(r, oppAction);
    c.om_predictions.put(r, m);
    c.policy.put(r, policy);
    c.opponent_policy.put(r, oppPolicy);
  }

  /** The arrays as the npz holds them: (T, width) matrices, rewards and terminals (T,). */
  arrays(): Record<ExperienceKey, NdArray> {
    const out = {} as Record<ExperienceKey, NdArray>;
    for (const k of EXPERIENCE_KEYS) {
      const col = this.columns[k];
      const vector = k === "rewards" || k === "terminals";
      out[k] = { data: col.data.slice(0, this.n * col.width), shape: vector ? [this.n] : [this.n, col.width] };
    }
    return out;
  }

  clear(): void {
    this.n = 0;
  }

  /** Writes the rows so far under `prefix` (a trajectory in progress). */
  saveTo(w: CheckpointWriter, prefix: string): void {
    w.value(`${prefix}/rows`, this.n);
    for (const k of EXPERIENCE_KEYS) w.array(`${prefix}/${k}`, this.columns[k].data.subarray(0, this.n * this.columns[k].width));
  }

  /** Reads what {@link saveTo} wrote. */
  loadFrom(r: CheckpointReader, prefix: string): void {
    const n = r.value<number>(`${prefix}/rows`);
    this.n = 0;
    for (const k of EXPERIENCE_KEYS) {
      const col = this.columns[k];
      const data = r.f64(`${prefix}/${k}`, n * col.width);
      if (n > 0) col.put(n - 1, data.subarray((n - 1) * col.width)); // grows the column to n rows
      col.data.set(data);
    }
    this.n = n;
  }
}
