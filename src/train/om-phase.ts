/**
 * A cycle's opponent-model training (lemol-spec §2.2, §4.4): `om_training_iters` passes of every
 * LeMOL learner's OM over the experience files there are, chunk by chunk, interruptible at any
 * chunk and resumable from a checkpoint to the same numbers. The cycle runner drives it when the
 * schedule reaches the cycle's OM training: {@link OMPhase.next} says what comes next (a pass
 * about to start, a chunk, the end), {@link OMPhase.startPass} and {@link OMPhase.trainChunk} do it.
 */
import type { LeMOLAgentTrainer } from "../agents/lemol/agent.js";
import type { OMTrainingPath } from "../agents/lemol/om-native.js";
import { OMPassProgress, OMTrainingOptions, OMTrainingPass, TrajectoryData } from "../agents/lemol/om-training.js";
import type { CheckpointReader, CheckpointWriter } from "../storage/checkpoint.js";
import type { Rng } from "../util/rng.js";
import { PHASE, phaseTimer } from "../util/phase-timer.js";
import type { ExperimentConfig } from "./config.js";
import type { ExperimentEventMap, OMPassSummary, Phase } from "./events.js";
import type { MetricRow } from "./metrics.js";

/** What comes next in the OM training ({@link OMPhase.next}). */
export type OMPhaseNext =
  /** A pass is about to start: checkpoint here (a crash then loses at most one pass), then {@link OMPhase.startPass}. */
  | { next: "pass_start" }
  /** A chunk of the pass under way: {@link OMPhase.trainChunk} (a stop may come first: the pass continues later). */
  | { next: "chunk" }
  /** The training is over: every pass's summary. */
  | { next: "done"; summaries: OMPassSummary[] };

/** One chunk trained (the experiment's `om_chunk` event). */
export type OMChunk = ExperimentEventMap["om_chunk"];

const PASS_START: OMPhaseNext = { next: "pass_start" };
const CHUNK: OMPhaseNext = { next: "chunk" };

interface Progress {
  trainer: number;
  pass: number;
  current: OMTrainingPass | null;
  sums: [number, number];
  summaries: OMPassSummary[];
}

/** Why the cycle's OM training cannot run now (null when it can). */
export function omTrainingRefusal(phase: Phase, lemolPresent: boolean, cfg: Readonly<ExperimentConfig>): string | null {
  if (phase === "om_training") return null;
  if (phase === "done") return "the experiment is finished";
  if (!lemolPresent) return "there is no LeMOL agent, so no opponent model to train";
  if (cfg.feed_lemol_true_action) return "oracle mode (--feed_lemol_true_action) trains no opponent model";
  return "the cycle still has trajectories to play (runTrajectory or runCycle first)";
}

export class OMPhase {
  private readonly options: OMTrainingOptions;
  private readonly cache = new Map<string, TrajectoryData>();
  private progress: Progress | null = null;

  constructor(
    private readonly learners: readonly LeMOLAgentTrainer[],
    private readonly cfg: Readonly<ExperimentConfig>,
    explorationSteps: number,
    episodicPeriods: boolean,
    rng: Rng,
  ) {
    this.options = {
      numTrajToTrain: cfg.num_traj_to_train,
      chunkLength: cfg.chunk_length,
      revision: cfg.revision,
      explorationSteps,
      trainOnOneHot: cfg.train_lemol_om_on_oh,
      rng,
      episodicPeriods,
    };
  }

  /** Per LeMOL learner, where its opponent model trains now and why (OpponentModel.trainingPath). */
  trainingPaths(): Record<string, OMTrainingPath> {
    return Object.fromEntries(this.learners.map((l) => [l.name, l.om.trainingPath]));
  }

  /** Whether a training is under way (started, not finished). */
  get underWay(): boolean {
    return this.progress !== null;
  }

  /** The passes completed so far of the training under way (none when none is). */
  get completedPasses(): OMPassSummary[] {
    return [...(this.progress?.summaries ?? [])];
  }

  /**
   * Where the training goes next: starts it when none is under way (printing so), ends a learner's
   * passes (its play state reset) and the training (printing so), and says what the caller is to do.
   */
  next(print: (line: string) => void): OMPhaseNext {
    if (!this.progress) {
      print("Starting LeMOL Opponent Model Training");
      // a loss swapped in by setLoss (or a default loss the native path does not compute) trains by autodiff on the tfjs path
      for (const [name, p] of Object.entries(this.trainingPaths()))
        if (p.path === "tfjs-autodiff") print(`${name}: opponent-model training on the tfjs reference path (${p.reason})`);
      this.progress = { trainer: 0, pass: 0, current: null, sums: [0, 0], summaries: [] };
    }
    const st = this.progress;
    for (; st.trainer < this.learners.length; st.trainer++, st.pass = 0) {
      if (st.pass < this.cfg.om_training_iters) return st.current ? CHUNK : PASS_START;
      this.learners[st.trainer].resetPlayState();
    }
    const summaries = st.summaries;
    this.progress = null;
    this.cache.clear();
    print("LeMOL Opponent Model Training Complete");
    return { next: "done", summaries };
  }

  /** Starts the next pass over `experienceFiles` (absolute paths), after {@link next} said `pass_start`. */
  startPass(experienceFiles: string[]): void {
    const st = this.progress;
    if (!st || st.current || st.trainer >= this.learners.length) throw new Error("OMPhase.startPass: no pass is due (call next first)");
    st.current = new OMTrainingPass(this.learners[st.trainer].om, experienceFiles, this.options, this.cache);
    st.sums = [0, 0];
  }

  /**
   * Trains the next chunk of the pass under way, adding its rows to `metrics` (flushed when the
   * chunk ends the pass); returns what the `om_chunk` event reports.
   */
  trainChunk(cycle: number, metrics: { add(row: MetricRow): void; flush(): void }): OMChunk {
    const st = this.progress;
    const pass = st?.current;
    if (!st || !pass) throw new Error("OMPhase.trainChunk: no pass is under way (call next, and startPass when it says pass_start)");
    const lemol = this.learners[st.trainer];
    const chunk = pass.next;
    const t0 = phaseTimer.start();
    const res = pass.trainNext();
    phaseTimer.stop(PHASE.om_training, t0);
    st.sums[0] += res.loss;
    st.sums[1] += res.accuracy;
    const iteration = lemol.om.iterations;
    const base = { cycle, trajectory: null, opponent: null, episode: null, train_step: null, om_iter: iteration, agent: lemol.name };
    metrics.add({ ...base, metric: "om_training_accuracy", value: res.accuracy });
    metrics.add({ ...base, metric: "om_training_loss", value: res.loss });
    const passes = this.cfg.om_training_iters;
    const trained = { cycle, pass: st.pass, passes, iteration, chunk, chunks: pass.chunks, loss: res.loss, accuracy: res.accuracy };
    if (pass.done) {
      st.summaries.push({ chunks: pass.chunks, loss: st.sums[0] / pass.chunks, accuracy: st.sums[1] / pass.chunks });
      st.current = null;
      st.pass++;
      metrics.flush();
    }
    return trained;
  }

  /** Where the training stands, for a checkpoint (nothing when none is under way). */
  saveTo(w: CheckpointWriter, experienceDir: string): void {
    const st = this.progress;
    if (!st) return;
    const p = st.current?.progress(experienceDir);
    w.value("om_training", {
      trainer: st.trainer,
      pass: st.pass,
      sums: st.sums,
      summaries: st.summaries,
      current: p ? { files: p.files, next: p.next, useInit: p.useInit } : null,
    });
    if (p) {
      w.array("om_training/h", p.h);
      w.array("om_training/c", p.c);
    }
  }

  /** Takes up the training a checkpoint was in the middle of, if any. */
  loadFrom(r: CheckpointReader, experienceDir: string): void {
    this.progress = null;
    if (!r.has("om_training")) return;
    const om = r.value<{ trainer: number; pass: number; sums: [number, number]; summaries: OMPassSummary[]; current: Omit<OMPassProgress, "h" | "c"> | null }>(
      "om_training",
    );
    const current = om.current
      ? OMTrainingPass.resume(
          this.learners[om.trainer].om,
          { ...om.current, h: r.f32("om_training/h"), c: r.f32("om_training/c") },
          this.options,
          experienceDir,
          this.cache,
        )
      : null;
    this.progress = { trainer: om.trainer, pass: om.pass, sums: om.sums, summaries: om.summaries, current };
  }
}
