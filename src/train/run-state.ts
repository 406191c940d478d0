/**
 * An experiment's whole state in a checkpoint (storage/checkpoint.ts for the format): the
 * schedule and counters, the trajectory's records, the step loop's buffers, the environment and
 * its random stream, the OM file-sampling stream and any OM training under way, every learner
 * (networks, optimisers, streams, play state, replay buffers when asked), and the cycle-start
 * state of parallel trajectories.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Learner } from "../agents/learner.js";
import type { MultiAgentEnv } from "../envs/env.js";
import type { UAVEnv } from "../envs/uav.js";
import { CheckpointError, CheckpointReader, CheckpointWriter } from "../storage/checkpoint.js";
import type { Rng } from "../util/rng.js";
import type { PlayLoop } from "./loop.js";
import type { MetricRow, MetricsLog } from "./metrics.js";
import type { OMPhase } from "./om-phase.js";
import type { CycleStart } from "./parallel.js";
import type { TrajectoryRecords } from "./records.js";
import { listExperienceTemporaries, type RunDir } from "./run-dir.js";
import type { ExperimentState, Schedule } from "./schedule.js";

/** The parts of an experiment its state is made of. */
export interface RunParts {
  schedule: Schedule;
  loop: PlayLoop;
  records: TrajectoryRecords;
  env: MultiAgentEnv | UAVEnv;
  omRng: Rng;
  omPhase: OMPhase;
  trainers: ReadonlyMap<string, Learner>;
  cycleStart: CycleStart;
  runDir: RunDir;
  metrics: MetricsLog;
}

/** Writes the experiment's state into `w` (the replay buffers when `replay`). */
export function writeRunState(w: CheckpointWriter, p: RunParts, replay: boolean): void {
  const state: ExperimentState = {
    ...p.schedule.state(),
    trainStep: p.loop.trainStep,
    episodeStep: p.loop.episodeStep,
    episodesCompleted: p.loop.episodesCompleted,
    metricsRows: p.metrics.length,
    metricsBytes: p.metrics.file ? fs.statSync(p.metrics.file).size : 0,
    experienceFiles: p.runDir.experienceFiles().map((f) => path.relative(p.runDir.experienceDir, f)),
    replay,
  };
  w.value("experiment", state);
  // what restore checks the listed files against before changing anything (resume.ts)
  w.value("experience/digests", p.runDir.experienceDigests(p.runDir.experienceFiles()));
  p.records.saveTo(w, p.env.n);
  p.loop.saveTo(w);
  w.value("env/state", p.env.saveState());
  w.rng("env/rng", p.env.rng);
  w.rng("experiment/om_files_rng", p.omRng);
  p.omPhase.saveTo(w, p.runDir.experienceDir);
  for (const [key, t] of p.trainers) t.saveTo(w, `trainer/${key}`, { replay });
  p.cycleStart.saveTo(w);
}

/**
 * Reads a checkpoint back into the parts (the schedule first, so that `loopFor` gives the loop of
 * the checkpoint's pairing). Returns the checkpoint's state and whether the replay buffers were in it.
 * `detached` (a parallel worker's own directory) leaves the metrics and experience files alone.
 */
export function readRunState(
  r: CheckpointReader,
  p: Omit<RunParts, "loop">,
  loopFor: (opponent: number) => PlayLoop,
  detached: boolean,
): { state: ExperimentState; loop: PlayLoop; replay: boolean } {
  const s = r.value<ExperimentState>("experiment");
  p.schedule.check(s, (what) => new CheckpointError(`${r.where}: ${what}; the checkpoint does not fit this run's options`));
  p.schedule.load(s);
  if (!detached && p.metrics.length !== s.metricsRows)
    throw new CheckpointError(`${r.where}: metrics.csv holds ${p.metrics.length} rows at the checkpoint's offset, the checkpoint says ${s.metricsRows}`);
  const loop = loopFor(s.opponent);
  loop.loadFrom(r, s);
  p.records.loadFrom(r, p.env.n, s.inTrajectory);
  p.env.loadState(r.value("env/state"));
  r.rng("env/rng", p.env.rng);
  r.rng("experiment/om_files_rng", p.omRng);
  let replay = true;
  for (const [key, t] of p.trainers) replay = t.loadFrom(r, `trainer/${key}`).replay && replay;
  p.cycleStart.loadFrom(r, p.trainers);
  p.omPhase.loadFrom(r, p.runDir.experienceDir);
  if (!detached && p.runDir.owns(p.runDir.experienceDir)) {
    // experience files written after the checkpoint belong to steps that will be played again (only
    // in a directory that is the run's own: a --skip_to_om_training run reads another run's files)
    const keep = new Set(s.experienceFiles);
    for (const f of p.runDir.experienceFiles()) if (!keep.has(path.relative(p.runDir.experienceDir, f))) fs.rmSync(f);
    // and the temporaries of files a killed process was writing (this run's: its directory is locked and its own)
    for (const f of listExperienceTemporaries(p.runDir.experienceDir)) fs.rmSync(f, { force: true });
  }
  return { state: s, loop, replay };
}

/**
 * Takes over what parallel workers played (parallel.ts): their metric rows in schedule order,
 * then the state the cycle's last trajectory ended in, exactly as if this process had played them.
 */
export function adoptWorkersEnd(p: RunParts, rows: readonly MetricRow[], end: CheckpointReader): void {
  for (const row of rows) p.metrics.add(row);
  for (const [key, t] of p.trainers) t.loadFrom(end, `trainer/${key}`);
  const s = end.value<ExperimentState>("experiment");
  p.schedule.load(s, true);
  p.loop.trainStep = s.trainStep;
  p.loop.episodesCompleted = s.episodesCompleted;
  p.env.loadState(end.value("env/state"));
  p.metrics.flush();
}
