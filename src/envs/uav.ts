/**
 * The UAV grid world (`custom_environments/uav_env.py`, lemol-spec §6.2): a target hides from a
 * UAV (the seeker) on an `H × W` grid, and each sees the other only through a noisy sensor.
 *
 * Reads side by side with spec §6.2:
 * - Grid `H × W` (3 × 3 by default), 2 agents. Agent 0 = target (adversary, "bad"), Discrete(9):
 *   stay, N, S, E, W, NE, SE, SW, NW. Agent 1 = UAV / seeker (good), Discrete(5): stay (= listen),
 *   N, S, E, W. Rows increase to the south, columns to the east; each coordinate is clipped at the
 *   borders on its own (a diagonal move into a wall slides along it).
 * - Actions are vectors (length 9 and 5); the env plays their arg-max (first maximum, as numpy)
 *   and never modifies them.
 * - Reset: UAV at (random row, column 0), target at (random row, column W−1), `t = 0`.
 * - Step: move both; `t += 1`; `found` = same cell; `done = t == maxEpisodeLen || found` for both
 *   agents; rewards (target, UAV) = (−R, +R) if found, else (+R, −R) if `t == maxEpisodeLen`,
 *   else (0, 0), with `R = rewardScale`. As in the original, nothing stops a caller from stepping
 *   past `done`: `t` keeps counting and only `found` can end the episode again (reset instead).
 * - Observation of agent i, length 2(H+W) (12 for 3 × 3):
 *   `[onehot_row(own) ‖ onehot_col(own) ‖ noisy onehot_row(opp) ‖ noisy onehot_col(opp)]`.
 *   Noisy part: with probability `p_i = clamp(noise_i − listenImprovement·1[own last action == 0], 0, 1)`
 *   both the row and the column are replaced by a uniformly random *wrong* row and a uniformly
 *   random *wrong* column (independently per agent); otherwise they are the true values.
 *   `noise_0 = targetNoise` (`--uav_target_noise`, 0.45 in train.py; the env's own default was
 *   0.5), `noise_1 = seekerNoise` (`--uav_seeker_noise`, 0.3). At reset there is no last action.
 *
 * Fixes relative to the original (spec §8 item 20):
 * - fixed: the first half of the observation is the agent's OWN exact position; the original
 *   encoded the opponent's true position there, which made the noisy half pointless.
 * - fixed: `listenImprovement` (`--uav_listen_imp`) is honoured; the original always used 0.1.
 * - fixed: all randomness comes from a seeded {@link Rng} (stream "uav" of `seed`), so the same
 *   seed gives the same episodes, and the state (rng included) can be saved and restored.
 * - fixed: a grid with one row or one column (or a non-integer / non-positive size) is rejected
 *   with a `RangeError` naming the option; the original crashed drawing a "wrong" row/column from
 *   an empty set.
 *
 * Random draws, in order: reset draws the target's row, then the UAV's row, then the observations;
 * each observation draws one uniform for agent 0 and, when replaced, a wrong row then a wrong
 * column, then the same for agent 1. A uniform is drawn even when `p_i` is 0 or 1, so the stream
 * layout does not depend on the noise settings.
 *
 * (Spec §8 item 19, early termination breaking LeMOL's fixed-length periods, is a trainer-side
 * issue and is not addressed here.)
 */
import { Rng } from "../util/rng.js";
import { escapeHtml } from "../util/html.js";
import type { AgentInfo } from "./batch.js";
import type { StepResult } from "./env.js";
import { ActionError, ActionMode, BoxSpace, DiscreteSpace } from "./spaces.js";
import { StateError } from "./state.js";

/** Options of {@link UAVEnv}; the defaults are train.py's command-line defaults. */
export interface UAVOptions {
  /** Grid rows (`--uav_grid_height`). Integer ≥ 2. Default 3. */
  height?: number;
  /** Grid columns (`--uav_grid_width`). Integer ≥ 2. Default 3. */
  width?: number;
  /** Sensor noise of the UAV/seeker, agent 1 (`--uav_seeker_noise`), in [0, 1]. Default 0.3. */
  seekerNoise?: number;
  /** Sensor noise of the target, agent 0 (`--uav_target_noise`), in [0, 1]. Default 0.45 (train.py; the env's own default was 0.5). */
  targetNoise?: number;
  /** Noise reduction after a stay/listen action (`--uav_listen_imp`). Default 0.1. */
  listenImprovement?: number;
  /** Reward magnitude R (`--uav_reward_scale`). Default 1. */
  rewardScale?: number;
  /** Time limit in steps (`--max_episode_len`). Positive integer. Default 25. */
  maxEpisodeLen?: number;
  /** Seed of the env's random stream (`Rng.stream(seed, "uav")`). Non-negative safe integer. */
  seed: number;
}

/** Row and column of one agent. */
export interface GridPos {
  readonly row: number;
  readonly col: number;
}

/**
 * The full dynamic state of a {@link UAVEnv} as plain JSON (from `saveState`). Indices are agent
 * order: 0 = target, 1 = UAV. `noisy[i]` is agent i's current noisy reading of its opponent, so
 * that `loadState` restores the exact observations without drawing.
 */
export interface UAVState {
  readonly format: "lemol-uav-state";
  readonly version: 1;
  readonly height: number;
  readonly width: number;
  readonly t: number;
  /** `[row, col]` of each agent. */
  readonly positions: readonly (readonly [number, number])[];
  /** `[row, col]` each agent currently observes for its opponent. */
  readonly noisy: readonly (readonly [number, number])[];
  /** Index of each agent's last action, −1 after reset. */
  readonly lastActions: readonly number[];
  /** The rng's four state words ({@link Rng.getState}). */
  readonly rng: readonly number[];
}

/** Options of {@link UAVEnv.render}. */
export interface UAVRenderOptions {
  /** Optional caption above the grid (e.g. the step number). */
  caption?: string;
  /** Side of one cell in pixels. Default 60. */
  cellSize?: number;
}

/** Agent index of the target (adversary). */
export const UAV_TARGET = 0;
/** Agent index of the UAV / seeker. */
export const UAV_SEEKER = 1;
/** Index of the stay / listen action (both agents). */
export const UAV_STAY = 0;

/** Row and column deltas of the moves: stay, N, S, E, W, NE, SE, SW, NW (the seeker uses the first 5). */
const D_ROW = [0, -1, 1, 0, 0, -1, 1, 1, -1] as const;
const D_COL = [0, 0, 0, 1, -1, 1, 1, -1, -1] as const;
const ACTION_SIZES = [9, 5] as const;
const STATE_FORMAT = "lemol-uav-state";

function checkGridSize(v: number, option: string, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 2) {
    throw new RangeError(
      `${option} (${what}) must be an integer >= 2, got ${v}: the noisy observation replaces the opponent's ${what === "height" ? "row" : "column"} by a different (wrong) one, which is impossible with a single ${what === "height" ? "row" : "column"}`,
    );
  }
  return v;
}

function checkProb(v: number, option: string): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new RangeError(`${option} must be a probability in [0, 1], got ${v}`);
  return v;
}

function checkFinite(v: number, option: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${option} must be a finite number, got ${v}`);
  return v;
}

/** Index of the first maximum of `a` (numpy's argmax). */
function argmax(a: ArrayLike<number>, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[i] > a[best]) best = i;
  return best;
}

/**
 * The UAV grid world with the fixes listed in this file's header. Its surface mirrors
 * `MultiAgentEnv` (`n`, sizes, spaces, `reset`, `step`, `saveState`/`loadState`, `render`), so a
 * training loop can drive either. Example:
 * `const env = new UAVEnv({ seed: 1 }); let obs = env.reset(); const r = env.step([tgtVec, uavVec]);`
 */
export class UAVEnv {
  /** Number of agents (2). */
  readonly n = 2;
  /** Agent names, in agent order. */
  readonly agentNames: readonly string[] = ["target", "uav"];
  /** Which agents are adversaries ("bad"): the target. */
  readonly adversary: readonly boolean[] = [true, false];
  /** Grid rows. */
  readonly height: number;
  /** Grid columns. */
  readonly width: number;
  readonly seekerNoise: number;
  readonly targetNoise: number;
  readonly listenImprovement: number;
  readonly rewardScale: number;
  /** Time limit in steps. */
  readonly maxEpisodeLen: number;
  /** Per-agent observation lengths, 2(H+W) each. */
  readonly obsSizes: readonly number[];
  /** Per-agent action-vector lengths: [9, 5]. */
  readonly actionSizes: readonly number[] = ACTION_SIZES;
  /** Discrete(9) for the target, Discrete(5) for the UAV. */
  readonly actionSpaces: readonly DiscreteSpace[] = [
    { kind: "discrete", n: ACTION_SIZES[0] },
    { kind: "discrete", n: ACTION_SIZES[1] },
  ];
  /** MultiBinary(2(H+W)) per agent, as a [0, 1] box. */
  readonly observationSpaces: readonly BoxSpace[];
  /** How actions are read (vectors, arg-max), in `MultiAgentEnv`'s terms, e.g. for `randomAction`. */
  readonly actionMode: ActionMode = { discreteActionSpace: true, discreteActionInput: false, forceDiscreteAction: true };
  /** Rewards are not shared. */
  readonly sharedReward = false;
  /** The env's random stream (resets and observation noise). */
  readonly rng: Rng;

  // dynamic state
  private readonly row = new Int32Array(2);
  private readonly col = new Int32Array(2);
  /** Agent i's noisy reading of its opponent's row / column. */
  private readonly noisyRow = new Int32Array(2);
  private readonly noisyCol = new Int32Array(2);
  private readonly lastAction = new Int32Array(2);
  private time = 0;
  private readonly uniformScratch = new Float64Array(1);

  // preallocated outputs
  private readonly obsBuf: Float64Array;
  private readonly obsViews: Float64Array[];
  private readonly result: { obs: Float64Array[]; rewards: Float64Array; dones: boolean[]; infos: AgentInfo[] };

  /** Validates the options (a `RangeError` names the bad one) and resets the env once. */
  constructor(options: UAVOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("UAVEnv needs an options object with at least a seed");
    this.height = checkGridSize(options.height ?? 3, "--uav_grid_height", "height");
    this.width = checkGridSize(options.width ?? 3, "--uav_grid_width", "width");
    this.seekerNoise = checkProb(options.seekerNoise ?? 0.3, "--uav_seeker_noise (seekerNoise)");
    this.targetNoise = checkProb(options.targetNoise ?? 0.45, "--uav_target_noise (targetNoise)");
    this.listenImprovement = checkFinite(options.listenImprovement ?? 0.1, "--uav_listen_imp (listenImprovement)");
    this.rewardScale = checkFinite(options.rewardScale ?? 1, "--uav_reward_scale (rewardScale)");
    const len = options.maxEpisodeLen ?? 25;
    if (typeof len !== "number" || !Number.isInteger(len) || len < 1)
      throw new RangeError(`--max_episode_len (maxEpisodeLen) must be a positive integer, got ${len}`);
    this.maxEpisodeLen = len;
    if (options.seed === undefined) throw new RangeError("UAVEnv: a seed is required (a non-negative integer)");
    this.rng = Rng.stream(options.seed, "uav");

    const size = 2 * (this.height + this.width);
    this.obsSizes = [size, size];
    this.observationSpaces = [0, 1].map((): BoxSpace => ({ kind: "box", low: 0, high: 1, shape: [size] }));
    this.obsBuf = new Float64Array(2 * size);
    this.obsViews = [this.obsBuf.subarray(0, size), this.obsBuf.subarray(size, 2 * size)];
    this.result = { obs: this.obsViews, rewards: new Float64Array(2), dones: [false, false], infos: [{}, {}] };
    this.reset();
  }

  /** Steps taken since the last reset. */
  get t(): number {
    return this.time;
  }

  /** The true cell of each agent (fresh objects; for tests and rendering). */
  get positions(): readonly GridPos[] {
    return [
      { row: this.row[0], col: this.col[0] },
      { row: this.row[1], col: this.col[1] },
    ];
  }

  /** The cell each agent currently observes for its opponent (decoded from the noisy half). */
  get noisyReadings(): readonly GridPos[] {
    return [
      { row: this.noisyRow[0], col: this.noisyCol[0] },
      { row: this.noisyRow[1], col: this.noisyCol[1] },
    ];
  }

  /** Each agent's last action index (−1 after reset). */
  get lastActions(): readonly number[] {
    return [this.lastAction[0], this.lastAction[1]];
  }

  /**
   * The probability with which agent `a`'s reading of its opponent is (or was, for the current
   * observation) replaced: `clamp(noise_a − listenImprovement·1[a's last action == stay], 0, 1)`.
   * (The same formula as the private `observe`, which inlines it to stay allocation-free.)
   */
  noiseProbability(a: number): number {
    const base = a === UAV_TARGET ? this.targetNoise : this.seekerNoise;
    const p = base - (this.lastAction[a] === UAV_STAY ? this.listenImprovement : 0);
    return p < 0 ? 0 : p > 1 ? 1 : p;
  }

  /** The current observations (the same buffers `reset` and `step` return). */
  observations(): readonly Float64Array[] {
    return this.obsViews;
  }

  /**
   * Starts an episode: target at (random row, W−1), UAV at (random row, 0), `t = 0`, no last
   * actions. With `seed`, the stream is first restarted at `Rng.stream(seed, "uav")`.
   * Returns the observations (owned by the env, overwritten by the next `step`/`reset`).
   */
  reset(seed?: number): readonly Float64Array[] {
    if (seed !== undefined) this.rng.setState(Rng.stream(seed, "uav").getState());
    this.row[UAV_TARGET] = this.rng.int(this.height);
    this.col[UAV_TARGET] = this.width - 1;
    this.row[UAV_SEEKER] = this.rng.int(this.height);
    this.col[UAV_SEEKER] = 0;
    this.lastAction[0] = -1;
    this.lastAction[1] = -1;
    this.time = 0;
    this.result.rewards.fill(0);
    this.result.dones[0] = false;
    this.result.dones[1] = false;
    this.observe();
    return this.obsViews;
  }

  /**
   * Moves both agents by the arg-max of their action vectors (`actions[0]` length 9 for the target,
   * `actions[1]` length 5 for the UAV; not modified), then computes rewards, dones and the new
   * observations. Throws an `ActionError` for a wrong count, length or a non-finite element.
   * The returned arrays are owned by the env and overwritten by the next call.
   */
  step(actions: readonly ArrayLike<number>[]): StepResult {
    if (!actions || typeof actions.length !== "number" || actions.length !== 2) {
      throw new ActionError(`expected one action per agent (2), got ${actions && typeof actions.length === "number" ? actions.length : typeof actions}`);
    }
    const a0 = this.decode(actions, 0);
    const a1 = this.decode(actions, 1);
    this.move(0, a0);
    this.move(1, a1);
    this.lastAction[0] = a0;
    this.lastAction[1] = a1;
    this.time += 1;
    const found = this.row[0] === this.row[1] && this.col[0] === this.col[1];
    const timeUp = this.time === this.maxEpisodeLen;
    const r = this.result;
    const R = this.rewardScale;
    if (found) {
      r.rewards[UAV_TARGET] = -R;
      r.rewards[UAV_SEEKER] = R;
    } else if (timeUp) {
      r.rewards[UAV_TARGET] = R;
      r.rewards[UAV_SEEKER] = -R;
    } else {
      r.rewards[0] = 0;
      r.rewards[1] = 0;
    }
    const done = found || timeUp;
    r.dones[0] = done;
    r.dones[1] = done;
    this.observe();
    return r;
  }

  /** The full dynamic state as plain JSON (a fresh object). */
  saveState(): UAVState {
    return {
      format: STATE_FORMAT,
      version: 1,
      height: this.height,
      width: this.width,
      t: this.time,
      positions: [
        [this.row[0], this.col[0]],
        [this.row[1], this.col[1]],
      ],
      noisy: [
        [this.noisyRow[0], this.noisyCol[0]],
        [this.noisyRow[1], this.noisyCol[1]],
      ],
      lastActions: [this.lastAction[0], this.lastAction[1]],
      rng: this.rng.getState(),
    };
  }

  /**
   * Restores a state from {@link saveState} (of an env with the same grid size), after which the
   * env continues exactly as the saved one would. Everything is validated before anything changes;
   * a malformed state throws a `StateError` naming the field. Returns the (restored) observations.
   */
  loadState(state: UAVState | unknown): readonly Float64Array[] {
    const s = parseState(state, this.height, this.width);
    this.rng.setState(s.rng);
    for (let a = 0; a < 2; a++) {
      this.row[a] = s.positions[a][0];
      this.col[a] = s.positions[a][1];
      this.noisyRow[a] = s.noisy[a][0];
      this.noisyCol[a] = s.noisy[a][1];
      this.lastAction[a] = s.lastActions[a];
    }
    this.time = s.t;
    this.writeObs();
    this.result.rewards.fill(0);
    this.result.dones[0] = false;
    this.result.dones[1] = false;
    return this.obsViews;
  }

  /**
   * The current frame as an SVG string: the grid, the target (red, larger) and the UAV (blue,
   * smaller, drawn on top, so both show when they share a cell), each with a `<title>`.
   */
  render(options: UAVRenderOptions = {}): string {
    const cell = options.cellSize ?? 60;
    if (!(cell > 0)) throw new RangeError(`cellSize must be positive, got ${cell}`);
    const top = options.caption ? 20 : 0;
    const W = this.width * cell;
    const H = this.height * cell + top;
    const parts: string[] = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
      `<rect width="${W}" height="${H}" fill="white"/>`,
    ];
    if (options.caption) parts.push(`<text x="4" y="14" font-family="sans-serif" font-size="12" fill="#444">${escapeHtml(options.caption)}</text>`);
    for (let r = 0; r < this.height; r++) {
      for (let c = 0; c < this.width; c++) {
        parts.push(`<rect x="${c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" fill="none" stroke="#ccc"/>`);
      }
    }
    const agent = (a: number, name: string, fill: string, radius: number) => {
      const cx = (this.col[a] + 0.5) * cell;
      const cy = top + (this.row[a] + 0.5) * cell;
      parts.push(
        `<circle class="${name}" cx="${cx}" cy="${cy}" r="${radius}" fill="${fill}" fill-opacity="0.7" stroke="#333" stroke-opacity="0.5"><title>${name} (${this.row[a]}, ${this.col[a]})</title></circle>`,
      );
    };
    agent(UAV_TARGET, "target", "rgb(217,64,64)", cell * 0.38);
    agent(UAV_SEEKER, "uav", "rgb(64,96,217)", cell * 0.22);
    parts.push("</svg>");
    return parts.join("");
  }

  private decode(actions: readonly ArrayLike<number>[], a: number): number {
    const act = actions[a];
    const n = ACTION_SIZES[a];
    if (act === null || act === undefined || typeof (act as ArrayLike<number>).length !== "number") {
      throw new ActionError(`action of agent ${a} (${this.agentNames[a]}): expected an array of ${n} numbers, got ${act === null ? "null" : typeof act}`);
    }
    if (act.length !== n) throw new ActionError(`action of agent ${a} (${this.agentNames[a]}): expected ${n} numbers, got ${act.length}`);
    for (let i = 0; i < n; i++) {
      const v = act[i];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new ActionError(
          `action of agent ${a} (${this.agentNames[a]}): element ${i} is ${typeof v === "number" ? String(v) : typeof v}; every element must be a finite number`,
        );
      }
    }
    return argmax(act, n);
  }

  private move(a: number, k: number): void {
    const r = this.row[a] + D_ROW[k];
    const c = this.col[a] + D_COL[k];
    this.row[a] = r < 0 ? 0 : r >= this.height ? this.height - 1 : r;
    this.col[a] = c < 0 ? 0 : c >= this.width ? this.width - 1 : c;
  }

  /**
   * Draws each agent's noisy reading of its opponent (agent 0 first), then writes the observations.
   * Doubles stay in locals and typed arrays: a double returned from a call that V8 does not inline
   * (`rng.uniform()`, say) would be boxed, i.e. allocated, on every step.
   */
  private observe(): void {
    const u = this.uniformScratch;
    for (let a = 0; a < 2; a++) {
      const o = 1 - a;
      this.rng.fillUniform(u, 0, 1, 0, 1);
      let p = (a === UAV_TARGET ? this.targetNoise : this.seekerNoise) - (this.lastAction[a] === UAV_STAY ? this.listenImprovement : 0);
      p = p < 0 ? 0 : p > 1 ? 1 : p;
      if (u[0] < p) {
        const wr = this.rng.int(this.height - 1);
        const wc = this.rng.int(this.width - 1);
        this.noisyRow[a] = wr >= this.row[o] ? wr + 1 : wr;
        this.noisyCol[a] = wc >= this.col[o] ? wc + 1 : wc;
      } else {
        this.noisyRow[a] = this.row[o];
        this.noisyCol[a] = this.col[o];
      }
    }
    this.writeObs();
  }

  private writeObs(): void {
    const H = this.height;
    const W = this.width;
    const size = 2 * (H + W);
    const buf = this.obsBuf;
    buf.fill(0);
    for (let a = 0; a < 2; a++) {
      const off = a * size;
      buf[off + this.row[a]] = 1;
      buf[off + H + this.col[a]] = 1;
      buf[off + H + W + this.noisyRow[a]] = 1;
      buf[off + 2 * H + W + this.noisyCol[a]] = 1;
    }
  }
}

interface ParsedState {
  t: number;
  positions: [number, number][];
  noisy: [number, number][];
  lastActions: number[];
  rng: number[];
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return typeof v;
}

function intIn(v: unknown, lo: number, hi: number, path: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new StateError(path, `expected an integer in [${lo}, ${hi}], got ${typeof v === "number" ? v : typeOf(v)}`);
  }
  return v;
}

function arrayOf(v: unknown, len: number, path: string): unknown[] {
  if (!Array.isArray(v)) throw new StateError(path, `expected an array of ${len}, got ${typeOf(v)}`);
  if (v.length !== len) throw new StateError(path, `expected ${len} entries, got ${v.length}`);
  return v;
}

function cell(v: unknown, H: number, W: number, path: string): [number, number] {
  const a = arrayOf(v, 2, path);
  return [intIn(a[0], 0, H - 1, `${path}[0]`), intIn(a[1], 0, W - 1, `${path}[1]`)];
}

/** Validates a {@link UAVState} for an `H × W` env without touching the env. */
function parseState(state: unknown, H: number, W: number): ParsedState {
  if (typeof state !== "object" || state === null || Array.isArray(state)) throw new StateError("state", `expected an object, got ${typeOf(state)}`);
  const s = state as Record<string, unknown>;
  for (const key of ["format", "version", "height", "width", "t", "positions", "noisy", "lastActions", "rng"]) {
    if (!(key in s)) throw new StateError(`state.${key}`, "missing field");
  }
  if (s.format !== STATE_FORMAT) throw new StateError("state.format", `expected "${STATE_FORMAT}", got ${JSON.stringify(s.format)}`);
  if (s.version !== 1) throw new StateError("state.version", `expected 1, got ${JSON.stringify(s.version)}`);
  if (s.height !== H || s.width !== W) {
    throw new StateError("state.height", `the state is for a ${JSON.stringify(s.height)} × ${JSON.stringify(s.width)} grid but this env is ${H} × ${W}`);
  }
  const t = intIn(s.t, 0, Number.MAX_SAFE_INTEGER, "state.t");
  const posArr = arrayOf(s.positions, 2, "state.positions");
  const positions = [cell(posArr[0], H, W, "state.positions[0]"), cell(posArr[1], H, W, "state.positions[1]")];
  const noisyArr = arrayOf(s.noisy, 2, "state.noisy");
  const noisy = [cell(noisyArr[0], H, W, "state.noisy[0]"), cell(noisyArr[1], H, W, "state.noisy[1]")];
  for (let a = 0; a < 2; a++) {
    const opp = positions[1 - a];
    const [nr, nc] = noisy[a];
    const exact = nr === opp[0] && nc === opp[1];
    const wrong = nr !== opp[0] && nc !== opp[1];
    if (!exact && !wrong) {
      throw new StateError(
        `state.noisy[${a}]`,
        `a reading is either the opponent's true cell or wrong in both row and column; got [${nr}, ${nc}] for an opponent at [${opp[0]}, ${opp[1]}]`,
      );
    }
  }
  const actArr = arrayOf(s.lastActions, 2, "state.lastActions");
  const lastActions = [intIn(actArr[0], -1, ACTION_SIZES[0] - 1, "state.lastActions[0]"), intIn(actArr[1], -1, ACTION_SIZES[1] - 1, "state.lastActions[1]")];
  for (let a = 0; a < 2; a++) {
    if ((lastActions[a] === -1) !== (t === 0)) {
      throw new StateError(`state.lastActions[${a}]`, `must be -1 exactly when t is 0 (no action since reset); got ${lastActions[a]} with t = ${t}`);
    }
  }
  const rngArr = arrayOf(s.rng, 4, "state.rng");
  try {
    new Rng(0).setState(rngArr as number[]);
  } catch (err) {
    throw new StateError("state.rng", (err as Error).message);
  }
  return { t, positions, noisy, lastActions, rng: rngArr as number[] };
}
