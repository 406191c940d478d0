/**
 * Rich output for notebooks. tslab's public `display.*` sends one mime type per output; a plot needs
 * several in one output (plotly's own mime type, HTML that draws it, plain text), so this module
 * writes whole mime bundles through tslab's per-cell writer. Outside a kernel (scripts, tests) the
 * text/plain part is printed instead, or everything goes to a sink set with {@link setDisplaySink}.
 */
import { createRequire } from "node:module";
export { escapeHtml, scriptSafe } from "../util/html.js";

/** mime type → content (strings; JSON-able objects for `application/*+json`). */
export type MimeBundle = Record<string, unknown>;

/** Receives every display (and update) instead of the kernel; see {@link setDisplaySink}. */
export type DisplaySink = (bundle: MimeBundle, displayId: string | null, update: boolean) => void;

type KernelWriter = (msg: { data: MimeBundle; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

const nodeRequire = createRequire(import.meta.url);
let sink: DisplaySink | null = null;
let displayCounter = 0;

/**
 * tslab's writer for the cell now executing (tslab swaps it per execute request). Found through the
 * module cache because tslab exports no multi-mime display; null when not inside a tslab kernel.
 */
let tslabJupyter: { lastWriteDisplayData?: unknown } | null = null;

function kernelWriter(): KernelWriter | null {
  if ((globalThis as { __tslab__?: unknown }).__tslab__ === undefined) return null;
  if (!tslabJupyter) {
    // found once; the writer itself is read on every call because tslab replaces it per cell
    const cache = nodeRequire.cache as Record<string, { exports?: { lastWriteDisplayData?: unknown } } | undefined>;
    const key = Object.keys(cache).find((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k) && cache[k]?.exports);
    if (!key) return null;
    tslabJupyter = cache[key]!.exports!;
  }
  const w = tslabJupyter.lastWriteDisplayData;
  return typeof w === "function" ? (w as KernelWriter) : null;
}

/** The notebook cell executing now (tslab's writer for it, replaced per execute request); undefined outside a kernel. */
export function currentCell(): unknown {
  return kernelWriter() ?? undefined;
}

/** True inside a tslab (Jupyter) kernel that can take rich output. */
export function inNotebook(): boolean {
  return kernelWriter() !== null;
}

/**
 * Routes all displays to `s` (null: back to the kernel / console). Returns the previous sink so a
 * caller can restore it. Used by tests and by front ends other than Jupyter.
 */
export function setDisplaySink(s: DisplaySink | null): DisplaySink | null {
  const prev = sink;
  sink = s;
  return prev;
}

function write(writer: KernelWriter | null, bundle: MimeBundle, displayId: string | null, update: boolean): void {
  if (sink) {
    sink(bundle, displayId, update);
    return;
  }
  if (writer) {
    writer({ data: bundle, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
    return;
  }
  // Plain Node: only first displays are printed; updates would repeat themselves line after line.
  if (!update) console.log(String(bundle["text/plain"] ?? `[${Object.keys(bundle).join(", ")}]`));
}

/** Shows one output carrying every representation in `bundle` (the front end picks the richest). */
export function display(bundle: MimeBundle): void {
  write(kernelWriter(), bundle, null, false);
}

/**
 * An output that can be replaced in place (live progress). The writer of the cell that created it
 * is kept, so updates still reach that cell after it has finished or another cell runs.
 */
export class DisplayHandle {
  readonly id: string;
  private readonly writer: KernelWriter | null;
  private shown = false;

  constructor() {
    this.id = `lemol-${process.pid.toString(36)}-${Date.now().toString(36)}-${displayCounter++}`;
    this.writer = kernelWriter();
  }

  /** Shows `bundle` the first time, replaces the output afterwards. */
  update(bundle: MimeBundle): void {
    write(this.writer, bundle, this.id, this.shown);
    this.shown = true;
  }
}
