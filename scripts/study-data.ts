/**
 * data/study: the aggregated copy of the pre-registered study's finished runs (docs/study.md),
 * small enough to ship, re-made as more runs finish:
 *
 *   LEMOL_STUDY_RUNS=/work/study/runs/study npm run study:data [-- --out DIR]   (default data/study)
 *
 * It writes
 *   study.json                 per run (condition, seed, wall time, code version) and per cycle the
 *                              numbers the plan reads (src/analysis/study.ts `studyRunOf`: in-play OM
 *                              accuracy and every baseline on the same windows, stability, the
 *                              defender's and attacker's final reward); `analyseStudy` decides on them
 *                              exactly as on the raw runs (notebook 07, `npm run bench -- study`)
 *   binned/<run>/manifest.json and metrics.csv: each run's episode rewards (both agents) and in-play
 *                              accuracy series binned with full-scale.ts's Binner (means over 1,000
 *                              episodes, aligned so the last bin is the plan's last 1,000 episodes,
 *                              and over 250 in-play windows), read by `loadRuns` and `plot.*`
 *
 * Only finished runs are copied (unfinished ones would bias the comparison towards the conditions
 * that finish first). It replaces only what an earlier study.json of its own lists.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Binner, forEachRow, readRunManifest } from "../bench/experiments/full-scale.js";
import { loadRuns, StudyData, studyRunOf } from "../src/analysis/index.js";
import { csvLine, IN_PLAY_ACCURACY_METRICS, METRIC_COLUMNS } from "../src/train/metrics.js";
import { listSweepRuns, loadSweepSpec } from "../src/train/sweep.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MADE_BY = "scripts/study-data.ts (npm run study:data)";
/** Rows per bin of the copies under binned/. */
export const STUDY_BINS = { episode: 1000, window: 250 } as const;
const BINNED = new Set(["episode_reward", ...IN_PLAY_ACCURACY_METRICS]);

/** The conditions and seeds the study's sweep files plan (bench/study/sweep-*.json). */
export function plannedStudy(sweepFiles = ["sweep-1.json", "sweep-2.json"].map((f) => path.join(REPO, "bench", "study", f))): StudyData["planned"] {
  const conditions = new Set<string>();
  const seeds = new Set<number>();
  for (const f of sweepFiles) {
    const spec = loadSweepSpec(f);
    for (const s of spec.seeds) seeds.add(s);
    for (const entry of spec.list) conditions.add(String(entry.exp_name));
  }
  return { conditions: [...conditions], seeds: [...seeds].sort((a, b) => a - b) };
}

/** One run's episode rewards and in-play series, binned, into `dir` (manifest.json says how, under `binned`). */
async function writeBinnedCopy(runDir: string, dir: string): Promise<number> {
  const manifest = readRunManifest(runDir);
  fs.mkdirSync(dir, { recursive: true });
  const lines: string[] = [METRIC_COLUMNS.join(",") + "\n"];
  const binner = new Binner((r) => lines.push(csvLine(r)));
  const episodes = Number(manifest.config.num_episodes);
  const offset = Number.isInteger(episodes) && episodes > 0 ? episodes % STUDY_BINS.episode : 0;
  await forEachRow(path.join(runDir, "metrics.csv"), (r) => {
    if (!BINNED.has(r.metric)) return;
    if (r.metric === "episode_reward") binner.add(r, Math.ceil((r.episode! + 1 - offset) / STUDY_BINS.episode));
    else binner.add(r, { size: STUDY_BINS.window });
  });
  binner.finish();
  fs.writeFileSync(path.join(dir, "metrics.csv"), lines.join(""));
  const binned = {
    from: `metrics.csv of the run, by ${MADE_BY}`,
    metrics: [...BINNED],
    rows_per_bin: STUDY_BINS,
    note: "episode bins end at each trajectory's last episode (the first takes the remainder): the last bin is the last 1,000 episodes",
  };
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ ...manifest, binned }, null, 1) + "\n");
  return lines.length - 1;
}

/** What an earlier copy in `outDir` wrote (its study.json's runs), or null when there is none; refuses a directory it did not write. */
function previousCopy(outDir: string): string[] | null {
  if (!fs.existsSync(outDir) || fs.readdirSync(outDir).length === 0) return null;
  const file = path.join(outDir, "study.json");
  const old = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StudyData>) : null;
  if (!old || old.made_by !== MADE_BY || !Array.isArray(old.runs))
    throw new Error(`${outDir} holds files that are not a study copy made by ${MADE_BY}: choose another --out`);
  return old.runs.map((r) => r.name);
}

/**
 * Reads the study's finished runs in `runsDir` (a sweep's results directory) one at a time and
 * writes `outDir`/study.json and `outDir`/binned/. Returns what study.json holds.
 */
export async function writeStudyData(runsDir: string, outDir: string, planned = plannedStudy()): Promise<StudyData> {
  if (!fs.existsSync(runsDir)) throw new Error(`no study runs at ${runsDir} (set LEMOL_STUDY_RUNS to the sweep's results directory)`);
  const previous = previousCopy(outDir);
  const finished = listSweepRuns(runsDir).filter((r) => r.status === "finished");
  if (finished.length === 0) throw new Error(`no finished runs in ${runsDir}`);
  const runs: StudyData["runs"] = [];
  const rows: number[] = [];
  fs.mkdirSync(path.join(outDir, "binned"), { recursive: true });
  for (const r of finished) {
    runs.push(studyRunOf(loadRuns(r.runDir)[0])); // one run's metrics in memory at a time
    rows.push(await writeBinnedCopy(r.runDir, path.join(outDir, "binned", r.run)));
  }
  // copies an earlier run of this script made of runs no longer finished (or gone)
  for (const name of previous ?? []) if (!finished.some((r) => r.run === name)) fs.rmSync(path.join(outDir, "binned", name), { recursive: true, force: true });
  const seeds: Record<string, number[]> = {};
  for (const r of runs) (seeds[r.condition] ??= []).push(r.seed);
  for (const s of Object.values(seeds)) s.sort((a, b) => a - b);
  const data: StudyData = {
    made_by: MADE_BY,
    made: new Date().toISOString(),
    code_versions: [...new Set(runs.map((r) => r.git_commit ?? "unknown"))],
    planned,
    seeds_per_condition: seeds,
    binned: { dir: "binned", rows_per_bin: STUDY_BINS },
    runs,
  };
  fs.writeFileSync(path.join(outDir, "study.json"), JSON.stringify(data, null, 1) + "\n");
  return data;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--out");
  const out = at >= 0 ? args[at + 1] : path.join(REPO, "data", "study");
  const runsDir = process.env.LEMOL_STUDY_RUNS ?? path.join(REPO, "runs", "study");
  const data = await writeStudyData(runsDir, out);
  const counts = Object.entries(data.seeds_per_condition).map(([c, s]) => `${c}: seeds ${s.join(",")}`);
  console.log(`wrote ${path.relative(process.cwd(), out)}/study.json and binned/ (${data.runs.length} finished runs; ${counts.join("; ")})`);
}
