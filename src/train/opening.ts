/**
 * How an experiment opens once it is built: a fresh run (the schedule's start, the manifest, the
 * original's opening lines), or a run continued from a checkpoint (its state put back, the
 * manifest's record of the resumption, and a finished run left done).
 */
import { updatePathsLine } from "../agents/learner.js";
import type { Manifest, ManifestRecord, RunDir } from "./run-dir.js";
import { CheckpointReader } from "../storage/checkpoint.js";
import { displayPath } from "../util/fs.js";
import { ConfigError, ExperimentConfig } from "./config.js";
import type { Resumption } from "./resume.js";
import { readRunState, RunParts } from "./run-state.js";
import type { Schedule } from "./schedule.js";
import type { TrajectoryPlayer } from "./trajectory-player.js";

/** What opening needs of the experiment. */
export interface OpeningContext {
  config: Readonly<ExperimentConfig>;
  runDir: RunDir;
  schedule: Schedule;
  player: TrajectoryPlayer;
  manifest: ManifestRecord;
  adversary: readonly boolean[];
  policies: { varying: "good" | "bad" | null };
  cycles: number;
  /** Print every option instead of the one-line summary. */
  printConfig: boolean;
  parts: () => RunParts;
  writeManifest: (status: Manifest["status"]) => void;
  print: (line: string) => void;
}

/** Opens the run: fresh without `resume`, else continued from the checkpoint. */
export function openExperiment(ctx: OpeningContext, resume: Resumption | undefined): void {
  if (resume === undefined) startFresh(ctx);
  else if (resume.detached) putBackState(ctx, resume.reader, resume.label, true);
  else continueRun(ctx, resume);
}

/** A fresh run: the schedule's start, the manifest, and the original's opening lines. */
function startFresh(ctx: OpeningContext): void {
  const { config: cfg, schedule, runDir } = ctx;
  if (schedule.skipsPlay(0)) {
    if (runDir.experienceFiles().length === 0) {
      throw new ConfigError(
        `--skip_to_om_training: no experience files under ${runDir.experienceDir} to train on (give --lemol_save_path the experience directory of an earlier run)`,
      );
    }
    schedule.phase = "om_training";
  }
  ctx.writeManifest("running");
  ctx.print(`${cfg.exp_name} (${ctx.manifest.started})`);
  if (ctx.printConfig) for (const [k, v] of Object.entries(cfg).sort(([a], [b]) => a.localeCompare(b))) ctx.print(`  ${k}: ${v}`);
  else
    ctx.print(
      `  ${cfg.scenario}, ${cfg.bad_policy} (bad) vs ${cfg.good_policy} (good), seed ${cfg.seed}: ${ctx.cycles} cycle(s) of ${schedule.perCycle} trajectories of ${cfg.num_episodes} episodes; every option in ${displayPath(runDir.manifestFile)}`,
    );
  if (Object.keys(ctx.manifest.updatePaths).length) ctx.print(`  update: ${updatePathsLine(ctx.manifest.updatePaths)}`);
  const om = ctx.manifest.omTrainingPaths;
  if (Object.keys(om).length) ctx.print(`  opponent-model training: ${updatePathsLine(om, "native")}`);
  const nBad = ctx.adversary.filter((x) => x).length;
  const agents = (n: number, side: string) => `${n} ${side} agent${n === 1 ? "" : "s"}`;
  ctx.print(agents(nBad, "bad"));
  ctx.print(agents(ctx.adversary.length - nBad, "good"));
  if (ctx.policies.varying) ctx.print(`Training with varied ${ctx.policies.varying} agents ...`);
}

/** A run continued in its own directory: its state put back, the resumption recorded. */
function continueRun(ctx: OpeningContext, resume: Resumption): void {
  const { schedule, player } = ctx;
  ctx.manifest.continueFrom(resume.manifest);
  putBackState(ctx, resume.reader, resume.label);
  // (a finished run's latest checkpoint is its final state; a run finished by an older lemol
  // checkpointed before its last OM training, so its manifest says it)
  if (schedule.phase === "done" || (resume.manifest.status === "finished" && resume.label === "latest")) {
    schedule.phase = "done";
    ctx.print(`${displayPath(ctx.runDir.root)}: this run is finished; nothing to continue (its final state is checkpoint ${resume.label})`);
    return;
  }
  ctx.writeManifest("running");
  const where =
    schedule.phase === "om_training"
      ? `cycle ${schedule.cycle}, its opponent-model training`
      : `cycle ${schedule.cycle}, trajectory ${schedule.trajectoriesStarted}, episode ${player.episodesCompleted}`;
  ctx.print(`${ctx.config.exp_name} resumed from checkpoint ${resume.label} (${where})`);
}

/** Puts back what `Experiment.checkpoint` wrote, on a freshly built experiment. */
function putBackState(ctx: OpeningContext, r: CheckpointReader, label: string, detached = false): void {
  const { player, schedule } = ctx;
  const { state, loop, replay } = readRunState(r, ctx.parts(), (j) => player.loopFor(j), detached);
  player.loop = loop;
  if (detached) return;
  // without the replay buffers a trajectory continued mid-way cannot give an uninterrupted run's numbers
  let note: string | undefined;
  if (!replay && !state.inTrajectory) note = "taken between trajectories, where the next trajectory empties the replay buffers: the run continues exactly";
  else if (!replay && player.trainStep > 0)
    note = `trajectory ${schedule.info!.trajectory} continued from episode ${player.episodesCompleted} with empty replay buffers (the checkpoint has none): its numbers differ from an uninterrupted run's`;
  ctx.manifest.resumed.push({ at: new Date().toISOString(), checkpoint: label, replay, ...(note ? { note } : {}) });
}
