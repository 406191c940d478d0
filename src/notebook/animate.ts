/**
 * Episodes as inline animations: record the SVG frames of an episode (random agents, or any
 * policy), then play them in the cell with play/pause and a frame slider.
 */
import { inspect } from "node:util";
import { randomAction } from "../agents/random.js";
import type { MultiAgentEnv } from "../envs/env.js";
import { animationHtml } from "../envs/render.js";
import { Rng } from "../util/rng.js";
import { display } from "./display.js";

/** A policy for {@link recordEpisode}: fills `actions[a]` for every agent from the observations. */
export type EpisodePolicy = (observations: readonly Float64Array[], actions: Float64Array[], step: number) => void;

/** A recorded episode. */
export class Episode {
  constructor(
    readonly scenario: string,
    readonly agents: string[],
    /** One SVG per state: the reset state, then after each step. */
    readonly frames: string[],
    /** rewards[t][a]: agent a's reward at step t. */
    readonly rewards: number[][],
    /** Each agent's total reward. */
    readonly totals: number[],
  ) {}

  /** Steps played. */
  get length(): number {
    return this.frames.length - 1;
  }

  /** Shows the episode as an animation in the cell. */
  show(options: { fps?: number } = {}): this {
    animate(this, options);
    return this;
  }

  // prints as one line in a notebook instead of a wall of SVG
  [inspect.custom](): string {
    return `<Episode ${this.scenario}: ${this.length} steps, total rewards ${this.agents.map((a, i) => `${a} ${this.totals[i].toFixed(3)}`).join(", ")}>`;
  }
}

export interface RecordOptions {
  /** Steps (default 25, the experiments' max_episode_len). */
  steps?: number;
  /** Seed for the reset (default: the env's own stream) and for random actions (default 0). */
  seed?: number;
  /** Stop at the first step where every agent is done (default true). */
  stopWhenDone?: boolean;
}

/** Plays one episode in `env` with `policy` (uniform random actions when omitted), keeping every frame. */
export function recordEpisode(env: MultiAgentEnv, policy?: EpisodePolicy, options: RecordOptions = {}): Episode {
  const steps = options.steps ?? 25;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const rng = Rng.stream(options.seed ?? 0, "notebook/random-policy");
  const act =
    policy ??
    ((_obs: readonly Float64Array[], actions: Float64Array[]) => {
      for (let a = 0; a < env.n; a++) randomAction(env.actionSpaces[a], env.actionMode, rng, actions[a]);
    });
  const actions = env.actionSizes.map((n) => new Float64Array(n));
  let obs = env.reset(options.seed);
  const frames = [env.render({ caption: `${env.scenario.name} · step 0` })];
  const rewards: number[][] = [];
  const totals = new Array<number>(env.n).fill(0);
  for (let t = 0; t < steps; t++) {
    act(obs, actions, t);
    const r = env.step(actions);
    rewards.push(Array.from(r.rewards));
    for (let a = 0; a < env.n; a++) totals[a] += r.rewards[a];
    frames.push(env.render({ caption: `${env.scenario.name} · step ${t + 1}` }));
    obs = r.obs;
    if (options.stopWhenDone !== false && r.dones.every((d) => d)) break;
  }
  return new Episode(env.scenario.name, env.agentNames, frames, rewards, totals);
}

/** Shows an episode (or raw SVG frames) as an animation in the cell. */
export function animate(episode: Episode | readonly string[], options: { fps?: number } = {}): void {
  const frames = episode instanceof Episode ? episode.frames : episode;
  const text = episode instanceof Episode ? episode[inspect.custom]() : `<animation: ${frames.length} frames>`;
  display({ "text/html": animationHtml(frames, options), "text/plain": text });
}
