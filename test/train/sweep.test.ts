/**
 * Sweep jobs are idempotent (src/train/sweep.ts): a finished run is returned as it is, a run with
 * a checkpoint is continued from it — also when its worker died between the two renames of a
 * checkpoint save — with exactly the uninterrupted run's metrics, and one without starts afresh.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { Experiment, ExperimentStopped } from "../../src/train/experiment.js";
import { claimSweepResults, expandSweep, listSweepRuns, parseSweepSpec, runSweepJob, SweepJob } from "../../src/train/sweep.js";
import { loadRun, runStatusOf } from "../../src/train/run-dir.js";
import { runCli } from "../helpers/cli.js";
import { REPO } from "../helpers/golden.js";
import { inPlayStability, MetricsLog } from "../../src/train/metrics.js";
import { REDUCED } from "../helpers/experiment.js";

function job(): SweepJob {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-job-"));
  const spec = parseSweepSpec(
    { name: "unit", results: "results", base: { ...REDUCED, num_episodes: 40, n_opp_cycles: 2, traj_per_iter: 1, save_rate: 5 }, seeds: [7] },
    dir,
  );
  return expandSweep(spec)[0];
}

async function reference(j: SweepJob): Promise<string> {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-ref-")), "run");
  const exp = await Experiment.create({ ...j.options, run_dir: dir }, { print: null });
  await exp.run();
  exp.dispose();
  return fs.readFileSync(path.join(dir, "metrics.csv"), "utf8");
}

describe("sweep order", () => {
  it('"order": "seeds" starts every configuration of a seed before the next seed; run names keep the configuration index', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-order-"));
    const raw = { name: "order", base: { ...REDUCED }, list: [{ lr: 0.01 }, { lr: 0.02 }, { lr: 0.03 }], seeds: [5, 2] };
    const byConfig = expandSweep(parseSweepSpec(raw, dir)).map((j) => j.run);
    assert.deepEqual(byConfig, ["r000-s5", "r000-s2", "r001-s5", "r001-s2", "r002-s5", "r002-s2"]);
    const bySeed = expandSweep(parseSweepSpec({ ...raw, order: "seeds" }, dir));
    assert.deepEqual(
      bySeed.map((j) => j.run),
      ["r000-s5", "r001-s5", "r002-s5", "r000-s2", "r001-s2", "r002-s2"],
    );
    assert.deepEqual(
      bySeed.map((j) => j.options.lr),
      [0.01, 0.02, 0.03, 0.01, 0.02, 0.03],
    );
    assert.throws(() => parseSweepSpec({ ...raw, order: "seed" }, dir), /"order" must be "configs" or "seeds", not "seed"/);
  });
});

describe("sweep jobs", () => {
  it("continue a run whose worker died between a checkpoint's two renames, with the uninterrupted metrics; a finished run is not run again", async () => {
    const j = job();
    const expected = await reference(j);
    // a worker gets half way, checkpoints, then "dies" in the middle of its next save
    await assert.rejects(
      () =>
        runSweepJob(j, { print: null }, (exp) => {
          let n = 0;
          exp.on("episode_end", () => {
            if (++n === 55) exp.requestStop();
          });
        }),
      (e: Error) => e instanceof ExperimentStopped,
    );
    const checkpoints = path.join(j.runDir, "checkpoints");
    fs.renameSync(path.join(checkpoints, "latest"), path.join(checkpoints, ".latest.old-99999"));
    const r = await runSweepJob(j);
    assert.equal(r.how, "resumed");
    assert.equal(fs.readFileSync(path.join(j.runDir, "metrics.csv"), "utf8"), expected);
    assert.equal(r.trajectories, 2);
    assert.ok(Number.isFinite(r.summary.om_accuracy_in_play));
    assert.ok(Number.isFinite(r.summary.om_baseline_persistence_in_play), "the baselines beside it");
    assert.ok(Number.isFinite(r.summary.om_baseline_window_majority_in_play));
    assert.ok(Number.isFinite(r.summary.om_baseline_bc_in_play));
    assert.ok(Number.isFinite(r.summary.om_baseline_bc_previous_action_in_play));
    assert.ok(Number.isFinite(r.summary.om_baseline_online_bc_in_play));
    // and the stability of each over the last trajectory (docs/experiments.md; NaN under two windows)
    const last = inPlayStability(MetricsLog.load(path.join(j.runDir, "metrics.csv"))).filter((x) => x.trajectory === r.trajectories - 1);
    assert.equal(last.length, 6, "the OM and five baselines");
    for (const x of last) {
      assert.ok(Object.is(r.summary[`stability_sd/${x.metric}`], x.sd), `stability_sd/${x.metric}`);
      assert.ok(Object.is(r.summary[`stability_drop/${x.metric}`], x.drop), `stability_drop/${x.metric}`);
    }
    const again = await runSweepJob(j);
    assert.equal(again.how, "already-finished");
    assert.equal(fs.readFileSync(path.join(j.runDir, "metrics.csv"), "utf8"), expected);
  });

  it("report a run killed inside close() as interrupted, not running, and finish it when run again (issue 28)", async () => {
    const j = job();
    const expected = await reference(j);
    // a process runs the job to its end and is killed inside close(), before the manifest records it
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-close-kill-")), "kill-in-close.mts");
    fs.writeFileSync(
      script,
      `import { Experiment } from ${JSON.stringify(path.join(REPO, "src/train/experiment.ts"))};
const exp = await Experiment.create(${JSON.stringify({ ...j.options, run_dir: j.runDir })}, { print: null });
const inner = exp as unknown as { metrics: { flush(): void }; close(): void };
const close = inner.close.bind(exp);
inner.close = () => {
  inner.metrics.flush = () => process.kill(process.pid, "SIGKILL");
  close();
};
await exp.run();
`,
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.signal, "SIGKILL", r.stderr);
    assert.equal(JSON.parse(fs.readFileSync(path.join(j.runDir, "manifest.json"), "utf8")).status, "running", "the kill left the manifest saying running");
    assert.equal(runStatusOf(j.runDir), "interrupted");
    assert.equal(loadRun(j.runDir).status, "interrupted");
    assert.deepEqual(
      listSweepRuns(path.dirname(j.runDir)).map((x) => x.status),
      ["interrupted"],
    );
    // a run that is going on is still "running"
    const live = await Experiment.restore(j.runDir, {}, { print: null });
    assert.equal(runStatusOf(j.runDir), "running");
    live.dispose();
    // `lemol train --restore` says so and records the end: finished, with the uninterrupted metrics
    const restored = runCli(["train", "--restore", j.runDir]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /its manifest said "running" but its process was gone: the run had been interrupted/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(j.runDir, "manifest.json"), "utf8")).status, "finished");
    assert.equal(fs.readFileSync(path.join(j.runDir, "metrics.csv"), "utf8"), expected);
    assert.equal((await runSweepJob(j, { print: null })).how, "already-finished");
  });

  it("start afresh when a worker died before the run's first checkpoint", async () => {
    const j = job();
    fs.mkdirSync(j.runDir, { recursive: true });
    fs.writeFileSync(path.join(j.runDir, "manifest.json"), JSON.stringify({ status: "running", config: j.options }));
    fs.writeFileSync(path.join(j.runDir, "metrics.csv"), "cycle,trajectory\n0,0\n"); // partial, no checkpoint
    const r = await runSweepJob(j);
    assert.equal(r.how, "ran");
    assert.equal(fs.readFileSync(path.join(j.runDir, "metrics.csv"), "utf8"), await reference(j));
  });

  it("never removes a directory it cannot prove is the job's, and reports as finished only a run made with the job's options (issue 28, defects 1 and 3)", async () => {
    // a job whose run directory names a directory of someone else's (no manifest, no job marker)
    const j = job();
    const precious = path.join(j.runDir, "thesis.tex");
    fs.mkdirSync(j.runDir, { recursive: true });
    fs.writeFileSync(precious, "keep me");
    await assert.rejects(() => runSweepJob(j), /exists but is not provably this job's run .* refusing to remove it/);
    assert.equal(fs.readFileSync(precious, "utf8"), "keep me");
    // a job pointing outside its sweep's place for it
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-else-"));
    fs.writeFileSync(path.join(elsewhere, "data"), "x");
    await assert.rejects(() => runSweepJob({ ...j, runDir: elsewhere }), /is not <results>\/r000-s7 of its options; refusing to run it/);
    assert.deepEqual(fs.readdirSync(elsewhere), ["data"]);
    // a finished run made with other options (another sweep's, same results): not reported as this job's
    fs.rmSync(precious);
    fs.writeFileSync(path.join(j.runDir, "manifest.json"), JSON.stringify({ status: "finished", config: { ...j.options, lr: 0.5 } }));
    await assert.rejects(() => runSweepJob(j), /holds a run made with other options \(lr\)/);
    // two sweeps with the same results directory: the second is refused
    const spec = parseSweepSpec({ name: "first", results: "shared", base: { ...REDUCED } }, path.dirname(path.dirname(j.runDir)));
    claimSweepResults(spec);
    claimSweepResults(spec); // again: its own
    assert.throws(() => claimSweepResults({ ...spec, name: "second" }), /holds the runs of sweep first/);
    await assert.rejects(() => runSweepJob({ ...expandSweep(spec)[0], sweep: "second" }), /holds the runs of sweep first, not second/);
    // results of an earlier lemol (no marker): adopted only when every run in them is one of the sweep's, with its options
    fs.rmSync(path.join(spec.results, ".lemol-sweep.json"));
    const earlier = path.join(spec.results, "r000-s71");
    fs.mkdirSync(earlier);
    fs.writeFileSync(path.join(earlier, "manifest.json"), JSON.stringify({ status: "finished", config: { ...expandSweep(spec)[0].options, lr: 0.5 } }));
    assert.throws(() => claimSweepResults(spec), /holds r000-s71, which is not a run of this sweep/);
    fs.writeFileSync(path.join(earlier, "manifest.json"), JSON.stringify({ status: "finished", config: expandSweep(spec)[0].options }));
    claimSweepResults(spec);
    assert.throws(() => claimSweepResults({ ...spec, name: "second" }), /holds the runs of sweep first/);
  });
});
