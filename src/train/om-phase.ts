/**
 * A cycle's opponent-model training (lemol-spec §2.2, §4.4): `om_training_iters` passes of every
 * LeMOL learner's OM over the experience files there are, chunk by chunk, interruptible at any
 * chunk and resumable from a checkpoint to the same numbers. The experiment calls {@link
 * OMPhase.run} when its schedule reaches the cycle's OM training.
 */
import type { LeMOLAgentTrainer } from "../agents/lemol/agent.js";
import type { OMTrainingPath } from "../agents/lemol/om-native.js";
import { OMPassProgress, OMTrainingOptions, OMTrainingPass, TrajectoryData } from "../agents/lemol/om-training.js";
import type { CheckpointReader, CheckpointWriter } from "../storage/checkpoint.js";
import type { Rng } from "../util/rng.js";
import { PHASE, phaseTimer } from "../util/phase-timer.js";
import { yieldEvery } from "./calls.js";
import type { ExperimentConfig } from "./config.js";
import type { OMPassSummary, Phase } from "./events.js";
import type { MetricRow } from "./metrics.js";

/** What the phase needs from the experiment around it. */
export interface OMPhaseHost {
  readonly cycle: number;
  /** The experience files to train on (absolute paths); a heartbeat after each chunk. */
  readonly runDir: { experienceFiles(): string[]; heartbeat(): void };
  readonly metrics: { add(row: MetricRow): void; flush(): void };
  /** After each chunk (the experiment's `om_chunk` event). */
  chunkDone(e: { cycle: number; pass: number; passes: number; iteration: number; chunk: number; chunks: number; loss: number; accuracy: number }): void;
  /** Throws to stop at this chunk boundary (a requested stop). */
  checkStop(): void;
  /**
   * Before each pass, with the phase's state at that boundary: the experiment checkpoints here, so
   * a crash loses at most one pass (and never the cycle's play before it).
   */
  passStarting(): void;
}

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

  /** Trains every LeMOL learner's OM (or what remains of an interrupted training); returns each pass's summary. */
  async run(host: OMPhaseHost, print: (line: string) => void): Promise<OMPassSummary[]> {
    const passes = this.cfg.om_training_iters;
    const maybeYield = yieldEvery();
    if (!this.progress) {
      print("Starting LeMOL Opponent Model Training");
      // a loss swapped in by setLoss (or a default loss the native path does not compute) trains by autodiff on the tfjs path
      for (const [name, p] of Object.entries(this.trainingPaths()))
        if (p.path === "tfjs-autodiff") print(`${name}: opponent-model training on the tfjs reference path (${p.reason})`);
      this.progress = { trainer: 0, pass: 0, current: null, sums: [0, 0], summaries: [] };
    }
    const st = this.progress;
    for (; st.trainer < this.learners.length; st.trainer++, st.pass = 0) {
      const lemol = this.learners[st.trainer];
      for (; st.pass < passes; st.pass++) {
        if (!st.current) {
          host.passStarting();
          st.current = new OMTrainingPass(lemol.om, host.runDir.experienceFiles(), this.options, this.cache);
          st.sums = [0, 0];
        }
        const pass = st.current;
        while (!pass.done) {
          host.checkStop();
          const chunk = pass.next;
          const t0 = phaseTimer.start();
          const res = pass.trainNext();
          phaseTimer.stop(PHASE.om_training, t0);
          st.sums[0] += res.loss;
          st.sums[1] += res.accuracy;
          const iteration = lemol.om.iterations;
          const base = { cycle: host.cycle, trajectory: null, opponent: null, episode: null, train_step: null, om_iter: iteration, agent: lemol.name };
          host.metrics.add({ ...base, metric: "om_training_accuracy", value: res.accuracy });
          host.metrics.add({ ...base, metric: "om_training_loss", value: res.loss });
          host.chunkDone({ cycle: host.cycle, pass: st.pass, passes, iteration, chunk, chunks: pass.chunks, loss: res.loss, accuracy: res.accuracy });
          host.runDir.heartbeat();
          await maybeYield();
        }
        st.summaries.push({ chunks: pass.chunks, loss: st.sums[0] / pass.chunks, accuracy: st.sums[1] / pass.chunks });
        st.current = null;
        host.metrics.flush();
      }
      lemol.resetPlayState();
    }
    const summaries = st.summaries;
    this.progress = null;
    this.cache.clear();
    print("LeMOL Opponent Model Training Complete");
    return summaries;
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
