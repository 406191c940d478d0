/**
 * Checkpoints and resume (the reproducibility issue): a run continued from a checkpoint — taken
 * mid-trajectory or mid-OM-training, with later rows and files already written after it — gives
 * exactly the metrics and experience files of the uninterrupted run; bad checkpoints are refused
 * with a message naming the problem.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { displayPath } from "../../src/util/fs.js";
import { ConfigError } from "../../src/train/config.js";
import { Experiment, ExperimentOptions, ExperimentStopped } from "../../src/train/experiment.js";
import { CheckpointError, loadCheckpoint } from "../../src/storage/checkpoint.js";
import { REDUCED, tmpRun } from "../helpers/experiment.js";

const OPTS: ExperimentOptions = { ...REDUCED, n_opp_cycles: 2, traj_per_iter: 2, num_episodes: 40, save_rate: 10, seed: 21, checkpoint_replay: true };

function make(options: ExperimentOptions = {}): Promise<Experiment> {
  return Experiment.create({ ...OPTS, run_dir: tmpRun(), ...options }, { print: null });
}

function restore(exp: Experiment, checkpoint: string): Promise<Experiment> {
  return Experiment.restore(exp.runDir.root, { checkpoint }, { print: null });
}

const read = (f: string) => fs.readFileSync(f);
function sameRun(a: Experiment, b: Experiment): void {
  const la = read(a.runDir.metricsFile).toString().split("\n");
  const lb = read(b.runDir.metricsFile).toString().split("\n");
  const k = la.findIndex((l, i) => l !== lb[i]);
  assert.ok(k < 0 && la.length === lb.length, `metrics.csv differs at line ${k + 1}: expected ${JSON.stringify(la[k])}, got ${JSON.stringify(lb[k])}`);
  const fa = a.runDir.experienceFiles().map((f) => path.relative(a.runDir.experienceDir, f));
  const fb = b.runDir.experienceFiles().map((f) => path.relative(b.runDir.experienceDir, f));
  assert.deepEqual(fb, fa);
  for (const f of fa) assert.ok(read(path.join(a.runDir.experienceDir, f)).equals(read(path.join(b.runDir.experienceDir, f))), f);
}

/** Runs `exp` until `when` says stop (checked at events), as a crash would find it. */
async function runUntil(exp: Experiment, event: "episode_end" | "om_chunk", when: (n: number) => boolean): Promise<void> {
  let n = 0;
  const off = exp.on(event, () => {
    if (when(++n)) exp.requestStop();
  });
  await assert.rejects(
    () => exp.run(),
    (e: Error) => e instanceof ExperimentStopped,
  );
  off();
}

/** Runs `exp` until the second chunk of OM training pass `pass` of cycle `cycle`, and "crashes" there (no checkpoint of its own). */
async function crashInOMTraining(exp: Experiment, cycle: number, pass: number): Promise<void> {
  const off = exp.on("om_chunk", (e) => {
    if (e.cycle === cycle && e.pass === pass && e.chunk === 1) exp.requestStop();
  });
  await assert.rejects(
    () => exp.run(),
    (e: Error) => e instanceof ExperimentStopped,
  );
  off();
  exp.dispose();
}

describe("checkpoints and resume", () => {
  it("continue mid-trajectory and mid-OM-training exactly as the uninterrupted run (rows and files written after the checkpoint are dropped)", async () => {
    const whole = await make();
    await whole.run();

    const a = await make({ run_dir: tmpRun() });
    await runUntil(a, "episode_end", (n) => n === 53); // trajectory 1, episode 13
    const mid = a.checkpoint("mid");
    assert.ok(fs.existsSync(path.join(mid, "arrays.bin")));
    // the run goes on past the checkpoint (rows, an experience file, then OM training) before it "crashes"
    await runUntil(a, "om_chunk", (n) => n === 3);
    a.checkpoint("in-om-training");
    await runUntil(a, "episode_end", (n) => n === 5);
    const rowsBeforeCrash = a.metrics.length;
    a.dispose();

    const b = await restore(a, "mid");
    assert.equal(b.trajectory?.trajectory, 1);
    assert.equal(b.episodesCompleted, 13);
    assert.ok(b.metrics.length < rowsBeforeCrash);
    await b.run();
    sameRun(whole, b);
    const manifest = JSON.parse(fs.readFileSync(b.runDir.manifestFile, "utf8"));
    assert.equal(manifest.status, "finished");
    assert.deepEqual(
      manifest.resumed.map((r: { checkpoint: string; replay: boolean; note?: string }) => [r.checkpoint, r.replay, r.note]),
      [["mid", true, undefined]],
    );
    b.dispose();

    const c = await restore(a, "in-om-training");
    assert.equal(c.phase, "om_training");
    await c.run();
    sameRun(whole, c);
    c.dispose();
    whole.dispose();
  });

  it("resume a crash in OM training from the checkpoint its pass took as it began: exactly, the cycle's play kept, the manifest saying why no buffers were needed", async () => {
    // no replay buffers in the save_rate checkpoints, and the last one mid-trajectory: only the
    // pass's own checkpoint gives the uninterrupted run's numbers
    const opts = { om_training_iters: 2, num_episodes: 40, save_rate: 30, checkpoint_replay: false };
    const whole = await make(opts);
    await whole.run();
    const a = await make(opts);
    await crashInOMTraining(a, 0, 1);
    const b = await restore(a, "latest");
    assert.equal(b.phase, "om_training");
    const chunks: number[][] = [];
    b.on("om_chunk", (e) => chunks.push([e.cycle, e.pass, e.chunk]));
    await b.run();
    assert.deepEqual(chunks[0], [0, 1, 0], "the training goes on from the start of the pass it was in");
    sameRun(whole, b);
    const resumed = JSON.parse(fs.readFileSync(b.runDir.manifestFile, "utf8")).resumed;
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0].replay, false);
    assert.match(resumed[0].note, /between trajectories, where the next trajectory empties the replay buffers: the run continues exactly/);
    b.dispose();
    whole.dispose();
  });

  it("end a run resumed in its last OM training with the replay buffers in its final checkpoint, as an uninterrupted run does", async () => {
    const replaySizes = (exp: Experiment) => {
      const r = loadCheckpoint(path.join(exp.runDir.checkpointsDir, "latest"));
      const sizes = Object.keys(r.header.values)
        .filter((k) => k.endsWith("/replay/meta"))
        .sort()
        .map((k) => [k, r.value<{ size: number }>(k).size]);
      assert.ok(sizes.length > 0 && sizes.every(([, n]) => (n as number) > 0), `replay buffers in the final checkpoint: ${JSON.stringify(sizes)}`);
      return sizes;
    };
    const whole = await make();
    await whole.run();
    const a = await make();
    await crashInOMTraining(a, 1, 1);
    const b = await restore(a, "latest");
    await b.run();
    sameRun(whole, b);
    assert.deepEqual(replaySizes(b), replaySizes(whole));
    b.dispose();
    whole.dispose();
  });

  it("without replay buffers, resume between trajectories exactly, and say so when resuming mid-trajectory", async () => {
    const whole = await make({ checkpoint_replay: false });
    await whole.run();
    const a = await make({ checkpoint_replay: false });
    await runUntil(a, "episode_end", (n) => n === 40); // the end of trajectory 0
    a.checkpoint("between");
    await runUntil(a, "episode_end", (n) => n === 12);
    a.checkpoint("mid");
    a.dispose();

    const b = await restore(a, "between");
    assert.equal(b.trajectoryInProgress, false);
    await b.run();
    sameRun(whole, b);
    b.dispose();

    const c = await restore(a, "mid");
    const resumed = JSON.parse(fs.readFileSync(c.runDir.manifestFile, "utf8")).resumed;
    assert.equal(resumed.length, 2, "both resumptions are recorded");
    assert.match(resumed[1].note, /trajectory 1 continued from episode 12 with empty replay buffers/);
    c.dispose();
    whole.dispose();
  });

  it("continue a control run (--cycles_without_lemol, a MADDPG defender) mid-trajectory in its second cycle exactly, one by one and with parallel trajectories", async () => {
    for (const extra of [{}, { parallel_trajectories: true, workers: 1 }]) {
      const opts = { bad_policy: "maddpg", cycles_without_lemol: true, ...extra };
      const whole = await make(opts);
      await whole.run();
      assert.equal(whole.trajectoriesStarted, 4);
      const a = await make(opts);
      await runUntil(a, "episode_end", (n) => n === 93); // cycle 1, trajectory 2, episode 13
      a.checkpoint("mid");
      a.dispose();
      const b = await restore(a, "mid");
      assert.equal(b.cycle, 1, JSON.stringify(extra));
      assert.equal(b.trajectory?.trajectory, 2);
      await b.run();
      sameRun(whole, b);
      b.dispose();
      whole.dispose();
    }
  });

  it("refuses what cannot be resumed, naming the problem", async () => {
    const exp = await make();
    await exp.runEpisode();
    const dir = exp.checkpoint("ok");
    exp.dispose();
    await assert.rejects(() => Experiment.restore(path.dirname(exp.runDir.root), {}, { print: null }), /is not a lemol run directory \(no manifest\.json\)/);
    await assert.rejects(
      () => restore(exp, "nope"),
      (e: Error) => e instanceof CheckpointError && /nope: no such checkpoint/.test(e.message),
    );

    const bin = path.join(dir, "arrays.bin");
    const bytes = read(bin);
    bytes[100] ^= 0xff;
    fs.writeFileSync(bin, bytes);
    await assert.rejects(() => restore(exp, "ok"), /arrays\.bin: corrupted or truncated/);
    bytes[100] ^= 0xff;
    fs.writeFileSync(bin, bytes.subarray(0, bytes.length - 7));
    await assert.rejects(() => restore(exp, "ok"), /corrupted or truncated/);
    fs.writeFileSync(bin, bytes);

    const hfile = path.join(dir, "header.json");
    const text = fs.readFileSync(hfile, "utf8");
    const header = JSON.parse(text);
    // the header is covered by its own checksum: one flipped bit in a counter (still valid JSON), or an edit, is refused
    const flipped = text.replace(/"trainStep": (\d+)/, (_, v) => `"trainStep": ${Number(v) ^ 1}`);
    assert.notEqual(flipped, text);
    fs.writeFileSync(hfile, flipped);
    await assert.rejects(() => restore(exp, "ok"), /header\.json: corrupted or edited \(its checksum does not match its contents\)/);
    fs.writeFileSync(hfile, JSON.stringify({ ...header, config: { ...header.config, num_units: 64 } }));
    await assert.rejects(() => restore(exp, "ok"), /header\.json: corrupted or edited/);
    // edited with a valid checksum: the config and the counters are still checked against the run
    const resealed = (h: Record<string, unknown>) => {
      const { header_sha256: _old, ...body } = h;
      return JSON.stringify({ ...body, header_sha256: createHash("sha256").update(JSON.stringify(body)).digest("hex") });
    };
    fs.writeFileSync(hfile, resealed({ ...header, config: { ...header.config, num_units: 64 } }));
    await assert.rejects(() => restore(exp, "ok"), /made with num_units 64, but the run's manifest says 32/);
    fs.writeFileSync(hfile, resealed({ ...header, values: { ...header.values, experiment: { ...header.values.experiment, cycle: 7 } } }));
    await assert.rejects(() => restore(exp, "ok"), /cycle \(of --n_opp_cycles 2\) is 7, outside \[0, 2\]; the checkpoint does not fit this run's options/);
    fs.writeFileSync(
      hfile,
      resealed({ ...header, values: { ...header.values, experiment: { ...header.values.experiment, trainStep: header.values.experiment.trainStep + 1 } } }),
    );
    await assert.rejects(() => restore(exp, "ok"), /the train step \d+ is not \d+ episodes of 25 steps \+ \d+/);
    fs.writeFileSync(hfile, "{ not json");
    await assert.rejects(() => restore(exp, "ok"), /header\.json: unreadable/);
    fs.writeFileSync(hfile, JSON.stringify(header));
    fs.truncateSync(exp.runDir.metricsFile, 10);
    await assert.rejects(() => restore(exp, "ok"), /metrics\.csv: 10 bytes, shorter than the \d+ the checkpoint recorded/);
  });
});

describe("restore changes nothing it cannot prove is this run's (issue 28)", () => {
  const bytesOf = (files: string[]) => files.map((f) => read(f).toString("base64"));

  it("checks the experience files its checkpoint lists, and refuses a missing or altered one before changing anything", async () => {
    const exp = await make();
    await runUntil(exp, "episode_end", (n) => n === 50); // the first trajectory's file written
    exp.checkpoint("ok");
    exp.dispose();
    const files = exp.runDir.experienceFiles();
    assert.ok(files.length > 0);
    const metricsBefore = read(exp.runDir.metricsFile);
    const filesBefore = bytesOf(files);
    const victim = files[0];
    const original = read(victim);
    const unchanged = () => {
      assert.ok(read(exp.runDir.metricsFile).equals(metricsBefore), "metrics.csv unchanged");
      assert.deepEqual(
        bytesOf(files.filter((f) => f !== victim)),
        filesBefore.filter((_, i) => files[i] !== victim),
        "the other experience files unchanged",
      );
    };
    // a row written after the checkpoint: a refused restore must not cut it
    fs.appendFileSync(exp.runDir.metricsFile, "0,1,0,50,1250,,agent_0,reward,1\n");
    const metricsWithTail = read(exp.runDir.metricsFile);
    fs.rmSync(victim);
    await assert.rejects(
      () => restore(exp, "ok"),
      (e: Error) => e instanceof CheckpointError && /experience file .*0\.npz it lists is missing/.test(e.message),
    );
    assert.ok(read(exp.runDir.metricsFile).equals(metricsWithTail));
    fs.writeFileSync(victim, original.subarray(0, original.length - 3)); // truncated
    await assert.rejects(() => restore(exp, "ok"), /is not the one the checkpoint lists \(\d+ bytes/);
    const flipped = Buffer.from(original);
    flipped[flipped.length >> 1] ^= 1; // same size, one bit changed
    fs.writeFileSync(victim, flipped);
    await assert.rejects(() => restore(exp, "ok"), /is not the one the checkpoint lists/);
    assert.ok(read(exp.runDir.metricsFile).equals(metricsWithTail));
    fs.writeFileSync(victim, original);
    fs.writeFileSync(exp.runDir.metricsFile, metricsBefore);
    unchanged();
    // a temporary a killed process left beside the files goes; a file lemol did not write stays
    const tmp = path.join(path.dirname(victim), ".1.npz.99999.0.tmp");
    const notes = path.join(path.dirname(victim), "notes.txt");
    fs.writeFileSync(tmp, "half a file");
    fs.writeFileSync(notes, "mine");
    const back = await restore(exp, "ok");
    back.dispose();
    assert.ok(!fs.existsSync(tmp), "the temporary is removed");
    assert.equal(fs.readFileSync(notes, "utf8"), "mine");
  });

  it("leaves metrics.csv untouched when a restore is refused after reading it (defect 11: an edited metricsBytes with a recomputed checksum)", async () => {
    const exp = await make();
    await exp.runEpisode();
    await exp.runEpisode();
    const dir = exp.checkpoint("ok");
    exp.dispose();
    const before = read(exp.runDir.metricsFile);
    // an offset at a row boundary (the header and two rows): the file reads back, with too few rows
    const offset = before.toString().split("\n").slice(0, 3).join("\n").length + 1;
    const hfile = path.join(dir, "header.json");
    const header = JSON.parse(fs.readFileSync(hfile, "utf8"));
    const body: Record<string, unknown> = { ...header, values: { ...header.values, experiment: { ...header.values.experiment, metricsBytes: offset } } };
    delete body.header_sha256;
    fs.writeFileSync(hfile, JSON.stringify({ ...body, header_sha256: createHash("sha256").update(JSON.stringify(body)).digest("hex") }));
    assert.ok(before.length > offset);
    await assert.rejects(() => restore(exp, "ok"), /metrics\.csv holds 2 rows at the checkpoint's offset, the checkpoint says \d+/);
    assert.ok(read(exp.runDir.metricsFile).equals(before), "metrics.csv not cut by the refused restore");
  });

  it("a start-over restore of a --skip_to_om_training run leaves the experience files it reads alone (defect 2)", async () => {
    const a = await make({ n_opp_cycles: 1, traj_per_iter: 1, num_episodes: 40 });
    await a.run();
    a.dispose();
    const files = a.runDir.experienceFiles();
    assert.ok(files.length > 0);
    const before = bytesOf(files);
    // run B trains on A's files and is killed before its first checkpoint
    const b = await make({ n_opp_cycles: 1, traj_per_iter: 1, num_episodes: 40, skip_to_om_training: true, lemol_save_path: a.runDir.experienceDir });
    b.dispose();
    const lines: string[] = [];
    const again = await Experiment.restore(b.runDir.root, {}, { print: (l) => lines.push(l) });
    again.dispose();
    assert.match(lines.join("\n"), /no checkpoint yet .* starting it over/);
    assert.deepEqual(a.runDir.experienceFiles(), files);
    assert.deepEqual(bytesOf(files), before);
  });

  it("refuses a --lemol_save_path or --save_dir another run writes or wrote, and locks them while the run goes on (defect 3)", async () => {
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-shared-"));
    const expDir = path.join(shared, "experience");
    const ckDir = path.join(shared, "checkpoints");
    const a = await make({ lemol_save_path: expDir, save_dir: ckDir });
    // while A runs: its directories are locked
    await assert.rejects(() => make({ lemol_save_path: expDir }), /is in use by another Experiment of this process/);
    await assert.rejects(() => make({ save_dir: ckDir }), /is in use by another Experiment of this process/);
    // nor read (--skip_to_om_training) while A may still be writing them
    await assert.rejects(
      () => make({ skip_to_om_training: true, lemol_save_path: expDir }),
      new RegExp(`run directory ${displayPath(a.runDir.root).replace(/\./g, "\\.")} is in use by another Experiment of this process`),
    );
    await a.runEpisode();
    a.checkpoint();
    a.dispose();
    // after A: they are A's (the markers name it), so another run is refused, naming A
    await assert.rejects(
      () => make({ lemol_save_path: expDir }),
      (e: Error) => e instanceof ConfigError && e.message.includes(`belongs to the run in ${a.runDir.root}`),
    );
    await assert.rejects(
      () => make({ save_dir: ckDir }),
      (e: Error) => e instanceof ConfigError && e.message.includes(`belongs to the run in ${a.runDir.root}`),
    );
    // files with no marker (a run of an older lemol) are refused too
    fs.rmSync(path.join(a.runDir.experienceDir, ".lemol-owner.json"));
    fs.mkdirSync(path.join(expDir, "p", "OM0"), { recursive: true });
    fs.writeFileSync(path.join(expDir, "p", "OM0", "0.npz"), "");
    await assert.rejects(() => make({ lemol_save_path: expDir }), /already holds files of another run/);
    // A itself continues in them
    const back = await Experiment.restore(a.runDir.root, {}, { print: null });
    back.dispose();
  });
});
