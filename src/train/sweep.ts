/**
 * Sweeps: many runs of the experiment (a grid or list of configurations × seeds), each one job
 * that any worker can run — locally on worker processes, or across machines through a BullMQ queue
 * on Redis (queue.ts). A job's results are its run directory under the sweep's results directory,
 * which every worker must see (one machine's disk, or a shared filesystem such as NFS); the job's
 * return value also carries a short summary.
 *
 * A job is idempotent: a finished run directory is returned as it is (never run twice to
 * completion); a run directory with a checkpoint is continued from it (a worker died mid-job:
 * with the replay buffers in the checkpoint — on by default in sweeps — the continued run gives
 * exactly the numbers of an uninterrupted one); anything else starts afresh.
 *
 * sweep.json:
 *   { "name": "push-opponents",           the sweep (and queue job) name
 *     "results": "sweeps/push-opponents", results directory (default sweeps/<name>, relative to the file)
 *     "base": { "num_episodes": 2000 },    options every run shares
 *     "grid": { "good_policy": ["maddpg", "mmmaddpg"], "lr": [0.01, 0.001] },   every combination
 *     "list": [ { "block_processing": true }, { "ablate_lemol_lstm": true } ],    or explicit variants
 *     "seeds": [1, 2, 3],                  each configuration once per seed (default [71])
 *     "order": "seeds" }                   job order: "configs" (default: every seed of the first
 *                                          configuration, then the next) or "seeds" (every
 *                                          configuration of the first seed, then the next: a sweep
 *                                          stopped part-way has whole seeds, paired across configurations)
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CheckpointError, checkpointExists } from "../storage/checkpoint.js";
import { absolutePaths, ConfigError, ExperimentConfig, resolveConfig } from "./config.js";
import { checkRun } from "./build.js";
import { Experiment, ExperimentStopped } from "./experiment.js";
import type { ExperimentHooks } from "./hooks.js";
import { inPlayStability, MetricsLog } from "./metrics.js";
import { Manifest, runStatusOf } from "./run-dir.js";
import { ensureDir, writeFileAtomic } from "../util/fs.js";

export interface SweepSpec {
  name: string;
  /** Absolute results directory. */
  results: string;
  base: Record<string, unknown>;
  grid: Record<string, unknown[]>;
  list: Record<string, unknown>[];
  seeds: number[];
  /** The order jobs start in: configuration-major ("configs") or seed-major ("seeds"). */
  order: "configs" | "seeds";
}

/** One run of a sweep. */
export interface SweepJob {
  /** `<sweep>__<run>`: the queue's job id (unique per sweep). */
  id: string;
  sweep: string;
  /** `r003-s2`: the configuration's index and the seed. */
  run: string;
  /** The options that vary between the sweep's configurations (for tables and plots). */
  varied: Record<string, unknown>;
  seed: number;
  /** Every option of the run (validated). */
  options: Record<string, unknown>;
  runDir: string;
}

/** What a finished job reports. */
export interface SweepJobResult {
  runDir: string;
  /** Whether this call found the run already finished, continued it from a checkpoint, or ran it. */
  how: "already-finished" | "resumed" | "ran";
  metricRows: number;
  trajectories: number;
  /** Mean of the last trajectory's last `averaged_reward` per agent, and the last in-play OM accuracy. */
  summary: Record<string, number>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Reads and checks a sweep file; relative paths are relative to the file. */
export function loadSweepSpec(file: string): SweepSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  return parseSweepSpec(raw, path.dirname(path.resolve(file)), file);
}

/** Checks a sweep description (as a sweep file holds it). */
export function parseSweepSpec(raw: unknown, baseDir = process.cwd(), what = "sweep"): SweepSpec {
  const o = raw as Record<string, unknown>;
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new ConfigError(`${what}: expected a JSON object`);
  for (const k of Object.keys(o))
    if (!["name", "results", "base", "grid", "list", "seeds", "order"].includes(k))
      throw new ConfigError(`${what}: unknown field "${k}" (fields: name, results, base, grid, list, seeds, order)`);
  if (typeof o.name !== "string" || !NAME.test(o.name)) throw new ConfigError(`${what}: "name" must be letters, digits, '.', '_' or '-'`);
  const obj = (k: string) => {
    const v = o[k] ?? {};
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(`${what}: "${k}" must be an object`);
    return v as Record<string, unknown>;
  };
  const grid = obj("grid") as Record<string, unknown[]>;
  for (const [k, v] of Object.entries(grid))
    if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${what}: grid "${k}" must be a non-empty list of values`);
  const list = (o.list ?? []) as Record<string, unknown>[];
  if (!Array.isArray(list) || list.some((x) => typeof x !== "object" || x === null || Array.isArray(x)))
    throw new ConfigError(`${what}: "list" must be a list of option objects`);
  const seeds = (o.seeds ?? [71]) as number[];
  if (!Array.isArray(seeds) || seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new ConfigError(`${what}: "seeds" must be a non-empty list of non-negative integers`);
  if (new Set(seeds).size !== seeds.length) throw new ConfigError(`${what}: a seed is listed twice`);
  const order = o.order ?? "configs";
  if (order !== "configs" && order !== "seeds") throw new ConfigError(`${what}: "order" must be "configs" or "seeds", not ${JSON.stringify(order)}`);
  const results = path.resolve(baseDir, typeof o.results === "string" ? o.results : path.join("sweeps", o.name));
  // a results path no run can be written under is refused now, not by the first worker
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(results, { throwIfNoEntry: false });
  } catch (err) {
    throw new ConfigError(
      `${what}: "results" ${results}: ${(err as NodeJS.ErrnoException).code === "ENOTDIR" ? "a part of this path is a file, not a directory" : (err as Error).message}`,
    );
  }
  if (st && !st.isDirectory()) throw new ConfigError(`${what}: "results" ${results} is a file, not a directory`);
  const spec: SweepSpec = { name: o.name, results, base: obj("base"), grid, list, seeds, order };
  expandSweep(spec); // every configuration must be valid before anything is queued
  return spec;
}

/** The sweep's runs: (grid combinations, or list entries, or both crossed) × seeds. */
export function expandSweep(spec: SweepSpec): SweepJob[] {
  for (const k of ["run_dir", "seed"])
    if (k in spec.base || k in spec.grid || spec.list.some((l) => k in l)) throw new ConfigError(`sweep ${spec.name}: "${k}" is set by the sweep itself`);
  let configs: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(spec.grid)) configs = configs.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  if (spec.list.length > 0) configs = configs.flatMap((c) => spec.list.map((l) => ({ ...c, ...l })));
  const jobs: SweepJob[] = [];
  configs.forEach((varied, i) => {
    for (const seed of spec.seeds) {
      const run = `r${String(i).padStart(3, "0")}-s${seed}`;
      const runDir = path.join(spec.results, run);
      // sweep jobs keep their replay buffers in checkpoints, so a job a worker died in resumes exactly
      const options = { checkpoint_replay: true, ...spec.base, ...varied, seed, run_dir: runDir };
      try {
        // what lemol train checks before it starts, so that no job fails on its worker for its options
        checkRun(resolveConfig(options), () => {});
      } catch (err) {
        throw new ConfigError(`sweep ${spec.name}, run ${run} (${JSON.stringify(varied)}): ${(err as Error).message}`);
      }
      jobs.push({ id: `${spec.name}__${run}`, sweep: spec.name, run, varied, seed, options, runDir });
    }
  });
  // run names keep the configuration's index whatever the order, so reordering renames nothing
  if (spec.order === "seeds") jobs.sort((a, b) => spec.seeds.indexOf(a.seed) - spec.seeds.indexOf(b.seed));
  return jobs;
}

/** A fingerprint of a job's options (a re-submitted sweep must not change a run under the same name). */
export function jobFingerprint(job: SweepJob): string {
  const sorted = Object.fromEntries(Object.entries(job.options).sort(([a], [b]) => a.localeCompare(b)));
  return crypto.createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
}

function readManifest(runDir: string): Manifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    return null;
  }
}

/** The marker a sweep's results directory holds, naming the sweep (two sweeps never share one). */
export const SWEEP_MARKER = ".lemol-sweep.json";
/** The marker a job writes in the run directory it creates, naming the job and its options. */
export const JOB_MARKER = ".lemol-job.json";

/** The sweep a results directory's marker names (null: none). */
function resultsOwner(results: string): string | null {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(results, SWEEP_MARKER), "utf8")) as { sweep?: unknown };
    return typeof o.sweep === "string" ? o.sweep : null;
  } catch {
    return null;
  }
}

/**
 * Claims the sweep's results directory (created if missing) before its runs are started or
 * queued: refused when it belongs to another sweep, or (with no marker) holds a run that is not
 * one of this sweep's with its options (another sweep's results would be reported as this one's).
 */
export function claimSweepResults(spec: SweepSpec): void {
  const owner = resultsOwner(spec.results);
  if (owner === spec.name) return;
  if (owner !== null)
    throw new ConfigError(`sweep ${spec.name}: "results" ${spec.results} holds the runs of sweep ${owner}; give this sweep results of its own`);
  // results of an earlier lemol (no marker) are adopted when every run in them is one of this sweep's, with its options
  const jobs = new Map(expandSweep(spec).map((j) => [j.run, j]));
  for (const r of listSweepRuns(spec.results)) {
    const job = jobs.get(r.run);
    const manifest = readManifest(r.runDir);
    if (!job || (manifest && differingOptions(job, manifest).length > 0))
      throw new ConfigError(
        `sweep ${spec.name}: "results" ${spec.results} holds ${r.run}, which is not a run of this sweep (no ${SWEEP_MARKER} naming it; other options); give this sweep results of its own`,
      );
  }
  ensureDir(spec.results, "the sweep's results"); // refused at once under /proc or /sys, or on a read-only mount
  writeFileAtomic(path.join(spec.results, SWEEP_MARKER), JSON.stringify({ sweep: spec.name }) + "\n");
}

/** Whether `runDir` is provably this job's: its marker names the job with these options, or its manifest records the job's options. */
function isJobsRunDir(job: SweepJob, manifest: Manifest | null): boolean {
  // an empty directory (a job killed as it made it) holds nothing to lose
  if (fs.readdirSync(job.runDir).length === 0) return true;
  try {
    const m = JSON.parse(fs.readFileSync(path.join(job.runDir, JOB_MARKER), "utf8")) as { id?: unknown; fingerprint?: unknown };
    if (m.id === job.id && m.fingerprint === jobFingerprint(job)) return true;
  } catch {
    // no marker: a run directory of an older lemol, or not the job's
  }
  return manifest !== null && differingOptions(job, manifest).length === 0;
}

/** The options the run recorded in `manifest` holds with other values than the job's (options it does not record aside: an older lemol's). */
function differingOptions(job: SweepJob, manifest: Manifest): string[] {
  const recorded: Record<string, unknown> = manifest.config ?? {};
  let want: Record<string, unknown>;
  try {
    want = absolutePaths(resolveConfig(job.options));
  } catch {
    return ["(the job's options are invalid)"];
  }
  return Object.keys(want).filter((k) => {
    if (!(k in recorded)) return false;
    const b = recorded[k];
    // paths are recorded absolute
    if (typeof b === "string" && ["run_dir", "lemol_save_path", "save_dir", "load_name", "load_good", "load_bad"].includes(k))
      return want[k] !== path.resolve(b);
    return JSON.stringify(want[k] ?? null) !== JSON.stringify(b ?? null);
  });
}

/** Refuses a job whose run directory is not its sweep's place for it (a hand-made or corrupted job). */
function checkJob(job: SweepJob): void {
  const results = path.dirname(path.resolve(job.runDir));
  const named = path.resolve(String(job.options.run_dir ?? "")) === path.resolve(job.runDir) && path.basename(job.runDir) === job.run;
  if (!named || !/^r\d{3}-s\d+$/.test(job.run))
    throw new ConfigError(`job ${job.id}: its run directory ${job.runDir} is not <results>/${job.run} of its options; refusing to run it`);
  const owner = resultsOwner(results);
  if (owner !== null && owner !== job.sweep)
    throw new ConfigError(`job ${job.id}: ${results} holds the runs of sweep ${owner}, not ${job.sweep}; refusing to run it`);
}

/**
 * Runs one job to completion, idempotently (see the file's comment). `onExperiment` sees the
 * experiment before it runs (to follow its progress, or stop it: a stopped run is checkpointed
 * and {@link ExperimentStopped} thrown). A run directory is removed (damaged, to start afresh)
 * only when it is provably the job's; a finished run is reported only when it was made with the
 * job's options.
 */
export async function runSweepJob(job: SweepJob, hooks: ExperimentHooks = { print: null }, onExperiment?: (exp: Experiment) => void): Promise<SweepJobResult> {
  checkJob(job);
  const manifest = readManifest(job.runDir);
  let exp: Experiment;
  let how: SweepJobResult["how"];
  if (manifest) {
    const differ = differingOptions(job, manifest);
    if (differ.length > 0)
      throw new ConfigError(
        `job ${job.id}: ${job.runDir} holds a run made with other options (${differ.join(", ")}); it is not this job's run (another sweep with the same results?), and is left as it is`,
      );
  }
  if (manifest?.status === "finished") return summarise(job.runDir, "already-finished");
  let resumed: Experiment | null = null;
  let startedOver = false;
  if (manifest) {
    // continued from its checkpoint (the loader also recovers a save that a killed worker left
    // half renamed) or, with none yet, started over by restore itself, under the run's lock
    startedOver = !checkpointExists(path.join((job.options.save_dir as string | undefined) ?? path.join(job.runDir, "checkpoints"), "latest"));
    try {
      resumed = await Experiment.restore(job.runDir, {}, hooks);
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
    }
  }
  if (resumed) {
    exp = resumed;
    how = startedOver ? "ran" : "resumed";
  } else {
    // a damaged run directory: start afresh — only in a directory that is provably this job's
    if (fs.existsSync(job.runDir)) {
      if (!isJobsRunDir(job, manifest))
        throw new ConfigError(
          `job ${job.id}: ${job.runDir} exists but is not provably this job's run (no ${JOB_MARKER} naming it, no manifest with its options); refusing to remove it`,
        );
      fs.rmSync(job.runDir, { recursive: true, force: true });
    }
    fs.mkdirSync(job.runDir, { recursive: true });
    writeFileAtomic(path.join(job.runDir, JOB_MARKER), JSON.stringify({ id: job.id, fingerprint: jobFingerprint(job) }) + "\n");
    exp = await Experiment.create(job.options as Partial<ExperimentConfig>, hooks);
    how = "ran";
  }
  onExperiment?.(exp);
  try {
    await exp.run();
  } catch (err) {
    // stopped on request (a worker shutting down): keep everything for whoever continues the run
    if (err instanceof ExperimentStopped) {
      exp.checkpoint();
      exp.close("stopped");
    }
    throw err;
  } finally {
    exp.dispose();
  }
  return summarise(job.runDir, how);
}

function summarise(runDir: string, how: SweepJobResult["how"]): SweepJobResult {
  const metrics = MetricsLog.load(path.join(runDir, "metrics.csv"));
  const rows = metrics.rows;
  const summary: Record<string, number> = {};
  const lastTrajectory = rows.reduce((m, r) => Math.max(m, r.trajectory ?? -1), -1);
  for (const r of rows) {
    if (r.trajectory !== lastTrajectory) continue;
    if (r.metric === "averaged_reward" && r.agent) summary[`averaged_reward/${r.agent}`] = r.value;
    // the OM's last in-play window, and its baselines on the same steps
    if (r.metric === "om_accuracy_in_play" || r.metric.startsWith("om_baseline_")) summary[r.metric] = r.value;
  }
  // and the stability of each over the last trajectory (docs/experiments.md, "Stability")
  for (const s of inPlayStability(rows))
    if (s.trajectory === lastTrajectory) {
      summary[`stability_sd/${s.metric}`] = s.sd;
      summary[`stability_drop/${s.metric}`] = s.drop;
    }
  return { runDir, how, metricRows: rows.length, trajectories: lastTrajectory + 1, summary };
}

/** The runs of a sweep found in its results directory: each run's directory, options that vary, and status. */
export function listSweepRuns(results: string): { run: string; runDir: string; status: string; config: Record<string, unknown> }[] {
  if (!fs.existsSync(results)) return [];
  return fs
    .readdirSync(results)
    .filter((d) => /^r\d{3}-s\d+$/.test(d))
    .sort()
    .map((run) => {
      const runDir = path.join(results, run);
      const m = readManifest(runDir);
      const config: Record<string, unknown> = m?.config ?? {};
      return { run, runDir, status: runStatusOf(runDir, m) ?? "not started", config };
    });
}
