/**
 * How front ends plug into a running experiment, defined here so that training code never
 * imports a front end: a progress display for run calls, a source of interrupts, and where printed
 * lines go. The notebook layer installs its live progress and the kernel's interrupt as the
 * defaults when it is loaded inside a kernel (`src/notebook/install.ts`); elsewhere there are none.
 */
import type { ExperimentEvent, ExperimentEventMap, RunCall } from "./events.js";

/** What a progress display sees of the experiment whose run call it shows. */
export interface ProgressSubject {
  /** OM cycles in the run. */
  readonly cycles: number;
  /** Whether the run trains an opponent model between cycles (LeMOL); undefined: unknown. */
  readonly opponentModelled?: boolean;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends ExperimentEvent>(event: E, fn: (e: ExperimentEventMap[E]) => void): () => void;
}

/** Shows the progress of run calls (the notebook's live display, for instance). */
export interface ProgressReporter {
  /** A run call starts (calls are never nested or concurrent). */
  begin(exp: ProgressSubject, call: { call: RunCall; plannedEpisodes: number }): void;
  /** It ended: completed, stopped on request (interrupt), or failed with an error. */
  end(outcome: "done" | "stopped" | "failed", message?: string): void;
}

/**
 * Subscribes to interrupts (e.g. the kernel's); returns the unsubscribe function. A run call
 * stopped by an interrupt resolves (with what it had done) rather than rejecting, so that the
 * notebook cell ends normally and keeps what it declared; `scope`, when given, names the unit of
 * work an interrupt ends (a notebook cell): later run calls in the same unit are refused.
 */
export type InterruptSource = ((onInterrupt: () => void) => () => void) & {
  scope?: () => unknown;
  /** A call this source interrupted has resolved; `message` says where it stopped (default: printed). */
  stopped?: (message: string) => void;
  /** A call was refused in an interrupted scope; `message` says which (told once per scope, if nothing was). */
  refused?: (message: string) => void;
  /** Whether an interrupt came while `scope` (a notebook cell) ran: its later run calls are refused. */
  interrupted?: (scope: unknown) => boolean;
};

export interface ExperimentHooks {
  /** Where the original's printed lines go (default: console.log; null: nowhere). */
  print?: ((line: string) => void) | null;
  /** Print every option when a run starts, as `lemol train` does (default: one line; the manifest holds them all). */
  printConfig?: boolean;
  /** Progress display for run calls (default: the installed default, e.g. a notebook's live display; else none). */
  progress?: ProgressReporter | null;
  /** Interrupts that stop run calls cleanly (default: the installed default, e.g. the kernel's interrupt; else none). */
  interrupts?: InterruptSource | null;
}

/** Makes the default hooks for a new experiment (each call may build a fresh progress display). */
export type DefaultHooks = () => { progress: ProgressReporter | null; interrupts: InterruptSource | null };

let defaults: DefaultHooks = () => ({ progress: null, interrupts: null });

/** Installs the defaults experiments use when their hooks leave progress or interrupts unset. */
export function setDefaultHooks(make: DefaultHooks): void {
  defaults = make;
}

/** The hooks an experiment runs with: the given ones, the installed defaults for the rest. */
export function resolveHooks(hooks: ExperimentHooks): { print: (line: string) => void; progress: ProgressReporter | null; interrupts: InterruptSource | null } {
  const d = hooks.progress === undefined || hooks.interrupts === undefined ? defaults() : { progress: null, interrupts: null };
  return {
    print: hooks.print === null ? () => {} : (hooks.print ?? ((l) => console.log(l))),
    progress: hooks.progress !== undefined ? hooks.progress : d.progress,
    interrupts: hooks.interrupts !== undefined ? hooks.interrupts : d.interrupts,
  };
}
