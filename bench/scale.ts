/**
 * Scale-out (`npm run bench -- scale`, bench/results/scale.json):
 *   1. parallel trajectories: one OM cycle of 4 LeMOL vs MADDPG trajectories with
 *      `parallel_trajectories`, on 1 worker (in process) and on 2 worker processes —
 *      trajectories per hour and the speed-up (target ≥ 1.8x on 2 cores);
 *   2. a sweep of 4 runs through Redis (Debian's redis-server, BullMQ) on 2 `lemol worker`
 *      processes, against the same 4 runs one after the other in one process.
 * Both measure wall time including process start-up and the merge, as a user would see it.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Experiment, ExperimentOptions } from "../src/train/experiment.js";
import { sweepStatus } from "../src/train/queue.js";
import { expandSweep, loadSweepSpec } from "../src/train/sweep.js";
import { machine, median, writeResult } from "./common.js";

const REPEATS = 3;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(REPO, "src/cli/main.ts");

const CYCLE: ExperimentOptions = { num_episodes: 2500, batch_size: 64, agent_update_freq: 5, n_opp_cycles: 1, traj_per_iter: 4, save_rate: 100, om_training_iters: 0, num_units: 64, lstm_hidden_dim: 32, parallel_trajectories: true, seed: 3 };

async function timeCycle(workers: number): Promise<number> {
  const runDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-scale-")), "run");
  const exp = await Experiment.create({ ...CYCLE, run_dir: runDir }, { print: null });
  const t0 = Date.now();
  await exp.runCycle({ workers });
  const seconds = (Date.now() - t0) / 1000;
  exp.dispose();
  return seconds;
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

const SWEEP_BASE = { num_episodes: 700, batch_size: 64, agent_update_freq: 5, n_opp_cycles: 2, traj_per_iter: 1, save_rate: 100, om_training_iters: 1, chunk_length: 16, num_units: 64, lstm_hidden_dim: 32 };

async function timeSweep(): Promise<{ serial: number; redis: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-scale-sweep-"));
  const file = path.join(dir, "sweep.json");
  fs.writeFileSync(file, JSON.stringify({ name: `bench${Date.now()}`, results: "results", base: SWEEP_BASE, grid: { good_policy: ["maddpg", "mmmaddpg"] }, seeds: [1, 2] }));
  // serial: the 4 runs one after the other in this process
  let t0 = Date.now();
  for (const job of expandSweep(loadSweepSpec(file))) {
    const exp = await Experiment.create({ ...job.options, run_dir: path.join(dir, "serial", job.run) }, { print: null });
    await exp.run();
    exp.dispose();
  }
  const serial = (Date.now() - t0) / 1000;
  // through Redis on 2 workers
  const port = await freePort();
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 300));
  const url = `redis://127.0.0.1:${port}`;
  const workers: ChildProcess[] = [];
  try {
    t0 = Date.now();
    const sub = spawnSync(process.execPath, ["--import", "tsx", CLI, "sweep", file, "--redis", url], { cwd: REPO, encoding: "utf8" });
    if (sub.status !== 0) throw new Error(sub.stderr);
    for (let w = 0; w < 2; w++) workers.push(spawn(process.execPath, ["--single-threaded-gc", "--import", "tsx", CLI, "worker", "--redis", url], { cwd: REPO, stdio: "ignore" }));
    const name = JSON.parse(fs.readFileSync(file, "utf8")).name as string;
    for (;;) {
      const { counts } = await sweepStatus(name, url);
      if (counts.failed > 0) throw new Error("a sweep job failed");
      if (counts.completed === 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { serial, redis: (Date.now() - t0) / 1000 };
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    redis.kill("SIGTERM");
  }
}

export async function benchScale(): Promise<string> {
  // alternating repetitions: this machine's speed drifts (a shared VM), so each figure is a median
  const ones: number[] = [];
  const twos: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    ones.push(await timeCycle(1));
    twos.push(await timeCycle(2));
  }
  const one = median(ones);
  const two = median(twos);
  const perHour = (s: number) => Math.round(((CYCLE.traj_per_iter as number) * 3600) / s);
  console.log(`parallel trajectories: 1 worker ${one.toFixed(1)} s, 2 workers ${two.toFixed(1)} s: ${(one / two).toFixed(2)}x`);
  const sweep = await timeSweep();
  console.log(`sweep of 4 runs: serial ${sweep.serial.toFixed(1)} s, Redis + 2 workers ${sweep.redis.toFixed(1)} s: ${(sweep.serial / sweep.redis).toFixed(2)}x`);
  return writeResult("scale", {
    machine: machine(),
    node: process.version,
    parallel_trajectories: {
      config: CYCLE,
      trajectories: CYCLE.traj_per_iter,
      seconds: { workers_1: +one.toFixed(2), workers_2: +two.toFixed(2) },
      repetitions: { workers_1: ones.map((x) => +x.toFixed(2)), workers_2: twos.map((x) => +x.toFixed(2)), speedups: ones.map((x, i) => +(x / twos[i]).toFixed(2)) },
      trajectories_per_hour: { workers_1: perHour(one), workers_2: perHour(two) },
      speedup: +(one / two).toFixed(2),
      target: 1.8,
      meets_target: one / two >= 1.8,
    },
    sweep: {
      config: SWEEP_BASE,
      runs: 4,
      seconds: { serial_one_process: +sweep.serial.toFixed(2), redis_two_workers: +sweep.redis.toFixed(2) },
      runs_per_hour: { serial: Math.round((4 * 3600) / sweep.serial), redis_two_workers: Math.round((4 * 3600) / sweep.redis) },
      speedup: +(sweep.serial / sweep.redis).toFixed(2),
    },
    note: "wall times including worker start-up (tfjs backend per process), checkpoints and the merge; 2-core machine; worker processes run with --single-threaded-gc (V8's GC helper threads would compete with the other worker; one process alone uses ~1.13 cores in steady state)",
  });
}
