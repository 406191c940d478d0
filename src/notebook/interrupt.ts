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
 */
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

function inKernel(): boolean {
  return (globalThis as { __tslab__?: unknown }).__tslab__ !== undefined;
}

function dispatch(): void {
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

function subscribe(fn: () => void): () => void {
  if (inKernel()) {
    if (!installed) {
      process.on("SIGINT", dispatch);
      installed = true;
    }
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

function stopped(message: string): void {
  const g = globalThis as Record<symbol, unknown>;
  const cell = currentCell();
  if (g[LEMOL_KERNEL] && cell !== undefined) g[INTERRUPTED_CELL] = { cell, message };
  else console.log(message);
}

/**
 * Calls `fn` on each kernel interrupt until the returned function is called. Only inside a tslab
 * kernel is SIGINT listened to (elsewhere a SIGINT listener would stop Ctrl-C from ending the
 * process); {@link triggerInterrupt} works everywhere. `scope` is the notebook cell executing now.
 */
export const onKernelInterrupt: InterruptSource = Object.assign(subscribe, { scope: currentCell, stopped });

/** Delivers an interrupt to the current subscribers, as the kernel's SIGINT does. */
export function triggerInterrupt(): void {
  dispatch();
}
