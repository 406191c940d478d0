/**
 * What a hostile user found (issue 14), each case through the real `lemol` command (or the API
 * where it is the API's): run-directory locking, no silent hangs, a closed stdout, a full disk, the
 * final OM training checkpointed, a run killed before its first checkpoint, one-line errors with
 * documented exit codes (2 bad input, 3 the environment), option validation, typed API errors.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { UnknownScenarioError } from "../../src/envs/scenarios/index.js";
import { loadCheckpoint } from "../../src/storage/checkpoint.js";
import { ConfigError } from "../../src/train/config.js";
import { Experiment } from "../../src/train/experiment.js";
import { RunDirInUseError } from "../../src/train/run-lock.js";
import { runCli } from "../helpers/cli.js";
import { REPO } from "../helpers/golden.js";
import { RedisServer, startRedis } from "../helpers/redis.js";
import { ready } from "../helpers/tf.js";

/** The issue's reduced run (smaller networks). */
const TOPTS = {
  num_episodes: 60,
  batch_size: 32,
  agent_update_freq: 5,
  n_opp_cycles: 2,
  traj_per_iter: 1,
  om_training_iters: 1,
  num_traj_to_train: 2,
  chunk_length: 16,
  save_rate: 20,
  num_units: 16,
  lstm_hidden_dim: 8,
};
/** Its flags, with `overrides` in place of the same options (an option given twice is refused). */
const flags = (overrides: Record<string, string | number> = {}) => [
  ...Object.entries({ ...TOPTS, ...overrides }).flatMap(([k, v]) => [`--${k}`, String(v)]),
  "--quiet",
];
const T = flags();

const base = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-reliability-"));
let n = 0;
const fresh = (name = "run") => path.join(base, `${name}-${n++}`);
const CLI = ["--import", "tsx", path.join(REPO, "src/cli/main.ts")];

/** One line on stderr (the message), and the exit code. */
function assertOneLine(r: { code: number; stderr: string }, code: number, pattern: RegExp): void {
  const lines = r.stderr.trim().split("\n");
  assert.equal(r.code, code, r.stderr);
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

function tryMount(dir: string, opts: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  return spawnSync("mount", ["-t", "tmpfs", "-o", opts, "tmpfs", dir]).status === 0;
}
const unmount = (dir: string) => spawnSync("umount", [dir]);

let reference: string | null = null;
/** The uninterrupted run's metrics (made once). */
function referenceMetrics(): string {
  if (reference === null) {
    const dir = fresh("reference");
    const r = runCli(["train", ...T, "--run_dir", dir]);
    assert.equal(r.code, 0, r.stderr);
    reference = fs.readFileSync(path.join(dir, "metrics.csv"), "utf8");
  }
  return reference;
}

describe("reliability (issue 14)", () => {
  before(ready);

  describe("a run directory is held by one process at a time", () => {
    it("refuses a second Experiment on a held directory, and takes it after dispose", async () => {
      const dir = fresh();
      const a = await Experiment.create({ ...TOPTS, run_dir: dir }, { print: null });
      a.checkpoint();
      await assert.rejects(
        () => Experiment.restore(dir, {}, { print: null }),
        (e: Error) => e instanceof RunDirInUseError && /another Experiment of this process/.test(e.message),
      );
      a.dispose();
      const b = await Experiment.restore(dir, {}, { print: null });
      b.dispose();
    });

    it("takes over the lock of a process that died (same host) and of a silent holder on another host whatever its clock, and refuses a live one", async () => {
      const dir = fresh();
      const a = await Experiment.create({ ...TOPTS, run_dir: dir }, { print: null });
      a.checkpoint();
      a.dispose();
      const lock = path.join(dir, ".lock");
      const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!; // exited: its pid is free
      fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: dead, procStart: null, since: "then", token: "t1" }));
      (await Experiment.restore(dir, {}, { print: null })).dispose();
      // a holder elsewhere: judged by whether its lock changes, on this host's clock only (issue 28, defect 4)
      fs.writeFileSync(lock, JSON.stringify({ host: "elsewhere", pid: 1, procStart: null, since: "then", token: "t2" }));
      await assert.rejects(() => Experiment.restore(dir, {}, { print: null }), /in use by process 1 on host elsewhere/);
      const seen = path.join(dir, `.lock.seen-${os.hostname().replace(/[^A-Za-z0-9._-]/g, "_")}`);
      const ageSeen = (ms: number) => {
        const s = JSON.parse(fs.readFileSync(seen, "utf8"));
        fs.writeFileSync(seen, JSON.stringify({ ...s, since: s.since - ms }));
      };
      const beat = (holderClockOffsetMs: number) => {
        const t = (Date.now() + holderClockOffsetMs) / 1000;
        fs.utimesSync(lock, t, t);
      };
      // a live holder whose clock is 5 minutes behind: its refreshes look old, but they change: in use
      beat(-5 * 60_000);
      await assert.rejects(() => Experiment.restore(dir, {}, { print: null }), /in use by process 1 on host elsewhere/);
      ageSeen(100_000);
      beat(-5 * 60_000 + 10_000); // its next refresh, 100 s later as this host saw it
      await assert.rejects(
        () => Experiment.restore(dir, {}, { print: null }),
        /in use by process 1 on host elsewhere \(since then\); its lock has stayed the same for 0 s/,
      );
      // one whose clock is 5 minutes ahead that stops refreshing: taken over once this host has seen it unchanged for 2 minutes
      beat(5 * 60_000);
      await assert.rejects(() => Experiment.restore(dir, {}, { print: null }), /in use by process 1 on host elsewhere/);
      ageSeen(60_000);
      await assert.rejects(() => Experiment.restore(dir, {}, { print: null }), /stayed the same for 60 s as seen from this host \(taken over after 120 s/);
      ageSeen(61_000);
      (await Experiment.restore(dir, {}, { print: null })).dispose();
      assert.ok(!fs.existsSync(seen), "this host's record of the old holder goes with it");
      // a live process of this host (this test's own parent process, which is not this Experiment's)
      fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: process.ppid, procStart: null, since: "then", token: "t3" }));
      await assert.rejects(() => Experiment.restore(dir, {}, { print: null }), new RegExp(`in use by process ${process.ppid}`));
      fs.rmSync(lock);
    });
  });

  describe("no command hangs silently", () => {
    it("a run directory or an animation under /proc or /sys fails at once with one line (exit 2)", () => {
      assertOneLine(
        runCli(["train", ...T, "--run_dir", "/proc/x"], { timeoutMs: 30_000 }),
        2,
        /\/proc is a virtual file system \(proc\); cannot create the run directory there/,
      );
      assertOneLine(runCli(["train", ...T, "--run_dir", "/sys/x"], { timeoutMs: 30_000 }), 2, /\/sys is a virtual file system \(sysfs\)/);
      assertOneLine(runCli(["demo", "--animation", "/proc/nope/x.html"], { timeoutMs: 30_000 }), 2, /\/proc is a virtual file system/);
    });

    it("sweep and --status without a Redis server fail within their timeout with one line (exit 3)", () => {
      const file = path.join(base, "s.json");
      fs.writeFileSync(file, JSON.stringify({ name: "s", base: TOPTS }));
      for (const extra of [[], ["--status"]]) {
        const t0 = Date.now();
        const r = runCli(["sweep", file, "--redis", "redis://127.0.0.1:1", "--redis_timeout", "1", ...extra], { timeoutMs: 30_000 });
        assertOneLine(r, 3, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); is the server running\? \(gave up after 1 s\)/);
        assert.ok(Date.now() - t0 < 20_000, "fails within seconds");
      }
    });
  });

  describe("lemol worker and Redis", () => {
    let redis: RedisServer;
    const children: ChildProcess[] = [];
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      for (const c of children) c.kill("SIGKILL");
      await redis.stop();
    });

    it("says once that it lost Redis and that it reconnected, then gives up after --redis_timeout (exit 3)", async () => {
      const port = new URL(redis.url).port;
      const child = spawn(process.execPath, [...CLI, "worker", "--redis", redis.url, "--redis_timeout", "3"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
      const waitFor = async (re: RegExp) => {
        for (let i = 0; i < 600 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
        assert.match(out, re);
      };
      await waitFor(/waiting for jobs/);
      await redis.stop();
      await waitFor(/lost the connection to Redis/);
      redis = await startRedisOn(port);
      await waitFor(/reconnected to Redis after/);
      await redis.stop();
      const code = await exited;
      assert.equal(code, 3, err);
      assert.equal(out.match(/lost the connection/g)?.length, 2, `one line per outage:\n${out}`);
      assert.doesNotMatch(out, /ECONNREFUSED[\s\S]*ECONNREFUSED[\s\S]*ECONNREFUSED/, "no line per reconnection attempt");
      assert.match(err.trim(), /^lemol worker: Redis at redis:\/\/127\.0\.0\.1:\d+ unreachable for \d+ s \(ECONNREFUSED\); the worker gives up$/);
      redis = await startRedisOn(port); // for after()
    });

    it("never says it is waiting for jobs before it has connected", () => {
      const r = runCli(["worker", "--redis", "redis://127.0.0.1:1", "--redis_timeout", "1"], { timeoutMs: 30_000 });
      assertOneLine(r, 3, /cannot reach Redis/);
      assert.doesNotMatch(r.stdout, /waiting for jobs/);
    });

    it("a database the server does not have is refused, and a password is never printed (issue 28, lows)", () => {
      const file = path.join(base, "db.json");
      fs.writeFileSync(file, JSON.stringify({ name: "db", base: TOPTS }));
      const db = redis.url.replace(/\/?$/, "/99");
      assertOneLine(runCli(["sweep", file, "--status", "--redis", db], { timeoutMs: 30_000 }), 2, /--redis: database 99 of .*: ERR DB index is out of range/);
      assertOneLine(
        runCli(["worker", "--redis", "redis://127.0.0.1:6379/x"]),
        2,
        /--redis: the path of "redis:\/\/127\.0\.0\.1:6379\/x" must be a database number/,
      );
      const r = runCli(["worker", "--redis", "redis://someone:hunter2@127.0.0.1:1", "--redis_timeout", "1"], { timeoutMs: 30_000 });
      assertOneLine(r, 3, /cannot reach Redis at redis:\/\/someone:\*\*\*@127\.0\.0\.1:1/);
      assert.doesNotMatch(r.stdout + r.stderr, /hunter2/);
    });

    it("reports a failed job in the worker's output and in --status", async () => {
      const file = path.join(base, "failing.json");
      // valid options, but the run fails when it starts: no experience files to skip to
      fs.writeFileSync(
        file,
        JSON.stringify({
          name: "failing",
          results: "failing-results",
          base: { ...TOPTS, skip_to_om_training: true, lemol_save_path: path.join(base, "empty") },
        }),
      );
      fs.mkdirSync(path.join(base, "empty"), { recursive: true });
      const submitted = runCli(["sweep", file, "--redis", redis.url]);
      assert.equal(submitted.code, 0, submitted.stderr);
      const child = spawn(process.execPath, [...CLI, "worker", "--redis", redis.url], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
      children.push(child);
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      for (let i = 0; i < 1200 && !/failed:/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, /failing__r000-s71 failed: --skip_to_om_training: no experience files/);
      const status = runCli(["sweep", file, "--status", "--redis", redis.url]);
      assert.match(status.stdout, /r000-s71 +failed +--skip_to_om_training: no experience files/);
      child.kill("SIGTERM");
    });
  });

  it("a closed stdout does not stop training: the run finishes, recorded in full", async () => {
    const dir = fresh();
    // not --quiet: the run must print after the pipe closes (--quiet prints only the final line)
    const loud = T.filter((a) => a !== "--quiet");
    const child = spawn(process.execPath, [...CLI, "train", ...loud, "--run_dir", dir], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.once("data", () => child.stdout.destroy()); // `| head -1`
    const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
    assert.equal(code, 0, err);
    assert.match(err, /standard output was closed; going on without printing/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).status, "finished");
    assert.equal(fs.readFileSync(path.join(dir, "metrics.csv"), "utf8"), referenceMetrics());
  });

  it("a stdout that fails with another error (> /dev/full: ENOSPC) does not stop training either (issue 28, defect 8)", (t) => {
    if (!fs.existsSync("/dev/full")) return t.skip("no /dev/full");
    const dir = fresh();
    const full = fs.openSync("/dev/full", "w");
    try {
      const r = spawnSync(process.execPath, [...CLI, "train", ...T, "--run_dir", dir], { cwd: REPO, stdio: ["ignore", full, "pipe"], encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /standard output cannot be written \(ENOSPC\); going on without printing/);
    } finally {
      fs.closeSync(full);
    }
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).status, "finished");
    assert.equal(fs.readFileSync(path.join(dir, "metrics.csv"), "utf8"), referenceMetrics());
  });

  it("a full disk: the first failure with its path and 'disk full' (exit 3), no temporary files left, and --restore finishes once there is room", (t) => {
    const mnt = path.join(base, "small-disk");
    if (!tryMount(mnt, "size=1m")) return t.skip("cannot mount a tmpfs here (needs root)");
    try {
      const dir = path.join(mnt, "run");
      const r = runCli(["train", ...T, "--checkpoint_replay", "--run_dir", dir]);
      assertOneLine(r, 3, /: disk full \(no space left on the device\) while writing/);
      assert.match(r.stderr, new RegExp(mnt));
      const leftovers = spawnSync("find", [mnt, "-name", "*.tmp*"], { encoding: "utf8" }).stdout.trim();
      assert.equal(leftovers, "", "temporary files left behind");
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).status, "failed");
      assert.equal(spawnSync("mount", ["-o", "remount,size=64m", mnt]).status, 0);
      const resumed = runCli(["train", "--restore", dir, "--quiet"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(
        fs.readFileSync(path.join(dir, "metrics.csv"), "utf8"),
        referenceMetrics(),
        "with the replay buffers in its checkpoints, the continued run is the uninterrupted one",
      );
    } finally {
      unmount(mnt);
    }
  });

  it("checkpoints the final OM training: a finished run's last checkpoint is its final state, and --restore says it is finished", () => {
    const dir = fresh();
    assert.equal(runCli(["train", ...T, "--run_dir", dir]).code, 0);
    const metrics = fs.readFileSync(path.join(dir, "metrics.csv"), "utf8");
    const lastIter = Math.max(
      ...metrics
        .split("\n")
        .filter((l) => l.includes("om_training_loss"))
        .map((l) => Number(l.split(",")[5])),
    );
    const state = loadCheckpoint(path.join(dir, "checkpoints", "latest")).header.values;
    assert.equal((state.experiment as { phase: string }).phase, "done");
    const iterations = Object.entries(state).filter(([k]) => /\/iterations$/.test(k));
    assert.equal(iterations.length, 1, "one opponent model");
    assert.equal(iterations[0][1], lastIter, "the checkpointed OM has done every iteration the metrics log");
    const r = runCli(["train", "--restore", dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /this run is finished; nothing to continue/);
    assert.equal(fs.readFileSync(path.join(dir, "metrics.csv"), "utf8"), metrics, "nothing re-run");
  });

  it("a run killed before its first checkpoint: --restore starts it over, saying so, and gives the uninterrupted run", async () => {
    const dir = fresh();
    const child = spawn(process.execPath, [...CLI, "train", ...flags({ save_rate: 1000 }), "--run_dir", dir], { cwd: REPO, stdio: "ignore" });
    const metrics = path.join(dir, "metrics.csv");
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (fs.existsSync(metrics) && fs.statSync(metrics).size > 2000) {
          child.kill("SIGKILL");
          clearInterval(timer);
        }
      }, 5);
      child.on("exit", () => resolve());
    });
    assert.ok(!fs.existsSync(path.join(dir, "checkpoints", "latest")), "killed before its first checkpoint");
    const r = runCli(["train", "--restore", dir, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no checkpoint yet \(the run stopped before its first one\); starting it over from the beginning/);
    const whole = fresh();
    assert.equal(runCli(["train", ...flags({ save_rate: 1000 }), "--run_dir", whole]).code, 0);
    assert.equal(fs.readFileSync(metrics, "utf8"), fs.readFileSync(path.join(whole, "metrics.csv"), "utf8"));
  });

  describe("one line and exit 2 for bad input", () => {
    it("lemol demo --animation checks its path before the episode and bounds its frames (issue 28, lows)", () => {
      const file = path.join(base, "demo-a-file");
      fs.writeFileSync(file, "x");
      const dir = fs.mkdtempSync(path.join(base, "demo-dir-"));
      for (const [target, message] of [
        [path.join(file, "x.html"), /demo-a-file:? is a file, not a directory/],
        [dir, /is a directory; expected a file for the animation/],
      ] as const) {
        const r = runCli(["demo", "--steps", "50", "--animation", target]);
        assertOneLine(r, 2, message);
        assert.equal(r.stdout, "", "refused before the episode's first line");
      }
      const big = runCli(["demo", "--steps", "10001", "--animation", path.join(dir, "a.html")]);
      assertOneLine(big, 2, /--animation keeps a frame per step in memory: at most 10000 steps, got --steps 10001/);
      assert.equal(big.stdout, "");
      assert.ok(!fs.existsSync(path.join(dir, "a.html")));
      // within the bound it is written
      const ok = runCli(["demo", "--steps", "3", "--animation", path.join(dir, "b.html")]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(fs.readFileSync(path.join(dir, "b.html"), "utf8"), /4 \/ 4|1 \/ 4/);
    });

    it("run directories that cannot be used", (t) => {
      const held = fresh();
      assert.equal(runCli(["train", ...flags({ num_episodes: 40, n_opp_cycles: 1 }), "--run_dir", held]).code, 0);
      assertOneLine(
        runCli(["train", ...T, "--run_dir", held]),
        2,
        /already holds a run \(metrics\.csv exists\); choose another --run_dir, or continue it with --restore/,
      );
      const file = path.join(base, "a-file");
      fs.writeFileSync(file, "x");
      assertOneLine(runCli(["train", ...T, "--run_dir", file]), 2, /a-file: is a file, not a directory/);
      assertOneLine(runCli(["train", ...T, "--run_dir", path.join(file, "run")]), 2, /a-file is a file, not a directory/);
      assertOneLine(runCli(["demo", "--animation", path.join(file, "x.html")]), 2, /a-file:? is a file, not a directory/);
      fs.writeFileSync(path.join(held, "metrics.csv"), fs.readFileSync(path.join(held, "metrics.csv")).subarray(0, 100));
      assertOneLine(runCli(["train", "--restore", held]), 2, /metrics\.csv: 100 bytes, shorter than the \d+ the checkpoint recorded/);
      const ro = path.join(base, "read-only");
      if (!tryMount(ro, "ro,size=1m")) return t.skip("cannot mount a read-only tmpfs here (needs root)");
      try {
        assertOneLine(runCli(["train", ...T, "--run_dir", path.join(ro, "run")]), 2, /read-only file system; cannot write the run directory there/);
      } finally {
        unmount(ro);
      }
    });

    it("bad options: a Redis port out of range, a repeated option, absurd sizes, numbers not in decimal, names and paths that escape, sweeps train would refuse", () => {
      assertOneLine(runCli(["worker", "--redis", "redis://127.0.0.1:99999"]), 2, /--redis: "redis:\/\/127\.0\.0\.1:99999" is not a valid address/);
      assertOneLine(runCli(["train", ...T, "--seed", "1", "--seed", "2"]), 2, /--seed is given twice/);
      assertOneLine(
        runCli(["train", ...flags({ num_units: 100000 })]),
        2,
        /--num_units 100000: the networks would need about \d+ GiB of memory, more than this machine's \d+ GiB/,
      );
      assertOneLine(
        runCli(["train", ...flags({ max_episode_len: "1e15" })], { timeoutMs: 30_000 }),
        2,
        /--max_episode_len: 1000000000000000 steps per episode is more than 1e\+9/,
      );
      assertOneLine(
        runCli(["train", ...flags({ replay_buffer_capacity: 100 })]),
        2,
        /learning would never start: it waits for --batch_size 32 x --max_episode_len 25 = 800 transitions, more than --replay_buffer_capacity 100 holds/,
      );
      // numbers in decimal only; a seed past 2^53 (which no random stream can take) is an option error (issue 28, lows)
      assertOneLine(runCli(["train", ...flags({ seed: "0x10" })]), 2, /--seed: expected a number, got "0x10"/);
      assertOneLine(runCli(["train", ...flags({ seed: " 7" })]), 2, /--seed: expected a number, got " 7"/);
      assertOneLine(runCli(["train", ...flags({ seed: String(2 ** 53) })]), 2, /--seed: must be <= 9007199254740991, got 9007199254740992/);
      assertOneLine(runCli(["train", ...flags({ exp_name: "../x" })]), 2, /--exp_name: must name one directory under runs\/ .*got "\.\.\/x"/);
      assertOneLine(runCli(["train", ...flags({ run_dir: "" })]), 2, /--run_dir: an empty path \(it would write into the working directory\)/);
      // the wasm heap (4 GiB at most) bounds the networks there, not only the machine's memory (issue 28, defect 9)
      assertOneLine(
        runCli(["train", ...flags({ num_units: 8000 }), "--backend", "wasm"]),
        2,
        /--num_units 8000: the networks would need about 3\.8 GiB of memory, more than the wasm backend's usable 2 GiB/,
      );
      // a sweep checks each run as lemol train does, before anything is queued (issue 28, defect 10)
      const noOM = path.join(base, "no-om.json");
      fs.writeFileSync(noOM, JSON.stringify({ name: "noom", results: "no-om", base: { ...TOPTS, num_episodes: 32 } }));
      assertOneLine(
        runCli(["sweep", noOM, "--redis", "redis://127.0.0.1:1"]),
        2,
        /run r000-s71 .*chunk_length 16 is larger than what a trajectory leaves for OM training/,
      );
      const inProc = path.join(base, "in-proc.json");
      fs.writeFileSync(inProc, JSON.stringify({ name: "inproc", results: "/proc/lemol-results", base: TOPTS }));
      assertOneLine(runCli(["sweep", inProc, "--redis", "redis://127.0.0.1:1"]), 2, /\/proc\/lemol-results: \/proc is a virtual file system/);
      const file = path.join(base, "results-file.json");
      fs.writeFileSync(path.join(base, "results-is-a-file"), "x");
      fs.writeFileSync(file, JSON.stringify({ name: "rf", results: "results-is-a-file", base: TOPTS }));
      assertOneLine(runCli(["sweep", file, "--redis", "redis://127.0.0.1:1"]), 2, /"results" .*results-is-a-file is a file, not a directory/);
    });
  });

  it("API errors are typed and say what is wrong", async () => {
    assert.throws(
      () => new MultiAgentEnv(undefined as unknown as string),
      (e: Error) => e instanceof UnknownScenarioError && /a scenario name or a Scenario object is needed, got undefined/.test(e.message),
    );
    await assert.rejects(
      () => Experiment.create(null as never),
      (e: Error) => e instanceof ConfigError && /options must be an object .*got null/.test(e.message),
    );
    await assert.rejects(
      () => Experiment.create("hello" as never),
      (e: Error) => e instanceof ConfigError && /options must be an object .*got "hello"/.test(e.message),
    );
    await assert.rejects(
      () => Experiment.create({ lr: NaN }),
      (e: Error) => e instanceof ConfigError && /^lr: expected a finite number, got NaN/.test(e.message),
    );
  });

  it("a bad backend name is refused every time and poisons nothing: the next call chooses normally (issue 28, defect 7)", () => {
    // a fresh process: this one's backend is chosen already
    const script = `const { initBackend } = await import(${JSON.stringify(path.join(REPO, "src/nn/backend.ts"))});
      const r = [];
      for (const b of ["gpu", undefined, "gpu", "cpu"]) { try { r.push("ok " + (await initBackend(b)).name); } catch (e) { r.push(e.name + ": " + e.message); } }
      console.log(JSON.stringify(r));`;
    const env = { ...process.env, LEMOL_BACKEND: "wasm" };
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", env });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout.trim().split("\n").pop()!) as string[];
    assert.deepEqual(got, [
      'BackendError: unknown backend "gpu" (option); expected node, wasm or cpu',
      "ok wasm",
      'BackendError: unknown backend "gpu" (option); expected node, wasm or cpu',
      'BackendError: backend already initialised as "wasm"; cannot switch to "cpu" in the same process',
    ]);
  });

  it("UAV: refuses a trajectory that cannot hold OM training, and warns when early episode ends may make it too short", async () => {
    const uav = { scenario: "uav", ...TOPTS, run_dir: undefined };
    await assert.rejects(
      () => Experiment.create({ ...uav, num_episodes: 20 }),
      /even if no episode ends early, a trajectory has at most 500 steps, fewer than OM training needs \(800 exploration \+ 16 for one chunk\)/,
    );
    const lines: string[] = [];
    const exp = await Experiment.create({ ...uav, run_dir: fresh() }, { print: (l) => lines.push(l) });
    exp.dispose();
    assert.ok(
      lines.some((l) =>
        /^warning: UAV episodes end early, so a trajectory of 60 episodes lasts between 60 and 1500 steps; OM training needs more than 816/.test(l),
      ),
      lines.join("\n"),
    );
  });
});

async function startRedisOn(port: string): Promise<RedisServer> {
  // the worker reconnects to the same address: a server on the same port
  for (let i = 0; ; i++) {
    const child = spawn("redis-server", ["--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode === null) {
      return { url: `redis://127.0.0.1:${port}`, stop: () => new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.kill("SIGTERM"))) };
    }
    if (i > 20) throw new Error(`redis-server could not listen on ${port} again`);
  }
}
