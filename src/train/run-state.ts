/**
 * An experiment's whole state in a checkpoint (storage/checkpoint.ts for the format): the
 * schedule and counters, the trajectory's records, the step loop's buffers, the environment and
 * its random stream, the OM file-sampling stream and any OM training under way, every learner
 * (networks, optimisers, streams, play state, replay buffers when asked), and the cycle-start
 * state of parallel trajectories.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CheckpointError, CheckpointReader, CheckpointWriter, saveCheckpoint } from "../storage/checkpoint.js";
import { PHASE, phaseTimer } from "../util/phase-timer.js";
import type { MetricRow } from "./metrics.js";
import type { Run } from "./run.js";
import { libraryVersion, listExperienceTemporaries } from "./run-dir.js";
import type { ExperimentState } from "./schedule.js";
import type { TrajectoryPlayer } from "./trajectory-player.js";

/**
 * Writes a checkpoint of the run (`<save_dir>/<label>`) between steps, with the replay buffers
 * when `replay`; emits `checkpoint`; returns its path.
 */
export function checkpointRun(run: Run, player: TrajectoryPlayer, label: string, replay: boolean): string {
  if (player.inStep) throw new Error("checkpoint() was called in the middle of a step (from an event handler?); call it between steps");
  const t0 = phaseTimer.start();
  run.metrics.flush();
  const w = new CheckpointWriter();
  writeRunState(w, run, player, replay);
  const where = saveCheckpoint(run.runDir.checkpointsDir, label, { lemol_version: libraryVersion(), config: run.config }, w);
  phaseTimer.stop(PHASE.checkpoint, t0);
  run.emit("checkpoint", { path: where, episode: player.loop.episodesCompleted });
  return where;
}

/** Writes the run's state into `w` (the replay buffers when `replay`). */
export function writeRunState(w: CheckpointWriter, run: Run, player: TrajectoryPlayer, replay: boolean): void {
  const { loop } = player;
  const { runDir, metrics } = run;
  const state: ExperimentState = {
    ...run.schedule.state(),
    trainStep: loop.trainStep,
    episodeStep: loop.episodeStep,
    episodesCompleted: loop.episodesCompleted,
    metricsRows: metrics.length,
    metricsBytes: metrics.file ? fs.statSync(metrics.file).size : 0,
    experienceFiles: runDir.experienceFiles().map((f) => path.relative(runDir.experienceDir, f)),
    replay,
  };
  w.value("experiment", state);
  // what restore checks the listed files against before changing anything (resume.ts)
  w.value("experience/digests", runDir.experienceDigests(runDir.experienceFiles()));
  player.records.saveTo(w, run.env.n);
  loop.saveTo(w);
  w.value("env/state", run.env.saveState());
  w.rng("env/rng", run.env.rng);
  w.rng("experiment/om_files_rng", run.omRng);
  run.omPhase.saveTo(w, runDir.experienceDir);
  for (const [key, t] of run.trainers) t.saveTo(w, `trainer/${key}`, { replay });
  run.cycleStart.saveTo(w);
}

/**
 * Reads a checkpoint back into a freshly built run (the schedule first, so that the player plays
 * the checkpoint's pairing). Returns the checkpoint's state and whether the replay buffers were in
 * it. `detached` (a parallel worker's own directory) leaves the metrics and experience files alone.
 */
export function readRunState(r: CheckpointReader, run: Run, player: TrajectoryPlayer, detached: boolean): { state: ExperimentState; replay: boolean } {
  const { schedule, metrics, env, trainers, runDir } = run;
  const s = r.value<ExperimentState>("experiment");
  schedule.check(s, (what) => new CheckpointError(`${r.where}: ${what}; the checkpoint does not fit this run's options`));
  schedule.load(s);
  if (!detached && metrics.length !== s.metricsRows)
    throw new CheckpointError(`${r.where}: metrics.csv holds ${metrics.length} rows at the checkpoint's offset, the checkpoint says ${s.metricsRows}`);
  player.playPairing(s.opponent).loadFrom(r, s);
  player.records.loadFrom(r, env.n, s.inTrajectory);
  env.loadState(r.value("env/state"));
  r.rng("env/rng", env.rng);
  r.rng("experiment/om_files_rng", run.omRng);
  let replay = true;
  for (const [key, t] of trainers) replay = t.loadFrom(r, `trainer/${key}`).replay && replay;
  run.cycleStart.loadFrom(r, trainers);
  run.omPhase.loadFrom(r, runDir.experienceDir);
  if (!detached && runDir.owns(runDir.experienceDir)) {
    // experience files written after the checkpoint belong to steps that will be played again (only
    // in a directory that is the run's own: a --skip_to_om_training run reads another run's files)
    const keep = new Set(s.experienceFiles);
    for (const f of runDir.experienceFiles()) if (!keep.has(path.relative(runDir.experienceDir, f))) fs.rmSync(f);
    // and the temporaries of files a killed process was writing (this run's: its directory is locked and its own)
    for (const f of listExperienceTemporaries(runDir.experienceDir)) fs.rmSync(f, { force: true });
  }
  return { state: s, replay };
}

/**
 * Takes over what parallel workers played (parallel.ts): their metric rows in schedule order,
 * then the state the cycle's last trajectory ended in, exactly as if this process had played them.
 */
export function adoptWorkersEnd(run: Run, player: TrajectoryPlayer, rows: readonly MetricRow[], end: CheckpointReader): void {
  for (const row of rows) run.metrics.add(row);
  for (const [key, t] of run.trainers) t.loadFrom(end, `trainer/${key}`);
  const s = end.value<ExperimentState>("experiment");
  run.schedule.load(s, true);
  player.loop.trainStep = s.trainStep;
  player.loop.episodesCompleted = s.episodesCompleted;
  run.env.loadState(end.value("env/state"));
  run.metrics.flush();
}
