/**
 * `ParallelEnv`: a PettingZoo / MPE2-style parallel API over the same core, for users who know
 * that convention: dictionaries keyed by agent name, `reset({ seed })`, and episodes truncated
 * after `maxCycles` steps. Results are fresh objects (safe to keep), unlike the faster
 * {@link MultiAgentEnv}, whose buffers are reused.
 */
import { AgentInfo, EnvBatch, EnvOptions, resolveScenario } from "./batch.js";
import { renderSvg, RenderOptions } from "./render.js";
import type { Scenario } from "./scenario.js";
import { ActionError, ActionSpace, BoxSpace } from "./spaces.js";
import type { WorldStateJson } from "./state-format.js";

export interface ParallelEnvOptions extends EnvOptions {
  /** Steps per episode; the episode is truncated (not terminated) after this many. Default 25. */
  maxCycles?: number;
}

export interface ParallelResetResult {
  observations: Record<string, Float64Array>;
  infos: Record<string, AgentInfo>;
}

export interface ParallelStepResult {
  observations: Record<string, Float64Array>;
  rewards: Record<string, number>;
  terminations: Record<string, boolean>;
  truncations: Record<string, boolean>;
  infos: Record<string, AgentInfo>;
}

export class ParallelEnv {
  /** Every agent's name, in agent order. */
  readonly possibleAgents: readonly string[];
  /** Agents still in the episode (empty once it has ended; `reset` to start again). */
  agents: string[];
  readonly maxCycles: number;
  private readonly batch: EnvBatch;
  private readonly index: Map<string, number>;
  private steps = 0;

  constructor(scenario: string | Scenario, options: ParallelEnvOptions = {}) {
    const maxCycles = options.maxCycles ?? 25;
    if (!Number.isInteger(maxCycles) || maxCycles < 1) throw new RangeError(`maxCycles must be a positive integer, got ${maxCycles}`);
    this.maxCycles = maxCycles;
    this.batch = new EnvBatch(resolveScenario(scenario), 1, options);
    this.possibleAgents = this.batch.scenario.agentNames(this.batch.world.layout);
    this.index = new Map(this.possibleAgents.map((n, a) => [n, a]));
    this.agents = [...this.possibleAgents];
  }

  get scenario(): Scenario {
    return this.batch.scenario;
  }

  observationSpace(agent: string): BoxSpace {
    return this.batch.observationSpaces[this.agentIndex(agent)];
  }

  actionSpace(agent: string): ActionSpace {
    return this.batch.actionSpaces[this.agentIndex(agent)];
  }

  /** Starts an episode (reseeding first when `seed` is given). */
  reset(options: { seed?: number } = {}): ParallelResetResult {
    this.batch.resetEnv(0, options.seed);
    this.steps = 0;
    this.agents = [...this.possibleAgents];
    const infos: Record<string, AgentInfo> = {};
    for (const n of this.possibleAgents) infos[n] = {};
    return { observations: this.observations(), infos };
  }

  /**
   * Steps every live agent. `actions[name]` is the agent's flat action vector (or, when its action
   * is a single number, e.g. with `discreteActionInput`, that number).
   */
  step(actions: Record<string, ArrayLike<number> | number>): ParallelStepResult {
    if (this.agents.length === 0) throw new Error("the episode is over (all agents are done); call reset()");
    if (actions === null || typeof actions !== "object")
      throw new ActionError(`expected an object of actions keyed by agent name, got ${actions === null ? "null" : typeof actions}`);
    for (const name of Object.keys(actions))
      if (!this.index.has(name)) throw new ActionError(`unknown agent "${name}"; agents are ${this.possibleAgents.join(", ")}`);
    const b = this.batch;
    const scalar = [0];
    for (let a = 0; a < b.nAgents; a++) {
      const name = this.possibleAgents[a];
      const act = actions[name];
      if (act === undefined) throw new ActionError(`missing action for agent "${name}"`);
      if (typeof act === "number") {
        scalar[0] = act;
        b.setAction(0, a, scalar, 0, 1);
      } else {
        b.setAction(0, a, act, 0, act.length);
      }
    }
    b.stepEnv(0);
    this.steps++;
    const truncated = this.steps >= this.maxCycles;
    const rewards: Record<string, number> = {};
    const terminations: Record<string, boolean> = {};
    const truncations: Record<string, boolean> = {};
    const infos: Record<string, AgentInfo> = {};
    this.possibleAgents.forEach((name, a) => {
      rewards[name] = b.rewards[a];
      terminations[name] = b.dones[a] === 1;
      truncations[name] = truncated;
      infos[name] = b.benchmark ? { benchmark: b.benchmarkOf(0, a) } : {};
    });
    const observations = this.observations();
    this.agents = this.agents.filter((n) => !terminations[n] && !truncations[n]);
    return { observations, rewards, terminations, truncations, infos };
  }

  /** The full current state in the golden format. */
  state(): WorldStateJson {
    return this.batch.saveState(0);
  }

  render(options: RenderOptions = {}): string {
    return renderSvg(this.batch.world, 0, options);
  }

  private observations(): Record<string, Float64Array> {
    const b = this.batch;
    const out: Record<string, Float64Array> = {};
    this.possibleAgents.forEach((name, a) => {
      out[name] = b.obs.slice(b.obsOffsets[a], b.obsOffsets[a] + b.obsSizes[a]);
    });
    return out;
  }

  private agentIndex(agent: string): number {
    const a = this.index.get(agent);
    if (a === undefined) throw new RangeError(`unknown agent "${agent}"; agents are ${this.possibleAgents.join(", ")}`);
    return a;
  }
}
