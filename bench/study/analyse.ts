/**
 * The study of docs/study.md, analysed exactly as it was pre-registered: one number per run (the
 * last cycle), paired per-seed differences for each hypothesis, 95 % percentile bootstrap
 * intervals of their mean and IQM (2,000 resamples, resampler seed 0), the probability of
 * improvement, the smallest difference the seeds run could detect, and the decision rule's verdict.
 *
 *   npm run bench -- study [--record]      the sweep's finished runs in runs/study (or LEMOL_STUDY_RUNS)
 *
 * Writes bench/tmp/study.json (and bench/results/study.json with --record) and prints the verdicts.
 * A hypothesis is decided on the seeds every condition it names has finished; below the plan's
 * floor of 5 such seeds it gets no verdict (a percentile bootstrap over 2-4 values is far too narrow).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  bootstrapInterval,
  decide,
  Interval,
  loadRuns,
  pairedDifferences,
  probabilityOfImprovementInterval,
  runValue,
  SeedRun,
  smallestDetectableDifference,
  Verdict,
} from "../../src/analysis/index.js";
import { inPlayStability } from "../../src/train/metrics.js";
import { writeResult } from "../common.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BOOTSTRAP = { seed: 0, resamples: 2000, confidence: 0.95 };
/** docs/study.md's σ of one condition (σ_d = √2 σ: no pairing benefit assumed). */
const SIGMA = { accuracy: 0.04, reward: 0.5 } as const;
const BASELINES = ["persistence", "window_majority", "bc", "bc_previous_action", "online_bc"] as const;
const BC_BASELINES = ["bc", "bc_previous_action", "online_bc"] as const;
const OM = "om_accuracy_in_play";
const baseline = (b: string) => `om_baseline_${b}_in_play`;
/** The final reward: the defender's mean episode reward over each trajectory's last 1,000 episodes, last cycle. */
const REWARD = { metric: "episode_reward", agent: "bad", lastEpisodes: 1000 } as const;
/** docs/study.md: "5 is the floor". */
export const MIN_SEEDS = 5;

/** One tested difference (positive: the hypothesis' direction). */
interface Test {
  id: string;
  says: string;
  /** Per run of `condition` (or per seed pairing `a` with `b`): the difference. */
  differences: { seed: number; value: number }[];
  sigma: number | null;
}

interface TestResult {
  id: string;
  says: string;
  seeds: number[];
  differences: number[];
  mean_difference: Interval | null;
  iqm_difference: Interval | null;
  probability_of_improvement?: Interval | null;
  smallest_detectable: number | null;
  verdict: Verdict | "too few seeds";
}

function byCondition(runs: SeedRun[]): Map<string, Map<number, SeedRun>> {
  const out = new Map<string, Map<number, SeedRun>>();
  for (const r of runs) {
    const name = String(r.options.exp_name);
    const m = out.get(name) ?? out.set(name, new Map()).get(name)!;
    if (m.has(r.seed)) throw new Error(`condition ${name} has seed ${r.seed} twice (${m.get(r.seed)!.name}, ${r.name})`);
    m.set(r.seed, r);
  }
  return out;
}

/** The mean over the last cycle's trajectories of a stability measure (sd or drop) of one in-play series. */
function stability(run: SeedRun, metric: string, measure: "sd" | "drop"): number {
  const rows = inPlayStability(run.metrics).filter((s) => s.metric === metric && (s.agent ?? "").includes("bad"));
  if (rows.length === 0) throw new Error(`${run.name}: no in-play windows of ${metric}`);
  const last = Math.max(...rows.map((s) => s.cycle ?? 0));
  const values = rows.filter((s) => (s.cycle ?? 0) === last).map((s) => s[measure]);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function within(runs: Map<number, SeedRun> | undefined, value: (r: SeedRun) => number): { seed: number; value: number }[] {
  return [...(runs ?? new Map<number, SeedRun>()).values()].map((r) => ({ seed: r.seed, value: value(r) })).sort((p, q) => p.seed - q.seed);
}

function paired(a: Map<number, SeedRun> | undefined, b: Map<number, SeedRun> | undefined, value: (r: SeedRun) => number): { seed: number; value: number }[] {
  if (!a || !b) return [];
  const pairs = pairedDifferences(new Map([...a].map(([s, r]) => [s, value(r)])), new Map([...b].map(([s, r]) => [s, value(r)])));
  return pairs.seeds.map((seed, i) => ({ seed, value: pairs.differences[i] }));
}

function evaluate(t: Test, pairedValues?: { a: Map<number, number>; b: Map<number, number> }): TestResult {
  const seeds = t.differences.map((d) => d.seed);
  const differences = t.differences.map((d) => d.value);
  const n = differences.length;
  if (n < MIN_SEEDS)
    return { id: t.id, says: t.says, seeds, differences, mean_difference: null, iqm_difference: null, smallest_detectable: null, verdict: "too few seeds" };
  const meanDifference = bootstrapInterval([differences], "mean", BOOTSTRAP);
  const smallest = t.sigma === null ? null : smallestDetectableDifference(n, Math.SQRT2 * t.sigma);
  const result: TestResult = {
    id: t.id,
    says: t.says,
    seeds,
    differences,
    mean_difference: meanDifference,
    iqm_difference: bootstrapInterval([differences], "iqm", BOOTSTRAP),
    smallest_detectable: smallest,
    verdict: decide(meanDifference, smallest),
  };
  if (pairedValues) {
    const a = seeds.map((s) => pairedValues.a.get(s)!);
    const b = seeds.map((s) => pairedValues.b.get(s)!);
    result.probability_of_improvement = probabilityOfImprovementInterval(a, b, BOOTSTRAP);
  }
  return result;
}

/** Each hypothesis of docs/study.md with its tests, on the runs given. */
export function analyseStudy(runs: SeedRun[]): Record<string, unknown> {
  const c = byCondition(runs);
  const accuracy = (r: SeedRun) => runValue(r, { metric: OM, agent: "bad" });
  const reward = (r: SeedRun) => runValue(r, REWARD);
  const valuesOf = (name: string, f: (r: SeedRun) => number) => new Map([...(c.get(name) ?? new Map<number, SeedRun>())].map(([s, r]) => [s, f(r)]));
  const pairTest = (id: string, says: string, a: string, b: string, f: (r: SeedRun) => number, sigma: number | null) =>
    evaluate({ id, says, differences: paired(c.get(a), c.get(b), f), sigma }, { a: valuesOf(a, f), b: valuesOf(b, f) });
  const armTests = (arm: string, suffix: string) => ({
    h1a: BASELINES.map((b) =>
      evaluate({
        id: `H1a${suffix} vs ${b}`,
        says: `${arm}'s in-play OM accuracy minus the ${b} baseline's on the same steps > 0`,
        differences: within(c.get(arm), (r) => runValue(r, { metric: OM, agent: "bad", minus: baseline(b) })),
        sigma: SIGMA.accuracy,
      }),
    ),
    h1b: BC_BASELINES.flatMap((b) =>
      (["sd", "drop"] as const).map((measure) =>
        evaluate({
          id: `H1b${suffix} vs ${b} (${measure})`,
          says: `the ${b} baseline's within-trajectory ${measure === "sd" ? "standard deviation of window accuracy" : "drop after the opponent change"} minus ${arm}'s OM's > 0`,
          differences: within(c.get(arm), (r) => stability(r, baseline(b), measure) - stability(r, OM, measure)),
          sigma: null,
        }),
      ),
    ),
  });
  const primary = armTests("lemol-ep", "");
  const h1c = pairTest("H1c", "LeMOL-EP's in-play OM accuracy minus the ablated LeMOL-EP's > 0", "lemol-ep", "lemol-ep-ablated", accuracy, SIGMA.accuracy);
  const h2a = pairTest("H2a", "LeMOL-EP's final reward minus the MADDPG defender's > 0", "lemol-ep", "maddpg", reward, SIGMA.reward);
  const h2b = pairTest("H2b", "LeMOL-EP's final reward minus the ablated LeMOL-EP's > 0", "lemol-ep", "lemol-ep-ablated", reward, SIGMA.reward);
  const h2c = pairTest("H2c", "the oracle LeMOL-EP's final reward minus LeMOL-EP's >= 0 (sanity check)", "lemol-ep-oracle", "lemol-ep", reward, SIGMA.reward);
  const secondary = armTests("lemol-init", " (lemol-init)");
  const h2aInit = pairTest(
    "H2a (lemol-init)",
    "the per-step LeMOL's final reward minus the MADDPG defender's > 0",
    "lemol-init",
    "maddpg",
    reward,
    SIGMA.reward,
  );
  const all = (tests: TestResult[], want: Verdict) => tests.length > 0 && tests.every((t) => t.verdict === want);
  const h1Tests = [...primary.h1a, ...primary.h1b];
  const h1 = h1Tests.some((t) => t.verdict === "too few seeds") ? "too few seeds" : all(h1Tests, "supported") ? "supported" : "not supported";
  const conditions = Object.fromEntries(
    [...c].map(([name, bySeed]) => [
      name,
      {
        seeds: [...bySeed.keys()].sort((p, q) => p - q),
        // conditions without an opponent model (the MADDPG control) have no accuracy rows
        accuracy: [...bySeed.values()].every((r) => r.metrics.select(OM).length > 0) ? Object.fromEntries([...bySeed].map(([s, r]) => [s, accuracy(r)])) : null,
        reward: Object.fromEntries([...bySeed].map(([s, r]) => [s, reward(r)])),
        wall_hours: Object.fromEntries([...bySeed].map(([s, r]) => [s, wallHours(r)])),
        per_cycle: Object.fromEntries([...bySeed].map(([s, r]) => [s, perCycle(r)])),
      },
    ]),
  );
  return {
    plan: "docs/study.md",
    statistics: { bootstrap: BOOTSTRAP, sigma: SIGMA, power: 0.8, alpha: 0.05 },
    conditions,
    claim1: { verdict: h1, rule: "H1a supported against every baseline and H1b against every BC baseline (both measures)", h1a: primary.h1a, h1b: primary.h1b },
    h1c,
    claim2: { verdict: h2a.verdict, rule: "H2a's verdict", h2a, h2b, h2c },
    secondary: { h1a: secondary.h1a, h1b: secondary.h1b, h2a: h2aInit },
  };
}

/** Per cycle, the run's numbers as the hypotheses read them in the last (secondary: the curves over cycles 0-3). */
function perCycle(run: SeedRun): Record<string, Record<string, number>> {
  const cycles = [...new Set(run.metrics.select("episode_reward").map((r) => r.cycle ?? 0))].sort((p, q) => p - q);
  const hasOM = run.metrics.select(OM).length > 0;
  return Object.fromEntries(
    cycles.map((cycle) => {
      const at = { cycles: [cycle] };
      const values: Record<string, number> = { reward: runValue(run, { ...REWARD, ...at }) };
      if (hasOM && run.metrics.select(OM).some((r) => (r.cycle ?? 0) === cycle)) {
        values[OM] = runValue(run, { metric: OM, agent: "bad", ...at });
        for (const b of BASELINES) values[baseline(b)] = runValue(run, { metric: baseline(b), agent: "bad", ...at });
      }
      return [String(cycle), values];
    }),
  );
}

function wallHours(run: SeedRun): number | null {
  if (!run.root) return null;
  try {
    const m = JSON.parse(fs.readFileSync(path.join(run.root, "manifest.json"), "utf8")) as { started?: string; ended?: string };
    return m.started && m.ended ? (Date.parse(m.ended) - Date.parse(m.started)) / 3.6e6 : null;
  } catch {
    return null;
  }
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(3));
const line = (t: TestResult) =>
  `${t.id.padEnd(46)} n=${String(t.seeds.length).padStart(2)}  mean ${fmt(t.mean_difference?.estimate)} [${fmt(t.mean_difference?.low)}, ${fmt(t.mean_difference?.high)}]  detectable ${fmt(t.smallest_detectable)}  ${t.verdict}`;

export async function benchStudy(): Promise<string> {
  const dir = process.env.LEMOL_STUDY_RUNS ?? path.join(REPO, "runs", "study");
  if (!fs.existsSync(dir)) throw new Error(`no study runs at ${dir} (run the sweeps of docs/study.md, or set LEMOL_STUDY_RUNS)`);
  const runs = loadRuns(dir);
  const result = analyseStudy(runs);
  const r = result as {
    claim1: { verdict: string; h1a: TestResult[]; h1b: TestResult[] };
    h1c: TestResult;
    claim2: { verdict: string; h2a: TestResult; h2b: TestResult; h2c: TestResult };
    secondary: { h1a: TestResult[]; h1b: TestResult[]; h2a: TestResult };
  };
  console.log(`${runs.length} finished runs in ${path.relative(process.cwd(), dir) || "."}`);
  console.log(`claim 1 (the OM beats naive behaviour cloning): ${r.claim1.verdict}`);
  for (const t of [...r.claim1.h1a, ...r.claim1.h1b, r.h1c]) console.log("  " + line(t));
  console.log(`claim 2 (opponent modelling improves the reward): ${r.claim2.verdict}`);
  for (const t of [r.claim2.h2a, r.claim2.h2b, r.claim2.h2c]) console.log("  " + line(t));
  console.log("secondary (the initial release's per-step LeMOL)");
  for (const t of [...r.secondary.h1a, ...r.secondary.h1b, r.secondary.h2a]) console.log("  " + line(t));
  return writeResult("study", { date: new Date().toISOString(), runs: runs.length, ...result });
}
