/**
 * Evaluating trained policies (`--test`, `--display`, `--benchmark` with `--load_name`,
 * `--load_good`, `--load_bad`): the learners' weights come from a run directory or a checkpoint
 * (the original's loading was undone by re-initialisation; here the loaded weights are kept),
 * and the benchmark mode's data is written as one JSON file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Learner } from "../agents/learner.js";
import { animationHtml } from "../envs/render.js";
import { CheckpointError, CheckpointReader, loadCheckpoint } from "../storage/checkpoint.js";
import { displayPath, writeFileAtomic } from "../util/fs.js";
import { inOptionSyntax, type ExperimentConfig } from "./config.js";
import type { EnvStep } from "./loop.js";
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
      throw new CheckpointError(
        inOptionSyntax(`${r.where} has no trainer "${key}" (it was made with --bad_policy ${made?.bad_policy} --good_policy ${made?.good_policy})`),
      );
    }
    t.loadWeightsFrom(r, `trainer/${key}`);
  }
}

/**
 * What evaluation records as the loop steps: `--display`, SVG frames of each trajectory's first
 * episode, written as an HTML animation when it ends; `--benchmark`, each agent's benchmark data
 * per step, written as one JSON file after `benchmark_iters` steps.
 */
export class EvaluationRecorder {
  private frames: string[] | null = null;
  private benchmarkData: unknown[][] = [];

  constructor(
    private readonly cfg: Readonly<ExperimentConfig>,
    private readonly env: { render(options: { caption?: string }): string },
    private readonly runRoot: string,
  ) {}

  trajectoryStarted(caption: string): void {
    if (this.cfg.display) this.frames = [this.env.render({ caption })];
  }

  stepped(step: EnvStep, caption: () => string): void {
    if (this.frames) this.frames.push(this.env.render({ caption: caption() }));
    if (this.cfg.benchmark) this.benchmarkData.push((step.infos ?? []).map((i) => i.benchmark ?? null));
  }

  /** The first episode of a trajectory ended: its animation's file (null when not displaying). */
  episodeEnded(trajectory: number, pair: string): string | null {
    if (!this.frames) return null;
    const file = path.join(this.runRoot, "display", `${trajectory}-${pair}.html`);
    writeFileAtomic(file, `<!doctype html><meta charset="utf-8"><title>${pair}</title>${animationHtml(this.frames)}`);
    this.frames = null;
    return file;
  }

  /** `--benchmark` has recorded its `benchmark_iters` steps. */
  get benchmarkDone(): boolean {
    return this.cfg.benchmark && this.benchmarkData.length >= this.cfg.benchmark_iters;
  }

  /** Writes the benchmark data (`<run>/benchmark.json`, the agents' names in order); returns the line to print. */
  writeBenchmark(agents: string[]): string {
    const file = path.join(this.runRoot, "benchmark.json");
    const data = this.benchmarkData;
    writeFileAtomic(file, JSON.stringify({ scenario: this.cfg.scenario, agents, steps: data.length, data }) + "\n");
    this.benchmarkData = [];
    return `benchmark data for ${data.length} steps saved to ${displayPath(file)}`;
  }
}
