/**
 * `MultiAgentEnv`: the original gym-style multi-agent env (multiagent/environment.py) over one
 * world — lists of per-agent observation vectors, action decoding, shared rewards, benchmark
 * infos. This is the face the trainers and the conformance test use.
 */
import { AgentInfo, EnvBatch, EnvOptions, resolveScenario } from "./batch.js";
import { renderSvg, RenderOptions } from "./render.js";
import type { Scenario } from "./scenario.js";
import { getScenario } from "./scenarios/index.js";
import { ActionError, ActionMode, ActionSpace, BoxSpace } from "./spaces.js";
import { LayoutMismatchError, StateError } from "./state.js";
import type { WorldStateJson } from "./state-format.js";
import type { World } from "./world.js";

/**
 * What `step` returns. The arrays are owned by the env and overwritten by the next `step` or
 * `reset` (so stepping allocates nothing); copy them (`Float64Array.from(obs[i])`) to keep them.
 */
export interface StepResult {
  /** Per-agent observation vectors (views into one buffer). */
  readonly obs: readonly Float64Array[];
  /** Per-agent rewards (already summed across agents when rewards are shared). */
  readonly rewards: Float64Array;
  /** Per-agent done flags (always false in MPE unless a done callback is given). */
  readonly dones: boolean[];
  /** Per-agent infos: `{ benchmark }` with the `benchmark` option, else empty. */
  readonly infos: AgentInfo[];
}

export class MultiAgentEnv {
  private batch: EnvBatch;
  private obsViews: Float64Array[] = [];
  private result!: { obs: Float64Array[]; rewards: Float64Array; dones: boolean[]; infos: AgentInfo[] };
  private readonly options: EnvOptions;

  /**
   * Creates the scenario's world (`make_world`, which resets it once, as the original does), or,
   * with `state`, a world that is exactly that state (golden format) with no reset.
   * Example: `const env = new MultiAgentEnv("simple_push", { seed: 1 })`.
   */
  constructor(scenario: string | Scenario, options: EnvOptions = {}, state?: WorldStateJson | unknown) {
    this.options = options;
    this.batch = new EnvBatch(resolveScenario(scenario), 1, options, state);
    this.bindBuffers();
  }

  /** Builds an env whose world is exactly `state` (golden format; its `scenario` names the scenario). */
  static fromState(state: WorldStateJson | unknown, options: EnvOptions = {}): MultiAgentEnv {
    const name = (state as { scenario?: unknown } | null)?.scenario;
    if (typeof name !== "string") throw new StateError("state.scenario", `expected a scenario name, got ${name === undefined ? "nothing" : typeof name}`);
    return new MultiAgentEnv(getScenario(name), options, state);
  }

  private bindBuffers(): void {
    const b = this.batch;
    this.obsViews = b.obsOffsets.map((o, a) => b.obs.subarray(o, o + b.obsSizes[a]));
    const emptyInfos: AgentInfo[] = Array.from({ length: b.nAgents }, () => ({}));
    this.result = { obs: this.obsViews, rewards: b.rewards, dones: new Array<boolean>(b.nAgents).fill(false), infos: emptyInfos };
  }

  /** The scenario this env runs. */
  get scenario(): Scenario {
    return this.batch.scenario;
  }
  /** Number of (policy) agents. */
  get n(): number {
    return this.batch.nAgents;
  }
  /** Agent names in the PettingZoo/MPE2 convention (`adversary_0`, `agent_0`, ...). */
  get agentNames(): string[] {
    return this.batch.scenario.agentNames(this.batch.world.layout);
  }
  get observationSpaces(): readonly BoxSpace[] {
    return this.batch.observationSpaces;
  }
  get actionSpaces(): readonly ActionSpace[] {
    return this.batch.actionSpaces;
  }
  /** Per-agent observation lengths. */
  get obsSizes(): readonly number[] {
    return this.batch.obsSizes;
  }
  /** Per-agent flat action lengths. */
  get actionSizes(): readonly number[] {
    return this.batch.actionSizes;
  }
  get actionMode(): ActionMode {
    return this.batch.mode;
  }
  get sharedReward(): boolean {
    return this.batch.sharedReward;
  }
  /** The underlying flat-array world (read it; write through `loadState`). */
  get world(): World {
    return this.batch.world;
  }
  /** The env's random stream (resets and action noise). */
  get rng() {
    return this.batch.rngs[0];
  }

  /** The current observations (same buffers `step` returns). */
  observations(): readonly Float64Array[] {
    return this.obsViews;
  }

  /** `reset_world`, reseeding first if `seed` is given; returns the observations. */
  reset(seed?: number): readonly Float64Array[] {
    this.batch.resetEnv(0, seed);
    this.result.dones.fill(false);
    return this.obsViews;
  }

  /**
   * Steps all agents together. `actions[i]` is agent i's flat action (see `actionSizes`): in
   * discrete mode `[noop, +x, -x, +y, -y]` then comm; probability vectors are used as they are.
   * Throws an {@link ActionError} naming the agent for a wrong length or a non-finite value.
   */
  step(actions: readonly ArrayLike<number>[]): StepResult {
    const b = this.batch;
    if (!actions || typeof actions.length !== "number" || actions.length !== b.nAgents) {
      throw new ActionError(
        `expected one action per agent (${b.nAgents}), got ${actions && typeof actions.length === "number" ? actions.length : typeof actions}`,
      );
    }
    for (let a = 0; a < b.nAgents; a++) {
      const act = actions[a];
      if (act === null || act === undefined || typeof (act as ArrayLike<number>).length !== "number") {
        throw new ActionError(`action of agent ${a}: expected an array of ${b.actionSizes[a]} numbers, got ${act === null ? "null" : typeof act}`);
      }
      b.setAction(0, a, act, 0, act.length);
    }
    b.stepEnv(0);
    const r = this.result;
    for (let a = 0; a < b.nAgents; a++) r.dones[a] = b.dones[a] === 1;
    if (b.benchmark) r.infos = Array.from({ length: b.nAgents }, (_, a) => ({ benchmark: b.benchmarkOf(0, a) }));
    return r;
  }

  /** The full current state in the golden format (a fresh object). */
  saveState(): WorldStateJson {
    return this.batch.saveState(0);
  }

  /**
   * Replaces the world with `state` (golden format) without resetting. When the state's structure
   * differs (another entity count, say), the env is rebuilt around it and the observation arrays
   * returned earlier are no longer updated.
   */
  loadState(state: WorldStateJson | unknown): readonly Float64Array[] {
    try {
      this.batch.loadState(0, state);
    } catch (err) {
      if (!(err instanceof LayoutMismatchError)) throw err;
      const rng = this.batch.rngs[0].getState();
      this.batch = new EnvBatch(this.batch.scenario, 1, this.options, state);
      this.batch.rngs[0].setState(rng);
      this.bindBuffers();
    }
    this.result.dones.fill(false);
    return this.obsViews;
  }

  /** The current frame as an SVG string. */
  render(options: RenderOptions = {}): string {
    return renderSvg(this.batch.world, 0, options);
  }
}

/** `make_env(name)`: a {@link MultiAgentEnv} for a scenario name. */
export function makeEnv(name: string, options: EnvOptions = {}): MultiAgentEnv {
  return new MultiAgentEnv(getScenario(name), options);
}
