/** `lemol demo`: one random-policy episode of a scenario, printing each step's rewards. */
import { randomAction } from "../agents/random.js";
import { animationHtml } from "../envs/render.js";
import { MultiAgentEnv } from "../envs/env.js";
import { SCENARIO_NAMES } from "../envs/scenarios/index.js";
import { Rng } from "../util/rng.js";
import { OptionSpec, formatHelp, parseArgs } from "./args.js";
import { writeFileAtomic } from "../util/fs.js";

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
  const env = new MultiAgentEnv(options.scenario as string, { seed, discreteActionSpace: !options.continuous });
  const policyRng = Rng.stream(seed, "demo-policy");
  const actions = env.actionSizes.map((n) => new Float64Array(n));
  const names = env.agentNames;
  const totals = new Float64Array(env.n);
  const frames: string[] = [];
  const record = typeof options.animation === "string";
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
