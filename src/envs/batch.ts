/**
 * The environment core shared by {@link MultiAgentEnv} (one environment) and {@link VecEnv}
 * (many): a scenario over a {@link World} of `n` environments, with preallocated observation,
 * reward and done buffers. Stepping environment `e` runs the one physics kernel, then the
 * scenario's observation and reward functions, exactly as `MultiAgentEnv.step` does.
 */
import { Rng } from "../util/rng.js";
import { stepWorld } from "./physics.js";
import { BenchmarkValue, ObsWriter, Scenario } from "./scenario.js";
import { UnknownScenarioError, getScenario } from "./scenarios/index.js";
import { ActionError, ActionMode, ActionSpace, BoxSpace, actionLength, actionSpace, decodeAction } from "./spaces.js";
import { loadStateInto, saveStateOf, worldFromState } from "./state.js";
import type { WorldStateJson } from "./state-format.js";
import { World } from "./world.js";

/** Options shared by every environment face. Defaults follow the original `MultiAgentEnv`. */
export interface EnvOptions {
  /** Movement as a 5-vector `[noop, +x, -x, +y, -y]` (true, the original's default) or a 2-vector force (false). */
  discreteActionSpace?: boolean;
  /** Each sub-action is one integer instead of a vector. Default false. */
  discreteActionInput?: boolean;
  /** Replace movement vectors by the one-hot of their arg-max. Default: the world's `discrete_action` (false). */
  forceDiscreteAction?: boolean;
  /** Give every agent the sum of all rewards. Default: the world's `collaborative` flag. */
  sharedReward?: boolean;
  /** Fill `infos[i].benchmark` with the scenario's `benchmark_data` every step. Default false. */
  benchmark?: boolean;
  /** Seed of the environment's random stream (resets and action noise). Default 0. */
  seed?: number;
  /** Episode-termination callback for agent `a` of environment `e`; MPE defines none (always false). */
  done?: (world: World, e: number, a: number) => boolean;
}

/** What `infos` holds per agent. `benchmark` only with the `benchmark` option. */
export interface AgentInfo {
  benchmark?: BenchmarkValue;
}

/** Resolves a scenario given by name or object. */
export function resolveScenario(scenario: string | Scenario): Scenario {
  if (typeof scenario === "string") return getScenario(scenario);
  if (typeof scenario !== "object" || scenario === null || typeof (scenario as Scenario).makeWorld !== "function") {
    throw new UnknownScenarioError(String(scenario), `a scenario name or a Scenario object is needed, got ${scenario === null ? "null" : typeof scenario}`);
  }
  return scenario;
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`${what} must be a non-negative integer, got ${seed}`);
}

export class EnvBatch {
  readonly scenario: Scenario;
  readonly world: World;
  readonly mode: ActionMode;
  readonly sharedReward: boolean;
  readonly benchmark: boolean;
  readonly nEnvs: number;
  readonly nAgents: number;
  /** Per-agent observation lengths, offsets within one environment's block, and the block length. */
  readonly obsSizes: readonly number[];
  readonly obsOffsets: readonly number[];
  readonly obsTotal: number;
  /** Per-agent flat action lengths, offsets within one environment's block, and the block length. */
  readonly actionSizes: readonly number[];
  readonly actionOffsets: readonly number[];
  readonly actionTotal: number;
  readonly observationSpaces: readonly BoxSpace[];
  readonly actionSpaces: readonly ActionSpace[];
  /** [env][obsTotal] observations after the last reset/step. */
  readonly obs: Float64Array;
  /** [env][agent] rewards of the last step. */
  readonly rewards: Float64Array;
  /** [env][agent] done flags of the last step (1 = done). */
  readonly dones: Uint8Array;
  /** One random stream per environment. */
  readonly rngs: Rng[];
  private readonly writer = new ObsWriter();
  private readonly doneFn: ((w: World, e: number, a: number) => boolean) | null;

  /**
   * Builds `n` environments. With `state`, every environment starts from that state; otherwise
   * from the scenario's `make_world` followed by one reset (as the original's `make_env` does).
   */
  constructor(scenario: string | Scenario, n: number, options: EnvOptions = {}, state?: unknown) {
    this.scenario = resolveScenario(scenario);
    if (typeof options !== "object" || options === null)
      throw new TypeError(`env options must be an object (e.g. { seed: 0 }), got ${options === null ? "null" : typeof options}`);
    const seed = options.seed ?? 0;
    checkSeed(seed, "seed");
    // a fresh world is checked only after its first reset: make_world leaves goals unset
    const initial = state ?? this.scenario.makeWorld();
    const template = worldFromState(initial, this.scenario, state === undefined ? "make_world" : "state", state !== undefined);
    const L = template.layout;
    this.world = n === 1 ? template : new World(L, n);
    if (n > 1) for (let e = 0; e < n; e++) loadStateInto(this.world, e, initial, this.scenario, "state", state !== undefined);
    this.nEnvs = n;
    this.nAgents = L.nAgents;
    this.mode = {
      discreteActionSpace: options.discreteActionSpace ?? true,
      discreteActionInput: options.discreteActionInput ?? false,
      forceDiscreteAction: options.forceDiscreteAction ?? L.discreteAction,
    };
    if (this.mode.discreteActionInput && !this.mode.discreteActionSpace) {
      throw new Error("discreteActionInput needs discreteActionSpace: integer actions only exist for discrete spaces");
    }
    this.sharedReward = options.sharedReward ?? L.collaborative;
    this.benchmark = options.benchmark ?? false;
    if (this.benchmark && !this.scenario.benchmark) {
      throw new Error(`scenario ${this.scenario.name} has no benchmark_data (the original cannot build it either)`);
    }
    this.doneFn = options.done ?? (this.scenario.done ? this.scenario.done.bind(this.scenario) : null);

    const obsSizes: number[] = [];
    const obsOffsets: number[] = [];
    const actSizes: number[] = [];
    const actOffsets: number[] = [];
    let ot = 0;
    let at = 0;
    for (let a = 0; a < L.nAgents; a++) {
      const os = this.scenario.obsSize(L, a);
      obsOffsets.push(ot);
      obsSizes.push(os);
      ot += os;
      const as = actionLength(L, a, this.mode);
      actOffsets.push(at);
      actSizes.push(as);
      at += as;
    }
    this.obsSizes = obsSizes;
    this.obsOffsets = obsOffsets;
    this.obsTotal = ot;
    this.actionSizes = actSizes;
    this.actionOffsets = actOffsets;
    this.actionTotal = at;
    this.observationSpaces = obsSizes.map((s) => ({ kind: "box", low: -Infinity, high: Infinity, shape: [s] as const }));
    this.actionSpaces = Array.from({ length: L.nAgents }, (_, a) => actionSpace(L, a, this.mode));
    this.obs = new Float64Array(n * ot);
    this.rewards = new Float64Array(n * L.nAgents);
    this.dones = new Uint8Array(n * L.nAgents);
    this.rngs = Array.from({ length: n }, (_, e) => new Rng(seed + e));

    if (state === undefined) for (let e = 0; e < n; e++) this.scenario.reset(this.world, e, this.rngs[e]);
    for (let e = 0; e < n; e++) this.observeEnv(e);
  }

  /** Resets environment `e` (`reset_world`), reseeding its stream first if `seed` is given. */
  resetEnv(e: number, seed?: number): void {
    if (seed !== undefined) {
      checkSeed(seed, "seed");
      this.rngs[e].seed(seed);
    }
    this.scenario.reset(this.world, e, this.rngs[e]);
    this.dones.fill(0, e * this.nAgents, (e + 1) * this.nAgents);
    this.observeEnv(e);
  }

  /** Recomputes every agent's observation of environment `e` into `obs`. */
  observeEnv(e: number): void {
    const o = this.writer;
    const base = e * this.obsTotal;
    for (let a = 0; a < this.nAgents; a++) {
      const off = base + this.obsOffsets[a];
      o.begin(this.world, e, this.obs, off);
      this.scenario.observe(o, this.world, e, a);
      if (o.cursor - off !== this.obsSizes[a]) {
        throw new Error(
          `${this.scenario.name}: agent ${a}'s observation has ${o.cursor - off} values, expected ${this.obsSizes[a]} (the state's colours or roles do not fit the scenario)`,
        );
      }
    }
  }

  /** Decodes agent `a`'s action for environment `e` from `src[off .. off + len)`; `len` must be right. */
  setAction(e: number, a: number, src: ArrayLike<number>, off: number, len: number): void {
    if (len !== this.actionSizes[a]) {
      throw new ActionError(`action of agent ${a}: expected ${this.actionSizes[a]} numbers (${describeSpace(this.actionSpaces[a], this.mode)}), got ${len}`);
    }
    decodeAction(this.world, e, a, src, off, len, this.mode);
  }

  /** Advances environment `e` with the actions already set, then fills obs, rewards and dones. */
  stepEnv(e: number): void {
    const w = this.world;
    stepWorld(w, e, this.rngs[e]);
    this.observeEnv(e);
    const nA = this.nAgents;
    const r = this.rewards;
    const rb = e * nA;
    this.scenario.rewards(w, e, r, rb);
    if (this.sharedReward) {
      let sum = 0;
      for (let a = 0; a < nA; a++) sum += r[rb + a];
      for (let a = 0; a < nA; a++) r[rb + a] = sum;
    }
    const done = this.doneFn;
    for (let a = 0; a < nA; a++) this.dones[rb + a] = done !== null && done(w, e, a) ? 1 : 0;
  }

  /** `benchmark_data` of agent `a` in environment `e`. */
  benchmarkOf(e: number, a: number): BenchmarkValue {
    return this.scenario.benchmark!(this.world, e, a);
  }

  /** Environment `e`'s state in the golden format. */
  saveState(e: number): WorldStateJson {
    return saveStateOf(this.world, e);
  }

  /** Replaces environment `e`'s state (same structure required) and recomputes its observations. */
  loadState(e: number, state: unknown): void {
    loadStateInto(this.world, e, state, this.scenario);
    this.dones.fill(0, e * this.nAgents, (e + 1) * this.nAgents);
    this.observeEnv(e);
  }
}

/** Human description of what an agent's action vector must look like. */
export function describeSpace(space: ActionSpace, mode: ActionMode): string {
  const one = (s: ActionSpace): string => {
    switch (s.kind) {
      case "discrete":
        return mode.discreteActionInput ? `one integer in [0, ${s.n - 1}]` : `${s.n} probabilities/one-hot`;
      case "box":
        return `${s.shape[0]} reals`;
      case "multi_discrete":
        return s.nvec.map((n) => one({ kind: "discrete", n })).join(" + ");
      case "tuple":
        return s.spaces.map(one).join(" + ");
    }
  };
  return one(space);
}
