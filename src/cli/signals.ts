/**
 * The signals that stop a run cleanly — Ctrl-C (SIGINT), SIGTERM (a cluster scheduler, systemd,
 * `docker stop`) and SIGHUP (a closed terminal) — and the exit code each gives: 128 + the signal's
 * number, as a shell reports a process killed by it.
 */

/** Each stopping signal's exit code. */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** What {@link onStopSignals} installed. */
export interface StopSignalWatch {
  /** The first signal received, or null. */
  readonly signal: StopSignal | null;
  /** The exit code of a run stopped by it (130 when stopped otherwise). */
  readonly exitCode: number;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Calls `stop` on the first stopping signal; `again` on each later one (default: exit at once with
 * the signal's code — the last checkpoint stays, so the run is still resumable).
 */
export function onStopSignals(
  stop: (signal: StopSignal) => void,
  again: (signal: StopSignal) => void = (signal) => process.exit(STOP_SIGNALS[signal]),
): StopSignalWatch {
  let first: StopSignal | null = null;
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => {
    const handler = () => {
      if (first) return again(signal);
      first = signal;
      stop(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    get signal() {
      return first;
    },
    get exitCode() {
      return STOP_SIGNALS[first ?? "SIGINT"];
    },
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
