/**
 * Environment speed: single env per scenario (discrete, and continuous where the original allows)
 * and the vectorised env at 1024 envs; median of 5 runs after warm-up. Random actions are drawn
 * before timing, as in the Python measurement (softmax of standard normals). Also counts garbage
 * collections during the timed steps: the step allocates nothing, so there should be none.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { MultiAgentEnv, Rng, SCENARIO_NAMES, VecEnv, randomAction, supportsContinuous } from "../src/index.js";
import type { ScenarioName } from "../src/index.js";
import { machine, median, rates, writeResult } from "./common.js";

/** env.step/s of the original Python MPE (shared/reference/mpe-python-speed.md, run of 13:12; push discrete from 13:08). */
const PYTHON_STEPS_PER_S: Record<string, number> = {
  "simple/discrete": 60384,
  "simple_adversary/discrete": 16080,
  "simple_crypto/discrete": 24743,
  "simple_push/discrete": 21119,
  "simple_reference/discrete": 22972,
  "simple_speaker_listener/discrete": 37236,
  "simple_spread/discrete": 5598,
  "simple_tag/discrete": 4382,
  "simple_world_comm/discrete": 1161,
  "simple/continuous": 61696,
  "simple_push/continuous": 21915,
  "simple_tag/continuous": 4434,
  "simple_spread/continuous": 5657,
};

let gcCount = 0;
const obs = new PerformanceObserver((list) => (gcCount += list.getEntries().length));
obs.observe({ entryTypes: ["gc"] });

function actionPool(env: MultiAgentEnv, size: number, rng: Rng): Float64Array[][] {
  return Array.from({ length: size }, () =>
    env.actionSpaces.map((s, a) => {
      const v = new Float64Array(env.actionSizes[a]);
      randomAction(s, env.actionMode, rng, v, 0, "prob");
      return v;
    }),
  );
}

interface Row {
  scenario: string;
  actions: "discrete" | "continuous";
  mode: "single" | "vectorised";
  n_envs: number;
  steps_per_s: number;
  agent_steps_per_s: number;
  python_steps_per_s?: number;
  speedup_vs_python?: number;
  gc_during_timed_steps: number;
}

function single(name: ScenarioName, continuous: boolean): Row {
  const env = new MultiAgentEnv(name, { seed: 0, discreteActionSpace: !continuous });
  const pool = actionPool(env, 1024, new Rng(1));
  const steps = name === "simple_world_comm" ? 100_000 : 400_000;
  const run = () => {
    for (let t = 0; t < steps; t++) env.step(pool[t & 1023]);
  };
  run();
  const gc0 = gcCount;
  const r = median(rates(run, steps));
  const key = `${name}/${continuous ? "continuous" : "discrete"}`;
  const py = PYTHON_STEPS_PER_S[key];
  return {
    scenario: name,
    actions: continuous ? "continuous" : "discrete",
    mode: "single",
    n_envs: 1,
    steps_per_s: Math.round(r),
    agent_steps_per_s: Math.round(r * env.n),
    ...(py ? { python_steps_per_s: py, speedup_vs_python: Math.round((r / py) * 10) / 10 } : {}),
    gc_during_timed_steps: gcCount - gc0,
  };
}

function vectorised(name: ScenarioName, nEnvs: number): Row {
  const vec = new VecEnv(name, nEnvs, { seed: 0 });
  const one = new MultiAgentEnv(name);
  const rng = new Rng(2);
  const pool = Array.from({ length: 8 }, () => {
    const flat = new Float64Array(nEnvs * vec.actionTotal);
    for (let e = 0; e < nEnvs; e++)
      for (let a = 0; a < vec.nAgents; a++) randomAction(one.actionSpaces[a], one.actionMode, rng, flat, e * vec.actionTotal + vec.actionOffsets[a], "prob");
    return flat;
  });
  const calls = 400;
  const run = () => {
    for (let t = 0; t < calls; t++) vec.step(pool[t & 7]);
  };
  run();
  const gc0 = gcCount;
  const r = median(rates(run, calls * nEnvs));
  return {
    scenario: name,
    actions: "discrete",
    mode: "vectorised",
    n_envs: nEnvs,
    steps_per_s: Math.round(r),
    agent_steps_per_s: Math.round(r * vec.nAgents),
    gc_during_timed_steps: gcCount - gc0,
  };
}

export async function benchEnv(): Promise<string> {
  const rows: Row[] = [];
  for (const name of SCENARIO_NAMES) {
    rows.push(single(name, false));
    if (supportsContinuous(name)) rows.push(single(name, true));
  }
  rows.push(vectorised("simple_push", 1024));
  rows.push(vectorised("simple_spread", 1024));
  await new Promise((r) => setTimeout(r, 50)); // let the gc observer deliver its entries
  obs.disconnect();
  for (const r of rows) {
    console.log(
      `${r.scenario.padEnd(24)} ${r.actions.padEnd(10)} ${r.mode.padEnd(10)} n=${String(r.n_envs).padEnd(5)} ${String(r.steps_per_s).padStart(10)} steps/s ${String(r.agent_steps_per_s).padStart(10)} agent-steps/s` +
        (r.speedup_vs_python ? `  ${r.speedup_vs_python}x python` : "") +
        `  gc=${r.gc_during_timed_steps}`,
    );
  }
  return writeResult("env", {
    machine: machine(),
    node: process.version,
    method:
      "median of 5 timed runs after a warm-up run; random softmax-of-normal actions drawn before timing; single: 400k steps per run (world_comm 100k); vectorised: 400 calls x n_envs",
    targets: { single_vs_python: ">= 20x on every scenario", vectorised_simple_push_agent_steps_per_s: ">= 2,000,000 on one core" },
    rows,
  });
}
