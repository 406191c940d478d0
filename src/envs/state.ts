/**
 * State I/O: build a world from a state object in the golden format (`mpe-golden/FORMAT.md`) and
 * write the current state back out, so that `loadState(saveState())` continues identically.
 * Every field is validated; a problem throws a {@link StateError} naming the field path and what
 * was expected. Nothing is guessed or clipped.
 */
import type { Scenario } from "./scenario.js";
import type { AgentJson, EntityJson, EntityRefJson, LandmarkJson, ScenarioStateJson, WorldJson, WorldStateJson } from "./state-format.js";
import { AgentField, DIM_P, LandmarkField, Layout, ScenarioField, World } from "./world.js";

/** A state object is malformed or does not fit the scenario. `path` locates the field. */
export class StateError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "StateError";
    this.path = path;
  }
}

/** A valid state whose structure (entities, roles, constants) differs from the environment's. */
export class LayoutMismatchError extends StateError {
  constructor(path: string, message: string) {
    super(path, message);
    this.name = "LayoutMismatchError";
  }
}

type Json = unknown;

function typeOf(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return typeof v;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: Json, path: string): Record<string, Json> {
  if (!isObject(v)) throw new StateError(path, `expected an object, got ${typeOf(v)}`);
  return v;
}

function field(o: Record<string, Json>, key: string, path: string): Json {
  if (!(key in o)) throw new StateError(`${path}.${key}`, "missing field");
  return o[key];
}

function num(v: Json, path: string, opts: { min?: number; minExclusive?: number } = {}): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new StateError(path, `expected a finite number, got ${typeOf(v)}`);
  if (opts.min !== undefined && v < opts.min) throw new StateError(path, `expected a number >= ${opts.min}, got ${v}`);
  if (opts.minExclusive !== undefined && v <= opts.minExclusive) throw new StateError(path, `expected a number > ${opts.minExclusive}, got ${v}`);
  return v;
}

function int(v: Json, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new StateError(path, `expected an integer, got ${typeOf(v)}`);
  if (v < min || v > max) throw new StateError(path, `expected an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function nullableNum(v: Json, path: string, min?: number): number | null {
  if (v === null) return null;
  return num(v, path, min === undefined ? {} : { min });
}

function bool(v: Json, path: string): boolean {
  if (typeof v !== "boolean") throw new StateError(path, `expected true or false, got ${typeOf(v)}`);
  return v;
}

function str(v: Json, path: string): string {
  if (typeof v !== "string") throw new StateError(path, `expected a string, got ${typeOf(v)}`);
  return v;
}

function vec(v: Json, path: string, len?: number): number[] {
  if (!Array.isArray(v)) throw new StateError(path, `expected an array of ${len ?? "some"} numbers, got ${typeOf(v)}`);
  if (len !== undefined && v.length !== len) throw new StateError(path, `expected ${len} numbers, got ${v.length}`);
  v.forEach((x, i) => num(x, `${path}[${i}]`));
  return v as number[];
}

function nullableVec(v: Json, path: string): number[] | null {
  if (v === null) return null;
  const a = vec(v, path);
  if (a.length === 0) throw new StateError(path, "expected a non-empty array of numbers or null");
  return a;
}

const AGENT_FLAG_FIELDS = ["adversary", "leader", "speaker"] as const;

/** A validated state plus what was derived from it. */
interface Checked {
  json: WorldStateJson;
  layout: Layout;
  goalA: Int32Array | null;
  goalB: Int32Array | null;
}

function checkEntity(o: Record<string, Json>, path: string): void {
  str(field(o, "name", path), `${path}.name`);
  num(field(o, "size", path), `${path}.size`, { min: 0 });
  bool(field(o, "movable", path), `${path}.movable`);
  bool(field(o, "collide", path), `${path}.collide`);
  num(field(o, "density", path), `${path}.density`);
  num(field(o, "initial_mass", path), `${path}.initial_mass`, { minExclusive: 0 });
  nullableVec(field(o, "color", path), `${path}.color`);
  nullableNum(field(o, "max_speed", path), `${path}.max_speed`, 0);
  nullableNum(field(o, "accel", path), `${path}.accel`);
  vec(field(o, "p_pos", path), `${path}.p_pos`, DIM_P);
  vec(field(o, "p_vel", path), `${path}.p_vel`, DIM_P);
}

function entityRef(v: Json, path: string, nA: number, nL: number): number {
  if (v === null) return -1;
  const o = obj(v, path);
  const type = field(o, "type", path);
  if (type !== "agent" && type !== "landmark") throw new StateError(`${path}.type`, `expected "agent" or "landmark", got ${JSON.stringify(type)}`);
  if (type === "agent") return int(field(o, "index", path), `${path}.index`, 0, nA - 1);
  if (nL === 0) throw new StateError(`${path}.index`, "refers to a landmark but there are none");
  return nA + int(field(o, "index", path), `${path}.index`, 0, nL - 1);
}

/**
 * Validates a state object against a scenario and derives its {@link Layout}. Throws a
 * {@link StateError} for the first problem found.
 */
function checkState(input: Json, scenario: Scenario, root: string): Checked {
  const s = obj(input, root);
  const name = str(field(s, "scenario", root), `${root}.scenario`);
  if (name !== scenario.name) throw new StateError(`${root}.scenario`, `expected "${scenario.name}", got "${name}"`);
  const wp = `${root}.world`;
  const wj = obj(field(s, "world", root), wp);
  const dimP = int(field(wj, "dim_p", wp), `${wp}.dim_p`, 0);
  if (dimP !== DIM_P) throw new StateError(`${wp}.dim_p`, `only dim_p = ${DIM_P} is supported, got ${dimP}`);
  const dimC = int(field(wj, "dim_c", wp), `${wp}.dim_c`, 0, 1 << 16);
  const dimColor = int(field(wj, "dim_color", wp), `${wp}.dim_color`, 0, 1 << 16);
  const world: WorldJson = {
    dim_p: dimP,
    dim_c: dimC,
    dim_color: dimColor,
    dt: num(field(wj, "dt", wp), `${wp}.dt`),
    damping: num(field(wj, "damping", wp), `${wp}.damping`),
    contact_force: num(field(wj, "contact_force", wp), `${wp}.contact_force`),
    contact_margin: num(field(wj, "contact_margin", wp), `${wp}.contact_margin`, { minExclusive: 0 }),
    collaborative: bool(field(wj, "collaborative", wp), `${wp}.collaborative`),
    discrete_action: bool(field(wj, "discrete_action", wp), `${wp}.discrete_action`),
  };

  const req = scenario.requirements;
  const agentsRaw = field(s, "agents", root);
  if (!Array.isArray(agentsRaw) || agentsRaw.length === 0) throw new StateError(`${root}.agents`, `expected a non-empty array, got ${typeOf(agentsRaw)}`);
  const landmarksRaw = field(s, "landmarks", root);
  if (!Array.isArray(landmarksRaw)) throw new StateError(`${root}.landmarks`, `expected an array, got ${typeOf(landmarksRaw)}`);
  const nA = agentsRaw.length;
  const nL = landmarksRaw.length;

  const agentFields = new Set<AgentField>();
  let colorWidth = Math.max(dimColor, dimC, 1);
  agentsRaw.forEach((raw, a) => {
    const p = `${root}.agents[${a}]`;
    const o = obj(raw, p);
    checkEntity(o, p);
    bool(field(o, "silent", p), `${p}.silent`);
    bool(field(o, "blind", p), `${p}.blind`);
    nullableNum(field(o, "u_noise", p), `${p}.u_noise`, 0);
    nullableNum(field(o, "c_noise", p), `${p}.c_noise`, 0);
    num(field(o, "u_range", p), `${p}.u_range`);
    vec(field(o, "c", p), `${p}.c`, dimC);
    for (const f of AGENT_FLAG_FIELDS) {
      if (req.agentFields.includes(f) || f in o) {
        bool(field(o, f, p), `${p}.${f}`);
        agentFields.add(f);
      }
    }
    if (req.agentFields.includes("key") || "key" in o) {
      const key = nullableVec(field(o, "key", p), `${p}.key`);
      if (key) colorWidth = Math.max(colorWidth, key.length);
      agentFields.add("key");
    }
    const color = o.color as number[] | null;
    if (color) colorWidth = Math.max(colorWidth, color.length);
  });
  agentsRaw.forEach((raw, a) => {
    const o = raw as AgentJson;
    if (!o.movable && o.silent)
      throw new StateError(`${root}.agents[${a}]`, "an agent that is neither movable nor able to speak has no action (the original crashes too)");
  });

  const landmarkFields = new Set<LandmarkField>();
  landmarksRaw.forEach((raw, j) => {
    const p = `${root}.landmarks[${j}]`;
    const o = obj(raw, p);
    checkEntity(o, p);
    if (req.landmarkFields.includes("boundary") || "boundary" in o) {
      bool(field(o, "boundary", p), `${p}.boundary`);
      landmarkFields.add("boundary");
    }
    if (req.landmarkFields.includes("index") || "index" in o) {
      int(field(o, "index", p), `${p}.index`, 0, Math.max(0, nL - 1));
      landmarkFields.add("index");
    }
    const color = o.color as number[] | null;
    if (color) colorWidth = Math.max(colorWidth, color.length);
  });

  const sp = `${root}.scenario_state`;
  const ss = obj(field(s, "scenario_state", root), sp);
  const scenarioFields = new Set<ScenarioField>();
  const refs = (key: "goal_a" | "goal_b"): Int32Array | null => {
    if (!req.scenarioFields.includes(key) && !(key in ss)) return null;
    const raw = field(ss, key, sp);
    if (!Array.isArray(raw) || raw.length !== nA)
      throw new StateError(
        `${sp}.${key}`,
        `expected an array of ${nA} entity references (one per agent), got ${Array.isArray(raw) ? `${raw.length} entries` : typeOf(raw)}`,
      );
    scenarioFields.add(key);
    return Int32Array.from(raw, (r, a) => entityRef(r, `${sp}.${key}[${a}]`, nA, nL));
  };
  const goalA = refs("goal_a");
  const goalB = refs("goal_b");
  const indexList = (key: "food" | "forests"): number[] => {
    if (!req.scenarioFields.includes(key) && !(key in ss)) return [];
    const raw = field(ss, key, sp);
    if (!Array.isArray(raw)) throw new StateError(`${sp}.${key}`, `expected an array of landmark indices, got ${typeOf(raw)}`);
    scenarioFields.add(key);
    return raw.map((v, i) => nA + int(v, `${sp}.${key}[${i}]`, 0, nL - 1));
  };
  const food = indexList("food");
  const forests = indexList("forests");
  let numAgents: number | null = null;
  if (req.scenarioFields.includes("num_agents") || "num_agents" in ss) {
    numAgents = int(field(ss, "num_agents", sp), `${sp}.num_agents`, 1, nA);
    scenarioFields.add("num_agents");
  }

  const agents = agentsRaw as AgentJson[];
  const landmarks = landmarksRaw as LandmarkJson[];
  const entities: EntityJson[] = [...agents, ...landmarks];
  const layout: Layout = {
    scenario: scenario.name,
    nAgents: nA,
    nLandmarks: nL,
    nEntities: nA + nL,
    dimC,
    dimColor,
    colorWidth,
    dt: world.dt,
    damping: world.damping,
    contactForce: world.contact_force,
    contactMargin: world.contact_margin,
    collaborative: world.collaborative,
    discreteAction: world.discrete_action,
    names: entities.map((x) => x.name),
    movable: Uint8Array.from(entities, (x) => (x.movable ? 1 : 0)),
    silent: Uint8Array.from(agents, (x) => (x.silent ? 1 : 0)),
    adversary: Uint8Array.from(agents, (x) => (x.adversary ? 1 : 0)),
    leader: Uint8Array.from(agents, (x) => (x.leader ? 1 : 0)),
    speaker: Uint8Array.from(agents, (x) => (x.speaker ? 1 : 0)),
    boundary: Uint8Array.from(landmarks, (x) => (x.boundary ? 1 : 0)),
    landmarkIndex: Int32Array.from(landmarks, (x) => (x.index === undefined ? -1 : x.index)),
    food,
    forests,
    numAgents,
    agentFields,
    landmarkFields,
    scenarioFields,
  };
  return { json: { ...(s as unknown as WorldStateJson), world }, layout, goalA, goalB };
}

/** Writes a checked state into environment `e` of `w` (whose layout must match). */
function writeEnv(w: World, e: number, c: Checked): void {
  const { json } = c;
  const entities: EntityJson[] = [...json.agents, ...json.landmarks];
  const cw = w.colorWidth;
  entities.forEach((x, i) => {
    const k = w.ent(e, i);
    w.pos[k * DIM_P] = x.p_pos[0];
    w.pos[k * DIM_P + 1] = x.p_pos[1];
    w.vel[k * DIM_P] = x.p_vel[0];
    w.vel[k * DIM_P + 1] = x.p_vel[1];
    w.size[k] = x.size;
    w.mass[k] = x.initial_mass;
    w.density[k] = x.density;
    w.accel[k] = x.accel ?? NaN;
    w.maxSpeed[k] = x.max_speed ?? NaN;
    w.collide[k] = x.collide ? 1 : 0;
    w.color.fill(0, k * cw, (k + 1) * cw);
    if (x.color) w.setColor(e, i, x.color);
    else w.colorLen[k] = 0;
  });
  json.agents.forEach((x, a) => {
    const k = w.agt(e, a);
    for (let d = 0; d < w.dimC; d++) w.comm[k * w.dimC + d] = x.c[d];
    w.uNoise[k] = x.u_noise ?? NaN;
    w.cNoise[k] = x.c_noise ?? NaN;
    w.uRange[k] = x.u_range;
    w.blind[k] = x.blind ? 1 : 0;
    w.key.fill(0, k * cw, (k + 1) * cw);
    w.keyLen[k] = 0;
    if (x.key) {
      for (let d = 0; d < x.key.length; d++) w.key[k * cw + d] = x.key[d];
      w.keyLen[k] = x.key.length;
    }
    w.goalA[k] = c.goalA ? c.goalA[a] : -1;
    w.goalB[k] = c.goalB ? c.goalB[a] : -1;
  });
}

/** Names the first structural difference between two layouts, or null if they match. */
export function layoutMismatch(a: Layout, b: Layout): string | null {
  const scalars = [
    "scenario",
    "nAgents",
    "nLandmarks",
    "dimC",
    "dimColor",
    "dt",
    "damping",
    "contactForce",
    "contactMargin",
    "collaborative",
    "discreteAction",
    "numAgents",
  ] as const;
  for (const k of scalars) if (a[k] !== b[k]) return `${k}: ${String(a[k])} vs ${String(b[k])}`;
  const arrays = ["movable", "silent", "adversary", "leader", "speaker", "boundary", "landmarkIndex"] as const;
  for (const k of arrays) {
    const x = a[k];
    const y = b[k];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `${k}[${i}]: ${x[i]} vs ${y[i]}`;
  }
  if (a.food.join() !== b.food.join()) return `food: [${a.food}] vs [${b.food}]`;
  if (a.forests.join() !== b.forests.join()) return `forests: [${a.forests}] vs [${b.forests}]`;
  if (b.colorWidth > a.colorWidth) return `colour/key vectors longer (${b.colorWidth}) than this batch holds (${a.colorWidth})`;
  for (const [x, y, n] of [
    [a.agentFields, b.agentFields, "agent fields"],
    [a.landmarkFields, b.landmarkFields, "landmark fields"],
    [a.scenarioFields, b.scenarioFields, "scenario_state keys"],
  ] as const) {
    const xs = [...x].sort().join();
    const ys = [...y].sort().join();
    if (xs !== ys) return `${n}: [${xs}] vs [${ys}]`;
  }
  return null;
}

/**
 * Validates `state` for `scenario` and returns its layout and a one-environment world holding it.
 * `root` names the object in error messages (e.g. `initial_state`).
 */
export function worldFromState(state: Json, scenario: Scenario, root = "state", runCheck = true): World {
  const c = checkState(state, scenario, root);
  const w = new World(c.layout, 1);
  writeEnv(w, 0, c);
  const problem = runCheck ? scenario.requirements.check?.(c.layout, w, 0) : null;
  if (problem) throw new StateError(root, `not a valid ${scenario.name} state: ${problem}`);
  return w;
}

/**
 * Validates `state` and writes it into environment `e` of an existing world. The state's structure
 * must match the world's layout (same entities, roles and constants), since observation and
 * action sizes depend on it.
 */
export function loadStateInto(w: World, e: number, state: Json, scenario: Scenario, root = "state", runCheck = true): void {
  if (!Number.isInteger(e) || e < 0 || e >= w.n) throw new RangeError(`environment index ${e} is out of range [0, ${w.n})`);
  const c = checkState(state, scenario, root);
  const mismatch = layoutMismatch(w.layout, c.layout);
  if (mismatch) throw new LayoutMismatchError(root, `does not fit this environment's layout (${mismatch})`);
  writeEnv(w, e, c);
  const problem = runCheck ? scenario.requirements.check?.(w.layout, w, e) : null;
  if (problem) throw new StateError(root, `not a valid ${scenario.name} state: ${problem}`);
}

function nn(v: number): number | null {
  return v === v ? v : null;
}

function refJson(w: World, i: number): EntityRefJson | null {
  if (i < 0) return null;
  return i < w.nAgents ? { type: "agent", index: i } : { type: "landmark", index: i - w.nAgents };
}

/** The full state of environment `e` in the golden format (a fresh, JSON-serialisable object). */
export function saveStateOf(w: World, e: number): WorldStateJson {
  const L = w.layout;
  const cw = w.colorWidth;
  const entity = (i: number): EntityJson => {
    const k = w.ent(e, i);
    const len = w.colorLen[k];
    return {
      name: L.names[i],
      size: w.size[k],
      movable: L.movable[i] === 1,
      collide: w.collide[k] === 1,
      density: w.density[k],
      initial_mass: w.mass[k],
      color: len === 0 ? null : Array.from(w.color.subarray(k * cw, k * cw + len)),
      max_speed: nn(w.maxSpeed[k]),
      accel: nn(w.accel[k]),
      p_pos: [w.pos[k * DIM_P], w.pos[k * DIM_P + 1]],
      p_vel: [w.vel[k * DIM_P], w.vel[k * DIM_P + 1]],
    };
  };
  const agents: AgentJson[] = [];
  for (let a = 0; a < w.nAgents; a++) {
    const k = w.agt(e, a);
    const { p_pos, p_vel, ...base } = entity(a);
    const agent: AgentJson = {
      ...base,
      silent: L.silent[a] === 1,
      blind: w.blind[k] === 1,
      u_noise: nn(w.uNoise[k]),
      c_noise: nn(w.cNoise[k]),
      u_range: w.uRange[k],
      p_pos,
      p_vel,
      c: Array.from(w.comm.subarray(k * w.dimC, (k + 1) * w.dimC)),
    };
    // optional fields sit before p_pos, as in the golden files
    const extra: Partial<AgentJson> = {};
    if (L.agentFields.has("adversary")) extra.adversary = L.adversary[a] === 1;
    if (L.agentFields.has("leader")) extra.leader = L.leader[a] === 1;
    if (L.agentFields.has("speaker")) extra.speaker = L.speaker[a] === 1;
    if (L.agentFields.has("key")) extra.key = w.keyLen[k] === 0 ? null : Array.from(w.key.subarray(k * cw, k * cw + w.keyLen[k]));
    agents.push(reorder(agent, extra, "p_pos"));
  }
  const landmarks: LandmarkJson[] = [];
  for (let j = 0; j < L.nLandmarks; j++) {
    const extra: Partial<LandmarkJson> = {};
    if (L.landmarkFields.has("boundary")) extra.boundary = L.boundary[j] === 1;
    if (L.landmarkFields.has("index")) extra.index = L.landmarkIndex[j];
    landmarks.push(reorder(entity(w.nAgents + j), extra, "p_pos"));
  }
  const scenarioState: ScenarioStateJson = {};
  const refsOf = (arr: Int32Array) => Array.from({ length: w.nAgents }, (_, a) => refJson(w, arr[w.agt(e, a)]));
  if (L.scenarioFields.has("goal_a")) scenarioState.goal_a = refsOf(w.goalA);
  if (L.scenarioFields.has("goal_b")) scenarioState.goal_b = refsOf(w.goalB);
  if (L.scenarioFields.has("food")) scenarioState.food = L.food.map((i) => i - w.nAgents);
  if (L.scenarioFields.has("forests")) scenarioState.forests = L.forests.map((i) => i - w.nAgents);
  if (L.scenarioFields.has("num_agents")) scenarioState.num_agents = L.numAgents ?? w.nAgents;
  return {
    scenario: L.scenario,
    world: {
      dim_p: DIM_P,
      dim_c: L.dimC,
      dim_color: L.dimColor,
      dt: L.dt,
      damping: L.damping,
      contact_force: L.contactForce,
      contact_margin: L.contactMargin,
      collaborative: L.collaborative,
      discrete_action: L.discreteAction,
    },
    agents,
    landmarks,
    scenario_state: scenarioState,
  };
}

/** `base` with `extra`'s keys inserted just before `before` (key order as in the golden files). */
function reorder<T extends object>(base: T, extra: Partial<T>, before: keyof T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) {
    if (k === before) Object.assign(out, extra);
    out[k] = v;
  }
  return out as T;
}
