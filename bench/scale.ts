/**
 * Scale-out (`npm run bench -- scale`, bench/results/scale.json):
 *   1. parallel trajectories: LeMOL vs MADDPG runs with `parallel_trajectories`, on 1 worker (in
 *      process) and on 2 worker processes, timed from creating the experiment to its end (worker
 *      start-up, checkpoints and merges included) — trajectories per hour and the speed-up
 *      (target ≥ 1.8x on 2 cores), for two workloads (WORKLOADS);
 *   2. a sweep of 4 runs through Redis (Debian's redis-server, BullMQ) on 2 `lemol worker`
 *      processes, against the same 4 runs one after the other in one process: with the workers
 *      already waiting (throughput, as on a cluster whose workers stay up) and started with the
 *      submission (cold).
 * Repetitions alternate the two sides (this VM's speed drifts); each figure is their median. The
 * built library is measured (`npm run bench` builds it; bench/built-library.mjs).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Experiment, ExperimentOptions } from "../src/train/experiment.js";
import { submitSweep, waitForSweep } from "../src/train/queue.js";
import { WORKER_V8_FLAGS } from "../src/train/workers.js";
import { expandSweep, loadSweepSpec } from "../src/train/sweep.js";
import { machine, median, writeResult } from "./common.js";

const SWEEP_REPEATS = 2;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// the built command, as users run it (this suite runs the built library: see built-library.mjs)
const CLI = path.join(REPO, "dist/cli/main.js");

/** Parallel-trajectory workloads: trajectories with lemol's default update cadence (the headline), and short ones with cheap updates, where fixed costs weigh most. */
const WORKLOADS: { name: string; about: string; repeats: number; options: ExperimentOptions }[] = [
  {
    name: "default_cadence",
    about: "lemol's defaults (batch 1024, an update every step, 64 units) on 1,200-episode trajectories (1,024 of them exploration), 2 cycles x 2 trajectories",
    repeats: 3,
    options: { num_episodes: 1200, n_opp_cycles: 2, traj_per_iter: 2, save_rate: 100, om_training_iters: 0, parallel_trajectories: true, seed: 3 },
  },
  {
    name: "cheap_updates",
    about: "batch 64, an update every 5 steps, 2,500-episode trajectories, 1 cycle x 4 trajectories",
    repeats: 2,
    options: {
      num_episodes: 2500,
      batch_size: 64,
      agent_update_freq: 5,
      n_opp_cycles: 1,
      traj_per_iter: 4,
      save_rate: 100,
      om_training_iters: 0,
      num_units: 64,
      lstm_hidden_dim: 32,
      parallel_trajectories: true,
      seed: 3,
    },
  },
];

async function timeRun(options: ExperimentOptions, workers: number): Promise<number> {
  const runDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-scale-")), "run");
  const t0 = Date.now();
  const exp = await Experiment.create({ ...options, run_dir: runDir }, { print: null });
  await exp.run({ workers });
  const seconds = (Date.now() - t0) / 1000;
  exp.dispose();
  fs.rmSync(path.dirname(runDir), { recursive: true, force: true });
  return seconds;
}

/**
 * The machine's own ceiling: one trajectory of `options` in a process by itself (with the worker
 * flags), and in two such independent processes at once. Two busy processes each run slower than
 * one alone (shared caches and memory bandwidth; the lone process also lends GC work to the idle
 * core), so 2 x alone / together bounds any 2-worker speed-up, whatever lemol does.
 */
function probe(options: ExperimentOptions): Promise<number> {
  const one = { ...options, n_opp_cycles: 1, traj_per_iter: 1 };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...WORKER_V8_FLAGS, ...process.execArgv, fileURLToPath(import.meta.url), "--probe", JSON.stringify(one)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(Number(out.trim().split("\n").pop())) : reject(new Error(`probe exited with ${code}`))));
  });
}

async function machineCeiling(options: ExperimentOptions, repeats: number): Promise<object> {
  const alone: number[] = [];
  const together: number[] = [];
  for (let r = 0; r < repeats; r++) {
    alone.push(await probe(options));
    const [a, b] = await Promise.all([probe(options), probe(options)]);
    together.push((a + b) / 2);
  }
  const efficiency = median(alone) / median(together);
  console.log(
    `  one trajectory alone ${median(alone).toFixed(1)} s, two processes at once ${median(together).toFixed(1)} s each: ceiling ${(2 * efficiency).toFixed(2)}x`,
  );
  return {
    alone_s: alone.map((x) => +x.toFixed(2)),
    two_at_once_s: together.map((x) => +x.toFixed(2)),
    efficiency: +efficiency.toFixed(3),
    ceiling_speedup: +(2 * efficiency).toFixed(2),
  };
}

if (process.argv[2] === "--probe") {
  const options = JSON.parse(process.argv[3]) as ExperimentOptions;
  const runDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-probe-")), "run");
  const t0 = Date.now();
  const exp = await Experiment.create({ ...options, run_dir: runDir }, { print: null });
  await exp.run({ workers: 1 });
  console.log((Date.now() - t0) / 1000);
  exp.dispose();
  fs.rmSync(path.dirname(runDir), { recursive: true, force: true });
}

async function benchWorkload(w: (typeof WORKLOADS)[number]): Promise<object> {
  const ones: number[] = [];
  const twos: number[] = [];
  for (let r = 0; r < w.repeats; r++) {
    ones.push(await timeRun(w.options, 1));
    twos.push(await timeRun(w.options, 2));
    console.log(`parallel trajectories (${w.name}), repetition ${r + 1}: 1 worker ${ones[r].toFixed(1)} s, 2 workers ${twos[r].toFixed(1)} s`);
  }
  const ceiling = (await machineCeiling(w.options, 2)) as { ceiling_speedup: number };
  const one = median(ones);
  const two = median(twos);
  const trajectories = (w.options.n_opp_cycles as number) * (w.options.traj_per_iter as number);
  const perHour = (s: number) => Math.round((trajectories * 3600) / s);
  console.log(`parallel trajectories (${w.name}): 1 worker ${one.toFixed(1)} s, 2 workers ${two.toFixed(1)} s: ${(one / two).toFixed(2)}x`);
  return {
    workload: w.about,
    config: w.options,
    trajectories,
    seconds: { workers_1: +one.toFixed(2), workers_2: +two.toFixed(2) },
    repetitions: {
      workers_1: ones.map((x) => +x.toFixed(2)),
      workers_2: twos.map((x) => +x.toFixed(2)),
      speedups: ones.map((x, i) => +(x / twos[i]).toFixed(2)),
    },
    trajectories_per_hour: { workers_1: perHour(one), workers_2: perHour(two) },
    speedup: +(one / two).toFixed(2),
    machine_ceiling: ceiling,
    share_of_ceiling: +(one / two / ceiling.ceiling_speedup).toFixed(2),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const SWEEP_BASE = {
  num_episodes: 700,
  batch_size: 64,
  agent_update_freq: 5,
  n_opp_cycles: 2,
  traj_per_iter: 1,
  save_rate: 100,
  om_training_iters: 1,
  chunk_length: 16,
  num_units: 64,
  lstm_hidden_dim: 32,
};

function startRedis(port: number): ChildProcess {
  return spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
}

/** A `lemol worker` process as a user starts one (with the worker V8 flags docs/scale-out.md gives). */
function startWorker(url: string): ChildProcess {
  return spawn(process.execPath, [...WORKER_V8_FLAGS, CLI, "worker", "--redis", url], { cwd: REPO, stdio: ["ignore", "pipe", "ignore"] });
}

function waitingForJobs(w: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    let text = "";
    w.stdout!.on("data", (d) => {
      text += d;
      if (text.includes("waiting for jobs")) resolve();
    });
  });
}

/** The 4 runs one after the other in this process. */
async function timeSerial(file: string, dir: string): Promise<number> {
  const t0 = Date.now();
  for (const job of expandSweep(loadSweepSpec(file))) {
    const exp = await Experiment.create({ ...job.options, run_dir: path.join(dir, "serial", job.run) }, { print: null });
    await exp.run();
    exp.dispose();
  }
  return (Date.now() - t0) / 1000;
}

/** The 4 runs through Redis on 2 workers: already waiting (`warm`), or started with the submission. */
async function timeRedis(file: string, warm: boolean): Promise<number> {
  const spec = loadSweepSpec(file);
  const port = await freePort();
  const redis = startRedis(port);
  await new Promise((r) => setTimeout(r, 300));
  const url = `redis://127.0.0.1:${port}`;
  const workers: ChildProcess[] = [];
  try {
    if (warm) {
      for (let w = 0; w < 2; w++) workers.push(startWorker(url));
      await Promise.all(workers.map(waitingForJobs));
    }
    const t0 = Date.now();
    await submitSweep(spec, url);
    if (!warm) for (let w = 0; w < 2; w++) workers.push(startWorker(url));
    const { counts } = await waitForSweep(spec.name, url);
    if (counts.completed !== 4) throw new Error(`sweep ended with ${JSON.stringify(counts)}`);
    return (Date.now() - t0) / 1000;
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    redis.kill("SIGTERM");
  }
}

function sweepFile(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-scale-sweep-"));
  const file = path.join(dir, "sweep.json");
  fs.writeFileSync(
    file,
    JSON.stringify({ name: `bench-${tag}-${Date.now()}`, results: "results", base: SWEEP_BASE, grid: { good_policy: ["maddpg", "mmmaddpg"] }, seeds: [1, 2] }),
  );
  return file;
}

export async function benchScale(): Promise<string> {
  const median2 = (xs: number[]) => +median(xs).toFixed(2);
  const workloads: Record<string, object> = {};
  for (const w of WORKLOADS) workloads[w.name] = await benchWorkload(w);
  const headline = (workloads.default_cadence as { speedup: number }).speedup;

  const serial: number[] = [];
  const warm: number[] = [];
  const cold: number[] = [];
  for (let r = 0; r < SWEEP_REPEATS; r++) {
    const file = sweepFile(`r${r}`);
    serial.push(await timeSerial(file, path.dirname(file)));
    warm.push(await timeRedis(file, true));
    cold.push(await timeRedis(sweepFile(`cold${r}`), false));
    console.log(
      `sweep of 4 runs, repetition ${r + 1}: serial ${serial[r].toFixed(1)} s, Redis + 2 waiting workers ${warm[r].toFixed(1)} s, with worker start ${cold[r].toFixed(1)} s`,
    );
  }
  const sweepSpeedup = median(serial) / median(warm);
  console.log(`sweep of 4 runs: ${sweepSpeedup.toFixed(2)}x (${(median(serial) / median(cold)).toFixed(2)}x with worker start-up)`);
  return writeResult("scale", {
    machine: machine(),
    node: process.version,
    parallel_trajectories: { ...workloads, target: 1.8, meets_target: headline >= 1.8 },
    sweep: {
      config: SWEEP_BASE,
      runs: 4,
      seconds: { serial_one_process: median2(serial), redis_two_waiting_workers: median2(warm), redis_two_workers_started_with_submission: median2(cold) },
      repetitions: {
        serial_one_process: serial.map((x) => +x.toFixed(2)),
        redis_two_waiting_workers: warm.map((x) => +x.toFixed(2)),
        redis_two_workers_started_with_submission: cold.map((x) => +x.toFixed(2)),
      },
      runs_per_hour: { serial: Math.round((4 * 3600) / median(serial)), redis_two_workers: Math.round((4 * 3600) / median(warm)) },
      speedup: +sweepSpeedup.toFixed(2),
      speedup_with_worker_startup: +(median(serial) / median(cold)).toFixed(2),
      target: 1.8,
      meets_target: sweepSpeedup >= 1.8,
    },
    note: "wall times on a 2-core VM whose speed drifts (repetitions alternate the sides; figures are medians). The built library (dist/) is measured, as notebooks and the CLI run it. Parallel trajectories: from creating the experiment to its end, worker start-up, checkpoints and merges included; worker processes are kept across cycles; the target applies to the default cadence. Sweeps: submitted through the API and followed with waitForSweep (BullMQ events); workers run with the V8 flags of docs/scale-out.md (--single-threaded-gc --max-semi-space-size=32).",
  });
}
