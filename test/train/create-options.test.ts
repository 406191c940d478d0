/**
 * `Experiment.create` on a run directory that already holds a run: refused with a message in API
 * syntax and a relative path; `resume: true` continues it, `overwrite: true` starts it over
 * (deleting only the run's files); created again in the same process (a re-run notebook cell), the
 * experiment that holds it is returned (same options) or closed first (other options), so nothing
 * stays locked by an object the notebook lost.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";
import { ConfigError } from "../../src/train/config.js";
import { REDUCED, tmpRun } from "../helpers/experiment.js";

const SMALL: ExperimentOptions = { ...REDUCED, n_opp_cycles: 1, traj_per_iter: 1, num_episodes: 40, save_rate: 1000, seed: 5 };
const quiet = { print: null, progress: null, interrupts: null };

/** A run directory under the working directory (messages show it relative); the test's working directory changes for that. */
function localRun(): string {
  const root = tmpRun();
  process.chdir(path.dirname(root));
  return path.basename(root);
}

const start = process.cwd();
afterEach(() => process.chdir(start));

describe("Experiment.create on a run directory that holds a run", () => {
  it("returns the experiment this process holds there when created again with the same options", async () => {
    const dir = localRun();
    const printed: string[] = [];
    const a = await Experiment.create({ ...SMALL, run_dir: dir }, quiet);
    await a.runEpisode();
    const b = await Experiment.create({ ...SMALL, run_dir: dir }, { ...quiet, print: (l) => void printed.push(l) });
    assert.equal(b, a, "the same experiment, nothing lost");
    assert.equal(b.episodesCompleted, 1);
    assert.match(printed.join("\n"), /the experiment this kernel already has there, at cycle 0/);
    await b.runEpisode();
    assert.equal(b.episodesCompleted, 2);
    b.dispose();
  });

  it("closes the one it holds (saving its state) when created again with other options, and says how to go on", async () => {
    const dir = localRun();
    const root = path.resolve(dir);
    const a = await Experiment.create({ ...SMALL, run_dir: dir }, quiet);
    await a.runEpisode();
    await assert.rejects(
      () => Experiment.create({ ...SMALL, seed: 6, run_dir: dir }, quiet),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.includes(`${dir} holds a run made with other options: seed 6 (the run has 5)`) &&
        /overwrite: true/.test(e.message) &&
        !e.message.includes(root),
    );
    assert.throws(() => a.step(), /this experiment was closed: Experiment.create was called again/);
    // its run directory is free, and its progress saved: resume continues where it was
    const c = await Experiment.create({ ...SMALL, run_dir: dir, resume: true }, quiet);
    assert.notEqual(c, a);
    assert.equal(c.episodesCompleted, 1);
    c.dispose();
  });

  it("refuses a run directory holding a run with API syntax and a relative path (after a kernel restart)", async () => {
    const dir = localRun();
    const a = await Experiment.create({ ...SMALL, run_dir: dir }, quiet);
    await a.runEpisode();
    a.checkpoint();
    a.dispose(); // what a new process sees: no experiment of its own there
    await assert.rejects(
      () => Experiment.create({ ...SMALL, run_dir: dir }, quiet),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message ===
          `run directory ${dir} already holds a run (metrics.csv exists): pass resume: true to continue it, or overwrite: true to start it over, or choose another run_dir`,
    );
    const b = await Experiment.create({ ...SMALL, run_dir: dir, resume: true }, quiet);
    assert.equal(b.episodesCompleted, 1, "continued from its checkpoint");
    b.dispose();
    await assert.rejects(
      () => Experiment.create({ ...SMALL, seed: 7, run_dir: dir, resume: true }, quiet),
      (e: Error) => e instanceof ConfigError && e.message.includes("seed 7 (the run has 5)") && /resume: true continues it as it was made/.test(e.message),
    );
    await assert.rejects(() => Experiment.create({ ...SMALL, run_dir: dir, resume: true, overwrite: true }, quiet), /give one of them/);
  });

  it("overwrite: true starts over with experience outside the run directory: its files and marker go, another run's folder is refused", async () => {
    const root = tmpRun();
    const outside = path.join(tmpRun(), "shared-experience");
    const a = await Experiment.create({ ...SMALL, run_dir: root, lemol_save_path: outside }, quiet);
    await a.runTrajectory();
    a.dispose();
    assert.ok(a.runDir.experienceFiles().length > 0);
    const b = await Experiment.create({ ...SMALL, run_dir: root, lemol_save_path: outside, overwrite: true }, quiet);
    assert.equal(b.runDir.experienceFiles().length, 0, "the old run's files outside the run directory are gone");
    await b.runTrajectory();
    b.dispose();
    // the folder now belongs to b's run; a manifest in another directory naming it cannot overwrite it
    const other = tmpRun();
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, "manifest.json"), JSON.stringify({ run_id: "someone-else", config: { lemol_save_path: outside } }));
    await assert.rejects(() => Experiment.create({ ...SMALL, run_dir: other, overwrite: true }, quiet), /is not provably the old run's/);
    assert.ok(b.runDir.experienceFiles().length > 0, "the other run's files are untouched");
  });

  it("overwrite: true starts over, deleting the run's files and nothing else", async () => {
    const root = tmpRun();
    const a = await Experiment.create({ ...SMALL, run_dir: root }, quiet);
    await a.runTrajectory();
    a.checkpoint();
    a.dispose();
    assert.ok(a.runDir.experienceFiles().length > 0);
    fs.writeFileSync(path.join(root, "notes.txt"), "mine");
    fs.writeFileSync(path.join(root, "checkpoints", "README"), "mine too");
    const b = await Experiment.create({ ...SMALL, run_dir: root, overwrite: true }, quiet);
    assert.equal(b.episodesCompleted, 0);
    assert.equal(b.runDir.experienceFiles().length, 0, "the old run's experience files are gone");
    assert.equal(fs.existsSync(path.join(root, "checkpoints", "latest")), false, "its checkpoint too");
    assert.equal(fs.readFileSync(path.join(root, "notes.txt"), "utf8"), "mine", "a file lemol did not write stays");
    assert.equal(fs.readFileSync(path.join(root, "checkpoints", "README"), "utf8"), "mine too");
    await b.runEpisode();
    b.dispose();
  });

  it("overwrite: true with options that cannot be built gives the run directory up again: fixed options start over there", async () => {
    const root = tmpRun();
    const a = await Experiment.create({ ...SMALL, run_dir: root }, quiet);
    a.dispose();
    // the options pass the schema and fail when the run is built (after the overwrite took the directory's lock)
    await assert.rejects(() => Experiment.create({ ...SMALL, run_dir: root, good_policy: "lemol", overwrite: true }, quiet), /LeMOL can play only one side/);
    const b = await Experiment.create({ ...SMALL, run_dir: root, overwrite: true }, quiet);
    assert.equal(b.episodesCompleted, 0);
    b.dispose();
  });

  it("overwrite: true with no run directory there yet starts one (a notebook's first run of an overwriting cell)", async () => {
    const dir = path.join(tmpRun(), "not", "made", "yet");
    const exp = await Experiment.create({ ...SMALL, run_dir: dir, overwrite: true }, quiet);
    await exp.runEpisode();
    assert.equal(exp.episodesCompleted, 1);
    assert.ok(fs.existsSync(path.join(dir, "manifest.json")));
    exp.dispose();
  });

  it("resume: true with no run there starts one", async () => {
    const exp = await Experiment.create({ ...SMALL, run_dir: tmpRun(), resume: true }, quiet);
    assert.equal(exp.episodesCompleted, 0);
    exp.dispose();
  });
});
