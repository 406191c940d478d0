// The experiment loop end to end (reduced sizes), its artefacts, and cell-by-cell composition.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { ExperimentStopped } from "../../src/train/experiment.js";
import { parseMetricsCsv } from "../../src/train/metrics.js";
import { loadNpz } from "../../src/storage/npz.js";
import { experiment } from "../helpers/experiment.js";
import { REPO } from "../helpers/golden.js";
import { ready, tf } from "../helpers/tf.js";

describe("the experiment loop", () => {
  before(ready);

  it("runs 2 cycles x 2 trajectories x 60 episodes: experience files, metrics, manifest, in-play accuracy per trajectory", async () => {
    const exp = await experiment();
    await exp.run();
    const root = exp.runDir.root;
    // experience: one file per trajectory in the original's layout, numpy-shaped
    const files = exp.runDir.experienceFiles().map((f) => path.relative(root, f));
    assert.deepEqual(files, [
      "experience/lemol_vs_maddpg/OM0/0.npz",
      "experience/lemol_vs_maddpg/OM0/1.npz",
      "experience/lemol_vs_maddpg/OM1/0.npz",
      "experience/lemol_vs_maddpg/OM1/1.npz",
    ]);
    const z = loadNpz(path.join(root, files[0]));
    assert.deepEqual(z.observations.shape, [60 * 25, 8]);
    assert.equal(Array.from(z.terminals.data).filter((x) => x === 1).length, 60, "a terminal every 25 rows");
    // metrics: the CSV holds exactly the in-memory rows
    const rows = parseMetricsCsv(fs.readFileSync(exp.runDir.metricsFile, "utf8"));
    assert.deepEqual(rows, exp.metrics.rows);
    const metrics = new Set(rows.map((r) => r.metric));
    for (const m of [
      "om_accuracy_in_play",
      "om_cross_entropy_in_play",
      "om_xent_original",
      "om_training_accuracy",
      "om_training_loss",
      "episode_reward",
      "averaged_reward",
      "q_loss",
      "p_loss",
      "q_value",
    ])
      assert.ok(metrics.has(m), m);
    const X = 32 * 25;
    for (let t = 0; t < 4; t++) {
      const acc = rows.filter((r) => r.metric === "om_accuracy_in_play" && r.trajectory === t);
      assert.ok(acc.length > 0, `trajectory ${t} has in-play accuracy`);
      assert.ok(acc.every((r) => r.train_step! >= X && r.value >= 0 && r.value <= 1 && r.cycle === Math.floor(t / 2)));
    }
    assert.equal(rows.filter((r) => r.metric === "episode_reward").length, 4 * 60 * 2);
    const om = rows.filter((r) => r.metric === "om_training_loss");
    assert.deepEqual([...new Set(om.map((r) => r.cycle))], [0, 1]);
    assert.deepEqual(
      om.map((r) => r.om_iter),
      om.map((_, i) => i + 1),
      "the OM chunk counter runs on across cycles",
    );
    // manifest
    const manifest = JSON.parse(fs.readFileSync(exp.runDir.manifestFile, "utf8"));
    assert.equal(manifest.status, "finished");
    assert.equal(manifest.seed, 71);
    assert.equal(manifest.config.num_episodes, 60);
    assert.equal(manifest.backend.name, exp.backend.name);
    assert.ok(manifest.ended && manifest.started && manifest.lemol_version);
    // the checkout's commit (read once per process, at the first manifest)
    const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: REPO, encoding: "utf8" });
    if (head.status === 0) assert.match(manifest.git_commit, new RegExp(`^${head.stdout.trim()}(-dirty)?$`));
    // a checkpoint every save_rate episodes
    assert.ok(fs.existsSync(path.join(root, "checkpoints/latest/header.json")));
    exp.dispose();
  });

  it("overfits its few files: OM training loss falls and accuracy rises across passes (spec §9.2 item 12)", async () => {
    const exp = await experiment({ n_opp_cycles: 1, om_training_iters: 6, omlr: 3e-3 });
    await exp.runTrajectory();
    await exp.runTrajectory();
    const passes = await exp.trainOpponentModel();
    assert.equal(passes.length, 6);
    assert.ok(passes[5].loss < passes[0].loss - 0.05, `loss ${passes.map((p) => p.loss.toFixed(3))}`);
    assert.ok(passes[5].accuracy > passes[0].accuracy + 0.05, `accuracy ${passes.map((p) => p.accuracy.toFixed(3))}`);
    exp.dispose();
  });

  it("gives in-play accuracy 1.0 in oracle mode and trains no opponent model (spec §9.2 item 14)", async () => {
    const exp = await experiment({ feed_lemol_true_action: true, n_opp_cycles: 2, traj_per_iter: 1 });
    await exp.run();
    const acc = exp.metrics.rows.filter((r) => r.metric === "om_accuracy_in_play");
    assert.ok(acc.length > 10);
    assert.ok(acc.every((r) => r.value === 1));
    assert.equal(exp.metrics.rows.filter((r) => r.metric === "om_training_loss").length, 0);
    assert.equal(exp.runDir.experienceFiles().length, 2);
    exp.dispose();
  });

  it("gives byte-identical metrics whether run at once or cell by cell (same seed)", async () => {
    const whole = await experiment({ n_opp_cycles: 2, traj_per_iter: 1, num_episodes: 40, seed: 5 });
    await whole.run();
    const cells = await experiment({ n_opp_cycles: 2, traj_per_iter: 1, num_episodes: 40, seed: 5 });
    cells.step();
    cells.step();
    await cells.runEpisode();
    await cells.runTrajectory();
    assert.equal(cells.phase, "om_training");
    await assert.rejects(() => cells.runTrajectory(), /call trainOpponentModel\(\) or runCycle\(\)/);
    await cells.runCycle(); // trains the OM and ends cycle 0
    await cells.runEpisode();
    await cells.run();
    assert.equal(fs.readFileSync(cells.runDir.metricsFile, "utf8"), fs.readFileSync(whole.runDir.metricsFile, "utf8"));
    whole.dispose();
    cells.dispose();
  });

  it("keeps tf.memory().numTensors flat across trajectories, OM trainings and checkpoints", async () => {
    const exp = await experiment({ n_opp_cycles: 3, traj_per_iter: 2, num_episodes: 40, save_rate: 10, checkpoint_replay: true });
    const counts: number[] = [];
    exp.on("trajectory_end", () => counts.push(tf.memory().numTensors));
    exp.on("cycle_end", () => counts.push(tf.memory().numTensors));
    await exp.run();
    exp.checkpoint("extra");
    counts.push(tf.memory().numTensors);
    assert.equal(counts.length, 6 + 3 + 1);
    assert.deepEqual(
      counts,
      counts.map(() => counts[0]),
      `tensor counts: ${counts.join(", ")}`,
    );
    exp.dispose();
  });

  it("gives the same numbers for the same seed and different ones for another seed", async () => {
    const runs = [];
    for (const seed of [4, 4, 5]) {
      const exp = await experiment({ n_opp_cycles: 1, traj_per_iter: 1, num_episodes: 40, seed });
      await exp.run();
      runs.push(fs.readFileSync(exp.runDir.metricsFile, "utf8"));
      exp.dispose();
    }
    assert.equal(runs[1], runs[0]);
    assert.notEqual(runs[2], runs[0]);
  });

  it("runs one cycle and no opponent model without a LeMOL agent", async () => {
    const exp = await experiment({ bad_policy: "maddpg", good_policy: "mmmaddpg", n_opp_cycles: 5, traj_per_iter: 2 });
    assert.equal(exp.cycles, 1);
    await exp.run();
    assert.equal(exp.trajectoriesStarted, 2);
    assert.equal(exp.runDir.experienceFiles().length, 0);
    assert.equal(exp.metrics.rows.filter((r) => r.metric.startsWith("om_")).length, 0);
    await assert.rejects(() => exp.trainOpponentModel(), /the experiment is finished/);
    exp.dispose();
  });

  it("stops on request at a step boundary, and continues afterwards", async () => {
    const exp = await experiment({ n_opp_cycles: 1, traj_per_iter: 1 });
    let episodes = 0;
    exp.on("episode_end", () => {
      if (++episodes === 5) exp.requestStop();
    });
    await assert.rejects(
      () => exp.run(),
      (e: Error) => e instanceof ExperimentStopped,
    );
    assert.equal(exp.episodesCompleted, 5);
    await exp.run();
    assert.equal(exp.phase, "done");
    exp.dispose();
  });

  it("stores the time limit as terminal by default, and only the env's done with --bootstrap_time_limit (LeMOL and MADDPG)", async () => {
    const doneFlags = async (bootstrap: boolean) => {
      const exp = await experiment({ bootstrap_time_limit: bootstrap });
      for (let s = 0; s < 10 * 25; s++) exp.step();
      const flags = exp.pairing.map((t) => {
        const r = (t as ActorCriticTrainer).replay;
        const batch = r.newBatch(r.length);
        r.gather(
          Int32Array.from({ length: r.length }, (_, i) => i),
          batch,
        );
        return Array.from(batch.done);
      });
      exp.dispose();
      return flags;
    };
    const timeLimit = Array.from({ length: 250 }, (_, i) => ((i + 1) % 25 === 0 ? 1 : 0));
    assert.deepEqual(await doneFlags(false), [timeLimit, timeLimit], "the time limit is terminal for LeMOL and MADDPG");
    const zeros = new Array(250).fill(0);
    assert.deepEqual(await doneFlags(true), [zeros, zeros], "MPE never signals done: every transition bootstraps");
  });

  it("refuses configurations that cannot work, before creating anything", async () => {
    await assert.rejects(() => experiment({ scenario: "simple_spread" }), /LeMOL needs a two-player scenario; simple_spread has 3 agents/);
    await assert.rejects(() => experiment({ num_episodes: 10 }), /chunk_length 16 is larger than what a trajectory leaves for OM training/);
    await assert.rejects(() => experiment({ bad_policy: "lemol", good_policy: "lemol" }), /LeMOL can play only one side/);
  });
});
