/**
 * Crash safety: `lemol train` killed with SIGKILL at random moments leaves metrics.csv a valid
 * prefix of the uninterrupted run's and its last checkpoint loadable; `lemol train --restore`
 * then finishes the run with exactly the uninterrupted run's metrics and experience files — and of
 * two `--restore`s started at once on the same run, one continues it and the other is refused.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCheckpoint } from "../../src/storage/checkpoint.js";
import { listExperienceFiles } from "../../src/train/run-dir.js";
import { Rng } from "../../src/util/rng.js";
import { runCli, runCliAsync, spawnCli, tinyRunFlags } from "../helpers/cli.js";

const FLAGS = tinyRunFlags({ seed: 5, num_episodes: 40, traj_per_iter: 2, save_rate: 4, checkpoint_replay: true, quiet: true });

/**
 * Starts `lemol train` and kills it with SIGKILL once its metrics.csv has grown to `bytes` (a point
 * in the run that does not depend on the machine's speed or load); resolves when it is gone.
 */
function runAndKill(runDir: string, bytes: number): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const { child } = spawnCli(["train", ...FLAGS, "--run_dir", runDir], { pipe: false });
    const metrics = path.join(runDir, "metrics.csv");
    const timer = setInterval(() => {
      let size = 0;
      try {
        size = fs.statSync(metrics).size;
      } catch {
        // not created yet
      }
      if (size >= bytes) child.kill("SIGKILL");
    }, 5);
    child.on("exit", (_code, signal) => {
      clearInterval(timer);
      resolve({ killed: signal === "SIGKILL" });
    });
  });
}

/** Starts `lemol train`, sends it `signal` once its metrics.csv has grown to `bytes`; resolves with its exit code and stdout. */
function runAndSignal(runDir: string, bytes: number, signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { child, output } = spawnCli(["train", ...FLAGS, "--run_dir", runDir]);
    const metrics = path.join(runDir, "metrics.csv");
    const timer = setInterval(() => {
      if ((fs.statSync(metrics, { throwIfNoEntry: false })?.size ?? 0) < bytes) return;
      clearInterval(timer);
      child.kill(signal);
    }, 5);
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({ code, ...output });
    });
  });
}

function experience(runDir: string): Map<string, Buffer> {
  const dir = path.join(runDir, "experience");
  return new Map(listExperienceFiles(dir).map((f) => [path.relative(dir, f), fs.readFileSync(f)]));
}

describe("lemol train killed with SIGKILL", () => {
  it("leaves a valid metrics prefix and a loadable checkpoint, and --restore finishes the run identically", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-crash-"));
    const refDir = path.join(base, "reference");
    const ref = runCli(["train", ...FLAGS, "--run_dir", refDir]);
    assert.equal(ref.code, 0, ref.stderr);
    const refMetrics = fs.readFileSync(path.join(refDir, "metrics.csv"), "utf8");
    const refFiles = experience(refDir);

    const rng = new Rng(2024);
    let killedMidRun = 0;
    for (let round = 0; round < 3; round++) {
      const runDir = path.join(base, `killed-${round}`);
      const at = Math.round(refMetrics.length * (0.2 + 0.7 * rng.uniform()));
      const { killed } = await runAndKill(runDir, at);
      if (killed) killedMidRun++;
      const text = fs.readFileSync(path.join(runDir, "metrics.csv"), "utf8");
      const complete = text.slice(0, text.lastIndexOf("\n") + 1);
      assert.ok(refMetrics.startsWith(complete), `round ${round} (killed at ${at} bytes of metrics): metrics.csv is not a prefix of the uninterrupted run's`);
      const checkpoint = loadCheckpoint(path.join(runDir, "checkpoints", "latest")); // throws if unreadable
      assert.ok(checkpoint.header.sha256.length === 64);

      // two restores at once (the reproduction): one continues the run, the other is refused
      const [a, b] = await Promise.all([
        runCliAsync(["train", "--restore", runDir, "--quiet"], { timeoutMs: 240_000 }),
        runCliAsync(["train", "--restore", runDir, "--quiet"], { timeoutMs: 240_000 }),
      ]);
      const resumed = a.code === 0 ? a : b;
      const refused = a.code === 0 ? b : a;
      assert.equal(resumed.code, 0, `round ${round}: ${resumed.stderr}`);
      assert.equal(refused.code, 2, `round ${round}: the second restore ran too (${refused.stderr})`);
      assert.match(refused.stderr, /is in use by process \d+/);
      assert.match(resumed.stdout, /resumed from checkpoint latest/);
      assert.equal(fs.readFileSync(path.join(runDir, "metrics.csv"), "utf8"), refMetrics, `round ${round}: the resumed run's metrics differ`);
      const files = experience(runDir);
      assert.deepEqual([...files.keys()], [...refFiles.keys()]);
      for (const [k, v] of files) assert.ok(v.equals(refFiles.get(k)!), `round ${round}: ${k} differs`);
      const manifest = JSON.parse(fs.readFileSync(path.join(runDir, "manifest.json"), "utf8"));
      assert.equal(manifest.status, "finished");
      assert.equal(manifest.resumed.length, 1);
    }
    assert.ok(killedMidRun >= 2, "the kills landed during the runs");
  });

  it("--restore refuses other options and unknown run directories with one line", () => {
    const r1 = runCli(["train", "--restore", "/nonexistent/run", "--quiet"]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /is not a lemol run directory/);
    const r2 = runCli(["train", "--restore", "/tmp", "--num_episodes", "3"]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--restore continues the run with the options it was started with; drop --num_episodes/);
    const r3 = runCli(["train", "--checkpoint", "latest"]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /--checkpoint needs --restore/);
  });

  it("a killed --parallel_trajectories worker process: one line with the --restore command (exit 3, no stack), and --restore finishes identically (issue 28)", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-worker-kill-"));
    const flags = [...FLAGS, "--parallel_trajectories", "--workers", "2"];
    const refDir = path.join(base, "reference");
    const ref = runCli(["train", ...flags, "--run_dir", refDir]);
    assert.equal(ref.code, 0, ref.stderr);
    const runDir = path.join(base, "killed");
    const { child, output } = spawnCli(["train", ...flags, "--run_dir", runDir]);
    // the trajectory workers are forked with the first cycle's jobs: kill one of them at once
    let victim = 0;
    const timer = setInterval(() => {
      let kids: string[] = [];
      try {
        kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      } catch {
        return;
      }
      for (const pid of kids) {
        let cmd = "";
        try {
          cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        } catch {
          continue;
        }
        if (!cmd.includes("trajectory-worker")) continue;
        victim = Number(pid);
        process.kill(victim, "SIGKILL");
        clearInterval(timer);
        return;
      }
    }, 5);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(timer);
    assert.ok(victim > 0, "a worker process was killed");
    assert.equal(code, 3, output.stderr);
    const lines = output.stderr.trim().split("\n");
    assert.equal(lines.length, 1, output.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `^lemol train: worker process \\d \\(pid ${victim}\\) of --parallel_trajectories was killed by SIGKILL with \\d+ trajectories of the cycle left; continue the run from its last checkpoint with: lemol train --restore ${runDir.replace(/[/\\]/g, "\\$&")}$`,
      ),
    );
    const resumed = runCli(["train", "--restore", runDir, "--quiet"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(fs.readFileSync(path.join(runDir, "metrics.csv"), "utf8"), fs.readFileSync(path.join(refDir, "metrics.csv"), "utf8"));
  });

  it("SIGTERM and SIGHUP checkpoint at the next step: exit 143 / 129, the manifest 'stopped', the --restore line, and --restore finishes identically (issue 28)", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-signal-"));
    const refDir = path.join(base, "reference");
    const ref = runCli(["train", ...FLAGS, "--run_dir", refDir]);
    assert.equal(ref.code, 0, ref.stderr);
    const refMetrics = fs.readFileSync(path.join(refDir, "metrics.csv"), "utf8");
    for (const [signal, code, at] of [
      ["SIGTERM", 143, 0.3],
      ["SIGHUP", 129, 0.6],
    ] as const) {
      const runDir = path.join(base, signal);
      const r = await runAndSignal(runDir, Math.round(refMetrics.length * at), signal);
      assert.equal(r.code, code, `${signal}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`stopped: .*; continue with: lemol train --restore ${runDir.replace(/[/\\]/g, "\\$&")}\\)`));
      assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, "manifest.json"), "utf8")).status, "stopped");
      const resumed = runCli(["train", "--restore", runDir, "--quiet"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(fs.readFileSync(path.join(runDir, "metrics.csv"), "utf8"), refMetrics, `${signal}: the resumed run's metrics differ`);
    }
  });
});
