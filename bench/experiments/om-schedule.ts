/**
 * The opponent model's accuracy on one experience file under two schedules of its learning feature,
 * with the same weights (a run's checkpoint):
 *
 *   every step   the slow LSTM advanced over each event before the next prediction — the alignment
 *                the per-step model is trained with (lemol-spec §4.4 table, HEAD: LF after e_{t−1})
 *   every F      advanced over the last F = agent_update_freq events once every F steps — the
 *                schedule LeMOL plays with (§4.2 "Period structure in play"; HEAD: F = 25)
 *
 * beside the file's recorded in-play predictions and persistence. At INIT (F = 1) the two agree by
 * construction; at HEAD they measure how much of the OM's accuracy the stale feature costs in play.
 *
 *   npm run experiment:om-schedule -- <run_dir> <experience .npz> [<name>]   (writes bench/results/om-schedule-<name>.json with a name)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OpponentModel } from "../../src/agents/lemol/opponent-model.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { initBackend } from "../../src/nn/backend.js";
import { loadCheckpoint } from "../../src/storage/checkpoint.js";
import type { ExperimentConfig } from "../../src/train/config.js";
import { Rng } from "../../src/util/rng.js";
import { machine, writeResult } from "../common.js";
import { readRunManifest, resultNameProblem } from "./full-scale.js";
import { scheduleScores } from "./schedule-score.js";

const [runDir, file, name] = process.argv.slice(2);
const usage = (problem: string | null) => {
  if (!problem) return;
  console.error(`${problem}\nusage: npm run experiment:om-schedule -- <run_dir> <experience .npz> [<name>]`);
  process.exit(2);
};
usage(!runDir || !file ? "a run directory and an experience file are needed" : name ? resultNameProblem(name) : null);
await initBackend();
const cfg = readRunManifest(runDir).config as unknown as ExperimentConfig;
if (!fs.existsSync(file)) throw new Error(`${file}: no such experience file`);
if (cfg.block_processing) throw new Error("LeMOL-EP's periods are consistent between training and play: nothing to compare");
if (!String(cfg.bad_policy).split("_").includes("lemol"))
  throw new Error(`${runDir}: LeMOL is not the adversary here (bad_policy ${cfg.bad_policy}); this tool reads the adversary's opponent model`);
const env = new MultiAgentEnv(cfg.scenario);
const L = 0; // LeMOL as the adversary (lemol_vs_*)
const om = new OpponentModel({
  obsSize: env.obsSizes[L],
  actionSize: env.actionSizes[L],
  oppActionSize: env.actionSizes[1 - L],
  hidden: cfg.lstm_hidden_dim,
  numUnits: cfg.num_units,
  omlr: cfg.omlr,
  recurrentActivation: cfg.lstm_gate_activation,
  rng: new Rng(0), // (the weights come from the checkpoint)
});
const checkpoint = path.join(runDir, "checkpoints", "latest");
om.loadFrom(loadCheckpoint(checkpoint), `trainer/lemol/${L}/om`);
const X = cfg.batch_size * cfg.max_episode_len;
const scores = scheduleScores(om, file, X, cfg.agent_update_freq);
const result = {
  machine: machine(),
  run: path.basename(runDir),
  checkpoint: "latest",
  om_training_chunks_so_far: om.iterations,
  file: path.relative(runDir, file),
  revision: cfg.revision,
  agent_update_freq: cfg.agent_update_freq,
  ...scores,
};
console.log(result);
if (name) console.log(`wrote ${writeResult(`om-schedule-${name}`, result)}`);
