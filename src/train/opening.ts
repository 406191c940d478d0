/**
 * How an experiment opens once it is built: a fresh run (the schedule's start, the manifest, the
 * original's opening lines), or a run continued from a checkpoint (its state put back, the
 * manifest's record of the resumption, and a finished run left done).
 */
import { updatePathsLine } from "../agents/learner.js";
import { CheckpointReader } from "../storage/checkpoint.js";
import { displayPath } from "../util/fs.js";
import { ConfigError } from "./config.js";
import type { Resumption } from "./resume.js";
import type { Run } from "./run.js";
import { readRunState } from "./run-state.js";
import type { TrajectoryPlayer } from "./trajectory-player.js";

/** Opens the run: fresh without `resume`, else continued from the checkpoint. `printConfig`: print every option, not the one-line summary. */
export function openExperiment(run: Run, player: TrajectoryPlayer, resume: Resumption | undefined, printConfig: boolean): void {
  if (resume === undefined) startFresh(run, printConfig);
  else if (resume.detached) putBackState(run, player, resume.reader, resume.label, true);
  else continueRun(run, player, resume);
}

/** A fresh run: the schedule's start, the manifest, and the original's opening lines. */
function startFresh(run: Run, printConfig: boolean): void {
  const { config: cfg, schedule, runDir, manifest, print } = run;
  if (schedule.skipsPlay(0)) {
    if (runDir.experienceFiles().length === 0) {
      throw new ConfigError(
        `--skip_to_om_training: no experience files under ${runDir.experienceDir} to train on (give --lemol_save_path the experience directory of an earlier run)`,
      );
    }
    schedule.phase = "om_training";
  }
  run.writeManifest("running");
  print(`${cfg.exp_name} (${manifest.started})`);
  if (printConfig) for (const [k, v] of Object.entries(cfg).sort(([a], [b]) => a.localeCompare(b))) print(`  ${k}: ${v}`);
  else
    print(
      `  ${cfg.scenario}, ${cfg.bad_policy} (bad) vs ${cfg.good_policy} (good), seed ${cfg.seed}: ${run.cycles} cycle(s) of ${schedule.perCycle} trajectories of ${cfg.num_episodes} episodes; every option in ${displayPath(runDir.manifestFile)}`,
    );
  if (Object.keys(manifest.updatePaths).length) print(`  update: ${updatePathsLine(manifest.updatePaths)}`);
  const om = manifest.omTrainingPaths;
  if (Object.keys(om).length) print(`  opponent-model training: ${updatePathsLine(om, "native")}`);
  const nBad = run.adversary.filter((x) => x).length;
  const agents = (n: number, side: string) => `${n} ${side} agent${n === 1 ? "" : "s"}`;
  print(agents(nBad, "bad"));
  print(agents(run.adversary.length - nBad, "good"));
  if (run.policies.varying) print(`Training with varied ${run.policies.varying} agents ...`);
}

/** A run continued in its own directory: its state put back, the resumption recorded. */
function continueRun(run: Run, player: TrajectoryPlayer, resume: Resumption): void {
  const { schedule } = run;
  run.manifest.continueFrom(resume.manifest);
  putBackState(run, player, resume.reader, resume.label);
  // (a finished run's latest checkpoint is its final state; a run finished by an older lemol
  // checkpointed before its last OM training, so its manifest says it)
  if (schedule.phase === "done" || (resume.manifest.status === "finished" && resume.label === "latest")) {
    schedule.phase = "done";
    run.print(`${displayPath(run.runDir.root)}: this run is finished; nothing to continue (its final state is checkpoint ${resume.label})`);
    return;
  }
  run.writeManifest("running");
  const where =
    schedule.phase === "om_training"
      ? `cycle ${schedule.cycle}, its opponent-model training`
      : `cycle ${schedule.cycle}, trajectory ${schedule.trajectoriesStarted}, episode ${player.loop.episodesCompleted}`;
  run.print(`${run.config.exp_name} resumed from checkpoint ${resume.label} (${where})`);
}

/** Puts back what `Experiment.checkpoint` wrote, on a freshly built experiment. */
function putBackState(run: Run, player: TrajectoryPlayer, r: CheckpointReader, label: string, detached = false): void {
  const { state, replay } = readRunState(r, run, player, detached);
  if (detached) return;
  // without the replay buffers a trajectory continued mid-way cannot give an uninterrupted run's numbers
  let note: string | undefined;
  if (!replay && !state.inTrajectory) note = "taken between trajectories, where the next trajectory empties the replay buffers: the run continues exactly";
  else if (!replay && player.loop.trainStep > 0)
    note = `trajectory ${run.schedule.info!.trajectory} continued from episode ${player.loop.episodesCompleted} with empty replay buffers (the checkpoint has none): its numbers differ from an uninterrupted run's`;
  run.manifest.resumed.push({ at: new Date().toISOString(), checkpoint: label, replay, ...(note ? { note } : {}) });
}
