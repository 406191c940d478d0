/**
 * Ownership of the directories a run writes outside its run directory (`--lemol_save_path`,
 * `--save_dir`): each holds `.lemol-owner.json` naming the run (its directory and the manifest's
 * `run_id`), written when the run first claims it. lemol removes or overwrites files in such a
 * directory only when its marker names the run doing it; a directory claimed by another run, or
 * one that already holds lemol files with no marker, is refused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { ConfigError } from "./config.js";

/** The marker file's name. */
export const OWNER_FILE = ".lemol-owner.json";

/** Which run: its (absolute) run directory, and its manifest's `run_id` (null for a run made before run ids). */
export interface RunIdentity {
  runDir: string;
  runId: string | null;
}

/** The run a directory's marker names (null: no readable marker). */
export function readOwner(dir: string): RunIdentity | null {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")) as { run_dir?: unknown; run_id?: unknown };
    if (typeof o.run_dir !== "string") return null;
    return { runDir: o.run_dir, runId: typeof o.run_id === "string" ? o.run_id : null };
  } catch {
    return null;
  }
}

/** Whether the marker names `who` (the same run directory and, when both have one, the same run id). */
export function sameRun(owner: RunIdentity | null, who: RunIdentity): boolean {
  if (!owner || path.resolve(owner.runDir) !== path.resolve(who.runDir)) return false;
  return owner.runId === null || who.runId === null || owner.runId === who.runId;
}

/** Whether `dir` is the run directory or inside it (locked with it, no marker needed). */
function insideRun(dir: string, who: RunIdentity): boolean {
  const rel = path.relative(path.resolve(who.runDir), path.resolve(dir));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Whether `dir` is `who`'s to remove files from: a directory inside the run directory (locked with
 * it), or one whose marker names the run.
 */
export function ownedBy(dir: string, who: RunIdentity): boolean {
  return insideRun(dir, who) || sameRun(readOwner(dir), who);
}

/**
 * Claims `dir` (created if missing) for `who`, as the place of its `what`: refused when its marker
 * names another run, or when `holdsFiles(dir)` finds lemol files there and no marker says whose
 * (`continuing`: a run made before markers, continued, adopts the directory it was using).
 * Directories inside the run directory are marked too (another run pointed at them is refused),
 * but their files are the run's without one.
 */
export function claimDir(dir: string, who: RunIdentity, what: string, holdsFiles: (dir: string) => boolean, continuing: boolean): void {
  const owner = readOwner(dir);
  if (owner) {
    if (sameRun(owner, who)) return;
    throw new ConfigError(
      `${what} ${dir} belongs to the run in ${owner.runDir} (${OWNER_FILE}); give this run a directory of its own (runs sharing it would overwrite each other's files)`,
    );
  }
  if (!continuing && !insideRun(dir, who) && fs.existsSync(dir) && holdsFiles(dir))
    throw new ConfigError(`${what} ${dir} already holds files of another run (and no ${OWNER_FILE} naming this one); give this run a directory of its own`);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, OWNER_FILE), JSON.stringify({ run_dir: path.resolve(who.runDir), run_id: who.runId }) + "\n");
}
