/**
 * The world as flat arrays, for `n` environments laid end to end.
 *
 * Entities are indexed agents first, then landmarks (the original `world.entities` order). A
 * {@link Layout} holds what must be the same in every environment of a batch because it decides
 * observation and action sizes (entity counts, roles, movable/silent flags); a {@link World} holds
 * everything else per environment: positions, velocities, comm, physical properties, colours and
 * the scenario's references (goals, keys). Arrays are float64 so the arithmetic matches numpy.
 */
import type { Rng } from "../util/rng.js";

/** Optional agent fields that some scenarios define (written back by `saveState` only if present). */
export type AgentField = "adversary" | "leader" | "speaker" | "key";
/** Optional landmark fields that some scenarios define. */
export type LandmarkField = "boundary" | "index";
/** Optional `scenario_state` keys. */
export type ScenarioField = "goal_a" | "goal_b" | "food" | "forests" | "num_agents";

/** Position dimension: 2 everywhere in MPE (the speed cap only looks at two components). */
export const DIM_P = 2;

/** What is shared by every environment of a batch: structure, roles and world constants. */
export interface Layout {
  readonly scenario: string;
  readonly nAgents: number;
  readonly nLandmarks: number;
  readonly nEntities: number;
  readonly dimC: number;
  readonly dimColor: number;
  /** Slots reserved per colour or key vector (max of dim_color, dim_c and any loaded length). */
  readonly colorWidth: number;
  readonly dt: number;
  readonly damping: number;
  readonly contactForce: number;
  readonly contactMargin: number;
  readonly collaborative: boolean;
  readonly discreteAction: boolean;
  /** Entity names, agents then landmarks (rendering only). */
  readonly names: readonly string[];
  /** Per entity: integrated by the physics. Decides whether an agent has a movement action. */
  readonly movable: Uint8Array;
  /** Per agent: cannot speak. Decides whether an agent has a comm action. */
  readonly silent: Uint8Array;
  /** Per agent role flags (0 where the field is absent). */
  readonly adversary: Uint8Array;
  readonly leader: Uint8Array;
  readonly speaker: Uint8Array;
  /** Per landmark: boundary landmarks are left out of tag/world_comm observations. */
  readonly boundary: Uint8Array;
  /** Per landmark: simple_push's `index` attribute (-1 where absent). */
  readonly landmarkIndex: Int32Array;
  /** Entity indices of simple_world_comm's food and forests. */
  readonly food: readonly number[];
  readonly forests: readonly number[];
  /** simple_adversary's `world.num_agents`, or null. */
  readonly numAgents: number | null;
  readonly agentFields: ReadonlySet<AgentField>;
  readonly landmarkFields: ReadonlySet<LandmarkField>;
  readonly scenarioFields: ReadonlySet<ScenarioField>;
}

/** `n` environments' state over one {@link Layout}. Index helpers are plain arithmetic. */
export class World {
  readonly layout: Layout;
  /** Number of environments in this batch. */
  readonly n: number;
  readonly nAgents: number;
  readonly nEntities: number;
  readonly dimC: number;
  readonly colorWidth: number;

  /** [n][entity][2] positions. */
  readonly pos: Float64Array;
  /** [n][entity][2] velocities. */
  readonly vel: Float64Array;
  /** [n][agent][dim_c] comm state. */
  readonly comm: Float64Array;

  /** [n][entity] physical properties. `accel`/`maxSpeed` are NaN when unset (None). */
  readonly size: Float64Array;
  readonly mass: Float64Array;
  readonly density: Float64Array;
  readonly accel: Float64Array;
  readonly maxSpeed: Float64Array;
  readonly collide: Uint8Array;
  /** [n][entity][colorWidth] colours; `colorLen` is 0 for no colour (None). */
  readonly color: Float64Array;
  readonly colorLen: Uint8Array;

  /** [n][agent] agent properties. Noise scales are NaN when unset (None). */
  readonly uNoise: Float64Array;
  readonly cNoise: Float64Array;
  readonly uRange: Float64Array;
  readonly blind: Uint8Array;
  /** [n][agent][colorWidth] simple_crypto keys; `keyLen` is 0 for None. */
  readonly key: Float64Array;
  readonly keyLen: Uint8Array;
  /** [n][agent] goal references as entity indices, -1 for None. */
  readonly goalA: Int32Array;
  readonly goalB: Int32Array;

  /** [n][agent][2] decoded movement action (already multiplied by accel), written before a step. */
  readonly actU: Float64Array;
  /** [n][agent][dim_c] decoded comm action, written before a step. */
  readonly actC: Float64Array;

  /** Physics scratch for one environment at a time: [entity][2] force and "slot is set" flags. */
  readonly force: Float64Array;
  readonly forceSet: Uint8Array;

  constructor(layout: Layout, n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`number of environments must be a positive integer, got ${n}`);
    this.layout = layout;
    this.n = n;
    const nA = (this.nAgents = layout.nAgents);
    const nE = (this.nEntities = layout.nEntities);
    const dc = (this.dimC = layout.dimC);
    const cw = (this.colorWidth = layout.colorWidth);
    this.pos = new Float64Array(n * nE * DIM_P);
    this.vel = new Float64Array(n * nE * DIM_P);
    this.comm = new Float64Array(n * nA * dc);
    this.size = new Float64Array(n * nE);
    this.mass = new Float64Array(n * nE);
    this.density = new Float64Array(n * nE);
    this.accel = new Float64Array(n * nE);
    this.maxSpeed = new Float64Array(n * nE);
    this.collide = new Uint8Array(n * nE);
    this.color = new Float64Array(n * nE * cw);
    this.colorLen = new Uint8Array(n * nE);
    this.uNoise = new Float64Array(n * nA);
    this.cNoise = new Float64Array(n * nA);
    this.uRange = new Float64Array(n * nA);
    this.blind = new Uint8Array(n * nA);
    this.key = new Float64Array(n * nA * cw);
    this.keyLen = new Uint8Array(n * nA);
    this.goalA = new Int32Array(n * nA).fill(-1);
    this.goalB = new Int32Array(n * nA).fill(-1);
    this.actU = new Float64Array(n * nA * DIM_P);
    this.actC = new Float64Array(n * nA * dc);
    this.force = new Float64Array(nE * DIM_P);
    this.forceSet = new Uint8Array(nE);
  }

  /** Index of entity `i` of environment `e` in the per-entity arrays. */
  ent(e: number, i: number): number {
    return e * this.nEntities + i;
  }

  /** Index of agent `a` of environment `e` in the per-agent arrays. */
  agt(e: number, a: number): number {
    return e * this.nAgents + a;
  }

  /** Sets entity `i`'s colour in environment `e` (as the scenario's reset does). */
  setColor(e: number, i: number, rgb: ArrayLike<number>): void {
    const k = e * this.nEntities + i;
    const o = k * this.colorWidth;
    for (let d = 0; d < rgb.length; d++) this.color[o + d] = rgb[d];
    this.colorLen[k] = rgb.length;
  }

  /** Gives entity `i` a colour of `len` zeros in environment `e`. */
  zeroColor(e: number, i: number, len: number): void {
    const k = e * this.nEntities + i;
    this.color.fill(0, k * this.colorWidth, k * this.colorWidth + len);
    this.colorLen[k] = len;
  }

  /** Adds `delta` to component `d` of entity `i`'s colour (`color[d] += delta`, as the resets do). */
  shiftColor(e: number, i: number, d: number, delta: number): void {
    this.color[(e * this.nEntities + i) * this.colorWidth + d] += delta;
  }

  /** Copies entity `src`'s colour to entity `dst` in environment `e`, optionally adding `plus` to each component. */
  copyColor(e: number, dst: number, src: number, plus = 0): void {
    const ks = e * this.nEntities + src;
    const kd = e * this.nEntities + dst;
    const cw = this.colorWidth;
    const len = this.colorLen[ks];
    for (let d = 0; d < len; d++) this.color[kd * cw + d] = this.color[ks * cw + d] + plus;
    this.colorLen[kd] = len;
  }

  /** Sets every agent's velocity and comm to zero, and every landmark's velocity (the common part of all resets). */
  zeroMotion(e: number): void {
    const nE = this.nEntities;
    this.vel.fill(0, e * nE * DIM_P, (e + 1) * nE * DIM_P);
    this.comm.fill(0, e * this.nAgents * this.dimC, (e + 1) * this.nAgents * this.dimC);
  }

  /** Draws entity `i`'s position uniformly from [low, high)², x then y, as `np.random.uniform(low, high, 2)`. */
  randomPosition(e: number, i: number, rng: Rng, low: number, high: number): void {
    rng.fillUniform(this.pos, (e * this.nEntities + i) * DIM_P, DIM_P, low, high);
  }
}
