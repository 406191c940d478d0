/**
 * Errors as a notebook reader should see them: the first line, then lemol's own frames and the
 * cell's, nothing of the kernel's machinery (tslab, commander, Node's internals, the promise
 * plumbing between them). Inside a tslab kernel, loading lemol installs this as V8's stack
 * formatter; {@link showFullStacks} puts the full stacks back.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** lemol's package root (this file is src/notebook/errors.ts or dist/notebook/errors.js). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** lemol's kernel launcher: kernel machinery, not lemol's code as far as a reader is concerned. */
const KERNEL_FILES = ["dist/notebook/kernel.js", "src/notebook/kernel.ts"].map((f) => path.join(ROOT, f));

/**
 * Where lemol's kernel (kernel.ts) looks up a cell frame's position in the cell's own source: the
 * kernel names each cell's script `lemol-cell-<execution count>.js` and maps its JavaScript
 * line and column back to the cell's (cell-position.ts).
 */
export const CELL_POSITION = Symbol.for("lemol.kernel.cellPosition");
type CellPositionLookup = (cell: number, line: number, column: number) => string | undefined;

/** A cell frame's place, as `Cell In[7], line 3, column 9` when lemol's kernel knows it. */
function cellPlace(frame: string): string {
  const m = /lemol-cell-(\d+)\.js:(\d+):(\d+)/.exec(frame);
  const lookup = (globalThis as Record<symbol, unknown>)[CELL_POSITION] as CellPositionLookup | undefined;
  return (m && lookup?.(Number(m[1]), Number(m[2]), Number(m[3]))) || "the cell";
}

/** What a stack frame line says about where it is. */
export function frameKind(line: string): "lemol" | "cell" | "other" {
  // (the last two: a frame trimmed already)
  if (/evalmachine\.<anonymous>|\[eval\]|lemol-cell-\d+\.js|\((?:the cell|Cell In\[\d+\], line \d+, column \d+)\)\s*$/.test(line)) return "cell";
  const m = /\(([^()]*?):\d+:\d+\)\s*$|at ([^\s()]*?):\d+:\d+\s*$/.exec(line);
  let file = m?.[1] ?? m?.[2];
  if (!file) return "other";
  if (file.startsWith("file://")) file = fileURLToPath(file);
  if (!path.isAbsolute(file)) return /^(dist|src)\//.test(file) ? "lemol" : "other"; // trimmed already
  if (KERNEL_FILES.includes(file)) return "other";
  const rel = path.relative(ROOT, file);
  return !rel.startsWith("..") && !rel.split(path.sep).includes("node_modules") ? "lemol" : "other";
}

/**
 * A stack as the notebook shows it: the message lines, then the frames in lemol (paths relative to
 * its root) and in the cell; the rest is dropped. A stack with none of those keeps its first line only.
 */
export function trimStack(stack: string): string {
  let lines = stack.split("\n");
  // Node's decoration of an error thrown while the cell's script ran ("evalmachine.<anonymous>:2"
  // or the file of the function that threw, the source line, a caret, a blank line) before the message
  if (/^(?:evalmachine\.<anonymous>|\S+\.[cm]?[jt]s|file:\/\/\S+):\d+$/.test(lines[0])) {
    const blank = lines.indexOf("");
    if (blank > 0) lines = lines.slice(blank + 1);
  }
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  const head = first < 0 ? lines : lines.slice(0, first);
  const frames = first < 0 ? [] : lines.slice(first);
  const kept: string[] = [];
  for (const f of frames) {
    const kind = frameKind(f);
    if (kind === "lemol")
      kept.push(
        f
          .replace(/file:\/\/\S*?(?=:\d+:\d+)/, (u) => fileURLToPath(u))
          .split(ROOT + path.sep)
          .join(""),
      );
    else if (kind === "cell") {
      const place = cellPlace(f);
      // a frame of the cell's script with no place in its source (tslab's wrapper) adds nothing to placed ones
      if (/lemol-cell-\d+\.js/.test(f) && place === "the cell" && kept.some((k) => k.includes("(Cell In["))) continue;
      const line = f.replace(/\(?(?:evalmachine\.<anonymous>|lemol-cell-\d+\.js):\d+:\d+\)?/, `(${place})`).replace(/\s+$/, "");
      if (kept[kept.length - 1] !== line) kept.push(line);
    }
  }
  return [...head, ...kept].join("\n");
}

type PrepareStackTrace = (err: Error, frames: NodeJS.CallSite[]) => unknown;
let previous: PrepareStackTrace | undefined;
let installed = false;

function formatTrimmed(err: Error, frames: NodeJS.CallSite[]): unknown {
  if (previous) {
    const s = previous(err, frames);
    return typeof s === "string" ? trimStack(s) : s;
  }
  let head: string;
  try {
    head = `${err.name ?? "Error"}${err.message ? `: ${err.message}` : ""}`;
  } catch {
    head = "Error";
  }
  return trimStack([head, ...frames.map((f) => `    at ${f.toString()}`)].join("\n"));
}

/** Installs the trimmed stacks (done when lemol loads in a tslab kernel; nothing elsewhere). */
export function installKernelStacks(): void {
  if (installed || (globalThis as { __tslab__?: unknown }).__tslab__ === undefined) return;
  previous = Error.prepareStackTrace as PrepareStackTrace | undefined;
  Error.prepareStackTrace = formatTrimmed as typeof Error.prepareStackTrace;
  installed = true;
}

/** Full stacks (`true`) for debugging lemol itself, or trimmed ones again (`false`). */
export function showFullStacks(full = true): void {
  if (full && installed) {
    Error.prepareStackTrace = previous as typeof Error.prepareStackTrace;
    installed = false;
  } else if (!full) installKernelStacks();
}
