/** `lemol demo`: one random-policy episode of a scenario, printing each step's rewards. */
import { randomAction } from "../agents/random.js";
import { animationHtml } from "../envs/render.js";
import { MultiAgentEnv } from "../envs/env.js";
import { SCENARIO_NAMES } from "../envs/scenarios/index.js";
import { Rng } from "../util/rng.js";
import * as fs from "node:fs";
import * as path from "node:path";
import { OptionSpec, UsageError, formatHelp, parseArgs } from "./args.js";
import { ensureDir, fileError, PathError, writeFileAtomic } from "../util/fs.js";

/**
 * The most steps `--animation` records: it keeps one frame (an SVG of 0.8-1.9 KB in the MPE
 * scenarios, measured at step 0) per step in memory until the episode ends, so at most ~20 MB.
 */
export const MAX_ANIMATION_STEPS = 10_000;

/** Fails at once, before the episode, for an animation file that could not be written. */
function checkAnimationPath(file: string): void {
  const abs = path.resolve(file);
  ensureDir(path.dirname(abs), "the animation");
  if (fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory()) throw new PathError(`${abs}: is a directory; expected a file for the animation`);
  try {
    fs.accessSync(path.dirname(abs), fs.constants.W_OK);
  } catch (err) {
    throw fileError(err, abs, "the animation");
  }
}

const SPECS: Record<string, OptionSpec> = {
  scenario: { type: "string", default: "simple_push", help: "scenario to run", choices: SCENARIO_NAMES },
  steps: { type: "int", default: 25, min: 1, help: "steps in the episode" },
  seed: { type: "int", default: 0, min: 0, help: "seed of the environment and of the random policy" },
  continuous: { type: "boolean", default: false, help: "continuous (Box) movement actions instead of discrete" },
  animation: { type: "string", help: "write an HTML animation of the episode to this file" },
  help: { type: "boolean", default: false, help: "show this help" },
};

export function demo(argv: readonly string[], out: (line: string) => void): number {
  const { options } = parseArgs(argv, SPECS, 0);
  if (options.help) {
    out(formatHelp("lemol demo [options]", "Runs one episode of random actions and prints the rewards.", SPECS));
    return 0;
  }
  const seed = options.seed as number;
  const record = typeof options.animation === "string";
  if (record) {
    if ((options.steps as number) > MAX_ANIMATION_STEPS)
      throw new UsageError(
        `--animation keeps a frame per step in memory: at most ${MAX_ANIMATION_STEPS} steps, got --steps ${options.steps as number} (drop --animation for a longer episode)`,
      );
    checkAnimationPath(options.animation as string);
  }
  const env = new MultiAgentEnv(options.scenario as string, { seed, discreteActionSpace: !options.continuous });
  const policyRng = Rng.stream(seed, "demo-policy");
  const actions = env.actionSizes.map((n) => new Float64Array(n));
  const names = env.agentNames;
  const totals = new Float64Array(env.n);
  const frames: string[] = [];
  env.reset();
  if (record) frames.push(env.render({ caption: "step 0" }));
  out(`${env.scenario.name}: ${env.n} agents (${names.join(", ")}), random policy, seed ${seed}`);
  out(["step", ...names].map((s) => s.padStart(14)).join(""));
  for (let t = 0; t < (options.steps as number); t++) {
    for (let a = 0; a < env.n; a++) randomAction(env.actionSpaces[a], env.actionMode, policyRng, actions[a]);
    const { rewards } = env.step(actions);
    for (let a = 0; a < env.n; a++) totals[a] += rewards[a];
    out([String(t + 1), ...Array.from(rewards, (r) => r.toFixed(4))].map((s) => s.padStart(14)).join(""));
    if (record) frames.push(env.render({ caption: `step ${t + 1}` }));
  }
  out(["total", ...Array.from(totals, (r) => r.toFixed(4))].map((s) => s.padStart(14)).join(""));
  if (record) {
    writeFileAtomic(options.animation as string, `<!doctype html><meta charset="utf-8"><title>${env.scenario.name}</title>${animationHtml(frames)}`);
    out(`animation written to ${options.animation as string}`);
  }
  return 0;
}
