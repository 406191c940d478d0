/**
 * The notebook kernel's interrupt (the ■ button, or a timeout in headless runs). tslab turns
 * SIGINT into a rejected cell, but the work the cell started keeps running unless it listens too:
 * run calls subscribe here and stop at the next step boundary, leaving the experiment usable.
 */
const handlers = new Set<() => void>();
let installed = false;

function dispatch(): void {
  for (const h of [...handlers]) h();
}

/**
 * Calls `fn` on each kernel interrupt until the returned function is called. Only inside a tslab
 * kernel is SIGINT listened to (elsewhere a SIGINT listener would stop Ctrl-C from ending the
 * process); {@link triggerInterrupt} works everywhere.
 */
export function onKernelInterrupt(fn: () => void): () => void {
  if (!installed && (globalThis as { __tslab__?: unknown }).__tslab__ !== undefined) {
    process.on("SIGINT", dispatch);
    installed = true;
  }
  handlers.add(fn);
  return () => {
    handlers.delete(fn);
  };
}

/** Delivers an interrupt to the current subscribers, as the kernel's SIGINT does. */
export function triggerInterrupt(): void {
  dispatch();
}
