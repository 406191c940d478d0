/**
 * The notebook kernel's interrupt (the ■ button, or a timeout in headless runs).
 *
 * tslab answers SIGINT by failing the cell under way, and a tslab cell that fails loses every
 * declaration it made: after `const exp = await Experiment.create(...); await exp.run();` and an
 * interrupt, the next cell would not know `exp`. So while a lemol run call listens, tslab's own
 * SIGINT listener is set aside: the interrupt stops the call at its next step boundary, the call
 * resolves with what it had done (train/calls.ts), and the cell ends keeping its declarations.
 * Later run calls in the same cell are refused: they return at once without running (outcome
 * `refused`), so a cell of several calls, or a loop of them, ends too. A second interrupt
 * while the first is still pending hands over to tslab (for a call that cannot reach a boundary).
 *
 * Under lemol's kernel (`lemol-kernel`, src/notebook/kernel.ts) the interrupted cell then ends as
 * an "Interrupted" error, so that the cells queued after it are cancelled as Python's are; under
 * plain tslab it ends normally with one printed line, and queued cells run.
 *
 * An interrupt that comes while no lemol call listens (the cell awaits something else, e.g.
 * `Experiment.create` or a timer) is tslab's: it fails the cell at once, but JavaScript cannot be
 * stopped, so the rest of the cell's code goes on in the background. Every interrupt therefore
 * marks the cell it came in, and a lemol run call made from a marked cell is refused: a loop of run
 * calls after an interrupted `await` ends at once instead of training on, unseen, beside the next
 * cells. Under lemol's kernel a cell is known through its asynchronous context (kernel.ts), so
 * the calls of a failed cell's leftover code are known as that cell's even while later cells run.
 */
import type { AsyncLocalStorage } from "node:async_hooks";
import type { InterruptSource } from "../train/hooks.js";
import { currentCell } from "./display.js";

const handlers = new Set<() => void>();
let installed = false;
/** tslab's SIGINT listeners, set aside while a lemol call listens. */
let setAside: NodeJS.SignalsListener[] = [];
let pending = false;

/** Where lemol's kernel looks for the message of a cell whose call an interrupt stopped. */
export const INTERRUPTED_CELL = Symbol.for("lemol.kernel.interruptedCell");
/** Set by lemol's kernel when it runs (so the one-line message becomes the cell's error output). */
export const LEMOL_KERNEL = Symbol.for("lemol.kernel");
/** lemol's kernel's AsyncLocalStorage of the cell whose code runs (its execute request). */
export const CELL_CONTEXT = Symbol.for("lemol.kernel.cellContext");
/** lemol's kernel's cell executing now (its execute request), or null between cells. */
export const EXECUTING_CELL = Symbol.for("lemol.kernel.executingCell");

/** Cells an interrupt came in (while they ran): their later run calls are refused. */
const interruptedCells = new WeakSet<object>();

/**
 * The cell a call belongs to: under lemol's kernel the cell whose code made it (followed through
 * awaits, also after the cell failed and later cells started), else the cell executing now.
 */
function scope(): unknown {
  const context = (globalThis as Record<symbol, unknown>)[CELL_CONTEXT] as AsyncLocalStorage<object> | undefined;
  return context ? context.getStore() : currentCell();
}

/** The cell executing when an interrupt comes (a signal's listener runs outside every cell's context). */
function executingCell(): unknown {
  const g = globalThis as Record<symbol, unknown>;
  return g[CELL_CONTEXT] ? g[EXECUTING_CELL] : currentCell();
}

function inKernel(): boolean {
  return (globalThis as { __tslab__?: unknown }).__tslab__ !== undefined;
}

function dispatch(): void {
  const cell = executingCell();
  if (typeof cell === "object" || typeof cell === "function") interruptedCells.add(cell as object);
  if (pending && setAside.length > 0) {
    // a second interrupt before the first took effect: tslab's turn
    const listeners = restore();
    for (const l of listeners) l("SIGINT");
    return;
  }
  pending = handlers.size > 0;
  for (const h of [...handlers]) h();
}

function restore(): NodeJS.SignalsListener[] {
  const listeners = setAside;
  for (const l of listeners) process.on("SIGINT", l);
  setAside = [];
  return listeners;
}

/**
 * Listens to SIGINT inside a kernel, beside tslab's listener (which fails the cell when no lemol
 * call listens). Called when lemol is imported in a kernel, and by lemol's kernel once tslab runs
 * (the kernel loaded this module before tslab existed).
 */
export function installInterruptListener(): void {
  if (installed || !inKernel()) return;
  process.on("SIGINT", dispatch);
  installed = true;
}

function subscribe(fn: () => void): () => void {
  if (inKernel()) {
    installInterruptListener();
    if (handlers.size === 0) {
      setAside = (process.listeners("SIGINT") as NodeJS.SignalsListener[]).filter((l) => l !== dispatch);
      for (const l of setAside) process.removeListener("SIGINT", l);
    }
  }
  handlers.add(fn);
  return () => {
    if (!handlers.delete(fn)) return;
    if (handlers.size === 0) {
      pending = false;
      restore();
    }
  };
}

/** Cells whose interrupt has been told (the call it stopped, or the first call it refused). */
const toldCells = new WeakSet<object>();

/**
 * Tells the cell where its interrupt stopped it: lemol's kernel makes `message` the cell's
 * `Interrupted` error (it finds the cell by `scope()`, the execute request); plain tslab prints it.
 */
function stopped(message: string): void {
  const g = globalThis as Record<symbol, unknown>;
  const cell = scope();
  if (typeof cell === "object" || typeof cell === "function") toldCells.add(cell as object);
  if (g[LEMOL_KERNEL] && cell !== undefined) g[INTERRUPTED_CELL] = { cell, message };
  else console.log(message);
}

/**
 * A call refused in an interrupted cell: told once per cell, and only when nothing was told yet —
 * the interrupt came before any run call listened (while tslab compiled the cell, say, when
 * tslab's own interrupt can be lost), so the cell must still end as interrupted.
 */
function refused(message: string): void {
  const cell = scope();
  if ((typeof cell !== "object" && typeof cell !== "function") || cell === null || toldCells.has(cell)) return;
  stopped(message);
}

/**
 * Calls `fn` on each kernel interrupt until the returned function is called. Only inside a tslab
 * kernel is SIGINT listened to (elsewhere a SIGINT listener would stop Ctrl-C from ending the
 * process); {@link triggerInterrupt} works everywhere. `scope` is the notebook cell executing now.
 */
export const onKernelInterrupt: InterruptSource = Object.assign(subscribe, {
  scope,
  stopped,
  refused,
  interrupted: (cell: unknown) => (typeof cell === "object" || typeof cell === "function") && cell !== null && interruptedCells.has(cell),
});

// marks the cells interrupts come in from the start, not only once a first run call has listened
installInterruptListener();

/** Delivers an interrupt to the current subscribers, as the kernel's SIGINT does. */
export function triggerInterrupt(): void {
  dispatch();
}
