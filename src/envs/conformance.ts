/**
 * Conformance against recorded trajectories of the original Python MPE (`mpe-golden/FORMAT.md`):
 * rebuild the world from `initial_state` only, check `initial_obs`, replay every step's actions
 * and compare observations, rewards (absolute tolerance) and dones (exactly).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MultiAgentEnv } from "./env.js";
import { getScenario } from "./scenarios/index.js";

/** One mismatch: where it is and what differed. `step` is -1 for `initial_obs`. */
export interface ConformanceMismatch {
  scenario: string;
  step: number;
  field: "obs" | "rewards" | "dones" | "length" | "error";
  agent: number;
  index: number;
  expected: number | boolean | string;
  got: number | boolean | string;
}

export interface ConformanceResult {
  file: string;
  scenario: string;
  steps: number;
  passed: boolean;
  /** The first mismatch found (checking stops there), or null. */
  mismatch: ConformanceMismatch | null;
}

/** Default absolute tolerance (FORMAT.md recommends 1e-9). */
export const DEFAULT_TOLERANCE = 1e-9;

function close(expected: unknown, got: number, tol: number): boolean {
  if (typeof expected !== "number") return false;
  return Math.abs(got - expected) <= tol || (Number.isNaN(expected) && Number.isNaN(got));
}

/**
 * Checks one golden trajectory object. Never throws for bad content: a malformed file or an
 * env error becomes a mismatch with `field: "error"`.
 */
export function checkGolden(golden: unknown, file = "<memory>", tolerance = DEFAULT_TOLERANCE): ConformanceResult {
  const g = golden as Record<string, unknown>;
  const scenario = typeof g?.scenario === "string" ? g.scenario : "?";
  const steps = Array.isArray(g?.steps) ? (g.steps as unknown[]) : [];
  const result = (step: number, mismatch: ConformanceMismatch | null): ConformanceResult => ({
    file,
    scenario,
    steps: steps.length,
    passed: mismatch === null,
    mismatch,
  });
  const error = (step: number, message: string): ConformanceResult =>
    result(step, { scenario, step, field: "error", agent: -1, index: -1, expected: "no error", got: message });
  if (g === null || typeof g !== "object") return error(-1, "file is not a JSON object");
  if (!Array.isArray(g.steps)) return error(-1, "missing steps array");
  if (typeof g.discrete_action_space !== "boolean") return error(-1, "missing discrete_action_space flag");

  let env: MultiAgentEnv;
  try {
    env = new MultiAgentEnv(getScenario(scenario), { discreteActionSpace: g.discrete_action_space }, g.initial_state);
  } catch (err) {
    return error(-1, (err as Error).message);
  }

  /** A per-agent list (observations, rewards, dones) of the wrong type or length. */
  const lengthMismatch = (step: number, expected: unknown, got: number): ConformanceMismatch | null =>
    Array.isArray(expected) && expected.length === got
      ? null
      : { scenario, step, field: "length", agent: -1, index: -1, expected: Array.isArray(expected) ? expected.length : "array", got };
  const compareObs = (step: number, expected: unknown, got: readonly Float64Array[]): ConformanceMismatch | null => {
    const agents = lengthMismatch(step, expected, got.length);
    if (agents || !Array.isArray(expected)) return agents;
    for (let a = 0; a < got.length; a++) {
      const row = expected[a];
      if (!Array.isArray(row) || row.length !== got[a].length) {
        return { scenario, step, field: "length", agent: a, index: -1, expected: Array.isArray(row) ? row.length : "array", got: got[a].length };
      }
      for (let i = 0; i < row.length; i++) {
        if (!close(row[i], got[a][i], tolerance)) return { scenario, step, field: "obs", agent: a, index: i, expected: row[i], got: got[a][i] };
      }
    }
    return null;
  };

  const first = compareObs(-1, g.initial_obs, env.observations());
  if (first) return result(-1, first);

  for (let t = 0; t < steps.length; t++) {
    const s = steps[t] as Record<string, unknown>;
    let r;
    try {
      r = env.step(s.actions as number[][]);
    } catch (err) {
      return error(t, (err as Error).message);
    }
    const m = compareObs(t, s.obs, r.obs);
    if (m) return result(t, m);
    const rewards = s.rewards as unknown[];
    const rewardsLength = lengthMismatch(t, rewards, r.rewards.length);
    if (rewardsLength) return result(t, rewardsLength);
    for (let a = 0; a < rewards.length; a++) {
      if (!close(rewards[a], r.rewards[a], tolerance))
        return result(t, { scenario, step: t, field: "rewards", agent: a, index: 0, expected: rewards[a] as number, got: r.rewards[a] });
    }
    const dones = s.dones as unknown[];
    const donesLength = lengthMismatch(t, dones, r.dones.length);
    if (donesLength) return result(t, donesLength);
    for (let a = 0; a < dones.length; a++) {
      if (dones[a] !== r.dones[a]) return result(t, { scenario, step: t, field: "dones", agent: a, index: 0, expected: dones[a] as boolean, got: r.dones[a] });
    }
  }
  return result(steps.length, null);
}

/** Checks one file on disk (unreadable or invalid JSON becomes a failed result). */
export function checkGoldenFile(file: string, tolerance = DEFAULT_TOLERANCE): ConformanceResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    return {
      file,
      scenario: "?",
      steps: 0,
      passed: false,
      mismatch: { scenario: "?", step: -1, field: "error", agent: -1, index: -1, expected: "a readable JSON file", got: (err as Error).message },
    };
  }
  return checkGolden(parsed, file, tolerance);
}

/** The `.json` files of a directory, sorted by name. */
export function goldenFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
}

/** One line describing a failed result, as `lemol conformance` prints it. */
export function describeMismatch(r: ConformanceResult): string {
  const m = r.mismatch;
  if (!m) return `${r.file}: ok`;
  const where = m.step < 0 ? "initial" : `step ${m.step}`;
  return `FAIL ${path.basename(r.file)}: scenario=${m.scenario} ${where} field=${m.field} agent=${m.agent} index=${m.index} expected=${String(m.expected)} got=${String(m.got)}`;
}
