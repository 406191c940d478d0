/**
 * The run directory (design.md): everything a run makes, each file written to a temporary name
 * and renamed into place.
 *
 *   <run_dir>/manifest.json                      config, seed, versions, git commit, backend, times
 *   <run_dir>/metrics.csv                        the long-format metrics table
 *   <run_dir>/experience/<bad>_vs_<good>/OM<cycle>/<k>.npz
 *   <run_dir>/checkpoints/<label>/               header.json + arrays.bin
 *   <run_dir>/.lock                              the process holding the run (run-lock.ts)
 */
import { spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { BackendInfo } from "../nn/backend.js";
import { displayPath, ensureDir, writeFileAtomic } from "../util/fs.js";
import { ConfigError, ExperimentConfig, optionSyntaxInUse } from "./config.js";
import { MetricsLog } from "./metrics.js";
import { RunLock } from "./run-lock.js";
import { claimDir, ownedBy, readOwner, RunIdentity, sameRun } from "./run-owner.js";

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** lemol's version (package.json). */
export function libraryVersion(): string {
  return (createRequire(import.meta.url)(path.join(PACKAGE_ROOT, "package.json")) as { version: string }).version;
}

let commitOfThisProcess: string | null | undefined;

/**
 * The git commit of the lemol checkout, if it is one (null otherwise), with `-dirty` when tracked
 * files differ. Read once per process: the code a process runs is what it loaded at start, and
 * the manifest is rewritten at every checkpoint (two `git` processes each time otherwise).
 */
export function gitCommit(): string | null {
  if (commitOfThisProcess !== undefined) return commitOfThisProcess;
  commitOfThisProcess = null;
  if (!fs.existsSync(path.join(PACKAGE_ROOT, ".git"))) return commitOfThisProcess;
  const r = spawnSync("git", ["rev-parse", "HEAD"], { cwd: PACKAGE_ROOT, encoding: "utf8" });
  if (r.status !== 0) return commitOfThisProcess;
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: PACKAGE_ROOT, encoding: "utf8" }).stdout.trim().length > 0;
  commitOfThisProcess = r.stdout.trim() + (dirty ? "-dirty" : "");
  return commitOfThisProcess;
}

export interface Manifest {
  lemol_version: string;
  /** This run's identity (with its directory), named by the markers of the directories it writes outside it (run-owner.ts); absent in runs made before. */
  run_id?: string;
  git_commit: string | null;
  node: string;
  host: { platform: string; cpus: number; cpu: string };
  backend: BackendInfo;
  seed: number;
  config: ExperimentConfig;
  started: string;
  ended: string | null;
  status: "running" | "finished" | "stopped" | "failed";
  /** Per learner: which implementation its updates run (the MADDPG family: `fused` native or `tfjs`) and why. */
  update_paths?: Record<string, { path: string; reason: string }>;
  /** Per LeMOL learner: where its opponent model trains (`native`, `tfjs`, `tfjs-autodiff`: agents/lemol/om-native.ts) and why. */
  om_training_paths?: Record<string, { path: string; reason: string }>;
  /** Counters at the last update of the manifest. */
  progress?: Record<string, number>;
  /** Each time the run was continued from a checkpoint: when, which, whether the replay buffers were in it, and a note when numbers will differ from an uninterrupted run. */
  resumed?: { at: string; checkpoint: string; replay: boolean; note?: string }[];
}

/**
 * The manifest as a run keeps it: when the run started, each time it was continued, and the rest
 * written anew (config, versions, host, status, counters) whenever the run's progress changes.
 */
export class ManifestRecord {
  started = new Date().toISOString();
  /** Resumptions of this run (from the manifest), this process's last. */
  resumed: NonNullable<Manifest["resumed"]> = [];
  /** The learners' update paths (agents/learner.ts updatePaths), chosen once when the run is built. */
  updatePaths: Record<string, { path: string; reason: string }> = {};
  /** The LeMOL learners' opponent-model training paths (OMPhase.trainingPaths), chosen when the run is built. */
  omTrainingPaths: Record<string, { path: string; reason: string }> = {};

  constructor(
    private readonly runDir: RunDir,
    private readonly config: Readonly<ExperimentConfig>,
    private readonly backend: BackendInfo,
  ) {}

  /** Continues the record of an earlier process of the run. */
  continueFrom(manifest: Manifest): void {
    this.started = manifest.started ?? this.started;
    this.resumed = [...(manifest.resumed ?? [])];
  }

  write(status: Manifest["status"], progress: Manifest["progress"]): void {
    this.runDir.writeManifest({
      lemol_version: libraryVersion(),
      ...(this.runDir.runId ? { run_id: this.runDir.runId } : {}),
      git_commit: gitCommit(),
      node: process.version,
      host: hostInfo(),
      backend: this.backend,
      seed: this.config.seed,
      update_paths: this.updatePaths,
      om_training_paths: this.omTrainingPaths,
      config: this.config as ExperimentConfig,
      started: this.started,
      ended: status === "running" ? null : new Date().toISOString(),
      status,
      progress,
      ...(this.resumed.length ? { resumed: this.resumed } : {}),
    });
  }
}

export class RunDir {
  readonly root: string;
  readonly experienceDir: string;
  readonly checkpointsDir: string;
  readonly metricsFile: string;
  readonly manifestFile: string;
  /** The run's id (the manifest's `run_id`; null for a run made before run ids, continued). */
  readonly runId: string | null;

  private lock: RunLock;
  /** Locks of the directories the run writes outside its run directory (`--lemol_save_path`, `--save_dir`). */
  private outsideLocks: RunLock[] = [];
  private readonly outsideDirs: string[] = [];
  private readonly digests = new Map<string, ExperienceDigest & { mtimeMs: number }>();

  /**
   * Creates the run directory and takes its lock (or uses `lock`, taken by the caller); with
   * `resume`, opens an existing one to continue it. A directory held by another process, or one
   * that already holds a run (when not resuming), is refused. The experience and checkpoint
   * directories are claimed for the run (run-owner.ts) and, outside the run directory, locked
   * with it — except by a `detached` parallel worker (its run holds them). The experience
   * directory of a run that trains on an earlier run's files (`--skip_to_om_training`, or
   * `_first_cycle`, which then adds files and locks it) is not claimed, and is refused while the
   * run that owns it holds its run directory.
   */
  constructor(cfg: ExperimentConfig, options: { resume?: boolean; lock?: RunLock; detached?: boolean } = {}) {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    this.root = path.resolve(cfg.run_dir ?? uniqueDir(path.join("runs", `${cfg.exp_name}-${stamp}`)));
    this.experienceDir = path.resolve(cfg.lemol_save_path ?? path.join(this.root, "experience"));
    this.checkpointsDir = path.resolve(cfg.save_dir ?? path.join(this.root, "checkpoints"));
    this.metricsFile = path.join(this.root, "metrics.csv");
    this.manifestFile = path.join(this.root, "manifest.json");
    ensureDir(this.root, "the run directory");
    this.lock = options.lock ?? RunLock.acquire(this.root);
    try {
      // the manifest of the locked directory is this run's (continued, or started over by restore)
      const recorded = readManifestOf(this.root);
      this.runId = recorded ? (recorded.run_id ?? null) : randomUUID();
      if (options.resume) {
        if (!fs.existsSync(this.metricsFile)) throw new ConfigError(`${this.root}: no metrics.csv to continue`);
      } else if (fs.existsSync(this.metricsFile)) {
        throw new ConfigError(
          optionSyntaxInUse() === "api"
            ? `run directory ${displayPath(this.root)} already holds a run (metrics.csv exists): pass resume: true to continue it, or overwrite: true to start it over, or choose another run_dir`
            : `run directory ${this.root} already holds a run (metrics.csv exists); choose another --run_dir, or continue it with --restore ${this.root}`,
        );
      }
      ensureDir(this.experienceDir, "experience files");
      if (!options.detached) {
        const continuing = recorded !== null;
        if (cfg.skip_to_om_training || cfg.skip_to_om_training_first_cycle) {
          // the files of an earlier run, to train on: never while that run is still writing them
          this.checkOwnerStopped(this.experienceDir);
          // --skip_to_om_training only reads them; _first_cycle then plays and adds files: it
          // locks the directory while it runs, but it is not the run's (nothing in it is removed)
          if (cfg.skip_to_om_training_first_cycle && !cfg.skip_to_om_training) this.lockOutside(this.experienceDir, "--lemol_save_path");
        } else this.claim(this.experienceDir, "--lemol_save_path", (d) => listExperienceFiles(d).length > 0, continuing);
        this.claim(this.checkpointsDir, "--save_dir", (d) => fs.readdirSync(d).some((f) => !f.startsWith(".")), continuing);
      }
    } catch (err) {
      this.releaseLock();
      throw err;
    }
  }

  /** This run, as the markers of its directories name it. */
  get identity(): RunIdentity {
    return { runDir: this.root, runId: this.runId };
  }

  /** Whether `dir` is this run's to remove files from (inside the run directory, or marked as the run's). */
  owns(dir: string): boolean {
    return ownedBy(dir, this.identity);
  }

  /** Locks `dir` with the run when it is outside the run directory. */
  private lockOutside(dir: string, what: string): void {
    const rel = path.relative(this.root, dir);
    if ((!rel.startsWith("..") && !path.isAbsolute(rel)) || this.outsideDirs.includes(dir)) return;
    ensureDir(dir, what);
    this.outsideLocks.push(RunLock.acquire(dir));
    this.outsideDirs.push(dir);
  }

  /** Refuses `dir` while the other run its marker names holds its run directory (RunDirInUseError). */
  private checkOwnerStopped(dir: string): void {
    const owner = readOwner(dir);
    if (!owner || sameRun(owner, this.identity) || !fs.existsSync(owner.runDir)) return;
    RunLock.acquire(owner.runDir).release();
  }

  /** Locks (outside the run directory) and claims `dir` for the run. */
  private claim(dir: string, what: string, holdsFiles: (dir: string) => boolean, continuing: boolean): void {
    this.lockOutside(dir, what);
    // a continued run adopts the directories its recorded options name (restore checks the files its checkpoint lists)
    claimDir(dir, this.identity, what, holdsFiles, continuing);
  }

  /** Refreshes the locks (cheap; at most one write every 10 s). */
  heartbeat(): void {
    this.lock.heartbeat();
    for (const l of this.outsideLocks) l.heartbeat();
  }

  /** Gives the run directory (and the directories it locks outside it) up; a later {@link holdLock} takes them again. */
  releaseLock(): void {
    this.lock.release();
    for (const l of this.outsideLocks) l.release();
  }

  /** Takes the locks again after {@link releaseLock} (refused if another process holds one now). */
  holdLock(): void {
    if (this.lock.released) this.lock = RunLock.acquire(this.root);
    this.outsideLocks = this.outsideLocks.map((l, i) => (l.released ? RunLock.acquire(this.outsideDirs[i]) : l));
  }

  writeManifest(m: Manifest): void {
    writeFileAtomic(this.manifestFile, JSON.stringify(m, null, 2) + "\n");
  }

  /** The experience file of a trajectory (the original's layout). */
  experienceFile(pair: string, cycle: number, k: number): string {
    return path.join(this.experienceDir, pair, `OM${cycle}`, `${k}.npz`);
  }

  /** Size and SHA-256 of each of `files` (each file hashed once while its size and time stay the same). */
  experienceDigests(files: readonly string[]): ExperienceDigest[] {
    return files.map((f) => {
      const st = fs.statSync(f);
      const known = this.digests.get(f);
      if (known && known.bytes === st.size && known.mtimeMs === st.mtimeMs) return { bytes: known.bytes, sha256: known.sha256 };
      const d = fileDigest(f);
      this.digests.set(f, { ...d, mtimeMs: st.mtimeMs });
      return d;
    });
  }

  /** Every experience file under the run's experience directory (pair / OM cycle / k.npz), sorted. */
  experienceFiles(): string[] {
    return listExperienceFiles(this.experienceDir);
  }
}

/** `base`, or `base-2`, `base-3`, ... if taken (two runs created in the same millisecond). */
function uniqueDir(base: string): string {
  let dir = base;
  for (let n = 2; fs.existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

/** An experience file's size and checksum, as a checkpoint records them. */
export interface ExperienceDigest {
  bytes: number;
  sha256: string;
}

/** The size and SHA-256 of `file`. */
export function fileDigest(file: string): ExperienceDigest {
  const bytes = fs.readFileSync(file);
  return { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** The manifest in `dir` (null: none, or unreadable). */
export function readManifestOf(dir: string): Manifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    return null;
  }
}

/**
 * A run's status as its manifest says, except that a manifest saying "running" with no process
 * holding the run directory is "interrupted": its process was killed (or died) before it could
 * record the end — also inside `close()` — and `--restore` continues (or closes) it.
 */
export type RunStatus = Manifest["status"] | "interrupted";

/** The status of the run in `dir` (see {@link RunStatus}); null without a readable manifest. */
export function runStatusOf(dir: string, manifest: Manifest | null = readManifestOf(dir)): RunStatus | null {
  if (!manifest) return null;
  if (manifest.status === "running" && RunLock.holderOf(dir) === null) return "interrupted";
  return manifest.status;
}

/** Every `<pair>/OM<cycle>/<k>.npz` under an experience directory, sorted. */
export function listExperienceFiles(experienceDir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(experienceDir)) return out;
  for (const pair of fs.readdirSync(experienceDir).sort()) {
    const p = path.join(experienceDir, pair);
    if (!fs.statSync(p).isDirectory()) continue;
    for (const cycle of fs.readdirSync(p).sort()) {
      const c = path.join(p, cycle);
      if (!fs.statSync(c).isDirectory()) continue;
      for (const f of fs.readdirSync(c).sort()) if (f.endsWith(".npz")) out.push(path.join(c, f));
    }
  }
  return out;
}

/**
 * The temporaries of experience files under an experience directory (`<pair>/OM<cycle>/.<k>.npz.<pid>.<n>.tmp`,
 * util/fs.ts's writeFileAtomic): what a process killed while writing one leaves.
 */
export function listExperienceTemporaries(experienceDir: string): string[] {
  const dirs = new Set(listExperienceFiles(experienceDir).map((f) => path.dirname(f)));
  if (fs.existsSync(experienceDir))
    for (const pair of fs.readdirSync(experienceDir)) {
      const p = path.join(experienceDir, pair);
      if (fs.statSync(p).isDirectory()) for (const c of fs.readdirSync(p)) if (/^OM\d+$/.test(c)) dirs.add(path.join(p, c));
    }
  const out: string[] = [];
  for (const d of [...dirs].sort())
    if (fs.statSync(d).isDirectory()) for (const f of fs.readdirSync(d).sort()) if (/^\.\d+\.npz\.\d+\.\d+\.tmp$/.test(f)) out.push(path.join(d, f));
  return out;
}

/** A finished (or stopped) run read back from its directory. */
export interface RunRecord {
  root: string;
  manifest: Manifest;
  /** The manifest's status, or "interrupted" for a run that says "running" but whose process is gone. */
  status: RunStatus;
  metrics: MetricsLog;
  /** The experience files (absolute paths), sorted. */
  experienceFiles: string[];
}

/** Reads a run directory written by lemol (`lemol train`, an Experiment, or `data/`). */
export function loadRun(dir: string): RunRecord {
  const root = path.resolve(dir);
  const manifestFile = path.join(root, "manifest.json");
  const metricsFile = path.join(root, "metrics.csv");
  if (!fs.existsSync(manifestFile) || !fs.existsSync(metricsFile)) {
    throw new Error(`${root} is not a lemol run directory (it needs manifest.json and metrics.csv)`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
  const experienceDir = manifest.config?.lemol_save_path ? path.resolve(root, manifest.config.lemol_save_path) : path.join(root, "experience");
  return {
    root,
    manifest,
    status: runStatusOf(root, manifest) ?? manifest.status,
    metrics: MetricsLog.load(metricsFile),
    experienceFiles: listExperienceFiles(fs.existsSync(experienceDir) ? experienceDir : path.join(root, "experience")),
  };
}

export function hostInfo(): Manifest["host"] {
  return { platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown" };
}
