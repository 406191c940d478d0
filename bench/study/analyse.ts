/**
 * The study of docs/study.md, analysed exactly as it was pre-registered (src/analysis/study.ts:
 * one number per run, the last cycle; paired per-seed differences for each hypothesis; 95 %
 * percentile bootstrap intervals of their mean and IQM, 2,000 resamples, resampler seed 0; the
 * probability of improvement; the smallest difference the seeds run could detect; the decision
 * rule's verdict, none below 5 paired seeds).
 *
 *   npm run bench -- study [--record]      the sweep's finished runs in runs/study (or LEMOL_STUDY_RUNS)
 *
 * LEMOL_STUDY_RUNS may also name a shipped copy (data/study, with its study.json): the same
 * analysis then runs on the numbers that copy holds (what notebook 07 does).
 * Writes bench/tmp/study.json (and bench/results/study.json with --record) and prints the verdicts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { analyseStudy, loadRuns, loadStudyData, StudyAnalysis, StudyRun, studyRunOf, StudyTest } from "../../src/analysis/index.js";
import { listSweepRuns } from "../../src/train/sweep.js";
import { writeResult } from "../common.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The study's finished runs in a sweep's results directory, reduced one run at a time (a run's
 * metrics.csv is ~70-90 MB: all of them at once would not fit in memory).
 */
export function studyRunsIn(dir: string): StudyRun[] {
  const finished = listSweepRuns(dir).filter((r) => r.status === "finished");
  return finished.map((r) => studyRunOf(loadRuns(r.runDir)[0]));
}

/** The study's runs at `dir`: a shipped copy (study.json) or a sweep's results directory. */
export function studyRunsAt(dir: string): { runs: StudyRun[]; from: "copy" | "runs" } {
  if (fs.existsSync(path.join(dir, "study.json"))) return { runs: loadStudyData(dir).runs, from: "copy" };
  return { runs: studyRunsIn(dir), from: "runs" };
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(3));
const line = (t: StudyTest) =>
  `${t.id.padEnd(46)} n=${String(t.seeds.length).padStart(2)}  mean ${fmt(t.mean_difference?.estimate)} [${fmt(t.mean_difference?.low)}, ${fmt(t.mean_difference?.high)}]  detectable ${fmt(t.smallest_detectable)}  ${t.verdict}`;

/** The verdicts as printed lines. */
export function verdictLines(r: StudyAnalysis): string[] {
  return [
    `claim 1 (the OM beats naive behaviour cloning): ${r.claim1.verdict}`,
    ...[...r.claim1.h1a, ...r.claim1.h1b, r.h1c].map((t) => "  " + line(t)),
    `claim 2 (opponent modelling improves the reward): ${r.claim2.verdict}`,
    ...[r.claim2.h2a, r.claim2.h2b, r.claim2.h2c].map((t) => "  " + line(t)),
    "secondary (the initial release's per-step LeMOL)",
    ...[...r.secondary.h1a, ...r.secondary.h1b, r.secondary.h2a].map((t) => "  " + line(t)),
  ];
}

export async function benchStudy(): Promise<string> {
  const dir = process.env.LEMOL_STUDY_RUNS ?? path.join(REPO, "runs", "study");
  if (!fs.existsSync(dir)) throw new Error(`no study runs at ${dir} (run the sweeps of docs/study.md, or set LEMOL_STUDY_RUNS)`);
  const { runs, from } = studyRunsAt(dir);
  if (runs.length === 0) throw new Error(`no finished study runs at ${dir}`);
  const result = analyseStudy(runs);
  console.log(`${runs.length} finished runs in ${path.relative(process.cwd(), dir) || "."}${from === "copy" ? " (its shipped copy, study.json)" : ""}`);
  for (const l of verdictLines(result)) console.log(l);
  return writeResult("study", { date: new Date().toISOString(), source: from, runs: runs.length, ...result, per_run: runs });
}
