/**
 * Where an experiment's wall time goes, phase by phase (the experiment benchmark,
 * bench/experiment.ts): the play loop, OM training, checkpoints and experience files report into
 * one process-wide timer. Off by default; when off a report is one property read and a branch, and
 * when on it allocates nothing (a phase is a number, time a double from `performance.now()`).
 *
 *   const t0 = phaseTimer.start();  …  phaseTimer.stop(PHASE.env, t0);
 *
 * Phases do not nest except where said: `episode` (episode-end bookkeeping: records, metrics,
 * events) holds `experience_file` when a trajectory ends there, and `om_training` holds
 * `ep_summarising`.
 */

/** The phases timed, as indices into {@link PhaseTimer.seconds}. */
export const PHASE = {
  /** Every learner choosing its action (LeMOL's includes its OM prediction and slow-LSTM advance). */
  act: 0,
  env: 1,
  /** Learners seeing the transition: replay writes, LeMOL's event/experience records. */
  observe: 2,
  /** The episode's end: records, metrics rows, events, the env reset (and the experience file if the trajectory ends). */
  episode: 3,
  /** preupdate and update of every learner (whether or not one is due). */
  update: 4,
  om_training: 5,
  /** LeMOL-EP's bidirectional summariser inside OM training (part of om_training). */
  ep_summarising: 6,
  checkpoint: 7,
  experience_file: 8,
} as const;

export type PhaseName = keyof typeof PHASE;

/** Phase names in index order. */
export const PHASE_NAMES = Object.keys(PHASE) as PhaseName[];

export class PhaseTimer {
  /** Whether phases are timed (off: {@link start} returns 0 and {@link stop} does nothing). */
  enabled = false;
  /** Seconds per phase, by {@link PHASE} index. */
  readonly seconds = new Float64Array(PHASE_NAMES.length);
  /** Times each phase was stopped. */
  readonly counts = new Float64Array(PHASE_NAMES.length);

  /** The start time of a phase (0 when off). */
  start(): number {
    return this.enabled ? performance.now() : 0;
  }

  /** Adds the time since `t0` (from {@link start}) to `phase`. */
  stop(phase: number, t0: number): void {
    if (!this.enabled) return;
    this.seconds[phase] += (performance.now() - t0) / 1000;
    this.counts[phase]++;
  }

  reset(): void {
    this.seconds.fill(0);
    this.counts.fill(0);
  }

  /** Seconds and counts by phase name. */
  report(): Record<PhaseName, { seconds: number; count: number }> {
    const out = {} as Record<PhaseName, { seconds: number; count: number }>;
    PHASE_NAMES.forEach((name, i) => (out[name] = { seconds: this.seconds[i], count: this.counts[i] }));
    return out;
  }
}

/** The process's timer (one per process: trajectories played in worker processes are not seen). */
export const phaseTimer = new PhaseTimer();
