/**
 * Opening a run directory to continue it (`Experiment.restore`, `lemol train --restore`): the run
 * is locked before anything of it is read; its manifest gives the config; the checkpoint must have
 * been made with the same options. A run killed before its first checkpoint is started over.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CheckpointError, CheckpointReader, checkpointExists, loadCheckpoint } from "../storage/checkpoint.js";
import { ExperimentConfig, inOptionSyntax, OPTIONS, resolveConfig } from "./config.js";
import { ExperienceDigest, fileDigest, listExperienceFiles, Manifest } from "./run-dir.js";
import { RunLock } from "./run-lock.js";
import { ownedBy } from "./run-owner.js";
import type { ExperimentState } from "./schedule.js";

/** Options of {@link Experiment.restore}. */
export interface RestoreOptions {
  /** Which checkpoint (default `latest`). */
  checkpoint?: string;
  /** tfjs backend to force; default automatic. Resume on the backend the run used for identical numbers. */
  backend?: string;
  /**
   * Continue in this directory instead (a parallel worker): the run's state, metrics of its own,
   * experience files into the run's experience directory; the run directory is not touched.
   */
  detached?: string;
}

/** A checkpoint to continue from. */
export interface Resumption {
  reader: CheckpointReader;
  manifest: Manifest;
  label: string;
  detached: boolean;
}

/** What restoring opens: the config, the lock (not for a detached worker), and the checkpoint (none: start over). */
export interface OpenedRun {
  config: ExperimentConfig;
  lock: RunLock | undefined;
  resume: Resumption | null;
}

/** Opens `runDir` to continue it; `print` says when the run is started over. Releases the lock on failure. */
export function openRun(runDir: string, options: RestoreOptions, print: (line: string) => void): OpenedRun {
  const root = path.resolve(runDir);
  const manifestFile = path.join(root, "manifest.json");
  if (!fs.existsSync(manifestFile)) throw new CheckpointError(`${root} is not a lemol run directory (no manifest.json)`);
  // detached: a worker continues from the run's checkpoint in a directory of its own, writing
  // experience files into the run's experience directory
  const detached = options.detached ? path.resolve(options.detached) : null;
  // the run is ours before anything of it is read: another process may be writing it
  const lock = detached ? undefined : RunLock.acquire(root);
  try {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
    } catch (err) {
      throw new CheckpointError(`${manifestFile}: unreadable (${(err as Error).message})`);
    }
    if (typeof manifest?.config !== "object" || manifest.config === null) throw new CheckpointError(`${manifestFile}: no config`);
    const parent = resolveConfig({ ...manifest.config, run_dir: root });
    const label = options.checkpoint ?? "latest";
    const dir = path.join(parent.save_dir ?? path.join(root, "checkpoints"), label);
    const experienceDir = path.resolve(parent.lemol_save_path ?? path.join(root, "experience"));
    if (!detached && options.checkpoint === undefined && !checkpointExists(dir)) {
      // killed before its first checkpoint: nothing to continue, so the run starts over, removing
      // only what it wrote: its metrics, and the experience files of a directory that is its own
      // (not the files of another run it reads with --skip_to_om_training)
      print(`${root}: no checkpoint yet (the run stopped before its first one); starting it over from the beginning with its recorded options`);
      fs.rmSync(path.join(root, "metrics.csv"), { force: true });
      if (!parent.skip_to_om_training && ownedBy(experienceDir, { runDir: root, runId: manifest.run_id ?? null }))
        for (const f of listExperienceFiles(experienceDir)) fs.rmSync(f);
      return { config: parent, lock, resume: null };
    }
    const config = detached ? { ...parent, run_dir: detached, save_dir: null, lemol_save_path: experienceDir } : parent;
    const reader = loadCheckpoint(dir);
    const saved = reader.header.config as Record<string, unknown> | undefined;
    if (!saved) throw new CheckpointError(`${dir}: the checkpoint records no config`);
    for (const def of OPTIONS) {
      if (def.name === "run_dir" || !def.implemented || def.execution) continue;
      if (detached && (def.name === "save_dir" || def.name === "lemol_save_path")) continue;
      // an option added after the checkpoint was made had its default then
      const a = def.name in saved ? (saved[def.name] ?? null) : def.default;
      const b = (parent as Record<string, unknown>)[def.name] ?? null;
      if (a !== b)
        throw new CheckpointError(inOptionSyntax(`${dir}: made with --${def.name} ${JSON.stringify(a)}, but the run's manifest says ${JSON.stringify(b)}`));
    }
    checkExperienceFiles(reader, dir, experienceDir);
    return { config, lock, resume: { reader, manifest, label, detached: detached !== null } };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/**
 * Checks, before anything is changed, that every experience file the checkpoint lists is there
 * with the size and checksum it had (checkpoints made before checksums: that it is there).
 */
function checkExperienceFiles(reader: CheckpointReader, dir: string, experienceDir: string): void {
  const listed = reader.value<ExperimentState>("experiment").experienceFiles ?? [];
  const digests = reader.has("experience/digests") ? reader.value<ExperienceDigest[]>("experience/digests") : null;
  listed.forEach((rel, i) => {
    const file = path.join(experienceDir, rel);
    if (!fs.existsSync(file)) throw new CheckpointError(`${dir}: the experience file ${file} it lists is missing; the run cannot continue exactly without it`);
    const want = digests?.[i];
    if (!want) return;
    const got = fileDigest(file);
    if (got.bytes !== want.bytes || got.sha256 !== want.sha256)
      throw new CheckpointError(
        `${dir}: the experience file ${file} is not the one the checkpoint lists (${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}; it recorded ${want.bytes} bytes, sha256 ${want.sha256.slice(0, 12)})`,
      );
  });
}
