// `lemol train`, spawned as a user runs it: help, bad input, and a small run.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { OPTIONS } from "../../src/train/config.js";
import { Experiment } from "../../src/train/experiment.js";
import { runCli, tinyRunFlags } from "../helpers/cli.js";

describe("lemol train", () => {
  it("lists every option with its default in --help", () => {
    const r = runCli(["train", "--help"]);
    assert.equal(r.code, 0);
    for (const o of OPTIONS) assert.match(r.stdout, new RegExp(`--${o.name}\\s`), o.name);
    assert.match(r.stdout, /--num_episodes\s+episodes per trajectory .*\(default: 10000\)/);
    assert.doesNotMatch(r.stdout, /not implemented yet/);
    assert.match(r.stdout, /--ppo_history_length\s.*\(default: 250\)/);
  });

  it("rejects bad input with one clear line and exit code 2, leaving nothing on disk", () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-cli-")), "run");
    for (const [args, msg] of [
      [["--num_episodes", "-3"], /--num_episodes: must be >= 1, got -3/],
      [["--gamma", "1.2"], /--gamma: must be <= 1, got 1.2/],
      [["--lr", "0"], /--lr: must be > 0, got 0/],
      [["--bad_policy", "lemool"], /unknown policy "lemool"/],
      [["--scenario", "simple_tag"], /LeMOL needs a two-player scenario; simple_tag has 4 agents/],
      [["--scenario", "simple_soccer"], /unknown scenario "simple_soccer"/],
      [["--recurrent_om_prediction"], /--recurrent_om_prediction needs --block_processing/],
      [["--scenario", "uav", "--uav_grid_width", "1"], /--uav_grid_width: must be >= 2, got 1/],
      [["--num_episods", "3"], /unknown option --num_episods/],
      [["--batch_size", "many"], /--batch_size: expected a number, got "many"/],
    ] as const) {
      const r = runCli(["train", ...args, "--run_dir", dir]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split("\n").length, 1);
    }
    assert.ok(!fs.existsSync(dir), "no run directory for an invalid configuration");
  });

  it("runs the seed's experiment at a small size, printing the original's lines", () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-cli-")), "run");
    const r = runCli([
      "train",
      "--bad_policy",
      "lemol",
      "--good_policy",
      "maddpg",
      "--run_dir",
      dir,
      ...tinyRunFlags({ num_episodes: 50, traj_per_iter: 1, save_rate: 25 }),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /lemol-bad_agent_0 vs maddpg-good_agent_1 steps: \d+, episodes: 25, mean episode reward: -?[\d.]+, agent episode reward: \[-?[\d.]+, -?[\d.]+\], mean episode length: 25, time: [\d.]+/,
    );
    assert.match(r.stdout, /agent advance score \(good_rew - bad_rew\): -?[\d.]+/);
    assert.match(r.stdout, /experience\/lemol_vs_maddpg\/OM1\/0\.npz saved/);
    assert.match(r.stdout, /Starting LeMOL Opponent Model Training\nLeMOL Opponent Model Training Complete/);
    for (const f of ["manifest.json", "metrics.csv", "experience/lemol_vs_maddpg/OM0/0.npz", "checkpoints/latest/header.json"])
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).status, "finished");
  });

  it("--quiet prints nothing but the final line", () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-cli-")), "run");
    const r = runCli(["train", "--quiet", "--run_dir", dir, ...tinyRunFlags({ num_episodes: 40, traj_per_iter: 1, n_opp_cycles: 1, save_rate: 20 })]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `finished: ${dir}\n`);
    assert.equal(r.stderr, "");
  });

  it("runs the later release's variants from the command line: LeMOL-EP with the in-episode LSTM vs PPO on the UAV grid world, and the same run through the API", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-cli-"));
    const flags: Record<string, string | number | boolean> = {
      scenario: "uav",
      good_policy: "ppo",
      block_processing: true,
      recurrent_om_prediction: true,
      use_triplet_representation_loss: true,
      rep_loss_neg_dist: 3,
      rep_loss_pos_dist: 1,
      log_om_influence: true,
      num_episodes: 40,
      max_episode_len: 8,
      batch_size: 8,
      n_opp_cycles: 2,
      traj_per_iter: 1,
      save_rate: 20,
      om_training_iters: 1,
      chunk_length: 5,
      num_units: 16,
      lstm_hidden_dim: 8,
      episode_embedding_dim: 8,
      in_ep_lstm_dim: 4,
      ppo_history_length: 64,
      ppo_train_cycles: 5,
      uav_grid_width: 4,
      seed: 9,
    };
    const args = Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));
    const r = runCli(["train", ...args, "--run_dir", path.join(base, "cli"), "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const csv = fs.readFileSync(path.join(base, "cli", "metrics.csv"), "utf8");
    for (const m of ["om_training_loss", "om_accuracy_in_play", "om_influence", "v_loss", "kl"]) assert.match(csv, new RegExp(`,${m},`), m);
    const exp = await Experiment.create({ ...flags, run_dir: path.join(base, "api") }, { print: null });
    await exp.run();
    exp.dispose();
    assert.equal(fs.readFileSync(path.join(base, "api", "metrics.csv"), "utf8"), csv, "the CLI and the API give the same run");
  });

  it("gives the metrics of a notebook that ran 3 trajectories by hand, then a cycle, then the rest (same seed)", async () => {
    const base = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-cli-")), "");
    const flags: Record<string, string | number> = {
      bad_policy: "lemol",
      good_policy: "maddpg",
      seed: 13,
      num_episodes: 40,
      batch_size: 16,
      agent_update_freq: 5,
      n_opp_cycles: 3,
      traj_per_iter: 3,
      save_rate: 20,
      om_training_iters: 1,
      chunk_length: 8,
      num_units: 16,
      lstm_hidden_dim: 8,
    };
    const cliDir = path.join(base, "cli");
    const r = runCli(["train", ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)]), "--run_dir", cliDir, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);

    const exp = await Experiment.create({ ...flags, run_dir: path.join(base, "cells") }, { print: null });
    for (let i = 0; i < 3; i++) await exp.runTrajectory(); // cycle 0's three trajectories, by hand
    assert.equal(exp.phase, "om_training");
    await exp.runCycle(); // its OM training
    await exp.runCycle(); // cycle 1
    await exp.run();
    exp.dispose();
    const cli = fs.readFileSync(path.join(cliDir, "metrics.csv"), "utf8");
    assert.ok(cli.split("\n").length > 500, "a real run");
    assert.equal(fs.readFileSync(exp.runDir.metricsFile, "utf8"), cli);
    for (const f of exp.runDir.experienceFiles()) {
      assert.deepEqual(fs.readFileSync(f), fs.readFileSync(path.join(cliDir, path.relative(exp.runDir.root, f))), f);
    }
  });
});
