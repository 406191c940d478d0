/**
 * `VecEnv`: N copies of a scenario stepped together over structure-of-arrays buffers, for fast
 * batched rollouts. It runs the same kernel as {@link MultiAgentEnv}; environment `e` seeded
 * `seed + e` gives exactly the numbers of a single env seeded `seed + e`.
 */
import { AgentInfo, EnvBatch, EnvOptions, resolveScenario } from "./batch.js";
import { renderSvg, RenderOptions } from "./render.js";
import type { Scenario } from "./scenario.js";
import { ActionError } from "./spaces.js";
import type { WorldStateJson } from "./state-format.js";
import type { World } from "./world.js";

/** Buffers `step` fills; owned by the env and overwritten by the next call. */
export interface VecStepResult {
  /** [env][obsTotal]: agent a of env e at `e * obsTotal + obsOffsets[a]`, length `obsSizes[a]`. */
  readonly obs: Float64Array;
  /** [env][agent] rewards. */
  readonly rewards: Float64Array;
  /** [env][agent] done flags (1 = done). */
  readonly dones: Uint8Array;
}

export class VecEnv {
  private readonly batch: EnvBatch;
  private readonly result: VecStepResult;

  /** `nEnvs` environments; environment e's random stream is seeded `(options.seed ?? 0) + e`. */
  constructor(scenario: string | Scenario, nEnvs: number, options: EnvOptions = {}) {
    if (!Number.isInteger(nEnvs) || nEnvs < 1) throw new RangeError(`nEnvs must be a positive integer, got ${nEnvs}`);
    this.batch = new EnvBatch(resolveScenario(scenario), nEnvs, options);
    this.result = { obs: this.batch.obs, rewards: this.batch.rewards, dones: this.batch.dones };
  }

  get scenario(): Scenario {
    return this.batch.scenario;
  }
  get nEnvs(): number {
    return this.batch.nEnvs;
  }
  get nAgents(): number {
    return this.batch.nAgents;
  }
  get obsSizes(): readonly number[] {
    return this.batch.obsSizes;
  }
  get obsOffsets(): readonly number[] {
    return this.batch.obsOffsets;
  }
  /** Length of one environment's block of observations (all agents). */
  get obsTotal(): number {
    return this.batch.obsTotal;
  }
  get actionSizes(): readonly number[] {
    return this.batch.actionSizes;
  }
  get actionOffsets(): readonly number[] {
    return this.batch.actionOffsets;
  }
  /** Length of one environment's block of actions (all agents). */
  get actionTotal(): number {
    return this.batch.actionTotal;
  }
  get world(): World {
    return this.batch.world;
  }
  get obs(): Float64Array {
    return this.batch.obs;
  }
  get rewards(): Float64Array {
    return this.batch.rewards;
  }
  get dones(): Uint8Array {
    return this.batch.dones;
  }

  /** Resets every environment; with `seed`, environment e is reseeded `seed + e` first. */
  reset(seed?: number): Float64Array {
    for (let e = 0; e < this.batch.nEnvs; e++) this.batch.resetEnv(e, seed === undefined ? undefined : seed + e);
    return this.batch.obs;
  }

  /** Resets environment `e` only (e.g. when its episode ends), reseeding it if `seed` is given. */
  resetEnv(e: number, seed?: number): void {
    this.checkEnv(e);
    this.batch.resetEnv(e, seed);
  }

  /**
   * Steps every environment. `actions` is [env][actionTotal] flat: agent a of env e at
   * `e * actionTotal + actionOffsets[a]`. Throws an {@link ActionError} naming env and agent.
   */
  step(actions: ArrayLike<number>): VecStepResult {
    const b = this.batch;
    const expected = b.nEnvs * b.actionTotal;
    if (!actions || actions.length !== expected) {
      throw new ActionError(`expected ${expected} numbers (${b.nEnvs} envs x ${b.actionTotal}), got ${actions ? actions.length : typeof actions}`);
    }
    for (let e = 0; e < b.nEnvs; e++) {
      const base = e * b.actionTotal;
      try {
        for (let a = 0; a < b.nAgents; a++) b.setAction(e, a, actions, base + b.actionOffsets[a], b.actionSizes[a]);
      } catch (err) {
        if (err instanceof ActionError) throw new ActionError(`env ${e}: ${err.message}`);
        throw err;
      }
      b.stepEnv(e);
    }
    return this.result;
  }

  /** Agent `a`'s observation in environment `e` (a view into `obs`). */
  obsOf(e: number, a: number): Float64Array {
    this.checkEnv(e);
    const o = e * this.batch.obsTotal + this.batch.obsOffsets[a];
    return this.batch.obs.subarray(o, o + this.batch.obsSizes[a]);
  }

  /** `benchmark_data` of every agent of environment `e` (needs the `benchmark` option). */
  infos(e: number): AgentInfo[] {
    this.checkEnv(e);
    if (!this.batch.benchmark) return Array.from({ length: this.batch.nAgents }, () => ({}));
    return Array.from({ length: this.batch.nAgents }, (_, a) => ({ benchmark: this.batch.benchmarkOf(e, a) }));
  }

  saveState(e: number): WorldStateJson {
    this.checkEnv(e);
    return this.batch.saveState(e);
  }

  /** Replaces environment `e`'s state; its structure must match the other environments'. */
  loadState(e: number, state: WorldStateJson | unknown): void {
    this.checkEnv(e);
    this.batch.loadState(e, state);
  }

  render(e: number, options: RenderOptions = {}): string {
    this.checkEnv(e);
    return renderSvg(this.batch.world, e, options);
  }

  private checkEnv(e: number): void {
    if (!Number.isInteger(e) || e < 0 || e >= this.batch.nEnvs) throw new RangeError(`environment index ${e} is out of range [0, ${this.batch.nEnvs})`);
  }
}
