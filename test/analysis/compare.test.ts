// Runs as replicates: a small sweep on disk (two conditions x five seeds) whose numbers are worked
// out by hand in the comments, read back by loadRuns and compared by condition, seed and cycle;
// and the same through `lemol stats`.
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { conditionCurves, pairedComparison, summarizeConditions } from "../../src/analysis/compare.js";
import { groupByCondition, loadRuns, runValue, variedOptions } from "../../src/analysis/runs.js";
import { loadRun } from "../../src/train/run-dir.js";
import { runCli } from "../helpers/cli.js";
import { A, removeStatsSweep, writeRun, writeStatsSweep } from "./sweep-fixture.js";

const { root, results } = writeStatsSweep();
after(removeStatsSweep);

const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) < 1e-9, `${what}: ${got}, expected ${want}`);

describe("runs as replicates", () => {
  const runs = loadRuns(results);

  it("loads a sweep's finished runs with their seeds and options, and finds the option that varies", () => {
    assert.equal(runs.length, 10);
    assert.deepEqual(
      runs.map((r) => r.seed),
      [1, 2, 3, 4, 5, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(variedOptions(runs), ["ablate_lemol_lstm"]); // run_dir and seed are bookkeeping
    assert.deepEqual([...groupByCondition(runs).keys()], ["false", "true"]);
  });

  it("takes run records and live experiments too, and refuses anything else", () => {
    const record = loadRun(path.join(results, "r001-s3"));
    const [fromRecord] = loadRuns(record);
    assert.deepEqual([fromRecord.name, fromRecord.seed, fromRecord.options.ablate_lemol_lstm], ["r001-s3", 3, true]);
    const live = { config: { seed: 12, lr: 0.01 }, metrics: record.metrics, runDir: { root: "/x/runs/live-1" } };
    const [fromLive] = loadRuns([live]);
    assert.deepEqual([fromLive.name, fromLive.seed, fromLive.root], ["live-1", 12, "/x/runs/live-1"]);
    close(runValue(fromLive), 0.5, "the record's last cycle");
    assert.throws(() => loadRuns([{ config: { lr: 1 }, metrics: record.metrics }]), /run 0: its options have no integer seed/);
    assert.throws(() => loadRuns([42 as never]), /run 0: expected a run directory, a sweep, a loadRun\(\) record or an Experiment/);
  });

  it("reduces a run to the mean of its last cycle (or the cycles asked for)", () => {
    close(runValue(runs[2]), 0.61, "last cycle");
    close(runValue(runs[2], { cycles: [0] }), 0.2, "cycle 0");
    close(runValue(runs[2], { cycles: "all" }), (0.61 + 0.2) / 2, "all cycles");
    close(runValue(runs[2], { metric: "episode_reward", agent: "bad", cycles: "all" }), 30 + 3.5, "rewards");
    // the last 2 episodes of cycle 1's trajectory: 30 + 4 + 2 and 30 + 4 + 3
    close(runValue(runs[2], { metric: "episode_reward", agent: "bad", lastEpisodes: 2 }), 36.5, "final reward");
    close(runValue(runs[2], { metric: "episode_reward", agent: "bad", lastEpisodes: 2, cycles: "all" }), (32.5 + 36.5) / 2, "each trajectory's last 2");
    // within the run: the OM minus the baseline scored on its windows (0.3 throughout)
    close(runValue(runs[2], { minus: "om_baseline_persistence_in_play" }), 0.61 - 0.3, "OM - persistence");
    const [a] = conditionCurves(runs, { by: "cycle" }, { seed: 1, minus: "om_baseline_persistence_in_play" });
    close(a.points[0].interval.estimate, 0.2 - 0.3, "cycle 0, OM - persistence");
    close(a.points[1].interval.estimate, (0.45 + 0.5 + 0.61) / 3 - 0.3, "cycle 1, OM - persistence");
  });

  it("refuses what it cannot compare, naming it", () => {
    assert.throws(
      () => runValue(runs[0], { metric: "episode_reward" }),
      /"episode_reward" has 2 agents \(lemol-bad_agent_0, maddpg-good_agent_1\); choose one with agent/,
    );
    assert.throws(() => runValue(runs[0], { metric: "om_accuracy" }), /r000-s1: no metric "om_accuracy": lemol writes episode_reward, /);
    assert.throws(() => runValue(runs[0], { cycles: [7] }), /no "om_accuracy_in_play" rows in cycle 7/);
    assert.throws(() => runValue(runs[0], { lastEpisodes: 5 }), /"om_accuracy_in_play" rows have no episode numbers to take the last 5 episodes of/);
    assert.throws(() => groupByCondition(runs, ["lr"]), /no run has an option "lr"/);
    assert.throws(() => groupByCondition(runs, () => "all"), /condition "all" has seed 1 twice \(r000-s1 and r001-s1\)/);
    assert.throws(() => loadRuns(path.join(root, "nowhere")), /no such run directory/);
    assert.throws(() => pairedComparison(runs, "false", "maybe", { seed: 1 }), /no condition "maybe"; the conditions are "false", "true"/);
  });

  it("summarises each condition: mean, std, IQM and the IQM's interval (by hand)", () => {
    const [a, b] = summarizeConditions(runs, { seed: 4 });
    assert.equal(a.condition, "false");
    assert.deepEqual(a.seeds, [1, 2, 3, 4, 5]);
    close(a.mean, A.reduce((x, y) => x + y) / 5, "mean of A");
    close(a.iqm, (0.45 + 0.5 + 0.61) / 3, "IQM of A"); // drops 0.42 and 0.90
    close(b.iqm, (0.4 + 0.41 + 0.44) / 3, "IQM of B"); // drops 0.30 and 0.50
    close(a.interval.estimate, a.iqm, "estimate");
    assert.ok(a.interval.low >= 0.42 && a.interval.low < a.iqm && a.interval.high > a.iqm && a.interval.high <= 0.9, JSON.stringify(a.interval));
  });

  it("compares two conditions seed by seed (by hand)", () => {
    const p = pairedComparison(runs, "false", "true", { seed: 4 });
    assert.deepEqual(p.pairs.seeds, [1, 2, 3, 4, 5]);
    [0.1, -0.02, 0.11, 0.04, 0.6].forEach((d, i) => close(p.pairs.differences[i], d, `seed ${i + 1}`));
    close(p.meanDifference.estimate, 0.83 / 5, "mean difference");
    close(p.iqmDifference.estimate, (0.1 + 0.11 + 0.04) / 3, "IQM difference"); // drops -0.02 and 0.60
    assert.deepEqual(p.wins, { a: 4, b: 1 });
    // unpaired: A's 0.50 ties B's 0.50 (a half); otherwise 4 + 3 + 5 + 4 + 5 wins of 25
    close(p.probabilityOfImprovement.estimate, 21.5 / 25, "P(A > B)");
    assert.ok(p.meanDifference.low > -0.02 && p.meanDifference.high < 0.6 && p.meanDifference.low < 0.166, JSON.stringify(p.meanDifference));
  });

  it("draws curves per cycle and per block of episodes, with an interval per point (by hand)", () => {
    const [a] = conditionCurves(runs, { by: "cycle" }, { seed: 4 });
    assert.deepEqual(
      a.points.map((p) => p.x),
      [0, 1],
    );
    close(a.points[0].interval.low, 0.2, "cycle 0's interval");
    close(a.points[0].interval.high, 0.2, "cycle 0's interval");
    close(a.points[0].interval.estimate, 0.2, "cycle 0");
    close(a.points[1].interval.estimate, (0.45 + 0.5 + 0.61) / 3, "cycle 1");
    assert.equal(a.points[1].runs.length, 5);
    // blocks of 4 run-wide episodes: seed s has s*10 + 1.5 in the first, s*10 + 5.5 in the second
    const [r] = conditionCurves(runs, { by: "episodes", block: 4 }, { seed: 4, metric: "episode_reward", agent: "bad", aggregate: "mean" });
    assert.deepEqual(
      r.points.map((p) => p.x),
      [0, 4],
    );
    close(r.points[0].interval.estimate, 31.5, "block 0");
    close(r.points[1].interval.estimate, 35.5, "block 1");
  });

  it("lets a seed recur across strata (one condition, stratified by the option)", () => {
    const [all] = summarizeConditions(runs, { seed: 1, by: () => "all", strata: ["ablate_lemol_lstm"] });
    assert.equal(all.values.length, 10);
    assert.equal(all.interval.n, 10);
  });
});

describe("lemol stats", () => {
  it("prints each condition's numbers and the paired differences", () => {
    const r = runCli(["stats", results, "--paired", "false,true", "--seed", "4"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /10 finished runs; om_accuracy_in_play, each run's mean over the last cycle/);
    assert.match(r.stdout, /^false\s+5\s+1,2,3,4,5\s+0\.5760\s+0\.\d{4}\s+0\.5200\s+\[0\.\d{4}, 0\.\d{4}\]$/m);
    assert.match(r.stdout, /^true\s+5\s+1,2,3,4,5\s+0\.4100\s+0\.\d{4}\s+0\.4167\s+/m);
    assert.match(r.stdout, /^5\s+0\.9000\s+0\.3000\s+0\.6000$/m);
    assert.match(r.stdout, /mean difference 0\.1660, 95 % CI/);
    assert.match(r.stdout, /IQM difference {2}0\.0833, 95 % CI/);
    assert.match(r.stdout, /false higher on 4 of 5 seeds, lower on 1/);
    assert.match(r.stdout, /P\(false > true\) 0\.8600/);
  });

  it("leaves out, and names, runs that never write the metric (a MADDPG control has no OM accuracy)", () => {
    const control = path.join(root, "control-s1");
    const reward = {
      cycle: 0,
      trajectory: 0,
      opponent: "maddpg",
      episode: 0,
      train_step: null,
      om_iter: null,
      agent: "maddpg-bad_agent_0",
      metric: "episode_reward",
      value: -2,
    };
    writeRun(control, { seed: 1, ablate_lemol_lstm: "control" }, [reward]);
    const r = runCli(["stats", results, control, "--by", "ablate_lemol_lstm"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^11 finished runs; om_accuracy_in_play/m);
    assert.match(r.stdout, /^\(left out: 1 run without "om_accuracy_in_play" rows, condition control\)$/m);
    assert.match(r.stdout, /^false\s+5\s+1,2,3,4,5\s+0\.5760/m);
    assert.doesNotMatch(r.stdout, /^control\s+\d/m);
    const only = runCli(["stats", control]);
    assert.equal(only.code, 2);
    assert.match(only.stderr, /no run has "om_accuracy_in_play" rows/);
  });

  it("says what is wrong with exit code 2", () => {
    const r = runCli(["stats", results, "--metric", "episode_reward"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /choose one with agent/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // one line, no stack
    const none = runCli(["stats"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give run directories/);
  });
});
