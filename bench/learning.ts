/**
 * Learning quality (`npm run bench -- learning`, bench/results/learning.json): does lemol's
 * MADDPG learn as well as the reference implementations? MADDPG vs MADDPG (and M3DDPG vs M3DDPG
 * where the scenario has two sides) on seven MPE scenarios at openai/maddpg's settings — lr 0.01,
 * γ 0.95, batch 1024, 64 units, polyak 0.01, an update round every 100 env steps, 25-step
 * episodes, 10,000 episodes — once with lemol's default (the time limit counts as terminal, as
 * LeMOL's code stores it) and once with `--bootstrap_time_limit` (openai/maddpg's storage), on
 * several seeds. docs/learning.md explains the difference and the figures.
 *
 * The runs are a sweep (src/train/sweep.ts) on worker processes of the built `lemol` command, so
 * they run the loop `lemol train` runs, on every core, and an interrupted benchmark continues
 * where it stopped (finished runs are kept in bench/tmp/learning/). The JSON holds, per
 * configuration and seed, the mean episode reward per 500-episode block, per agent and summed
 * over agents, and the mean critic loss per block; then a summary per configuration.
 *
 * Environment: LEMOL_LEARNING_SEEDS (default 1,2,3,4,5), LEMOL_LEARNING_EPISODES (10000),
 * LEMOL_LEARNING_SCENARIOS (all seven), LEMOL_LEARNING_WORKERS (the number of cores);
 * LEMOL_LEARNING_COLLECT_ONLY=1 writes the JSON from the finished runs without running more.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Experiment } from "../src/train/experiment.js";
import { MetricsLog } from "../src/train/metrics.js";
import { WORKER_V8_FLAGS } from "../src/train/workers.js";
import { LearningRun, summariseLearning } from "./learning-summary.js";
import { RESULTS_DIR, machine, writeResult } from "./common.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(REPO, "dist/cli/main.js");
const WORK = path.join(REPO, "bench/tmp/learning");

/** Scenarios, with their adversary count (MPE puts adversaries first). */
export const SCENARIOS: Record<string, number> = {
  simple: 0,
  simple_spread: 0,
  simple_push: 1,
  simple_adversary: 1,
  simple_tag: 3,
  simple_speaker_listener: 0,
  simple_reference: 0,
};

/** openai/maddpg's settings (the measurement). */
export const LEARNING_SETTINGS = {
  lr: 0.01,
  gamma: 0.95,
  batch_size: 1024,
  num_units: 64,
  polyak: 0.01,
  agent_update_freq: 100,
  max_episode_len: 25,
} as const;

export const BLOCK = 500;

function envList(name: string, fallback: string[]): string[] {
  const v = process.env[name];
  return v
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : fallback;
}

/** The configurations: scenario × policy pair × time-limit storage. */
function configurations(scenarios: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const scenario of scenarios) {
    const adversaries = SCENARIOS[scenario];
    if (adversaries === undefined) throw new Error(`unknown scenario ${scenario}; known: ${Object.keys(SCENARIOS).join(", ")}`);
    const policies = adversaries > 0 ? ["maddpg", "mmmaddpg"] : ["maddpg"];
    for (const policy of policies) {
      for (const bootstrap of [false, true])
        out.push({ scenario, num_adversaries: adversaries, good_policy: policy, bad_policy: policy, bootstrap_time_limit: bootstrap });
    }
  }
  return out;
}

export function runSweep(file: string, workers: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...WORKER_V8_FLAGS, CLI, "sweep", file, "--workers", String(workers)], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`lemol sweep exited with ${code}`))));
  });
}

/** Per-episode values of one metric per agent, from a run's metrics. */
function perEpisode(log: MetricsLog, metric: string, agents: string[], episodes: number): number[][] {
  const out = agents.map(() => new Array<number>(episodes).fill(NaN));
  for (const r of log.select(metric)) {
    const a = agents.indexOf(r.agent!);
    if (a >= 0 && r.episode !== null && r.episode < episodes) out[a][r.episode] = r.value;
  }
  return out;
}

function blockMeans(xs: readonly number[]): (number | null)[] {
  const out: (number | null)[] = [];
  for (let b = 0; b + BLOCK <= xs.length; b += BLOCK) {
    let s = 0;
    let n = 0;
    for (let i = b; i < b + BLOCK; i++) {
      if (!Number.isFinite(xs[i])) continue;
      s += xs[i];
      n++;
    }
    out.push(n ? round(s / n) : null);
  }
  return out;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Episodes of each evaluation match. */
const EVAL_EPISODES = 500;

/**
 * A two-sided game: both sides learn at once, so one side's reward can fall while it improves
 * (its opponent improves more). What each side learned is measured against the trained opponent
 * instead: the trained side's reward, and that of an untrained stand-in (fresh weights, acting as
 * the random-policy start does), over EVAL_EPISODES episodes each (`--test` with `--load_*`).
 * Kept in the run directory (evaluation.json), so collecting again does not repeat it.
 */
async function evaluateSides(runDir: string, cfg: Record<string, unknown>): Promise<LearningRun["evaluation"]> {
  const file = path.join(runDir, "evaluation.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const checkpoint = path.join(runDir, "checkpoints", "latest");
  const match = async (load: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-eval-"));
    const exp = await Experiment.create(
      {
        scenario: cfg.scenario as string,
        num_adversaries: cfg.num_adversaries as number,
        bad_policy: cfg.bad_policy as string,
        good_policy: cfg.good_policy as string,
        num_episodes: EVAL_EPISODES,
        traj_per_iter: 1,
        save_rate: EVAL_EPISODES,
        seed: 1000 + (cfg.seed as number),
        test: true,
        ...load,
        run_dir: path.join(dir, "run"),
      },
      { print: null },
    );
    await exp.run();
    const rows = exp.metrics.select("episode_reward");
    exp.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    const side = (s: string) => rows.filter((r) => r.agent!.includes(`-${s}_agent_`)).reduce((a, r) => a + r.value, 0) / EVAL_EPISODES;
    return { bad: round(side("bad")), good: round(side("good")) };
  };
  const both = await match({ load_name: checkpoint });
  const badUntrained = await match({ load_good: checkpoint });
  const goodUntrained = await match({ load_bad: checkpoint });
  const evaluation = { episodes: EVAL_EPISODES, trained: both, untrained_bad_vs_trained_good: badUntrained, trained_bad_vs_untrained_good: goodUntrained };
  fs.writeFileSync(file, JSON.stringify(evaluation, null, 1) + "\n");
  return evaluation;
}

/** Every finished run under `results`, as the JSON records it. */
export async function collectRuns(results: string, episodes: number): Promise<LearningRun[]> {
  const runs: LearningRun[] = [];
  for (const dir of fs
    .readdirSync(results)
    .filter((d) => /^r\d{3}-s\d+$/.test(d))
    .sort()) {
    const manifest = JSON.parse(fs.readFileSync(path.join(results, dir, "manifest.json"), "utf8")) as { status: string; config: Record<string, unknown> };
    if (manifest.status !== "finished") continue;
    const cfg = manifest.config;
    const log = MetricsLog.load(path.join(results, dir, "metrics.csv"));
    const agents = [...new Set(log.select("episode_reward").map((r) => r.agent!))];
    const rewards = perEpisode(log, "episode_reward", agents, episodes);
    const qLoss = perEpisode(log, "q_loss", agents, episodes);
    const summed = rewards[0].map((_, e) => rewards.reduce((s, r) => s + r[e], 0));
    runs.push({
      scenario: cfg.scenario as string,
      policy: cfg.good_policy as string,
      bootstrap_time_limit: cfg.bootstrap_time_limit as boolean,
      seed: cfg.seed as number,
      agents,
      summed_reward_blocks: blockMeans(summed) as number[],
      agent_reward_blocks: rewards.map(blockMeans) as number[][],
      q_loss_blocks: qLoss.map(blockMeans),
      ...(agents.some((a) => a.includes("-bad_")) && agents.some((a) => a.includes("-good_"))
        ? { evaluation: await evaluateSides(path.join(results, dir), cfg) }
        : {}),
    });
  }
  return runs;
}

function previousWallSeconds(): number | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, "learning.json"), "utf8")) as { wall_seconds: number | null }).wall_seconds;
  } catch {
    return null;
  }
}

export async function benchLearning(): Promise<string> {
  const seeds = envList("LEMOL_LEARNING_SEEDS", ["1", "2", "3", "4", "5"]).map(Number);
  const episodes = Number(process.env.LEMOL_LEARNING_EPISODES ?? 10000);
  const scenarios = envList("LEMOL_LEARNING_SCENARIOS", Object.keys(SCENARIOS));
  const workers = Number(process.env.LEMOL_LEARNING_WORKERS ?? os.availableParallelism());
  const name = `learning-${episodes}`;
  const results = path.join(WORK, name);
  fs.mkdirSync(results, { recursive: true });
  const base = { ...LEARNING_SETTINGS, num_episodes: episodes, save_rate: 1000, traj_per_iter: 1, checkpoint_replay: false, exp_name: "learning" };
  const spec = { name, results, base, list: configurations(scenarios), seeds };
  const file = path.join(WORK, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(spec, null, 2) + "\n");
  const jobs = spec.list.length * seeds.length;
  console.log(`learning: ${jobs} runs of ${episodes} episodes on ${workers} processes (finished runs in ${results} are kept)`);
  const t0 = Date.now();
  const collectOnly = process.env.LEMOL_LEARNING_COLLECT_ONLY === "1";
  if (!collectOnly) await runSweep(file, workers);
  const wallSeconds = (Date.now() - t0) / 1000;
  const runs = await collectRuns(results, episodes);
  const summary = summariseLearning(runs, BLOCK);
  for (const line of summary.lines) console.log(line);
  return writeResult("learning", {
    about:
      "MADDPG (and M3DDPG where there are two sides) on seven MPE scenarios at openai/maddpg's settings, with lemol's default time-limit storage (terminal) and with --bootstrap_time_limit. Rewards: mean episode reward per 500-episode block, per agent and summed over agents (MPE's shared reward gives every agent of a cooperative scenario the same reward). q_loss: mean critic loss per block (null before learning starts). See docs/learning.md.",
    changed: "first run: the time limit as terminal stalls MADDPG on simple_spread (the critic's aliasing at the time limit); --bootstrap_time_limit added",
    machine: machine(),
    settings: { ...LEARNING_SETTINGS, num_episodes: episodes, block_episodes: BLOCK, seeds, exploration_episodes: LEARNING_SETTINGS.batch_size },
    // collecting again keeps the sweep's own time
    wall_seconds: collectOnly ? previousWallSeconds() : Math.round(wallSeconds),
    summary: summary.table,
    summary_lines: summary.lines,
    runs,
  });
}
