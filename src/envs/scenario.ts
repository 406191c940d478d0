/**
 * What a scenario is: a small object of make-world / reset / observation / reward (and optional
 * benchmark and done) functions over the flat world arrays, plus the helpers they share.
 */
import type { Rng } from "../util/rng.js";
import type { AgentJson, LandmarkJson, WorldJson, WorldStateJson } from "./state-format.js";
import { DIM_P, Layout, World } from "./world.js";

/** The nine MPE scenario names. */
export type ScenarioName =
  | "simple"
  | "simple_adversary"
  | "simple_crypto"
  | "simple_push"
  | "simple_reference"
  | "simple_speaker_listener"
  | "simple_spread"
  | "simple_tag"
  | "simple_world_comm";

/** A value of `benchmark_data` for one agent: a number, or a named record of numbers/vectors. */
export type BenchmarkValue = number | Readonly<Record<string, number | readonly number[]>>;

/** Which references a loaded state must provide, so a scenario never reads a missing entity. */
export interface ScenarioRequirements {
  /** Agent fields the scenario reads (validated as booleans, or key vectors). */
  readonly agentFields: readonly ("adversary" | "leader" | "speaker" | "key")[];
  readonly landmarkFields: readonly ("boundary" | "index")[];
  /** `scenario_state` keys the scenario writes (and saves back). */
  readonly scenarioFields: readonly ("goal_a" | "goal_b" | "food" | "forests" | "num_agents")[];
  /** Checks what the observation/reward functions rely on; returns a problem description or null. */
  check?(layout: Layout, w: World, e: number): string | null;
}

export interface Scenario {
  readonly name: ScenarioName;
  /** One-line description. */
  readonly description: string;
  readonly requirements: ScenarioRequirements;
  /** The world `make_world` builds, before its reset: entities with their fixed properties. */
  makeWorld(): WorldStateJson;
  /** `reset_world`: draws the random parts of environment `e` from `rng`. */
  reset(w: World, e: number, rng: Rng): void;
  /** Length of agent `a`'s observation. */
  obsSize(layout: Layout, a: number): number;
  /** Writes agent `a`'s observation of environment `e` through `o`. */
  observe(o: ObsWriter, w: World, e: number, a: number): void;
  /**
   * Every agent's reward in environment `e` (before any sharing), written to `out[off + a]`.
   * (One call for all agents, writing into the buffer: a double returned through a call site
   * shared by several scenarios would be boxed, i.e. allocated, on every step.)
   */
  rewards(w: World, e: number, out: Float64Array, off: number): void;
  /** `benchmark_data`, for scenarios that have it. */
  benchmark?(w: World, e: number, a: number): BenchmarkValue;
  /** Episode-termination callback; MPE scenarios define none (always false). */
  done?(w: World, e: number, a: number): boolean;
  /** Agent names in the PettingZoo/MPE2 convention, e.g. `adversary_0`, `agent_0`. */
  agentNames(layout: Layout): string[];
}

/**
 * Writes one observation vector block by block. Reused across steps (no allocation); each method
 * appends at the cursor. Entity indices are world entity indices (agents first, then landmarks).
 */
export class ObsWriter {
  private out: Float64Array = new Float64Array(0);
  private k = 0;
  private w!: World;
  private pb = 0;
  private eb = 0;
  private ab = 0;

  /** Starts writing environment `e`'s observation into `out` at `offset`. */
  begin(w: World, e: number, out: Float64Array, offset: number): void {
    this.w = w;
    this.out = out;
    this.k = offset;
    this.eb = e * w.nEntities;
    this.pb = this.eb * DIM_P;
    this.ab = e * w.nAgents;
  }

  /** The cursor position (to check the number of values written). */
  get cursor(): number {
    return this.k;
  }

  /** Entity i's velocity (2). */
  vel(i: number): void {
    const v = this.w.vel;
    const p = this.pb + i * DIM_P;
    this.out[this.k++] = v[p];
    this.out[this.k++] = v[p + 1];
  }

  /** Entity i's position (2). */
  pos(i: number): void {
    const v = this.w.pos;
    const p = this.pb + i * DIM_P;
    this.out[this.k++] = v[p];
    this.out[this.k++] = v[p + 1];
  }

  /** Entity `target`'s position relative to entity `self` (2): `target.p_pos - self.p_pos`. */
  rel(target: number, self: number): void {
    const v = this.w.pos;
    const t = this.pb + target * DIM_P;
    const s = this.pb + self * DIM_P;
    this.out[this.k++] = v[t] - v[s];
    this.out[this.k++] = v[t + 1] - v[s + 1];
  }

  /** Entity i's colour (its own length; `width` zeros when it has none). */
  color(i: number, width: number): void {
    const w = this.w;
    const k = this.eb + i;
    const len = w.colorLen[k];
    if (len === 0) {
      this.zeros(width);
      return;
    }
    const o = k * w.colorWidth;
    for (let d = 0; d < len; d++) this.out[this.k++] = w.color[o + d];
  }

  /** Agent a's comm state (dim_c). */
  comm(a: number): void {
    const w = this.w;
    const o = (this.ab + a) * w.dimC;
    for (let d = 0; d < w.dimC; d++) this.out[this.k++] = w.comm[o + d];
  }

  /** Agent a's key (simple_crypto), or `width` zeros when it has none. */
  key(a: number, width: number): void {
    const w = this.w;
    const len = w.keyLen[this.ab + a];
    if (len === 0) {
      this.zeros(width);
      return;
    }
    const o = (this.ab + a) * w.colorWidth;
    for (let d = 0; d < len; d++) this.out[this.k++] = w.key[o + d];
  }

  /** One number. */
  value(v: number): void {
    this.out[this.k++] = v;
  }

  /** `n` zeros. */
  zeros(n: number): void {
    for (let d = 0; d < n; d++) this.out[this.k++] = 0;
  }
}

/** A state check: every agent has a goal_a reference. */
export function missingGoalA(L: Layout, w: World, e: number): string | null {
  for (let a = 0; a < L.nAgents; a++) if (w.goalA[w.agt(e, a)] < 0) return `agent ${a} needs goal_a`;
  return null;
}

/** A state check: at least one agent is not an adversary (the rewards take a minimum over them). */
export function missingGoodAgent(L: Layout): string | null {
  for (let a = 0; a < L.nAgents; a++) if (!L.adversary[a]) return null;
  return "needs at least one good agent";
}

// ---------------------------------------------------------------------------------------------
// Geometry shared by rewards and observations (numpy order of operations: sqrt(dx*dx + dy*dy)).

/** Squared distance between entities i and j of environment e. */
export function dist2(w: World, e: number, i: number, j: number): number {
  const p = w.pos;
  const b = e * w.nEntities * DIM_P;
  const dx = p[b + i * DIM_P] - p[b + j * DIM_P];
  const dy = p[b + i * DIM_P + 1] - p[b + j * DIM_P + 1];
  return dx * dx + dy * dy;
}

/** Distance between entities i and j of environment e. */
export function dist(w: World, e: number, i: number, j: number): number {
  return Math.sqrt(dist2(w, e, i, j));
}

/** The scenarios' `is_collision`: strictly closer than the sum of the sizes. */
export function isCollision(w: World, e: number, i: number, j: number): boolean {
  const b = e * w.nEntities;
  return dist(w, e, i, j) < w.size[b + i] + w.size[b + j];
}

/** Squared distance between two comm/colour vectors of length n, summed left to right as numpy does. */
export function sqDiff(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let d = 0; d < n; d++) {
    const x = a[ao + d] - b[bo + d];
    s += x * x;
  }
  return s;
}

/** tag/world_comm's out-of-bounds penalty for one coordinate's absolute value. */
export function bound(x: number): number {
  if (x < 0.9) return 0;
  if (x < 1.0) return (x - 0.9) * 10;
  return Math.min(Math.exp(2 * x - 2), 10);
}

// ---------------------------------------------------------------------------------------------
// Builders for make_world: entities with the original class defaults (core.py).

/** Default world constants (`World()` as the scenarios use it; mpe-spec §1). */
export function worldJson(dimC: number, extra: Partial<WorldJson> = {}): WorldJson {
  return {
    dim_p: DIM_P,
    dim_c: dimC,
    dim_color: 3,
    dt: 0.1,
    damping: 0.25,
    contact_force: 100.0,
    contact_margin: 0.001,
    collaborative: false,
    discrete_action: false,
    ...extra,
  };
}

/** An `Agent()` with the original defaults, then `props` applied. */
export function agentJson(name: string, dimC: number, props: Partial<AgentJson> = {}): AgentJson {
  return {
    name,
    size: 0.05,
    movable: true,
    collide: true,
    density: 25.0,
    initial_mass: 1.0,
    color: null,
    max_speed: null,
    accel: null,
    silent: false,
    blind: false,
    u_noise: null,
    c_noise: null,
    u_range: 1.0,
    ...props,
    p_pos: [0, 0],
    p_vel: [0, 0],
    c: new Array<number>(dimC).fill(0),
  };
}

/** A `Landmark()` with the original defaults (immovable, colliding), then `props` applied. */
export function landmarkJson(name: string, props: Partial<LandmarkJson> = {}): LandmarkJson {
  return {
    name,
    size: 0.05,
    movable: false,
    collide: true,
    density: 25.0,
    initial_mass: 1.0,
    color: null,
    max_speed: null,
    accel: null,
    ...props,
    p_pos: [0, 0],
    p_vel: [0, 0],
  };
}

/** `n` unset (None) entity references, as make_world leaves goals before the first reset. */
export function unsetRefs(n: number): null[] {
  return new Array<null>(n).fill(null);
}

/** Numbered names in the PettingZoo convention for agents selected by `pick`. */
export function roleNames(layout: Layout, role: (a: number) => string): string[] {
  const counts = new Map<string, number>();
  const names: string[] = [];
  for (let a = 0; a < layout.nAgents; a++) {
    const r = role(a);
    const n = counts.get(r) ?? 0;
    counts.set(r, n + 1);
    names.push(`${r}_${n}`);
  }
  return names;
}
