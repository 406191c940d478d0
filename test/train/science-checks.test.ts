// The science checks of lemol-spec §9.2 on a small seeded experiment (LeMOL vs MADDPG on
// simple_push, 2 cycles of 200 episodes): item 11 (in-play accuracy near chance before any OM
// training, clearly above chance, above cycle 0 and at or above the behaviour-cloning MLP after it), item 13 (the ablated model no better
// than the full one, and not improving across cycles), item 16 (the alignment switch alone changes
// the OM training curve). Deterministic for the seed; the margins below are wide.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ExperimentOptions } from "../../src/train/experiment.js";
import { experiment } from "../helpers/experiment.js";

const SMALL: ExperimentOptions = {
  scenario: "simple_push",
  bad_policy: "lemol",
  good_policy: "maddpg",
  num_episodes: 200,
  batch_size: 64,
  agent_update_freq: 1,
  n_opp_cycles: 2,
  traj_per_iter: 1,
  om_training_iters: 3,
  chunk_length: 16,
  num_units: 32,
  lstm_hidden_dim: 16,
  save_rate: 100_000,
  seed: 5,
};

/** Per cycle, the mean of a metric's rows, and the rows themselves. */
async function run(extra: ExperimentOptions): Promise<{ mean: (metric: string, cycle: number) => number; series: (metric: string) => number[] }> {
  const exp = await experiment({ ...SMALL, ...extra });
  await exp.run();
  const rows = exp.metrics.rows;
  exp.dispose();
  const pick = (metric: string, cycle?: number) => rows.filter((r) => r.metric === metric && (cycle === undefined || r.cycle === cycle)).map((r) => r.value);
  return {
    mean: (metric, cycle) => {
      const v = pick(metric, cycle);
      assert.ok(v.length > 0, `${metric} logged in cycle ${cycle}`);
      return v.reduce((a, b) => a + b, 0) / v.length;
    },
    series: (metric) => pick(metric),
  };
}

describe("science checks (lemol-spec §9.2) on a small seeded run", () => {
  it("item 11: in-play accuracy near or below chance before OM training, above chance (0.2) and above cycle 0 after it; item 13: the ablation no better and not improving", async () => {
    const full = await run({});
    const before = full.mean("om_accuracy_in_play", 0),
      after = full.mean("om_accuracy_in_play", 1);
    assert.ok(before < 0.25, `cycle 0 (no OM training yet): ${before.toFixed(3)} is about chance or below`);
    assert.ok(after > 0.3, `cycle 1 (after OM training): ${after.toFixed(3)} is clearly above chance`);
    assert.ok(after > before + 0.1, `cycle 1 ${after.toFixed(3)} above cycle 0 ${before.toFixed(3)}`);
    // the paper's claim: at or above a behaviour-cloning MLP on o_L trained on the same files,
    // scored on the same steps (bc-baseline.ts)
    const cloning = full.mean("om_baseline_bc_in_play", 1);
    assert.ok(after >= cloning, `cycle 1: OM ${after.toFixed(3)} at or above the BC-MLP's ${cloning.toFixed(3)}`);

    const ablated = await run({ ablate_lemol_lstm: true });
    const ablatedAfter = ablated.mean("om_accuracy_in_play", 1);
    assert.ok(ablatedAfter < after, `ablated ${ablatedAfter.toFixed(3)} below the full model's ${after.toFixed(3)} after OM training`);
    // its OM training does not improve from the first pass of cycle 0 to the last of cycle 1
    const acc = ablated.series("om_training_accuracy");
    assert.ok(acc.length > 1);
    assert.ok(
      ablated.mean("om_training_accuracy", 1) <= ablated.mean("om_training_accuracy", 0),
      "the ablated OM's training accuracy does not rise across cycles",
    );
  });

  it("item 16: the alignment switch alone (--revision, cadence as given) changes the OM training curve", async () => {
    const init = await run({ revision: "init" });
    const head = await run({ revision: "head", num_episodes: SMALL.num_episodes, agent_update_freq: SMALL.agent_update_freq });
    const a = init.series("om_training_accuracy"),
      b = head.series("om_training_accuracy");
    assert.ok(a.length > 100 && b.length > 100);
    const differing = a.filter((x, k) => k < b.length && x !== b[k]).length;
    assert.ok(differing > a.length / 2, `the curves differ at ${differing} of ${a.length} chunks`);
  });
});
