// The pre-registered study's sweep files (docs/study.md): valid, the five conditions at one size,
// seeds 1-5 then 6-10 under the same run names.
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { expandSweep, loadSweepSpec } from "../../src/train/sweep.js";
import { REPO } from "../helpers/golden.js";

describe("the study's sweep files", () => {
  const [first, second] = ["sweep-1.json", "sweep-2.json"].map((f) => loadSweepSpec(path.join(REPO, "bench/study", f)));

  it("run the five conditions of docs/study.md at the same size, on the later release's defaults", () => {
    const jobs = expandSweep(first);
    assert.deepEqual([...new Set(jobs.map((j) => j.options.exp_name))], ["maddpg", "lemol-ep", "lemol-ep-ablated", "lemol-ep-oracle", "lemol-init"]);
    for (const j of jobs) {
      assert.equal(j.options.scenario, "simple_push");
      assert.equal(j.options.n_opp_cycles, 4, "the stated cut: 4 cycles of 10, every condition");
      assert.equal(j.options.revision, j.options.exp_name === "lemol-init" ? "init" : "head");
      assert.equal(j.options.bad_policy, j.options.exp_name === "maddpg" ? "maddpg" : "lemol");
    }
    const ep = jobs.filter((j) => String(j.options.exp_name).startsWith("lemol-ep"));
    assert.ok(ep.every((j) => j.options.block_processing === true));
    assert.equal(jobs.find((j) => j.options.exp_name === "lemol-ep-ablated")!.options.ablate_lemol_lstm, true);
    assert.equal(jobs.find((j) => j.options.exp_name === "lemol-ep-oracle")!.options.feed_lemol_true_action, true);
  });

  it("take seeds 1-5, then 6-10, into one results directory with the same configurations", () => {
    assert.deepEqual(first.seeds, [1, 2, 3, 4, 5]);
    assert.deepEqual(second.seeds, [6, 7, 8, 9, 10]);
    assert.equal(first.results, second.results);
    assert.deepEqual({ ...first, seeds: [] }, { ...second, seeds: [] });
  });
});
