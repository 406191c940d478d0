/**
 * Starting a run over in its directory (`Experiment.create({ ..., overwrite: true })`): only what
 * lemol can prove it wrote is deleted — a directory whose manifest.json names a lemol run loses
 * that manifest, metrics.csv, the experience files (`<pair>/OM<cycle>/<k>.npz`) and the checkpoints
 * (`<label>/header.json` + `arrays.bin`), then whichever of their folders are left empty. Anything
 * else in it (a researcher's notes, a figure) stays. An experience or checkpoint folder outside the
 * run directory is touched only when its ownership marker names that run (run-owner.ts), and the
 * marker goes with the run's files so that the new run can claim the folder. The caller holds the
 * run's lock.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { displayPath } from "../util/fs.js";
import { ConfigError } from "./config.js";
import { listExperienceFiles } from "./run-dir.js";
import { ownedBy, OWNER_FILE, readOwner, RunIdentity, sameRun } from "./run-owner.js";

/** Files (and then folders) of a previous lemol run in `root`; nothing when it holds no run. */
export function clearRun(root: string): void {
  const manifestFile = path.join(root, "manifest.json");
  const metricsFile = path.join(root, "metrics.csv");
  if (!fs.existsSync(manifestFile)) {
    if (fs.existsSync(metricsFile))
      throw new ConfigError(
        `${displayPath(root)} has a metrics.csv but no manifest.json: not provably lemol's, so overwrite: true leaves it; choose another run_dir`,
      );
    return;
  }
  let config: { lemol_save_path?: string | null; save_dir?: string | null } | undefined;
  let runId: unknown = null;
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { config?: typeof config; run_id?: unknown };
    config = manifest.config;
    runId = manifest.run_id;
  } catch {
    config = undefined;
  }
  if (typeof config !== "object" || config === null)
    throw new ConfigError(`${displayPath(manifestFile)} is not a lemol manifest (no config): overwrite: true leaves the directory; choose another run_dir`);
  const experienceDir = path.resolve(root, config.lemol_save_path ?? "experience");
  const checkpointsDir = path.resolve(root, config.save_dir ?? "checkpoints");
  const old: RunIdentity = { runDir: path.resolve(root), runId: typeof runId === "string" ? runId : null };
  for (const dir of [experienceDir, checkpointsDir])
    if (fs.existsSync(dir) && !ownedBy(dir, old))
      throw new ConfigError(
        `${displayPath(dir)} is not provably the old run's (no ${OWNER_FILE} naming it): overwrite: true leaves everything; choose another run_dir`,
      );
  const folders = new Set<string>();
  for (const f of listExperienceFiles(experienceDir)) {
    fs.rmSync(f);
    folders.add(path.dirname(f));
    folders.add(path.dirname(path.dirname(f)));
  }
  if (fs.existsSync(checkpointsDir) && fs.statSync(checkpointsDir).isDirectory()) {
    for (const label of fs.readdirSync(checkpointsDir)) {
      const dir = path.join(checkpointsDir, label);
      if (!fs.existsSync(path.join(dir, "header.json"))) continue;
      for (const f of ["header.json", "arrays.bin"]) fs.rmSync(path.join(dir, f), { force: true });
      folders.add(dir);
    }
  }
  folders.add(experienceDir);
  folders.add(checkpointsDir);
  fs.rmSync(metricsFile, { force: true });
  fs.rmSync(manifestFile);
  for (const dir of [experienceDir, checkpointsDir]) if (sameRun(readOwner(dir), old)) fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
  // deepest first, so that a pair's folder is empty once its cycles' are gone
  for (const dir of [...folders].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(dir); // only an empty folder
    } catch {
      // not empty (something not lemol's), or gone
    }
  }
}
