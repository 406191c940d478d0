/**
 * Files as lemol writes them: directories made one level at a time (Node's recursive mkdir spins
 * forever under /proc), every write to a temporary name renamed into place, and failures reported
 * as one line naming the file — {@link PathError} for a path that cannot hold files (bad input),
 * {@link StorageError} for a full or failing disk (the environment).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A path that cannot be used: a file where a directory should be, read-only, a virtual file system, no permission. */
export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathError";
  }
}

/** The disk failed lemol: full (ENOSPC, EDQUOT) or an I/O error. */
export class StorageError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = "StorageError";
    this.code = code;
  }
}

/** statfs magic numbers of file systems where nothing can be created (proc, sysfs, cgroup, debugfs, ...). */
const VIRTUAL_FS: Record<number, string> = {
  0x9fa0: "proc",
  0x62656572: "sysfs",
  0x27e0eb: "cgroup",
  0x63677270: "cgroup2",
  0x64626720: "debugfs",
  0x74726163: "tracefs",
  0x73636673: "securityfs",
};

/** The file-system error `err` (made at `file` while writing `what`) as a one-line typed error; other errors unchanged. */
export function fileError(err: unknown, file: string, what: string): Error {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case "ENOSPC":
    case "EDQUOT":
      return new StorageError(`${file}: disk full (no space left on the device) while writing ${what}`, e.code);
    case "EIO":
      return new StorageError(`${file}: I/O error while writing ${what}`, e.code);
    case "EROFS":
      return new PathError(`${file}: read-only file system; cannot write ${what} there`);
    case "EACCES":
    case "EPERM":
      return new PathError(`${file}: permission denied; cannot write ${what} there`);
    case "ENOTDIR":
      return new PathError(`${file}: a part of this path is a file, not a directory`);
    case "EISDIR":
      return new PathError(`${file}: is a directory; expected a file for ${what}`);
    case "ENAMETOOLONG":
      return new PathError(`${file}: name too long`);
    default:
      return e instanceof Error ? e : new Error(String(err));
  }
}

/**
 * Makes directory `dir` (and its missing parents) for `what`, or fails at once with one line: a
 * file in the way, a virtual file system (/proc, /sys), a read-only mount, no permission.
 */
export function ensureDir(dir: string, what = "files"): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.statSync(cur);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR") throw new PathError(`${abs}: ${fileInPath(abs) ?? "a part of this path"} is a file, not a directory`);
      if (code !== "ENOENT") throw fileError(err, cur, what);
      missing.push(cur);
      const parent = path.dirname(cur);
      if (parent === cur) throw new PathError(`${abs}: no such file system`);
      cur = parent;
      continue;
    }
    if (!st.isDirectory()) throw new PathError(`${abs}: ${cur === abs ? "is" : `${cur} is`} a file, not a directory`);
    break;
  }
  if (missing.length === 0) return;
  const fsName = VIRTUAL_FS[Number(fs.statfsSync(cur).type)];
  if (fsName) throw new PathError(`${abs}: ${cur} is a virtual file system (${fsName}); cannot create ${what} there`);
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && fs.statSync(d).isDirectory()) continue; // made meanwhile
      throw fileError(err, d, what);
    }
  }
}

/** The first existing file that is not a directory along `p`, if any. */
function fileInPath(p: string): string | null {
  const parts = path.resolve(p).split(path.sep);
  for (let i = 2; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join(path.sep) || path.sep;
    const st = fs.statSync(prefix, { throwIfNoEntry: false });
    if (!st) return null;
    if (!st.isDirectory()) return prefix;
  }
  return null;
}

let counter = 0;

/** Writes `data` to `file` atomically (readers see the old file or the whole new one, never a part). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  ensureDir(dir, path.basename(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw fileError(err, file, path.basename(file));
  }
}

/** Appends `data` to `file`, naming the file in the error when the disk is full. */
export function appendFile(file: string, data: string): void {
  try {
    fs.appendFileSync(file, data);
  } catch (err) {
    throw fileError(err, file, path.basename(file));
  }
}

/**
 * A path as printed for a reader: relative to the working directory when it is inside it or close
 * by (at most two levels up), so notebook outputs do not carry the machine's layout; else absolute.
 */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  if (rel === "") return ".";
  const up = rel.split(path.sep).filter((part) => part === "..").length;
  return !path.isAbsolute(rel) && up <= 2 ? rel : p;
}
