// The full-scale run's summary (bench/experiments/full-scale.ts): per-trajectory means of the OM's
// in-play accuracy and its baselines, OM training before each cycle, final rewards, and the binned
// copy shipped in data/ (means over bins, in metrics.csv's own columns, loadable as a run's).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { BIN, resultNameProblem, summariseFullRun } from "../../bench/experiments/full-scale.js";
import { csvLine, METRIC_COLUMNS, MetricRow, MetricsLog } from "../../src/train/metrics.js";
import { summarise } from "../../src/notebook/tables.js";
import { loadRun } from "../../src/train/run-dir.js";

function syntheticRun(dir: string): void {
  const rows: MetricRow[] = [];
  const base = { opponent: "maddpg", om_iter: null, agent: "lemol-bad_agent_0" };
  for (const cycle of [0, 1]) {
    for (const trajectory of [0, 1]) {
      const t = cycle * 2 + trajectory;
      for (let e = 0; e < 250; e++) {
        rows.push({ ...base, cycle, trajectory, episode: e, train_step: (e + 1) * 25, metric: "episode_reward", value: e });
        // a metric only some episodes log (an update every 100 steps)
        if (e % 4 === 0) rows.push({ ...base, cycle, trajectory, episode: e, train_step: (e + 1) * 25, metric: "q_loss", value: e });
      }
      const W = BIN.window;
      for (let w = 1; w <= 4 * W; w++) {
        // in-play rows carry the episodes completed so far, as trajectory-player writes them
        const at = { ...base, cycle, trajectory, episode: (w * 100) / 25, train_step: w * 100 };
        // the OM: 0.2 in cycle 0, 0.5 + 0.1·(last quarter) in cycle 1; persistence 0.4; majority 0.3; BC 0.25
        rows.push({ ...at, metric: "om_accuracy_in_play", value: cycle === 0 ? 0.2 : w > 3 * W ? 0.6 : 0.5 });
        rows.push({ ...at, metric: "om_baseline_persistence_in_play", value: 0.4 });
        rows.push({ ...at, metric: "om_baseline_window_majority_in_play", value: 0.3 });
        rows.push({ ...at, metric: "om_baseline_bc_in_play", value: 0.25 + 0.01 * t });
      }
    }
    // two bins of chunks per cycle, the last tenth better
    const chunks = 2 * BIN.chunk;
    for (let i = 1; i <= chunks; i++) {
      const at = { ...base, cycle, trajectory: null, episode: null, train_step: null, om_iter: cycle * chunks + i };
      rows.push({ ...at, metric: "om_training_accuracy", value: i <= 0.9 * chunks ? 0.3 : 0.7 });
      rows.push({ ...at, metric: "om_training_loss", value: i <= 0.9 * chunks ? 2 : 1 });
    }
  }
  fs.writeFileSync(path.join(dir, "metrics.csv"), METRIC_COLUMNS.join(",") + "\n" + rows.map(csvLine).join(""));
  fs.writeFileSync(
    path.join(dir, "manifest.json"),
    JSON.stringify({
      config: { revision: "head", num_episodes: 250 },
      started: "2026-12-06T00:00:00.000Z",
      ended: "2026-12-06T04:30:00.000Z",
      status: "finished",
    }),
  );
}

describe("full-scale run summary", () => {
  it("summarises the OM against each baseline per trajectory and cycle, and ships a binned copy of the metrics", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-full-"));
    syntheticRun(dir);
    const data = path.join(dir, "shipped");
    const s = (await summariseFullRun(dir, data)) as {
      wall_time_hours: number;
      trajectories: Record<string, number>[];
      cycles: Record<string, number | boolean | null>[];
      final_rewards: { final_reward: number; episodes: number }[];
    };
    assert.equal(s.wall_time_hours, 4.5);
    const t3 = s.trajectories[3]; // cycle 1, trajectory 1
    assert.deepEqual([t3.cycle, t3.trajectory, t3.windows], [1, 1, 4 * BIN.window]);
    assert.equal(t3.om_accuracy, 0.525, "three quarters of the windows at 0.5, the last at 0.6");
    assert.equal(t3.om_accuracy_last_quarter, 0.6);
    assert.equal(t3.om_baseline_bc_in_play, 0.28);
    assert.equal(t3.om_minus_best_baseline, 0.125, "against persistence, the best");
    // stability (docs/experiments.md): windows 0.5 x 75 then 0.6 x 25: sd sqrt(0.75 * 0.025^2 + 0.25 * 0.075^2), drop 0.525 - 0.5
    const stability = (t3 as unknown as { stability: Record<string, { sd: number; drop: number }> }).stability;
    assert.deepEqual(stability.om_accuracy_in_play, { sd: 0.0433, drop: 0.025 });
    const constant = stability.om_baseline_persistence_in_play;
    assert.ok(constant.sd === 0 && constant.drop === 0, `a constant series: ${JSON.stringify(constant)}`); // (=== : the drop may round to −0)
    const [c0, c1] = s.cycles;
    assert.equal(c0.om_trained_before, false);
    assert.equal(c1.om_trained_before, true);
    assert.equal(c1.om_training_accuracy_before, 0.7, "the last tenth of cycle 0's chunks");
    assert.equal(c1.om_training_loss_before, 1);
    assert.equal(c1.om_accuracy, 0.525);
    assert.equal(s.final_rewards[0].final_reward, 199.5, "the last 100 of 250 episodes");
    // the shipped copy: 250 episodes in bins of 100 ending at the last (50, 100, 100), the windows in four bins
    const log = MetricsLog.load(path.join(data, "metrics.csv"));
    const rewards = log.rows.filter((r) => r.metric === "episode_reward" && r.cycle === 0 && r.trajectory === 0);
    assert.deepEqual(
      rewards.map((r) => [r.episode, r.value]),
      [
        [49, 24.5],
        [149, 99.5],
        [249, 199.5],
      ],
    );
    // the sparse metric in the same episode bins: 13 rows (0..48), 25 (52..148), 25 (152..248)
    assert.deepEqual(
      log.rows.filter((r) => r.metric === "q_loss" && r.cycle === 0 && r.trajectory === 0).map((r) => [r.episode, r.value]),
      [
        [48, 24],
        [148, 100],
        [248, 200],
      ],
    );
    const acc = log.rows.filter((r) => r.metric === "om_accuracy_in_play" && r.cycle === 1 && r.trajectory === 1);
    assert.deepEqual(
      acc.map((r) => Math.round(r.value * 1e12) / 1e12),
      [0.5, 0.5, 0.5, 0.6],
    );
    const C = BIN.chunk;
    assert.deepEqual(
      log.rows.filter((r) => r.metric === "om_training_loss").map((r) => [r.om_iter, r.value]),
      [
        [C, 2],
        [2 * C, 1.8],
        [3 * C, 2],
        [4 * C, 1.8],
      ],
      "two bins of chunks per cycle (the second: 80 % at 2, 20 % at 1)",
    );
    // loadable as a run: the manifest travels with the binned metrics, saying they are binned
    const shipped = loadRun(data);
    assert.equal(shipped.manifest.config.revision, "head");
    assert.deepEqual((shipped.manifest as unknown as { binned: { rows_per_bin: unknown } }).binned.rows_per_bin, BIN);
    assert.equal(shipped.metrics.rows.length, log.rows.length);
    // and summarise reads it as the run: the final reward the last 100 episodes', the mean weighted by bin
    const rewardsTable = summarise(shipped, { show: false }).rewards.objects() as Record<string, number>[];
    assert.deepEqual(
      [rewardsTable[0].episodes, rewardsTable[0].final_reward, rewardsTable[0].mean_reward],
      [1000, 199.5, 124.5],
      "4 trajectories of 250 episodes; episodes 150-249; the mean of 0..249",
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a result name that is not a plain file name", () => {
    assert.equal(resultNameProblem("head-2"), null);
    assert.match(resultNameProblem("../head")!, /name "\.\.\/head": letters, digits, '\.', '_' or '-' only/);
  });

  it("refuses a directory that is not a run", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-full-"));
    await assert.rejects(summariseFullRun(dir, path.join(dir, "out")), /not a run directory of lemol train \(no manifest\.json\)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
