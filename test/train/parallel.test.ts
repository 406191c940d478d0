/**
 * `--parallel_trajectories` on worker processes (the scale-out issue): each trajectory starts from
 * its cycle's starting optimiser state with random streams of its own, so one worker (in
 * process) and two worker processes give byte-identical metrics and experience files; a stop
 * during a parallel cycle keeps nothing of it, and the next call plays it again identically.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { describe, it } from "node:test";
import { defaultWorkers, WorkerProcesses } from "../../src/train/parallel.js";
import { Experiment, ExperimentOptions, ExperimentStopped } from "../../src/train/experiment.js";
import { loadCheckpoint } from "../../src/storage/checkpoint.js";
import { tmpRun, TINY } from "../helpers/experiment.js";
import { REPO } from "../helpers/golden.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

const OPTS: ExperimentOptions = {
  ...TINY,
  good_policy: "maddpg_ddpg", // two opponents: 2 x 2 = 4 trajectories per cycle
  seed: 17,
  parallel_trajectories: true,
};

async function run(options: ExperimentOptions): Promise<Experiment> {
  const exp = await Experiment.create({ ...OPTS, run_dir: tmpRun(), ...options }, { print: null });
  await exp.run();
  return exp;
}

function experience(exp: Experiment): Map<string, Buffer> {
  return new Map(exp.runDir.experienceFiles().map((f) => [path.relative(exp.runDir.experienceDir, f), fs.readFileSync(f)]));
}

function assertSameRun(a: Experiment, b: Experiment): void {
  const ma = fs.readFileSync(a.runDir.metricsFile, "utf8");
  const mb = fs.readFileSync(b.runDir.metricsFile, "utf8");
  const la = ma.split("\n"),
    lb = mb.split("\n");
  const k = la.findIndex((l, i) => l !== lb[i]);
  assert.ok(k < 0 && la.length === lb.length, `metrics.csv differs at line ${k + 1}: ${la[k]} vs ${lb[k]}`);
  const ea = experience(a),
    eb = experience(b);
  assert.deepEqual([...eb.keys()], [...ea.keys()]);
  for (const [f, buf] of ea) assert.ok(buf.equals(eb.get(f)!), f);
}

describe("parallel trajectories", () => {
  it("give the same metrics and experience files on one worker (in process) and on two worker processes", async () => {
    const one = await run({ workers: 1 });
    const progress = new Set<number>();
    const two = await Experiment.create({ ...OPTS, run_dir: tmpRun(), workers: 2 }, { print: null });
    two.on("progress", (p) => p.worker !== undefined && progress.add(p.worker));
    await two.run();
    assertSameRun(one, two);
    assert.deepEqual([...progress].sort(), [0, 1], "both workers reported progress");
    assert.equal(two.trajectoriesStarted, 8);
    assert.equal(two.phase, "done");
    assert.ok(!fs.existsSync(path.join(two.runDir.root, "workers", "cycle-0")), "the workers' directories are cleaned up");
    // the option changes what is computed (each trajectory starts from the cycle's state)
    const serial = await run({ parallel_trajectories: false });
    assert.notEqual(fs.readFileSync(serial.runDir.metricsFile, "utf8"), fs.readFileSync(one.runDir.metricsFile, "utf8"));
    for (const e of [one, two, serial]) e.dispose();
  });

  it("keeps its worker processes from one cycle to the next, and ends them on close", async () => {
    const exp = await Experiment.create({ ...OPTS, run_dir: tmpRun(), workers: 2, om_training_iters: 0 }, { print: null });
    assert.deepEqual(exp.workerPids, [], "no workers before the first parallel cycle");
    await exp.runCycle();
    const pids = exp.workerPids;
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive), "idle workers wait for the next cycle");
    await exp.runCycle();
    assert.deepEqual(exp.workerPids, pids, "the second cycle ran on the same processes");
    exp.close();
    assert.deepEqual(exp.workerPids, []);
    for (const pid of pids) assert.ok(await gone(pid), `worker ${pid} ended on close`);
    exp.dispose();
  });

  it("lets a script that never closes its experiment exit, and its workers with it", async () => {
    const script = `
      import { Experiment } from ${JSON.stringify(path.join(REPO, "src/train/experiment.ts"))};
      const exp = await Experiment.create(${JSON.stringify({ ...OPTS, run_dir: tmpRun(), workers: 2, n_opp_cycles: 1, om_training_iters: 0 })}, { print: null });
      await exp.runCycle();
      console.log(JSON.stringify(exp.workerPids));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const pids = JSON.parse(r.stdout.trim().split("\n").pop()!) as number[];
    assert.equal(pids.length, 2, "the cycle ran on two workers");
    for (const pid of pids) assert.ok(await gone(pid), `worker ${pid} ended with its parent`);
  });

  it("resumes a run that crashed in a cycle's OM training there: the cycle's play is kept and at most one pass is lost", async () => {
    const options = { om_training_iters: 2, n_opp_cycles: 1 };
    const reference = await run({ workers: 1, ...options });
    const crashed = await Experiment.create({ ...OPTS, run_dir: tmpRun(), workers: 2, ...options }, { print: null });
    const off = crashed.on("om_chunk", (e) => {
      if (e.pass === 1 && e.chunk === 1) crashed.requestStop(); // the second pass under way
    });
    await assert.rejects(
      () => crashed.run(),
      (e: Error) => e instanceof ExperimentStopped,
    );
    off();
    crashed.dispose();
    // no explicit checkpoint: what the experiment took by itself is all a crash leaves
    const resumed = await Experiment.restore(crashed.runDir.root, {}, { print: null });
    assert.equal(resumed.phase, "om_training", "the cycle's play is not played again");
    assert.equal(resumed.trajectoriesStarted, 4);
    const chunks: { pass: number; chunk: number }[] = [];
    resumed.on("om_chunk", (e) => chunks.push({ pass: e.pass, chunk: e.chunk }));
    await resumed.run();
    assert.deepEqual(chunks[0], { pass: 1, chunk: 0 }, "the training continues from the start of the pass it was in");
    assertSameRun(reference, resumed);
    reference.dispose();
    resumed.dispose();
  });

  it("checkpoints a cycle played on the workers at its end when no OM training follows (oracle mode): latest is the run's final state", async () => {
    const exp = await run({ workers: 2, n_opp_cycles: 1, feed_lemol_true_action: true });
    const state = loadCheckpoint(path.join(exp.runDir.checkpointsDir, "latest")).value<{ phase: string; trajectoriesStarted: number }>("experiment");
    assert.equal(state.phase, "done");
    assert.equal(state.trajectoriesStarted, 4);
    exp.dispose();
  });

  it("keeps nothing of a cycle stopped on the workers; the next call plays it again identically", async () => {
    const reference = await run({ workers: 1 });
    const exp = await Experiment.create({ ...OPTS, run_dir: tmpRun(), workers: 2 }, { print: null });
    let seen = 0;
    const off = exp.on("progress", (p) => {
      if (p.worker !== undefined && ++seen === 2) exp.requestStop();
    });
    await assert.rejects(
      () => exp.runCycle(),
      (e: Error) => e instanceof ExperimentStopped,
    );
    off();
    assert.deepEqual(exp.workerPids, [], "a stop ends the workers (their partial work is discarded)");
    assert.equal(exp.trajectoriesStarted, 0, "still at the cycle's start");
    assert.equal(exp.metrics.length, 0);
    await exp.run();
    assertSameRun(reference, exp);
    reference.dispose();
    exp.dispose();
  });
});

describe("the default number of trajectory workers", () => {
  it("is the cores, or one per trajectory when a cycle's trajectories outnumber the cores at most two to one", () => {
    assert.equal(defaultWorkers(1, 2), 2);
    assert.equal(defaultWorkers(2, 2), 2);
    assert.equal(defaultWorkers(3, 2), 3, "three trajectories on two cores: all at once, no core idle at the end");
    assert.equal(defaultWorkers(4, 2), 4);
    assert.equal(defaultWorkers(5, 2), 2, "beyond twice the cores: the cores");
    assert.equal(defaultWorkers(3, 4), 4);
  });

  it("follows the cycle's trajectories unless --workers or the run call gives a count", async () => {
    const cycle = new WorkerProcesses(null, 2 * os.availableParallelism() - 1);
    assert.equal(cycle.count, defaultWorkers(2 * os.availableParallelism() - 1));
    assert.equal(new WorkerProcesses(3, 5).count, 3);
    await cycle.with(1, async () => assert.equal(cycle.count, 1));
    assert.equal(cycle.count, defaultWorkers(2 * os.availableParallelism() - 1));
  });
});
