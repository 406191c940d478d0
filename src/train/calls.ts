/**
 * The run calls a notebook makes on an experiment (`runEpisode`, `runTrajectory`, `runCycle`,
 * `run`, `trainOpponentModel`): each is queued behind the previous one (so an un-awaited call, or
 * one still winding down after an interrupt, never interleaves with the next), reports its
 * progress, listens for interrupts, and stops cleanly at a step (or OM chunk) boundary when asked.
 *
 * How a stopped call ends depends on who asked. `requestStop()` (code) rejects it with
 * {@link ExperimentStopped}, so the caller knows. An interrupt (the notebook's stop button)
 * resolves it with what it had done and prints one line: a tslab cell that throws loses every
 * declaration it made (`const exp = await Experiment.create(...)` would be gone), so the cell must
 * end normally. Later run calls in the same interrupted cell are refused: each resolves at once,
 * without running, with what the experiment holds (its outcome `refused`), so a second call, or a
 * loop of calls, ends the cell after the stop button instead of failing it.
 */
import type { RunCall } from "./events.js";
import type { InterruptSource, ProgressReporter, ProgressSubject } from "./hooks.js";

/** A run call ended early because a stop was requested (`requestStop`, an interrupt). */
export class ExperimentStopped extends Error {
  constructor(message = "stopped on request") {
    super(message);
    this.name = "ExperimentStopped";
  }
}

/** How often long calls give the event loop a turn (interrupts, progress displays). */
export const YIELD_MS = 50;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A function that gives the event loop a turn when YIELD_MS have passed since the last (for loops of many small steps). */
export function yieldEvery(): () => Promise<void> | undefined {
  let last = Date.now();
  return () => {
    if (Date.now() - last <= YIELD_MS) return undefined;
    return yieldToEventLoop().then(() => {
      last = Date.now();
    });
  };
}

/** How the last run call ended. */
export interface CallOutcome {
  call: RunCall;
  /**
   * `done`: ran to its end; `stopped`: by an interrupt or `requestStop()`; `refused`: not run,
   * because it was made in a notebook cell already interrupted; `failed`: it threw.
   */
  outcome: "done" | "stopped" | "refused" | "failed";
  /** For `stopped`, `refused` and `failed`: one line on what happened. */
  message?: string;
}

export class CallQueue {
  /** The call under way (or the last one queued), null when idle. */
  private active: Promise<unknown> | null = null;
  private stopRequested_ = false;
  /** Why a stop was requested: an interrupt resolves the call, a request rejects it. */
  private stopBy: "interrupt" | "request" = "request";
  /** The interrupt scope (notebook cell) whose call was interrupted: later calls in it are refused. */
  private interruptedScope: unknown = undefined;
  /** How the last call ended (null before the first). */
  last: CallOutcome | null = null;

  constructor(
    private readonly subject: ProgressSubject,
    private readonly reporter: ProgressReporter | null,
    private readonly interrupts: InterruptSource | null,
  ) {}

  /** Whether a run call is under way (or queued). */
  get busy(): boolean {
    return this.active !== null;
  }

  /** Resolves once no call is under way or queued (a failed call included). */
  async idle(): Promise<void> {
    while (this.active) await this.active.catch(() => {});
  }

  get stopRequested(): boolean {
    return this.stopRequested_;
  }

  /** Asks the call under way to stop at its next boundary; nothing when none is under way. */
  requestStop(by: "interrupt" | "request" = "request"): void {
    if (!this.active) return;
    this.stopRequested_ = true;
    this.stopBy = by;
  }

  /** Whether the stop under way was asked for by an interrupt. */
  private interrupted(): boolean {
    return this.stopBy === "interrupt";
  }

  /** At a boundary: throws {@link ExperimentStopped} (after `beforeStop`) when a stop was requested. */
  checkStop(beforeStop: () => void): void {
    if (!this.stopRequested_) return;
    this.stopRequested_ = false;
    beforeStop();
    throw new ExperimentStopped();
  }

  /**
   * Runs `body` as call `name` once the calls before it are over. `start` runs first (taking the
   * run directory). Stopped by an interrupt, the call resolves with `partial()`, printing
   * `where()` in its one line; made in a cell already interrupted, it resolves with `partial()` at once.
   * `showProgress` false: the progress display does not show this call.
   */
  run<T>(
    name: RunCall,
    plannedEpisodes: () => number,
    start: () => void,
    body: () => Promise<T>,
    partial: () => T,
    where: () => string,
    showProgress = true,
  ): Promise<T> {
    const reporter = showProgress ? this.reporter : null;
    const previous = this.active;
    let self: Promise<T> | null = null;
    const promise: Promise<T> = (async () => {
      // always await, even with nothing queued: the rest then runs after `self` is set below
      await previous?.catch(() => {});
      this.stopRequested_ = false;
      this.stopBy = "request";
      const scope = this.interrupts?.scope?.();
      if (scope !== undefined && (scope === this.interruptedScope || this.interrupts?.interrupted?.(scope))) {
        // resolved, not thrown: the cell must end normally to keep its declarations
        const message = `${name} not started: this cell was interrupted`;
        this.last = { call: name, outcome: "refused", message };
        this.interrupts?.refused?.(message);
        if (this.active === self) this.active = null;
        return partial();
      }
      start();
      reporter?.begin(this.subject, { call: name, plannedEpisodes: plannedEpisodes() });
      // An interrupted notebook cell stops awaiting this promise; the rejection that follows the
      // stop is then expected, so it is marked handled rather than reported as unhandled.
      const unsubscribe = this.interrupts?.(() => {
        self?.catch(() => {});
        this.requestStop("interrupt");
      });
      try {
        const result = await body();
        reporter?.end("done");
        this.last = { call: name, outcome: "done" };
        return result;
      } catch (e) {
        const stopped = e instanceof ExperimentStopped;
        const message = stopped
          ? `${name} stopped ${where()}; the experiment is consistent: call again to continue`
          : e instanceof Error
            ? e.message
            : String(e);
        reporter?.end(stopped ? "stopped" : "failed", message);
        this.last = { call: name, outcome: stopped ? "stopped" : "failed", message };
        if (!stopped || !this.interrupted()) throw e;
        // interrupted: the cell ends normally (see the top of this file)
        this.interruptedScope = scope;
        if (this.interrupts?.stopped) this.interrupts.stopped(message);
        else console.log(message);
        return partial();
      } finally {
        unsubscribe?.();
        if (this.active === self) this.active = null;
      }
    })();
    self = promise;
    this.active = promise;
    return promise;
  }
}
