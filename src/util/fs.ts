/** Crash-safe file writes: write to a temporary name in the same directory, then rename into place. */
import * as fs from "node:fs";
import * as path from "node:path";

let counter = 0;

/** Writes `data` to `file` atomically (readers see the old file or the whole new one, never a part). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
