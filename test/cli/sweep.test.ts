/**
 * Sweeps (the scale-out issue) with real components: Debian's redis-server, BullMQ, and `lemol
 * worker` processes. Two workers run a sweep of tiny runs; one is killed with SIGKILL in the middle
 * of a job; every job completes exactly once (the killed one continued from its checkpoint by the
 * other worker), with metrics identical to running the same configurations serially. No mocks.
 * Also: the same sweep on local processes without Redis, and refused sweep files.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { progressGate, sweepStatus, waitForSweep } from "../../src/train/queue.js";
import { expandSweep, loadSweepSpec } from "../../src/train/sweep.js";
import { Experiment } from "../../src/train/experiment.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { REPO } from "../helpers/golden.js";
import { RedisServer, startRedis } from "../helpers/redis.js";

const BASE = {
  num_episodes: 40,
  batch_size: 16,
  agent_update_freq: 5,
  n_opp_cycles: 2,
  traj_per_iter: 1,
  save_rate: 4,
  om_training_iters: 1,
  chunk_length: 8,
  num_units: 16,
  lstm_hidden_dim: 8,
};

function sweepFile(name: string, extra: object = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-sweep-"));
  const file = path.join(dir, "sweep.json");
  fs.writeFileSync(file, JSON.stringify({ name, results: "results", base: BASE, grid: { good_policy: ["maddpg", "mmmaddpg"] }, seeds: [1, 2], ...extra }));
  return file;
}

const spawned: ChildProcess[] = [];

function startWorker(url: string): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "src/cli/main.ts"), "worker", "--redis", url, "--lock_ms", "1500"], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  child.stdout!.on("data", (d) => lines.push(...String(d).trim().split("\n")));
  spawned.push(child);
  return { child, lines };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serial reference: the same configurations run one after the other in this process. */
async function serialMetrics(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-serial-"));
  for (const job of expandSweep(loadSweepSpec(file))) {
    const exp = await Experiment.create({ ...job.options, run_dir: path.join(base, job.run) }, { print: null });
    await exp.run();
    exp.dispose();
    out.set(job.run, fs.readFileSync(path.join(base, job.run, "metrics.csv"), "utf8"));
  }
  return out;
}

describe("lemol sweep and lemol worker on Redis", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  // no worker outlives its test, whatever happened in it
  afterEach(async () => {
    for (const c of spawned) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      c.kill("SIGKILL");
      await new Promise((r) => c.once("exit", r));
    }
  });
  after(async () => {
    await redis?.stop();
  });

  it("runs every job exactly once with two workers, one killed mid-job, and gives the serial run's metrics", async () => {
    const file = sweepFile("kill-test");
    const submitted = runCli(["sweep", file, "--redis", redis.url]);
    assert.equal(submitted.code, 0, submitted.stderr);
    assert.match(submitted.stdout, /sweep kill-test: 4 runs queued on redis:\/\//);

    const workers = [startWorker(redis.url), startWorker(redis.url)];
    // kill the worker of the first job that has a checkpoint and is well under way
    let victim: string | null = null;
    const results = path.join(path.dirname(file), "results");
    for (let i = 0; i < 1200 && !victim; i++) {
      const { jobs } = await sweepStatus("kill-test", redis.url);
      for (const j of jobs) {
        const p = j.progress as { worker?: string; trajectory?: number } | number;
        if (j.state !== "active" || typeof p !== "object" || !p.worker || (p.trajectory ?? 0) < 2) continue;
        if (!fs.existsSync(path.join(results, j.run, "checkpoints", "latest", "header.json"))) continue;
        const pid = Number(p.worker.split(":").pop());
        const w = workers.find((x) => x.child.pid === pid);
        if (!w) continue;
        w.child.kill("SIGKILL");
        victim = j.run;
        break;
      }
      await sleep(25);
    }
    assert.ok(victim, "a worker was killed in the middle of a job");

    // the survivor (and a fresh worker, as a restarted machine would bring) finish everything
    workers.push(startWorker(redis.url));
    // `lemol sweep --wait` follows the queue until every job is done
    const waiting = runCliAsync(["sweep", file, "--redis", redis.url, "--wait"]);
    const updates: number[] = [];
    const status = await waitForSweep("kill-test", redis.url, (s) => updates.push(s.counts.completed));
    assert.equal(status.counts.failed, 0, JSON.stringify(status.jobs.filter((j) => j.state === "failed")));
    assert.equal(status.counts.completed, 4, JSON.stringify(status.counts));
    assert.ok(updates.length >= 2 && updates[0] < 4, `waitForSweep reported the status as it changed: ${updates}`);
    // a sweep that was never submitted, or a malformed address, is an error rather than an empty wait
    await assert.rejects(() => waitForSweep("no-such-sweep", redis.url), /sweep "no-such-sweep" has no jobs on the queue/);
    await assert.rejects(() => waitForSweep("kill-test", "localhost:6379"), /expected redis:\/\/host:port/);
    const waited = await waiting;
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /0 runs queued, 4 already queued/);
    assert.match(waited.stdout.trim().split("\n").pop()!, /^ {2}4\/4 done, 0 running, 0 waiting, 0 failed$/);
    const byRun = new Map(status.jobs.map((j) => [j.run, j]));
    assert.equal(byRun.get(victim!)!.result!.how, "resumed", "the killed job continued from its checkpoint");
    for (const [run, j] of byRun) if (run !== victim) assert.equal(j.result!.how, "ran", run);
    const manifest = JSON.parse(fs.readFileSync(path.join(results, victim!, "manifest.json"), "utf8"));
    assert.equal(manifest.status, "finished");
    assert.equal(manifest.resumed.length, 1, "continued once");

    // identical to the same configurations run serially
    const serial = await serialMetrics(file);
    for (const [run, csv] of serial)
      assert.equal(fs.readFileSync(path.join(results, run, "metrics.csv"), "utf8"), csv, `${run}: metrics differ from the serial run`);

    // submitting again adds nothing; the status command shows them done
    const again = runCli(["sweep", file, "--redis", redis.url]);
    assert.match(again.stdout, /0 runs queued, 4 already queued/);
    const st = runCli(["sweep", file, "--status", "--redis", redis.url]);
    assert.match(st.stdout, /sweep kill-test on redis:\/\/[^:]+:\d+: 0 waiting, 0 active, 4 completed, 0 failed/);

    // SIGTERM stops a worker cleanly
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) await new Promise((r) => w.child.once("exit", r));
    assert.ok(
      workers.filter((w) => w.child.signalCode !== "SIGKILL").every((w) => w.child.exitCode === 0),
      "stopped workers exit 0",
    );
  });

  it("fails a job that kills its worker every time after 3 deaths, with the reason in --status (issue 28)", async () => {
    const file = sweepFile("poison-test", { grid: {}, seeds: [4] });
    assert.equal(runCli(["sweep", file, "--redis", redis.url]).code, 0);
    // a crash every time it runs, as an out-of-memory kill would be: each worker that takes it dies
    const started = (w: { lines: string[] }) => w.lines.some((l) => /poison-test__r000-s4 started/.test(l));
    for (let death = 1; death <= 3; death++) {
      const w = startWorker(redis.url);
      for (let i = 0; i < 2400 && !started(w); i++) await sleep(25);
      assert.ok(started(w), `worker ${death} took the job: ${w.lines.join("\n")}`);
      w.child.kill("SIGKILL");
      await new Promise((r) => w.child.once("exit", r));
    }
    // the next worker fails it instead of running it a fourth time
    const last = startWorker(redis.url);
    let status = await sweepStatus("poison-test", redis.url);
    for (let i = 0; i < 1200 && status.counts.failed === 0; i++) {
      await sleep(50);
      status = await sweepStatus("poison-test", redis.url);
    }
    assert.equal(status.counts.failed, 1, JSON.stringify(status));
    assert.equal(status.jobs[0].stalled, 3);
    assert.ok(!started(last), "not run a fourth time");
    assert.match(status.jobs[0].failedReason!, /its worker died 3 times while running it \(last on [^)]+:\d+\)/);
    const st = runCli(["sweep", file, "--status", "--redis", redis.url]);
    assert.match(st.stdout, /0 completed, 1 failed/);
    assert.match(st.stdout, /r000-s4 {2}failed {4}its worker died 3 times while running it .*keeps the last checkpoint/);
    const waited = runCli(["sweep", file, "--redis", redis.url, "--wait"]);
    assert.equal(waited.code, 1, "--wait reports the failure");
  });

  it("after a Redis FLUSHALL a worker says the queue's record is gone, and the run, stopped and checkpointed, continues when the sweep is submitted again (issue 28)", async () => {
    const file = sweepFile("flush-test", { grid: {}, seeds: [5] });
    assert.equal(runCli(["sweep", file, "--redis", redis.url]).code, 0);
    const worker = startWorker(redis.url);
    const runDir = path.join(path.dirname(file), "results", "r000-s5");
    for (let i = 0; i < 1200 && !fs.existsSync(path.join(runDir, "checkpoints", "latest", "header.json")); i++) await sleep(25);
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    const gone = () => worker.lines.some((l) => /flush-test__r000-s5: the queue's record of it is gone \(Redis lost its data/.test(l));
    for (let i = 0; i < 1200 && !gone(); i++) await sleep(25);
    assert.ok(gone(), worker.lines.join("\n"));
    assert.ok(!worker.lines.some((l) => /another worker continues it/.test(l)), worker.lines.join("\n"));
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, "manifest.json"), "utf8")).status, "stopped");
    // the same worker, still up, continues the run once the sweep is queued again
    assert.match(runCli(["sweep", file, "--redis", redis.url]).stdout, /1 runs queued/);
    const status = await waitForSweep("flush-test", redis.url, undefined, 200);
    assert.equal(status.counts.completed, 1, JSON.stringify(status));
    assert.equal(status.jobs[0].result!.how, "resumed");
    const serial = await serialMetrics(file);
    assert.equal(fs.readFileSync(path.join(runDir, "metrics.csv"), "utf8"), serial.get("r000-s5"));
  });

  it("puts the job of a worker stopped with SIGTERM back in the queue, checkpointed, for the next worker", async () => {
    const file = sweepFile("term-test", { grid: {}, seeds: [3] });
    assert.equal(runCli(["sweep", file, "--redis", redis.url]).code, 0);
    const first = startWorker(redis.url);
    const results = path.join(path.dirname(file), "results", "r000-s3");
    for (let i = 0; i < 1200 && !fs.existsSync(path.join(results, "checkpoints", "latest", "header.json")); i++) await sleep(25);
    first.child.kill("SIGTERM");
    await new Promise((r) => first.child.once("exit", r));
    assert.equal(first.child.exitCode, 0);
    assert.ok(
      first.lines.some((l) => /put back in the queue/.test(l)),
      first.lines.join("\n"),
    );
    const { jobs } = await sweepStatus("term-test", redis.url);
    assert.equal(jobs[0].state, "waiting", "back in the queue at once (no stall)");
    const second = startWorker(redis.url);
    let done = false;
    for (let i = 0; i < 600 && !done; i++) {
      await sleep(200);
      done = (await sweepStatus("term-test", redis.url)).counts.completed === 1;
    }
    assert.ok(done);
    const serial = await serialMetrics(file);
    assert.equal(fs.readFileSync(path.join(results, "metrics.csv"), "utf8"), serial.get("r000-s3"));
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  });
});

describe("lemol sweep without Redis", () => {
  it("runs a sweep on local processes, and its status shows every run finished", async () => {
    const file = sweepFile("local-test", { seeds: [4] });
    const r = runCli(["sweep", file, "--workers", "2"], { env: { ...process.env, REDIS_URL: "" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sweep: 2 runs on 2 processes/);
    assert.match(r.stdout, /all runs done/);
    const st = runCli(["sweep", file, "--status"]);
    assert.match(st.stdout, /r000-s4 {2}finished/);
    assert.match(st.stdout, /r001-s4 {2}finished/);
    const serial = await serialMetrics(file);
    for (const [run, csv] of serial) assert.equal(fs.readFileSync(path.join(path.dirname(file), "results", run, "metrics.csv"), "utf8"), csv, run);
  });

  it("Ctrl-C on a local sweep stops every run checkpointed and resumable (exit 130); SIGTERM likewise (143); running it again finishes them as the serial runs (issue 28)", async () => {
    const file = sweepFile("local-signals", { seeds: [4] });
    const results = path.join(path.dirname(file), "results");
    for (const [signal, code] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const) {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "src/cli/main.ts"), "sweep", file, "--workers", "2"], {
        cwd: REPO,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, REDIS_URL: "" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      // once both runs have written rows past their last signal's stop (a point that does not depend on the machine's speed)
      const grown = (run: string) =>
        (fs.statSync(path.join(results, run, "metrics.csv"), { throwIfNoEntry: false })?.size ?? 0) > (code === 130 ? 4000 : 12000);
      const timer = setInterval(() => {
        if (grown("r000-s4") && grown("r001-s4")) {
          clearInterval(timer);
          child.kill(signal); // the sweep's process only, as `kill` does
        }
      }, 10);
      const exit = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      clearInterval(timer);
      assert.equal(exit, code, `${signal}: ${stdout}\n${stderr}`);
      assert.match(stdout, /r000-s4 stopped, resumable/);
      assert.match(stdout, /r001-s4 stopped, resumable/);
      assert.match(stdout, /stopped: 2 runs checkpointed; run the sweep again to continue/);
      for (const run of ["r000-s4", "r001-s4"]) assert.equal(JSON.parse(fs.readFileSync(path.join(results, run, "manifest.json"), "utf8")).status, "stopped");
    }
    const r = runCli(["sweep", file, "--workers", "2"], { env: { ...process.env, REDIS_URL: "" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /all runs done/);
    const serial = await serialMetrics(file);
    for (const [run, csv] of serial) assert.equal(fs.readFileSync(path.join(results, run, "metrics.csv"), "utf8"), csv, run);
  });

  it("refuses bad sweep files with one line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-sweep-"));
    for (const [body, msg] of [
      [{ name: "x", grid: { lr: [] } }, /grid "lr" must be a non-empty list/],
      [{ name: "x", base: { seed: 3 } }, /"seed" is set by the sweep itself/],
      [{ name: "x", grid: { gamma: [2] } }, /run r000-s71 .*--gamma: must be <= 1/],
      [{ name: "bad name" }, /"name" must be letters/],
      [{ name: "x", colour: 1 }, /unknown field "colour"/],
    ] as const) {
      const f = path.join(dir, "s.json");
      fs.writeFileSync(f, JSON.stringify(body));
      const r = runCli(["sweep", f, "--status"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, msg);
    }
    const r = runCli(["worker", "--redis", "http://nope"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--redis: expected redis:\/\/host:port/);
  });
});

describe("a worker's progress updates", () => {
  it("go to the queue at most once a second, but a new trajectory at once", () => {
    let t = 0;
    const due = progressGate(1000, () => t);
    assert.equal(due(0), true, "the first update");
    t = 400;
    assert.equal(due(0), false, "the same trajectory within the second");
    t = 500;
    assert.equal(due(1), true, "a new trajectory at once");
    t = 1400;
    assert.equal(due(1), false);
    t = 1500;
    assert.equal(due(1), true, "a second after the last update");
  });
});
