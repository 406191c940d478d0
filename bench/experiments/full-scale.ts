/**
 * The full-scale runs of issue 18, summarised: a run directory of `lemol train` (its manifest and
 * metrics.csv, millions of rows) becomes
 *
 *   bench/results/full-<name>.json   per cycle and trajectory: in-play OM accuracy (all windows and
 *                                    the last quarter) and each baseline on the same steps
 *                                    (persistence, window majority, behaviour cloning), OM minus
 *                                    the best baseline; per cycle the OM training accuracy and
 *                                    loss (the last tenth of the cycle's chunks); final rewards
 *                                    per agent (last 100 episodes); the run's wall time and options
 *   data/full-<name>/metrics.csv     the run's metrics binned (means over 100 episodes, 25 in-play
 *                                    windows, 100 OM training chunks), in metrics.csv's own columns,
 *   data/full-<name>/manifest.json   and the run's manifest with a `binned` entry saying so: small
 *                                    enough to ship (~1 MB for 10 cycles), read by `loadRun`,
 *                                    `plot.*` and notebooks 03/04 like any run's
 *
 * Usage (the run itself is `lemol train`; see docs/experiments.md "The full-scale runs"):
 *   npm run experiment:full-scale -- <run_dir> <name> [--out-data DIR]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { csvLine, IN_PLAY_ACCURACY_METRICS, METRIC_COLUMNS, MetricRow, parseMetricsCsv, stabilityOf } from "../../src/train/metrics.js";
import { machine, writeResult } from "../common.js";

const IN_PLAY = IN_PLAY_ACCURACY_METRICS;
const BASELINES = IN_PLAY.slice(1);
/** Metrics logged once per in-play window (every 100 steps; their rows carry the episode count too). */
const IN_PLAY_WINDOW = /_in_play$|^om_xent_/;
/**
 * Rows per bin in the shipped copy: episodes for per-episode metrics (aligned to end at the
 * trajectory's last episode), windows for in-play, chunks
 * for OM training (5 passes of ~3,900 chunks a cycle at full scale: bins of 100 keep ~200 a cycle,
 * which a notebook's figure stores well under its size limit; ~2,500 windows a trajectory: bins of
 * 25 keep 100).
 */
export const BIN = { episode: 100, window: 25, chunk: 100 };

/** Streams a metrics.csv's rows, a block of lines at a time (a full-scale file holds millions). */
export async function forEachRow(file: string, fn: (r: MetricRow) => void): Promise<void> {
  const header = METRIC_COLUMNS.join(",");
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let block: string[] = [];
  let first = true;
  const flush = () => {
    if (block.length) for (const r of parseMetricsCsv(header + "\n" + block.join("\n"), file)) fn(r);
    block = [];
  };
  for await (const line of lines) {
    if (first) {
      first = false;
      if (line.trim() !== header) throw new Error(`${file}: not a metrics.csv (header ${JSON.stringify(line)})`);
      continue;
    }
    block.push(line);
    if (block.length >= 100_000) flush();
  }
  flush();
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const round = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);

/** Running means of rows sharing a key, emitted as one row per `size` rows (also scripts/study-data.ts's). */
export class Binner {
  private readonly open = new Map<string, { row: MetricRow; sum: number; n: number; index: number }>();
  constructor(private readonly emit: (r: MetricRow) => void) {}
  /**
   * Adds a row to its bin. `bin`: the bin's index (rows of another index close it first), or
   * `{ size }`: the bin closes after that many rows.
   */
  add(r: MetricRow, bin: number | { size: number }): void {
    const key = [r.cycle, r.trajectory, r.opponent, r.agent, r.metric].join("\u0000");
    let open = this.open.get(key);
    if (open && typeof bin === "number" && open.index !== bin) {
      this.close(key);
      open = undefined;
    }
    if (!open) this.open.set(key, (open = { row: r, sum: 0, n: 0, index: typeof bin === "number" ? bin : -1 }));
    open.sum += r.value;
    open.n++;
    open.row = r; // the bin is labelled with its last row's position
    if (typeof bin !== "number" && open.n === bin.size) this.close(key);
  }
  private close(key: string): void {
    const bin = this.open.get(key)!;
    // 7 significant digits: more than a mean of float32 metrics carries, a third of the file's size
    this.emit({ ...bin.row, value: Number((bin.sum / bin.n).toPrecision(7)) });
    this.open.delete(key);
  }
  finish(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }
}

/** Why `name` cannot name a result file (bench/results/<prefix>-<name>.json), or null if it can. */
export function resultNameProblem(name: string): string | null {
  return /^[\w.-]+$/.test(name) ? null : `name ${JSON.stringify(name)}: letters, digits, '.', '_' or '-' only (it names a file in bench/results/)`;
}

/** The run directory's manifest, after checking that `runDir` is a run of `lemol train` (a clear error if not). */
export function readRunManifest(runDir: string): RunManifest {
  for (const f of ["manifest.json", "metrics.csv"])
    if (!fs.existsSync(path.join(runDir, f))) throw new Error(`${runDir}: not a run directory of lemol train (no ${f})`);
  return JSON.parse(fs.readFileSync(path.join(runDir, "manifest.json"), "utf8")) as RunManifest;
}

interface RunManifest {
  [key: string]: unknown;
  config: Record<string, unknown>;
  started: string;
  ended?: string;
  status: string;
  git_commit?: string;
  backend?: object;
}

/** The summary of the run in `runDir` (for bench/results/full-<name>.json); its binned metrics written to `dataDir`/metrics.csv. */
export async function summariseFullRun(runDir: string, dataDir: string): Promise<Record<string, unknown>> {
  const manifest = readRunManifest(runDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const out = fs.openSync(path.join(dataDir, "metrics.csv"), "w");
  fs.writeSync(out, METRIC_COLUMNS.join(",") + "\n");
  let written = 0;
  const binner = new Binner((r) => {
    fs.writeSync(out, csvLine(r));
    written++;
  });

  // episode bins end at a trajectory's last episode (the first bin takes the remainder), so the
  // last bin is exactly the last 100 episodes: summarise's final reward on the copy is the run's
  const episodes = Number(manifest.config.num_episodes);
  const episodesOffset = Number.isInteger(episodes) && episodes > 0 ? episodes % BIN.episode : 0;
  // per (cycle, trajectory): the in-play series; per cycle: OM training; per (agent, trajectory): rewards
  const inPlay = new Map<string, Map<string, number[]>>();
  const training = new Map<number, { acc: number[]; loss: number[] }>();
  const rewards = new Map<string, number[]>();
  await forEachRow(path.join(runDir, "metrics.csv"), (r) => {
    if (IN_PLAY.includes(r.metric)) {
      const k = `${r.cycle}/${r.trajectory}`;
      const m = inPlay.get(k) ?? new Map<string, number[]>();
      inPlay.set(k, m);
      (m.get(r.metric) ?? m.set(r.metric, []).get(r.metric)!).push(r.value);
    }
    if (r.metric === "om_training_accuracy" || r.metric === "om_training_loss") {
      const t = training.get(r.cycle ?? -1) ?? { acc: [], loss: [] };
      training.set(r.cycle ?? -1, t);
      (r.metric === "om_training_accuracy" ? t.acc : t.loss).push(r.value);
    }
    if (r.metric === "episode_reward") {
      const k = `${r.agent}\u0000${r.cycle}/${r.trajectory}`;
      (rewards.get(k) ?? rewards.set(k, []).get(k)!).push(r.value);
    }
    if (r.om_iter !== null) binner.add(r, { size: BIN.chunk });
    else if (IN_PLAY_WINDOW.test(r.metric) || r.episode === null) binner.add(r, { size: BIN.window });
    // per-episode metrics (some only in episodes with an update): bins of episodes ending at the
    // trajectory's last, whichever episodes have rows
    else binner.add(r, Math.ceil((r.episode + 1 - episodesOffset) / BIN.episode));
  });
  binner.finish();
  fs.closeSync(out);
  const shippedManifest = { ...manifest, binned: { from: "metrics.csv of the run, by bench/experiments/full-scale.ts", rows_per_bin: BIN } };
  fs.writeFileSync(path.join(dataDir, "manifest.json"), JSON.stringify(shippedManifest, null, 1) + "\n");

  const trajectories = [...inPlay.entries()].map(([k, m]) => {
    const [cycle, trajectory] = k.split("/").map(Number);
    const series = (metric: string) => m.get(metric) ?? [];
    const om = series("om_accuracy_in_play");
    const lastQuarter = (xs: number[]) => mean(xs.slice(Math.floor((xs.length * 3) / 4)));
    const baselines = Object.fromEntries(BASELINES.map((b) => [b, round(mean(series(b)))]));
    const best = Math.max(...BASELINES.map((b) => mean(series(b)) ?? -Infinity));
    return {
      cycle,
      trajectory,
      windows: om.length,
      om_accuracy: round(mean(om)),
      om_accuracy_last_quarter: round(lastQuarter(om)),
      ...baselines,
      bc_last_quarter: round(lastQuarter(series("om_baseline_bc_in_play"))),
      om_minus_best_baseline: om.length && Number.isFinite(best) ? round(mean(om)! - best) : null,
      // docs/experiments.md, "Stability": per series present, the window accuracy's sd and the drop after the opponent change
      stability: Object.fromEntries(
        IN_PLAY.filter((x) => series(x).length > 0).map((x) => {
          const s = stabilityOf(series(x));
          return [x, { sd: round(s.sd), drop: round(s.drop) }];
        }),
      ),
    };
  });
  trajectories.sort((a, b) => a.cycle - b.cycle || a.trajectory - b.trajectory);
  const cycles = [...new Set(trajectories.map((t) => t.cycle))].map((cycle) => {
    const ts = trajectories.filter((t) => t.cycle === cycle);
    const tr = training.get(cycle - 1); // the OM training after cycle c−1 shapes cycle c's predictions
    const lastTenth = (xs: number[]) => mean(xs.slice(Math.floor(xs.length * 0.9)));
    const om = ts.map((t) => t.om_accuracy ?? NaN);
    return {
      cycle,
      om_accuracy: round(mean(om)),
      om_accuracy_spread: round(Math.max(...om) - Math.min(...om)),
      ...Object.fromEntries(BASELINES.map((b) => [b, round(mean(ts.map((t) => (t as unknown as Record<string, number>)[b])))])),
      om_minus_best_baseline: round(mean(ts.map((t) => t.om_minus_best_baseline ?? NaN))),
      om_trained_before: tr !== undefined,
      om_training_accuracy_before: tr ? round(lastTenth(tr.acc)) : null,
      om_training_loss_before: tr ? round(lastTenth(tr.loss)) : null,
    };
  });
  const finalRewards = [...rewards.entries()].map(([k, xs]) => {
    const [agent, where] = k.split("\u0000");
    const [cycle, trajectory] = where.split("/").map(Number);
    return { agent, cycle, trajectory, final_reward: round(mean(xs.slice(-100))), episodes: xs.length };
  });
  const hours = manifest.ended ? (Date.parse(manifest.ended) - Date.parse(manifest.started)) / 3.6e6 : null;
  return {
    machine: machine(),
    run: {
      dir: path.basename(runDir),
      status: manifest.status,
      git_commit: manifest.git_commit,
      backend: manifest.backend,
      started: manifest.started,
      ended: manifest.ended,
    },
    wall_time_hours: hours === null ? null : Math.round(hours * 100) / 100,
    options: manifest.config,
    cycles,
    trajectories,
    final_rewards: finalRewards,
    shipped_copy: { dir: path.relative(process.cwd(), dataDir), rows: written, bins: BIN },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--out-data");
  const dataDir = at >= 0 ? args.splice(at, 2)[1] : null;
  const [runDir, name] = args;
  if (!runDir || !name) {
    console.error("usage: npm run experiment:full-scale -- <run_dir> <name> [--out-data DIR]");
    process.exit(2);
  }
  const problem = resultNameProblem(name);
  if (problem) {
    console.error(problem);
    process.exit(2);
  }
  const data = dataDir ?? path.join("data", `full-${name}`);
  const summary = await summariseFullRun(runDir, data);
  console.log(`wrote ${writeResult(`full-${name}`, summary)} and ${data}/metrics.csv`);
}
