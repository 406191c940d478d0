/**
 * Evaluating trained policies (`--test`, `--display`, `--benchmark` with `--load_name`,
 * `--load_good`, `--load_bad`): the learners' weights come from a run directory or a checkpoint
 * (the original's loading was undone by re-initialisation; here the loaded weights are kept),
 * and the benchmark mode's data is written as one JSON file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Learner } from "../agents/learner.js";
import { CheckpointError, CheckpointReader, loadCheckpoint } from "../storage/checkpoint.js";
import { writeFileAtomic } from "../util/fs.js";
import type { ExperimentConfig } from "./config.js";
import type { Manifest } from "./run-dir.js";

/** A checkpoint directory, or a run directory's latest checkpoint. */
export function checkpointDirOf(where: string): string {
  const dir = path.resolve(where);
  if (fs.existsSync(path.join(dir, "header.json"))) return dir;
  const manifestFile = path.join(dir, "manifest.json");
  if (fs.existsSync(manifestFile)) {
    let saveDir: string | null = null;
    try {
      saveDir = (JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest).config?.save_dir ?? null;
    } catch {
      // an unreadable manifest: fall back to the default layout
    }
    return path.join(saveDir ?? path.join(dir, "checkpoints"), "latest");
  }
  return dir; // loadCheckpoint says what is wrong with it
}

/** Loads the weights to evaluate: `load_name` for every learner, `load_bad` / `load_good` per side (the others keep fresh weights). */
export function loadPolicies(learners: ReadonlyMap<string, Learner>, adversary: readonly boolean[], cfg: Readonly<ExperimentConfig>): void {
  const readers = new Map<string, CheckpointReader>();
  const reader = (where: string) => {
    let r = readers.get(where);
    if (!r) readers.set(where, (r = loadCheckpoint(checkpointDirOf(where))));
    return r;
  };
  for (const [key, t] of learners) {
    const from = (adversary[t.agentIndex] ? cfg.load_bad : cfg.load_good) ?? cfg.load_name;
    if (from === null) continue;
    const r = reader(from);
    if (!r.has(`trainer/${key}/${t.checkpointProbe}`)) {
      const made = r.header.config as Record<string, unknown> | undefined;
      throw new CheckpointError(`${r.where} has no trainer "${key}" (it was made with --bad_policy ${made?.bad_policy} --good_policy ${made?.good_policy})`);
    }
    t.loadWeightsFrom(r, `trainer/${key}`);
  }
}

/** `--benchmark`: the recorded per-step benchmark data of every agent; returns the file. */
export function writeBenchmark(runRoot: string, scenario: string, agents: string[], data: unknown[][]): string {
  const file = path.join(runRoot, "benchmark.json");
  writeFileAtomic(file, JSON.stringify({ scenario, agents, steps: data.length, data }) + "\n");
  return file;
}
