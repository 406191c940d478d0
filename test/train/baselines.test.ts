/**
 * The later release's baselines in the experiment loop (lemol-spec §6): PPO as either side, next
 * to MADDPG or LeMOL, and the UAV grid world, where episodes end early — LeMOL still writes one
 * experience file per trajectory and trains its opponent model on it (§8 item 19).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { PPOAgentTrainer } from "../../src/agents/ppo/agent.js";
import { UAVEnv } from "../../src/envs/uav.js";
import { ConfigError, resolveConfig } from "../../src/train/config.js";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";
import { LeMOLAgentTrainer } from "../../src/agents/lemol/agent.js";
import { loadNpz } from "../../src/storage/npz.js";
import { inPlayStability, MetricRow, stabilityOf } from "../../src/train/metrics.js";
import { stopAndResume, tmpRun } from "../helpers/experiment.js";

const TINY: ExperimentOptions = {
  num_episodes: 40,
  batch_size: 16,
  agent_update_freq: 5,
  n_opp_cycles: 2,
  traj_per_iter: 1,
  save_rate: 20,
  om_training_iters: 1,
  chunk_length: 16,
  num_units: 16,
  lstm_hidden_dim: 8,
  lemol_in_play_perf_log_freq: 25,
  ppo_history_length: 100,
  ppo_train_cycles: 10,
  seed: 3,
};

function make(options: ExperimentOptions = {}): Promise<Experiment> {
  return Experiment.create({ ...TINY, run_dir: tmpRun(), ...options }, { print: null });
}

const metric = (exp: Experiment, name: string, agent?: string) =>
  exp.metrics.rows.filter((r) => r.metric === name && (agent === undefined || r.agent === agent)).map((r) => r.value);

describe("baselines in the experiment: PPO and the UAV grid world", () => {
  it("PPO plays against LeMOL: both learn, PPO logs p_loss, v_loss and kl, and the OM trains", async () => {
    const exp = await make({ good_policy: "ppo" });
    const ppo = exp.pairing[1];
    assert.ok(ppo instanceof PPOAgentTrainer);
    await exp.run();
    const name = ppo.name;
    for (const m of ["p_loss", "v_loss", "kl"]) assert.ok(metric(exp, m, name).length > 0 && metric(exp, m, name).every(Number.isFinite), m);
    assert.equal(metric(exp, "q_loss", name).length, 0, "no critic rows for PPO");
    assert.ok(metric(exp, "q_loss", "lemol-bad_agent_0").length > 0, "LeMOL's critic learns with PPO's target actions");
    assert.ok(metric(exp, "om_training_loss").length > 0 && metric(exp, "om_accuracy_in_play").length > 0);
    exp.dispose();
  });

  it("PPO as the adversary against MADDPG (no LeMOL: one cycle), and resets between trajectories", async () => {
    const exp = await make({ bad_policy: "ppo", good_policy: "maddpg", traj_per_iter: 2 });
    assert.equal(exp.cycles, 1);
    const ppo = exp.pairing[0] as PPOAgentTrainer;
    await exp.runTrajectory();
    const trained = Array.from(ppo.policy.params[0].dataSync());
    await exp.runTrajectory();
    assert.notDeepEqual(Array.from(ppo.policy.params[0].dataSync()), trained, "new weights each trajectory");
    assert.ok(metric(exp, "q_loss", "maddpg-good_agent_1").length > 0);
    assert.equal(exp.phase, "done");
    exp.dispose();
  });

  it("the UAV grid world: episodes end early, LeMOL writes one file per trajectory and trains its OM", async () => {
    const exp = await make({ scenario: "uav", num_episodes: 60, max_episode_len: 10, batch_size: 8, chunk_length: 12 });
    assert.ok(exp.env instanceof UAVEnv);
    const lengths: number[] = [];
    exp.on("episode_end", (e) => lengths.push(e.length));
    await exp.run();
    assert.ok(
      lengths.some((l) => l < 10),
      "some episodes end when the UAV finds the target",
    );
    assert.ok(lengths.every((l) => l >= 1 && l <= 10));
    const files = exp.runDir.experienceFiles();
    assert.equal(files.length, 2, "one file per trajectory");
    const z = loadNpz(files[0]);
    const T = z.observations.shape[0];
    assert.equal(
      T,
      lengths.slice(0, 60).reduce((a, b) => a + b, 0),
      "every step of the trajectory",
    );
    assert.equal(
      z.terminals.data.reduce((a, b) => a + b, 0),
      60,
      "one terminal per episode",
    );
    assert.deepEqual(z.observations.shape, [T, 12]);
    assert.deepEqual(z.opponent_actions.shape, [T, 5], "the seeker's 5 moves (LeMOL is the target)");
    // the opponent model's m is one-hot: the UAV env plays arg-max actions (discrete, as the original forces)
    const X = 8 * 10;
    for (let t = X; t < T; t += 17) assert.deepEqual(Array.from(z.om_predictions.data.subarray(t * 5, t * 5 + 5)).sort(), [0, 0, 0, 0, 1]);
    assert.ok(metric(exp, "om_training_loss").length > 0 && metric(exp, "om_accuracy_in_play").length > 0);
    exp.dispose();
  });

  it("LeMOL-EP on the UAV grid world: periods are the episodes, however long; the run resumes exactly", async () => {
    const opts: ExperimentOptions = {
      scenario: "uav",
      num_episodes: 60,
      max_episode_len: 10,
      batch_size: 8,
      chunk_length: 6,
      block_processing: true,
      recurrent_om_prediction: true,
      episode_embedding_dim: 8,
      in_ep_lstm_dim: 4,
      checkpoint_replay: true,
    };
    const whole = await make(opts);
    const advances: number[] = [];
    const lemol = whole.pairing[0] as LeMOLAgentTrainer;
    const advance = lemol.om.advance.bind(lemol.om);
    lemol.om.advance = (events, count, h, c, useInit) => {
      advances.push(count);
      advance(events, count, h, c, useInit);
    };
    const lengths: number[] = [];
    whole.on("episode_end", (e) => e.trajectory === 0 && lengths.push(e.length));
    await whole.run();
    assert.ok(metric(whole, "om_training_loss").length > 0 && metric(whole, "om_accuracy_in_play").length > 0);
    // in trajectory 0 the slow LSTM took one step per episode after exploration, on that episode's events
    const firstAfter = lengths.findIndex((_, k) => lengths.slice(0, k).reduce((a, b) => a + b, 0) >= 80);
    assert.deepEqual(advances.slice(0, lengths.length - firstAfter - 1), lengths.slice(firstAfter, lengths.length - 1));
    // resumed mid-trajectory (in cycle 1): the same metrics
    const b = await stopAndResume({ ...TINY, ...opts }, 83);
    assert.equal(fs.readFileSync(b.runDir.metricsFile, "utf8"), fs.readFileSync(whole.runDir.metricsFile, "utf8"));
    whole.dispose();
    b.dispose();
  });

  it("PPO on the UAV grid world (discrete actions: one-hot samples)", async () => {
    const exp = await make({ scenario: "uav", bad_policy: "maddpg", good_policy: "ppo", max_episode_len: 10, batch_size: 8 });
    await exp.run();
    assert.ok(metric(exp, "p_loss", "ppo-good_agent_1").length > 0);
    exp.dispose();
  });

  it("refuses UAV settings that cannot work, naming the option", async () => {
    assert.throws(
      () => resolveConfig({ uav_grid_height: 1 }),
      (e: Error) => e instanceof ConfigError && /uav_grid_height: must be >= 2/.test(e.message),
    );
    await assert.rejects(() => make({ scenario: "uav", benchmark: true, load_name: tmpRun() }), /benchmark/);
  });
});

describe("in-play stability (docs/experiments.md, Stability)", () => {
  it("per trajectory and series, the window accuracy's sd and the drop after the opponent change, by hand", () => {
    const row = (trajectory: number, metric: string, value: number): MetricRow => ({
      cycle: trajectory < 2 ? 0 : 1,
      trajectory,
      opponent: "maddpg",
      episode: null,
      train_step: null,
      om_iter: null,
      agent: "lemol-bad_agent_0",
      metric,
      value,
    });
    const rows = [
      ...[0.2, 0.4, 0.6].map((v) => row(0, "om_accuracy_in_play", v)),
      ...[0.5, 0.5, 0.5].map((v) => row(0, "om_baseline_online_bc_in_play", v)),
      row(0, "om_training_accuracy", 0.9), // not an in-play series
      ...[0.1, 0.5].map((v) => row(1, "om_accuracy_in_play", v)),
      row(2, "om_baseline_bc_previous_action_in_play", 0.3),
    ];
    const s = inPlayStability(rows);
    assert.deepEqual(
      s.map((x) => [x.trajectory, x.metric, x.windows]),
      [
        [0, "om_accuracy_in_play", 3],
        [0, "om_baseline_online_bc_in_play", 3],
        [1, "om_accuracy_in_play", 2],
        [2, "om_baseline_bc_previous_action_in_play", 1],
      ],
    );
    // windows 0.2, 0.4, 0.6: mean 0.4, sd sqrt((0.04 + 0 + 0.04) / 3), drop 0.4 - 0.2
    assert.ok(Math.abs(s[0].sd - Math.sqrt(0.08 / 3)) < 1e-12 && Math.abs(s[0].drop - 0.2) < 1e-12, JSON.stringify(s[0]));
    assert.equal(s[1].sd, 0);
    assert.equal(s[1].drop, 0);
    // 0.1, 0.5: sd 0.2, drop 0.2
    assert.ok(Math.abs(s[2].sd - 0.2) < 1e-12 && Math.abs(s[2].drop - 0.2) < 1e-12);
    assert.equal(s[2].cycle, 0);
    assert.ok(Number.isNaN(s[3].sd) && Number.isNaN(s[3].drop), "one window: no spread to measure");
    assert.deepEqual(stabilityOf([]).windows, 0);
  });
});
