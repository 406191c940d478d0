/**
 * The pre-registered study of docs/study.md, as library code, in two steps so that one code path
 * decides from the raw runs and from their shipped copy alike:
 *
 *   studyRunOf(run)      a finished run (its full metrics) → the numbers the plan reads, per cycle
 *                        ({@link StudyRun}: OM accuracy and every baseline on the same windows,
 *                        stability, the defender's and attacker's final reward, wall time)
 *   analyseStudy(runs)   those numbers → every hypothesis' paired per-seed differences, bootstrap
 *                        intervals, smallest detectable difference and the plan's verdict
 *
 * `bench/study/analyse.ts` (`npm run bench -- study`) runs both on the sweep's runs;
 * `scripts/study-data.ts` (`npm run study:data`) writes the first step's output to data/study,
 * which notebook 07 reads with {@link loadStudyData} and gives to the same `analyseStudy`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { IN_PLAY_ACCURACY_METRICS, inPlayStability } from "../train/metrics.js";
import { smallestDetectableDifference, decide, Verdict } from "./power.js";
import { AnalysisError, runValue, SeedRun } from "./runs.js";
import { bootstrapInterval, Interval, pairedDifferences, probabilityOfImprovementInterval } from "./stats.js";

/** The plan's statistics (docs/study.md, "Statistics" and "How many seeds"). */
export const STUDY_PLAN = {
  bootstrap: { seed: 0, resamples: 2000, confidence: 0.95 },
  /** σ of one condition (σ_d = √2 σ: no pairing benefit assumed). */
  sigma: { accuracy: 0.04, reward: 0.5 },
  power: 0.8,
  alpha: 0.05,
  /** "5 is the floor": below this many paired seeds a hypothesis gets no verdict. */
  minSeeds: 5,
  /** The final reward: each trajectory's last this many episodes. */
  finalEpisodes: 1000,
} as const;

/** The baselines H1a compares the OM with (scored on the OM's own windows). */
export const STUDY_BASELINES = ["persistence", "window_majority", "bc", "bc_previous_action", "online_bc"] as const;
/** The behaviour-cloning baselines H1b compares stability with. */
export const STUDY_BC_BASELINES = ["bc", "bc_previous_action", "online_bc"] as const;
const OM = "om_accuracy_in_play";
const baselineMetric = (b: string) => `om_baseline_${b}_in_play`;

/** One cycle of one run, as the plan reads it. */
export interface StudyCycle {
  cycle: number;
  /** The defender's (`bad_agent_0`) final reward: its mean episode reward over each trajectory's last 1,000 episodes, over the cycle's trajectories. */
  reward: number;
  /** The attacker's (`good_agent_1`) final reward, the same way. */
  attacker_reward: number;
  /**
   * In-play accuracy, the mean of the cycle's windows: `om_accuracy_in_play` and each baseline's
   * `om_baseline_*_in_play` on the same windows. Absent for a defender without an opponent model.
   */
  accuracy?: Record<string, number>;
  /**
   * Per in-play series (the OM's and each baseline's): the within-trajectory standard deviation of
   * window accuracy and the drop after the opponent change (docs/experiments.md, "Stability"),
   * each the mean over the cycle's trajectories. Absent without an opponent model.
   */
  stability?: Record<string, { sd: number; drop: number }>;
}

/** One finished run of the study: its condition, seed, wall time and per-cycle numbers. */
export interface StudyRun {
  /** The run directory's name (`r001-s2`). */
  name: string;
  /** The condition (`exp_name`: maddpg, lemol-ep, ...). */
  condition: string;
  seed: number;
  /** Wall time from the manifest's start to end, hours (null when not recorded). */
  wall_hours: number | null;
  /** The commit that made the run (the manifest's `git_commit`), when recorded. */
  git_commit: string | null;
  /** Cycles in order. */
  cycles: StudyCycle[];
}

function manifestOf(run: SeedRun): { started?: string; ended?: string; git_commit?: string } {
  if (!run.root) return {};
  try {
    return JSON.parse(fs.readFileSync(path.join(run.root, "manifest.json"), "utf8")) as { started?: string; ended?: string; git_commit?: string };
  } catch {
    return {};
  }
}

/** The mean over a cycle's trajectories of each in-play series' stability, for the defender. */
function stabilityByCycle(run: SeedRun): Map<number, Record<string, { sd: number; drop: number }>> {
  const sums = new Map<number, Map<string, { sd: number; drop: number; n: number }>>();
  for (const s of inPlayStability(run.metrics)) {
    if (!(s.agent ?? "").includes("bad")) continue;
    const cycle = s.cycle ?? 0;
    const m = sums.get(cycle) ?? sums.set(cycle, new Map()).get(cycle)!;
    const e = m.get(s.metric) ?? m.set(s.metric, { sd: 0, drop: 0, n: 0 }).get(s.metric)!;
    e.sd += s.sd;
    e.drop += s.drop;
    e.n++;
  }
  return new Map([...sums].map(([cycle, m]) => [cycle, Object.fromEntries([...m].map(([k, e]) => [k, { sd: e.sd / e.n, drop: e.drop / e.n }]))]));
}

/** A finished run of the study (its full metrics) → the numbers the plan reads, per cycle. */
export function studyRunOf(run: SeedRun): StudyRun {
  const condition = run.options.exp_name;
  if (typeof condition !== "string" || condition === "") throw new AnalysisError(`${run.name}: no exp_name option to name its condition`);
  const reward = (agent: string, cycle: number) => runValue(run, { metric: "episode_reward", agent, lastEpisodes: STUDY_PLAN.finalEpisodes, cycles: [cycle] });
  const cycles = [...new Set(run.metrics.select("episode_reward").map((r) => r.cycle ?? 0))].sort((p, q) => p - q);
  const omCycles = new Set(run.metrics.select(OM).map((r) => r.cycle ?? 0));
  const stability = omCycles.size > 0 ? stabilityByCycle(run) : new Map<number, Record<string, { sd: number; drop: number }>>();
  const manifest = manifestOf(run);
  const hours = manifest.started && manifest.ended ? (Date.parse(manifest.ended) - Date.parse(manifest.started)) / 3.6e6 : null;
  return {
    name: run.name,
    condition,
    seed: run.seed,
    wall_hours: hours,
    git_commit: manifest.git_commit ?? null,
    cycles: cycles.map((cycle) => {
      const c: StudyCycle = { cycle, reward: reward("bad", cycle), attacker_reward: reward("good", cycle) };
      if (omCycles.has(cycle)) {
        const at = { agent: "bad", cycles: [cycle] };
        c.accuracy = Object.fromEntries([OM, ...STUDY_BASELINES.map(baselineMetric)].map((metric) => [metric, runValue(run, { metric, ...at })]));
        const s = stability.get(cycle);
        if (s) c.stability = Object.fromEntries(IN_PLAY_ACCURACY_METRICS.filter((m) => m in s).map((m) => [m, s[m]]));
      }
      return c;
    }),
  };
}

/** One tested difference (positive: the hypothesis' direction), decided by the plan's rule. */
export interface StudyTest {
  id: string;
  /** The hypothesis in words. */
  says: string;
  /** The seeds the difference is taken on (paired: the seeds both conditions finished). */
  seeds: number[];
  /** The per-seed differences, in the order of `seeds`. */
  differences: number[];
  /** 95 % percentile bootstrap interval of the mean difference (null below {@link STUDY_PLAN}.minSeeds). */
  mean_difference: Interval | null;
  /** The same for the IQM of the differences. */
  iqm_difference: Interval | null;
  /** For comparisons of two conditions: P(A > B) with its bootstrap interval. */
  probability_of_improvement?: Interval | null;
  /** The smallest difference the seeds run could detect (null where the plan fixed no effect size: stability). */
  smallest_detectable: number | null;
  verdict: Verdict | "too few seeds";
}

/** Per condition: its seeds and last-cycle numbers. */
export interface StudyCondition {
  seeds: number[];
  /** Last-cycle in-play OM accuracy per seed (null for a condition without an opponent model). */
  accuracy: Record<string, number> | null;
  /** Last-cycle final reward of the defender, per seed. */
  reward: Record<string, number>;
  /** Last-cycle final reward of the attacker, per seed. */
  attacker_reward: Record<string, number>;
  wall_hours: Record<string, number | null>;
}

/** Every hypothesis of docs/study.md on the runs given. */
export interface StudyAnalysis {
  plan: "docs/study.md";
  statistics: typeof STUDY_PLAN;
  conditions: Record<string, StudyCondition>;
  claim1: { verdict: Verdict | "too few seeds"; rule: string; h1a: StudyTest[]; h1b: StudyTest[] };
  h1c: StudyTest;
  claim2: { verdict: Verdict | "too few seeds"; rule: string; h2a: StudyTest; h2b: StudyTest; h2c: StudyTest };
  /** The initial release's per-step LeMOL (`lemol-init`), a secondary arm. */
  secondary: { h1a: StudyTest[]; h1b: StudyTest[]; h2a: StudyTest };
}

/** The last cycle with in-play accuracy (the OM's numbers) or, without an OM, the last cycle. */
function lastCycle(run: StudyRun, needAccuracy: boolean): StudyCycle {
  const cycles = needAccuracy ? run.cycles.filter((c) => c.accuracy) : run.cycles;
  if (cycles.length === 0) throw new AnalysisError(`${run.name}: no ${needAccuracy ? "in-play accuracy" : "cycles"} to read`);
  return cycles[cycles.length - 1];
}

function byCondition(runs: readonly StudyRun[]): Map<string, Map<number, StudyRun>> {
  const out = new Map<string, Map<number, StudyRun>>();
  for (const r of runs) {
    const m = out.get(r.condition) ?? out.set(r.condition, new Map()).get(r.condition)!;
    if (m.has(r.seed)) throw new AnalysisError(`condition ${r.condition} has seed ${r.seed} twice (${m.get(r.seed)!.name}, ${r.name})`);
    m.set(r.seed, r);
  }
  return out;
}

type Difference = { seed: number; value: number };

function evaluate(id: string, says: string, diffs: Difference[], sigma: number | null, paired?: { a: number[]; b: number[] }): StudyTest {
  const seeds = diffs.map((d) => d.seed);
  const differences = diffs.map((d) => d.value);
  const n = differences.length;
  const none = { id, says, seeds, differences, mean_difference: null, iqm_difference: null, smallest_detectable: null };
  if (n < STUDY_PLAN.minSeeds) return { ...none, ...(paired ? { probability_of_improvement: null } : {}), verdict: "too few seeds" };
  const meanDifference = bootstrapInterval([differences], "mean", STUDY_PLAN.bootstrap);
  const smallest = sigma === null ? null : smallestDetectableDifference(n, Math.SQRT2 * sigma, STUDY_PLAN);
  const test: StudyTest = {
    ...none,
    mean_difference: meanDifference,
    iqm_difference: bootstrapInterval([differences], "iqm", STUDY_PLAN.bootstrap),
    smallest_detectable: smallest,
    verdict: decide(meanDifference, smallest),
  };
  if (paired) test.probability_of_improvement = probabilityOfImprovementInterval(paired.a, paired.b, STUDY_PLAN.bootstrap);
  return test;
}

/**
 * Every hypothesis of docs/study.md, decided as pre-registered: one number per run (the last
 * cycle), per-seed differences (within a run for H1a/H1b, paired by seed across conditions
 * otherwise), the bootstrap intervals of their mean and IQM, the smallest difference the seeds run
 * could detect, and the decision rule's verdict — none below 5 seeds ("too few seeds").
 */
export function analyseStudy(runs: readonly StudyRun[]): StudyAnalysis {
  const c = byCondition(runs);
  const sorted = (m: Map<number, StudyRun> | undefined) => [...(m ?? new Map<number, StudyRun>()).values()].sort((p, q) => p.seed - q.seed);
  const accuracy = (r: StudyRun) => lastCycle(r, true).accuracy![OM];
  const reward = (r: StudyRun) => lastCycle(r, false).reward;
  const within = (name: string, value: (r: StudyRun) => number): Difference[] => sorted(c.get(name)).map((r) => ({ seed: r.seed, value: value(r) }));
  const pairTest = (id: string, says: string, a: string, b: string, value: (r: StudyRun) => number, sigma: number) => {
    const values = (name: string) => new Map(sorted(c.get(name)).map((r) => [r.seed, value(r)]));
    const p = pairedDifferences(values(a), values(b));
    return evaluate(
      id,
      says,
      p.seeds.map((seed, i) => ({ seed, value: p.differences[i] })),
      sigma,
      { a: p.a, b: p.b },
    );
  };
  const stability = (r: StudyRun, metric: string, measure: "sd" | "drop") => {
    const s = lastCycle(r, true).stability?.[metric];
    if (!s) throw new AnalysisError(`${r.name}: no stability of ${metric} in its last cycle`);
    return s[measure];
  };
  const armTests = (arm: string, suffix: string) => ({
    h1a: STUDY_BASELINES.map((b) =>
      evaluate(
        `H1a${suffix} vs ${b}`,
        `${arm}'s in-play OM accuracy minus the ${b} baseline's on the same steps > 0`,
        within(arm, (r) => {
          const a = lastCycle(r, true).accuracy!;
          return a[OM] - a[baselineMetric(b)];
        }),
        STUDY_PLAN.sigma.accuracy,
      ),
    ),
    h1b: STUDY_BC_BASELINES.flatMap((b) =>
      (["sd", "drop"] as const).map((measure) =>
        evaluate(
          `H1b${suffix} vs ${b} (${measure})`,
          `the ${b} baseline's within-trajectory ${measure === "sd" ? "standard deviation of window accuracy" : "drop after the opponent change"} minus ${arm}'s OM's > 0`,
          within(arm, (r) => stability(r, baselineMetric(b), measure) - stability(r, OM, measure)),
          null,
        ),
      ),
    ),
  });
  const primary = armTests("lemol-ep", "");
  const { accuracy: sa, reward: sr } = STUDY_PLAN.sigma;
  const h1c = pairTest("H1c", "LeMOL-EP's in-play OM accuracy minus the ablated LeMOL-EP's > 0", "lemol-ep", "lemol-ep-ablated", accuracy, sa);
  const h2a = pairTest("H2a", "LeMOL-EP's final reward minus the MADDPG defender's > 0", "lemol-ep", "maddpg", reward, sr);
  const h2b = pairTest("H2b", "LeMOL-EP's final reward minus the ablated LeMOL-EP's > 0", "lemol-ep", "lemol-ep-ablated", reward, sr);
  const h2c = pairTest("H2c", "the oracle LeMOL-EP's final reward minus LeMOL-EP's >= 0 (sanity check)", "lemol-ep-oracle", "lemol-ep", reward, sr);
  const secondary = armTests("lemol-init", " (lemol-init)");
  const h2aInit = pairTest("H2a (lemol-init)", "the per-step LeMOL's final reward minus the MADDPG defender's > 0", "lemol-init", "maddpg", reward, sr);
  const h1Tests = [...primary.h1a, ...primary.h1b];
  const h1: StudyTest["verdict"] = h1Tests.some((t) => t.verdict === "too few seeds")
    ? "too few seeds"
    : h1Tests.every((t) => t.verdict === "supported")
      ? "supported"
      : "not supported";
  const perSeed = <T>(rs: StudyRun[], f: (r: StudyRun) => T) => Object.fromEntries(rs.map((r) => [String(r.seed), f(r)]));
  const conditions = Object.fromEntries(
    [...c.keys()].map((name) => {
      const rs = sorted(c.get(name));
      return [
        name,
        {
          seeds: rs.map((r) => r.seed),
          // conditions without an opponent model (the MADDPG control) have no accuracy
          accuracy: rs.every((r) => r.cycles.some((x) => x.accuracy)) ? perSeed(rs, accuracy) : null,
          reward: perSeed(rs, reward),
          attacker_reward: perSeed(rs, (r) => lastCycle(r, false).attacker_reward),
          wall_hours: perSeed(rs, (r) => r.wall_hours),
        },
      ];
    }),
  );
  return {
    plan: "docs/study.md",
    statistics: STUDY_PLAN,
    conditions,
    claim1: { verdict: h1, rule: "H1a supported against every baseline and H1b against every BC baseline (both measures)", h1a: primary.h1a, h1b: primary.h1b },
    h1c,
    claim2: { verdict: h2a.verdict, rule: "H2a's verdict", h2a, h2b, h2c },
    secondary: { h1a: secondary.h1a, h1b: secondary.h1b, h2a: h2aInit },
  };
}

/** What data/study holds (`scripts/study-data.ts`): the study's finished runs as {@link StudyRun}s, and where they came from. */
export interface StudyData {
  /** What wrote it. */
  made_by: string;
  /** When it was made (ISO). */
  made: string;
  /** The commits the runs were made by (the study's code version: study-v1 = 19a4f5c...). */
  code_versions: string[];
  /** The sweep files' seeds and conditions the study plans, for saying how partial this copy is. */
  planned: { conditions: string[]; seeds: number[] };
  /** Finished runs per condition when the copy was made. */
  seeds_per_condition: Record<string, number[]>;
  /** The per-episode and per-window bins of the run copies under runs/ (as data/full-head's `binned`). */
  binned: { dir: string; rows_per_bin: Record<string, number> };
  runs: StudyRun[];
}

/** The numbers of a study copy (data/study/study.json) as written by `npm run study:data`, checked. */
export function loadStudyData(dir: string): StudyData {
  const file = fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? path.join(dir, "study.json") : dir;
  if (!fs.existsSync(file)) throw new AnalysisError(`no study data at ${file} (npm run study:data writes it)`);
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as StudyData;
  if (!Array.isArray(data.runs)) throw new AnalysisError(`${file}: not a study copy (no runs)`);
  for (const r of data.runs) {
    if (typeof r.condition !== "string" || !Number.isSafeInteger(r.seed) || !Array.isArray(r.cycles))
      throw new AnalysisError(`${file}: run ${JSON.stringify(r.name)} lacks its condition, seed or cycles`);
    for (const c of r.cycles) {
      if (typeof c.reward !== "number" || typeof c.attacker_reward !== "number")
        throw new AnalysisError(`${file}: run ${r.name}, cycle ${c.cycle}: no final rewards`);
      // JSON has no NaN: a stability measure under two windows was written as null
      if (c.stability) for (const s of Object.values(c.stability)) for (const k of ["sd", "drop"] as const) if (s[k] === null) s[k] = NaN;
    }
  }
  return data;
}
