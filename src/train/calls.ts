/**
 * The run calls a notebook makes on an experiment (`runEpisode`, `runTrajectory`, `runCycle`,
 * `run`, `trainOpponentModel`): each is queued behind the previous one (so an un-awaited call, or
 * one still winding down after an interrupt, never interleaves with the next), reports its
 * progress, listens for interrupts, and stops cleanly at a step (or OM chunk) boundary when asked.
 */
import type { RunCall } from "./events.js";
import type { InterruptSource, ProgressReporter, ProgressSubject } from "./hooks.js";

/** A run call ended early because a stop was requested (`requestStop`, an interrupt). */
export class ExperimentStopped extends Error {
  constructor() {
    super("stopped on request");
    this.name = "ExperimentStopped";
  }
}

/** How often long calls give the event loop a turn (interrupts, progress displays). */
export const YIELD_MS = 50;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class CallQueue {
  /** The call under way (or the last one queued), null when idle. */
  private active: Promise<unknown> | null = null;
  private stopRequested_ = false;

  constructor(
    private readonly subject: ProgressSubject,
    private readonly reporter: ProgressReporter | null,
    private readonly interrupts: InterruptSource | null,
  ) {}

  /** Whether a run call is under way (or queued). */
  get busy(): boolean {
    return this.active !== null;
  }

  get stopRequested(): boolean {
    return this.stopRequested_;
  }

  /** Asks the call under way to stop at its next boundary; nothing when none is under way. */
  requestStop(): void {
    if (this.active) this.stopRequested_ = true;
  }

  /** At a boundary: throws {@link ExperimentStopped} (after `beforeStop`) when a stop was requested. */
  checkStop(beforeStop: () => void): void {
    if (!this.stopRequested_) return;
    this.stopRequested_ = false;
    beforeStop();
    throw new ExperimentStopped();
  }

  /** Runs `body` as call `name` once the calls before it are over. `start` runs first (taking the run directory). */
  run<T>(name: RunCall, plannedEpisodes: () => number, start: () => void, body: () => Promise<T>): Promise<T> {
    const previous = this.active;
    let self: Promise<T> | null = null;
    const promise: Promise<T> = (async () => {
      // always await, even with nothing queued: the rest then runs after `self` is set below
      await previous?.catch(() => {});
      this.stopRequested_ = false;
      start();
      this.reporter?.begin(this.subject, { call: name, plannedEpisodes: plannedEpisodes() });
      // An interrupted notebook cell stops awaiting this promise; the rejection that follows the
      // stop is then expected, so it is marked handled rather than reported as unhandled.
      const unsubscribe = this.interrupts?.(() => {
        self?.catch(() => {});
        this.requestStop();
      });
      try {
        const result = await body();
        this.reporter?.end("done");
        return result;
      } catch (e) {
        this.reporter?.end(e instanceof ExperimentStopped ? "stopped" : "failed", e instanceof Error ? e.message : String(e));
        throw e;
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
