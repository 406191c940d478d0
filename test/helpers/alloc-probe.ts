// Child-process probe for test/envs/alloc.test.ts: prints heap bytes allocated per env step and per
// reset for every scenario (and a vectorised env), measured after every scenario has been warmed
// up in this same process (so V8's call sites are in their final, shared state). Needs --expose-gc.
import { MultiAgentEnv, Rng, SCENARIO_NAMES, VecEnv, actAll, createTrainers, initBackend, randomAction } from "../../src/index.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const envs = SCENARIO_NAMES.map((name) => {
  const env = new MultiAgentEnv(name, { seed: 1 });
  const rng = new Rng(1);
  const pool = Array.from({ length: 64 }, () =>
    env.actionSpaces.map((s, a) => {
      const v = new Float64Array(env.actionSizes[a]);
      randomAction(s, env.actionMode, rng, v, 0, "prob");
      return v;
    }),
  );
  return { name, env, pool };
});
const vec = new VecEnv("simple_spread", 128, { seed: 1 });
await initBackend();
const actEnv = new MultiAgentEnv("simple_push", { seed: 1 });
const actors = createTrainers(actEnv, { badPolicy: "maddpg", goodPolicy: "maddpg", seed: 1 });
const actOut = actEnv.actionSizes.map((n) => new Float64Array(n));
const vecActs = new Float64Array(128 * vec.actionTotal).fill(0.2);

type Probe = (typeof envs)[number];

// The measured loops are functions, warmed up like the env code, so that compiling them (OSR of a
// top-level loop, say) does not show up as allocation.
function runSteps(p: Probe, n: number): void {
  for (let t = 0; t < n; t++) p.env.step(p.pool[t & 63]);
}
function runResets(p: Probe, n: number): void {
  for (let t = 0; t < n; t++) p.env.reset();
}
function runActing(n: number): void {
  const obs = actEnv.observations();
  for (let t = 0; t < n; t++) actAll(actors, obs, actOut);
}
function runVec(n: number): void {
  for (let t = 0; t < n; t++) vec.step(vecActs);
}
/**
 * Heap bytes per call, the minimum of three repetitions: V8 occasionally accounts a one-off chunk
 * (~200 KB, e.g. a fresh allocation buffer) during a measurement, while a real per-call
 * allocation shows in every repetition.
 */
function bytesPer(fn: () => void, calls: number): number {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    gc!();
    const h0 = process.memoryUsage().heapUsed;
    fn();
    best = Math.min(best, (process.memoryUsage().heapUsed - h0) / calls);
  }
  return best;
}

for (let round = 0; round < 3; round++) {
  for (const p of envs) {
    runSteps(p, 10_000);
    runResets(p, 2_000);
    bytesPer(() => runSteps(p, 100), 100);
    bytesPer(() => runResets(p, 100), 100);
  }
  runVec(100);
  bytesPer(() => runVec(10), 10);
  runActing(20_000);
  bytesPer(() => runActing(100), 100);
}

const STEPS = 50_000;
const result: Record<string, { step: number; reset: number }> = {};
for (const p of envs) {
  result[p.name] = { step: bytesPer(() => runSteps(p, STEPS), STEPS), reset: bytesPer(() => runResets(p, 5_000), 5_000) };
}
result["vectorised simple_spread x128"] = { step: bytesPer(() => runVec(400), 400 * 128), reset: 0 };
result["MADDPG acting, both agents of simple_push"] = { step: bytesPer(() => runActing(STEPS), STEPS), reset: 0 };
process.stdout.write(JSON.stringify(result));
