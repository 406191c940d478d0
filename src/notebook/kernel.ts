#!/usr/bin/env node
/**
 * lemol's Jupyter kernel: tslab's TypeScript kernel (the same compiler, executor and display
 * channel) with what its execute protocol lacks for research notebooks:
 *
 *   - a failed cell carries a real `error` output (ename, evalue, traceback) and its execute reply
 *     says why, so nbclient, nbconvert and a reader scanning for red all see it (tslab writes the
 *     error as stderr text only); the traceback keeps lemol's frames and the cell's, nothing of the
 *     kernel's; TypeScript diagnostics become a `TSError`;
 *   - the busy/idle status follows the execution: tslab publishes busy on *receipt* of each request
 *     and idle when each ends, so with three cells queued the kernel reads idle as soon as the
 *     first ends while two still run; here an execute request goes busy when it starts, and any
 *     idle published while another execution runs is followed by that execution's busy;
 *   - after a failed cell, the cells queued behind it are cancelled, as Python's are, but not a
 *     cell sent after the failure: tslab cancels every request that arrives within 200 ms of a
 *     failure, so a fast Shift+Enter, or a script sending the next cell on the failed one's
 *     reply, saw a cell skipped without a word. Here a request is cancelled when it was received
 *     before the failure, or, arriving just after it, was sent before it (its header's date);
 *   - an error in the cell's own code points at the cell's line and column (`at f (Cell In[7],
 *     line 3, column 9)`, and the line itself under the traceback), as a Python kernel's does: each
 *     cell runs as a script of its own name and its frames are mapped back to the cell's source
 *     (cell-position.ts); Node's source excerpt of the throwing line is not added to errors, and
 *     paths in error outputs are shown relative to the working directory (displayPath);
 *   - the kernel_info reply carries the `status` the protocol requires;
 *   - a cell whose lemol run call an interrupt stopped (src/notebook/interrupt.ts) keeps its
 *     declarations and ends as an `Interrupted` error, which cancels the cells queued after it, as
 *     Python's KeyboardInterrupt does; each cell's code runs in an asynchronous context naming the
 *     cell, so that the run calls of a cell interrupted elsewhere (tslab failed it; its code goes
 *     on) are known as that cell's and refused, even while later cells run.
 *
 * tslab's internals are patched on their prototypes before its `startKernel` builds the server, so
 * the version is pinned (package.json); the patches check the shapes they rely on and say so when
 * they do not fit.
 *
 *   lemol-kernel install [--prefix DIR] [--name tslab]   register the kernel spec (Jupyter runs the rest)
 *   lemol-kernel --config-path FILE                      start (what the kernel spec runs)
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { displayPath } from "../util/fs.js";
import { cellPosition } from "./cell-position.js";
import { CELL_POSITION, trimStack } from "./errors.js";
import { CELL_CONTEXT, EXECUTING_CELL, INTERRUPTED_CELL, installInterruptListener, LEMOL_KERNEL } from "./interrupt.js";

/** An iopub or shell message of tslab's (its class is not exported; only what is used here). */
interface ZmqMessage {
  header: { msg_type: string; date?: string };
  content: Record<string, unknown>;
  createReply(): ZmqMessage;
  signAndSend(key: string, sock: unknown): void;
}
interface ZmqServerProto {
  connInfo: { key: string };
  iopub: unknown;
  handler: { handleExecute(req: unknown, writeStream: unknown, writeDisplayData: unknown): Promise<Record<string, unknown>> };
  publishStatus(status: string, parent: ZmqMessage): void;
  handleExecute(sock: unknown, msg: ZmqMessage): Promise<void>;
}
interface HandlerProto {
  execCount: number;
  handleKernel(): Record<string, unknown>;
  handleExecute(req: object, writeStream: unknown, writeDisplayData: unknown): Promise<Record<string, unknown>>;
  handleExecuteImpl(req: object, writeStream: unknown, writeDisplayData: unknown): Promise<unknown>;
}

/** The error output of a failed cell (the Jupyter protocol's `error` content). */
export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** How long after a failure a request may still arrive that was sent before it (queued in ZMQ meanwhile). */
const STRAGGLER_MS = 1000;

const RED = "\u001b[0;31m";
const RESET = "\u001b[0m";

/** Absolute paths (and file URLs) in a text, as displayPath shows them: relative to the working directory when near it. */
export function relativePaths(text: string): string {
  return text.replace(/(?:file:\/\/)?(?<![\w.~-])\/(?:[\w.@+~-]+\/)*[\w.@+~-]+/g, (p) => {
    const file = p.startsWith("file://") ? fileURLToPath(p) : p;
    const shown = displayPath(file);
    return shown === file ? p : shown;
  });
}

/** What a cell interrupted while no lemol run call listened says (tslab failed it; its code goes on). */
export const INTERRUPTED_ELSEWHERE = "the kernel was interrupted; lemol run calls this cell still makes return at once without running";

/** The error output for what tslab's executor reports with `console.error` (a thrown value, or a diagnostic). */
export function cellError(args: unknown[]): CellError {
  const e = errorOutput(args);
  return { ename: e.ename, evalue: relativePaths(e.evalue), traceback: e.traceback.map(relativePaths) };
}

function errorOutput(args: unknown[]): CellError {
  if (typeof args[0] === "string" && args[0].startsWith("%s%d:%d - %s")) {
    const [, file, line, col, text] = args as [string, string, number, number, string];
    const evalue = `${file}${line}:${col} - ${text}`;
    return { ename: "TSError", evalue, traceback: [`${RED}TSError${RESET}: ${evalue}`] };
  }
  const e = args[0];
  if (e instanceof Error) {
    if (e.message === "Interrupted asynchronously")
      return { ename: "Interrupted", evalue: INTERRUPTED_ELSEWHERE, traceback: [`${RED}Interrupted${RESET}: ${INTERRUPTED_ELSEWHERE}`] };
    const lines = trimStack(e.stack ?? `${e.name}: ${e.message}`).split("\n");
    const head = lines.findIndex((l) => /^\s+at /.test(l));
    const message = head < 0 ? lines : lines.slice(0, head);
    message[0] = message[0].replace(/^([\w$.]+)(?=:|$)/, `${RED}$1${RESET}`);
    return { ename: e.name, evalue: e.message, traceback: [message.join("\n"), ...(head < 0 ? [] : lines.slice(head))] };
  }
  const text = typeof e === "string" ? e : (JSON.stringify(e) ?? String(e));
  return { ename: "Error", evalue: `thrown: ${text}`, traceback: [`${RED}Error${RESET}: thrown: ${text}`] };
}

/** Where tslab is: beside lemol (its dependency here), else from the working directory. */
function tslabRequire(): NodeRequire {
  for (const from of [fileURLToPath(import.meta.url), path.join(process.cwd(), "x.js")]) {
    const req = createRequire(from);
    try {
      req.resolve("tslab/dist/jupyter.js");
      return req;
    } catch {
      // next place
    }
  }
  throw new Error("lemol-kernel needs the npm package tslab (npm install tslab@1.0.22)");
}

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`lemol-kernel: tslab's ${what} is not what this kernel patches (is tslab 1.0.22 installed?)`);
}

/** Patches tslab's server and handler (see the top of this file), then starts the kernel. */
export function startKernel(configPath: string): void {
  const req = tslabRequire();
  const jupyter = req("tslab/dist/jupyter.js") as { ZmqServer: { prototype: ZmqServerProto }; JupyterHandlerImpl: { prototype: HandlerProto } };
  const main = req("tslab/dist/main.js") as { startKernel(o: { configPath: string; enableFindLocal: boolean }): void };
  const server = jupyter.ZmqServer?.prototype;
  const handler = jupyter.JupyterHandlerImpl?.prototype;
  must(typeof server?.publishStatus === "function" && typeof server.handleExecute === "function", "ZmqServer");
  must(
    typeof handler?.handleExecuteImpl === "function" && typeof handler.handleKernel === "function" && typeof handler.handleExecute === "function",
    "JupyterHandlerImpl",
  );
  (globalThis as Record<symbol, unknown>)[LEMOL_KERNEL] = true;
  const cellContext = new AsyncLocalStorage<object>();
  (globalThis as Record<symbol, unknown>)[CELL_CONTEXT] = cellContext;
  const realError = console.error;

  // each cell's source and the JavaScript tslab ran for it, by execution count (the last few)
  const cells = new Map<number, { source: string; js: string }>();
  let starting: { count: number; source: string } | null = null;
  const runInThisContext = vm.runInThisContext;
  vm.runInThisContext = function (code: string, options?: vm.RunningScriptOptions | string) {
    // tslab runs a cell as one script wrapped in (async) function(exports, require)
    if (starting && typeof code === "string" && /^\((async )?function\(exports, require\) \{ /.test(code) && typeof options !== "string") {
      cells.set(starting.count, { source: starting.source, js: code });
      for (const n of cells.keys()) if (cells.size > 50) cells.delete(n);
      options = { ...options, filename: `lemol-cell-${starting.count}.js`, displayErrors: false };
      starting = null;
    }
    return runInThisContext.call(vm, code, options);
  } as typeof vm.runInThisContext;
  (globalThis as Record<symbol, unknown>)[CELL_POSITION] = (cell: number, line: number, column: number) => {
    const c = cells.get(cell);
    const p = c && cellPosition(c.source, c.js, line, column);
    return p ? `Cell In[${cell}], line ${p.line}, column ${p.column}` : undefined;
  };

  // the cell executing now (its request), and what each failed cell reported
  let current: object | null = null;
  const failures = new WeakMap<object, CellError>();
  /** Execute requests received and not started: their busy waits for their start. */
  const waiting = new Map<object, ZmqMessage>();
  let running: ZmqMessage | null = null;
  /** The server (there is one; known from its first execute request). */
  let theServer: ZmqServerProto | null = null;

  const publish = server.publishStatus;
  server.publishStatus = function (this: ZmqServerProto, status: string, parent: ZmqMessage) {
    const isExecute = parent.header.msg_type === "execute_request";
    if (status === "busy" && isExecute) {
      waiting.set(parent.content, parent); // published when it starts
      return;
    }
    if (status === "idle" && isExecute && waiting.delete(parent.content)) publish.call(this, "busy", parent); // aborted before it started
    publish.call(this, status, parent);
    if (status === "idle" && running && running !== parent) publish.call(this, "busy", running);
  };

  // the kernel_info reply the protocol asks for (tslab leaves out `status`); language_info as tslab's
  const kernelInfo = handler.handleKernel;
  handler.handleKernel = function (this: HandlerProto) {
    return { status: "ok", ...kernelInfo.call(this) };
  };

  const executeImpl = handler.handleExecuteImpl;
  handler.handleExecuteImpl = async function (this: HandlerProto, request: object, writeStream: unknown, writeDisplayData: unknown) {
    const g = globalThis as Record<symbol, unknown>;
    const msg = waiting.get(request);
    waiting.delete(request);
    current = request;
    running = msg ?? null;
    starting = { count: this.execCount + 1, source: String((request as { code?: unknown }).code ?? "") };
    g[EXECUTING_CELL] = request;
    g[INTERRUPTED_CELL] = undefined; // what a failed cell's leftover code told after that cell ended
    if (msg && theServer) publish.call(theServer, "busy", msg);
    try {
      const count = await cellContext.run(request, () => executeImpl.call(this, request, writeStream, writeDisplayData));
      const interrupted = g[INTERRUPTED_CELL] as { cell: unknown; message: string } | undefined;
      if (interrupted && interrupted.cell === request) {
        // a lemol run call stopped by the interrupt: declarations kept (the cell succeeded), then
        // failed as Interrupted, so that tslab cancels the queued cells
        g[INTERRUPTED_CELL] = undefined;
        failures.set(request, { ename: "Interrupted", evalue: interrupted.message, traceback: [`${RED}Interrupted${RESET}: ${interrupted.message}`] });
        throw count;
      }
      return count;
    } finally {
      current = null;
      running = null;
      starting = null;
      g[EXECUTING_CELL] = null;
    }
  };

  // tslab's queue of execute requests, replaced (see the top of this file)
  let queue: Promise<unknown> = Promise.resolve();
  /** Execute requests received so far; after a failure, those up to `cancelThrough` are cancelled. */
  let received = 0;
  let cancelThrough = 0;
  let failedAt = -Infinity;
  /** When each request was sent (its header's date), for those that arrive just after a failure. */
  const sentAt = new WeakMap<object, number>();
  handler.handleExecute = function (this: HandlerProto, request: object, writeStream: unknown, writeDisplayData: unknown) {
    const number = ++received;
    const task = queue.then(async (): Promise<Record<string, unknown>> => {
      const sent = sentAt.get(request);
      const justAfter = Date.now() - failedAt < STRAGGLER_MS;
      if (number <= cancelThrough || (justAfter && sent !== undefined && sent < failedAt)) return { status: "aborted" };
      try {
        const count = (await this.handleExecuteImpl(request, writeStream, writeDisplayData)) as { count: number };
        return { status: "ok", execution_count: count.count };
      } catch (e) {
        cancelThrough = received;
        failedAt = Date.now();
        const count = (e as { count?: unknown } | null)?.count;
        if (typeof count === "number") return { status: "error", execution_count: count };
        realError("lemol-kernel: unexpected error:", e);
        return { status: "error" };
      }
    });
    queue = task;
    return task;
  };

  server.handleExecute = async function (this: ZmqServerProto, sock: unknown, msg: ZmqMessage) {
    theServer = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the one server, for publishing from the handler
    const date = msg.header.date === undefined ? NaN : Date.parse(msg.header.date);
    if (!Number.isNaN(date)) sentAt.set(msg.content, date);
    const key = this.connInfo.key;
    const writeStream = (name: string, text: string) => {
      const r = msg.createReply();
      r.header.msg_type = "stream";
      r.content = { name, text };
      r.signAndSend(key, this.iopub);
    };
    const writeDisplayData = (data: Record<string, unknown>, update: boolean) => {
      const r = msg.createReply();
      r.header.msg_type = update ? "update_display_data" : "display_data";
      r.content = data;
      r.signAndSend(key, this.iopub);
    };
    const content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
    const failure = failures.get(msg.content);
    if (content.status === "error" && failure) {
      const r = msg.createReply();
      r.header.msg_type = "error";
      r.content = { ...failure };
      r.signAndSend(key, this.iopub);
      Object.assign(content, failure);
    }
    const reply = msg.createReply();
    reply.header.msg_type = "execute_reply";
    reply.content = content;
    reply.signAndSend(key, sock);
  };

  // the executor reports failures with the console it is given at creation: this one records
  // them for the cell instead of printing them (user code keeps the real console.error)
  console.error = (...args: unknown[]) => {
    if (!current) return realError(...args);
    const failure = cellError(args);
    // the innermost frame in the cell, shown as Python shows it: the line, a caret under the column
    const frame = failure.traceback.map((l) => /\(Cell In\[(\d+)\], line (\d+), column (\d+)\)$/.exec(l)).find((m) => m !== null);
    if (frame) {
      const [cell, line, column] = frame.slice(1).map(Number);
      const text = cells.get(cell)?.source.split("\n")[line - 1];
      if (text !== undefined) failure.traceback.push(`Cell In[${cell}], line ${line}:\n${text}\n${" ".repeat(column - 1)}${RED}^${RESET}`);
    }
    const earlier = failures.get(current);
    // several diagnostics: one TSError listing them all
    if (earlier && earlier.ename === "TSError" && failure.ename === "TSError") {
      earlier.evalue += `\n${failure.evalue}`;
      earlier.traceback.push(...failure.traceback);
    } else failures.set(current, failure);
  };
  try {
    main.startKernel({ configPath, enableFindLocal: false });
    installInterruptListener(); // now that tslab is there (notebooks share this module instance)
  } finally {
    console.error = realError;
  }
}

/** Writes the kernel spec (`<prefix>/share/jupyter/kernels/<name>/kernel.json`) that starts this kernel. */
export function installKernelSpec(options: { prefix?: string; name?: string; user?: boolean } = {}): string {
  const name = options.name ?? "tslab";
  let base: string;
  if (options.prefix) base = path.join(path.resolve(options.prefix), "share", "jupyter", "kernels");
  else {
    const r = spawnSync("jupyter", ["--data-dir"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error("could not ask jupyter for its data directory: give --prefix");
    base = path.join(r.stdout.trim(), "kernels");
  }
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [process.execPath, fileURLToPath(import.meta.url), "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
  };
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 1) + "\n");
  return dir;
}

function cli(argv: string[]): void {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv[0] === "install") {
    const dir = installKernelSpec({ prefix: value("--prefix"), name: value("--name") });
    console.log(`lemol's TypeScript kernel registered in ${dir}`);
    return;
  }
  const configPath = value("--config-path");
  if (!configPath) {
    console.error("usage: lemol-kernel install [--prefix DIR] [--name NAME] | lemol-kernel --config-path CONNECTION_FILE");
    process.exit(2);
  }
  startKernel(configPath);
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) cli(process.argv.slice(2));
