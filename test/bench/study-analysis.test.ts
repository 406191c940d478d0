// The study's analysis (bench/study/analyse.ts) on synthetic runs whose answers are known: each
// hypothesis reads the metric the plan names, in the last cycle, paired by seed, and decides by
// the plan's rule; below 5 seeds nothing is decided.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { analyseStudy } from "../../bench/study/analyse.js";
import { loadRuns } from "../../src/analysis/index.js";
import type { MetricRow } from "../../src/train/metrics.js";
import { metricRow, writeRun } from "../analysis/sweep-fixture.js";

const BASELINE_NAMES = ["persistence", "window_majority", "bc", "bc_previous_action", "online_bc"];

/** One run: 2 cycles x 1 trajectory; in-play windows [first, rest...] for the OM and each baseline; 1,200 episodes of reward. */
function rows(agent: string, om: number[] | null, baseline: number[], reward: number): MetricRow[] {
  const out: MetricRow[] = [];
  const row = (over: Partial<MetricRow>) => metricRow({ agent, ...over });
  for (const cycle of [0, 1]) {
    const windows = (values: number[], metric: string) =>
      values.forEach((v, k) => out.push(row({ cycle, trajectory: cycle, train_step: k, metric, value: cycle === 1 ? v : 0.1 })));
    if (om) windows(om, "om_accuracy_in_play");
    if (om) for (const b of BASELINE_NAMES) windows(baseline, `om_baseline_${b}_in_play`);
    // the last 1,000 episodes average `reward` (cycle 1); the first 200 (outside them) are -100
    for (let e = 0; e < 1200; e++)
      out.push(row({ cycle, trajectory: cycle, episode: e, metric: "episode_reward", value: cycle === 1 && e >= 200 ? reward : -100 }));
  }
  return out;
}

function study(seeds: number[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-study-"));
  for (const seed of seeds) {
    const j = seed * 0.001; // seed-to-seed jitter
    // the OM: 0.6 steady; the baselines 0.4 dropping at the opponent change (first window 0.1)
    const conditions: [string, number[] | null, number[], number][] = [
      ["maddpg", null, [], -2 + j],
      ["lemol-ep", [0.6 + j, 0.6, 0.6], [0.1, 0.55, 0.55], -1 + j],
      ["lemol-ep-ablated", [0.5 + j, 0.5, 0.5], [0.1, 0.55, 0.55], -1 - j],
      ["lemol-ep-oracle", [1, 1, 1], [0.1, 0.55, 0.55], -0.5],
      ["lemol-init", [0.3, 0.3, 0.3], [0.1, 0.55, 0.55], -3 + j],
    ];
    conditions.forEach(([name, om, baseline, reward], i) => {
      const agent = name === "maddpg" ? "maddpg-bad_agent_0" : "lemol-bad_agent_0";
      writeRun(path.join(dir, `r00${i}-s${seed}`), { seed, exp_name: name }, rows(agent, om, baseline, reward));
    });
  }
  return dir;
}

type T = { id: string; verdict: string; differences: number[]; seeds: number[] };

describe("the study's analysis", () => {
  it("decides each hypothesis on the last cycle, paired by seed, with the plan's rule", () => {
    const r = analyseStudy(loadRuns(study([1, 2, 3, 4, 5]))) as {
      conditions: Record<string, { per_cycle: Record<string, Record<string, Record<string, number>>> }>;
      claim1: { verdict: string; h1a: T[]; h1b: T[] };
      h1c: T;
      claim2: { verdict: string; h2a: T; h2b: T; h2c: T };
      secondary: { h1a: T[]; h2a: T };
    };
    // H1a: OM 0.6 vs baselines (0.1 + 0.55 + 0.55) / 3 = 0.4 in the last cycle: +0.2 on every seed
    for (const t of r.claim1.h1a) {
      assert.equal(t.verdict, "supported", t.id);
      assert.ok(Math.abs(t.differences[1] - (0.2 + 0.002 / 3)) < 1e-9, `${t.id}: ${t.differences[1]}`);
    }
    // H1b: the baselines' windows vary and drop, the OM's do not: every BC baseline, both measures
    assert.deepEqual(
      r.claim1.h1b.map((t) => t.id),
      [
        "H1b vs bc (sd)",
        "H1b vs bc (drop)",
        "H1b vs bc_previous_action (sd)",
        "H1b vs bc_previous_action (drop)",
        "H1b vs online_bc (sd)",
        "H1b vs online_bc (drop)",
      ],
    );
    assert.ok(r.claim1.h1b.every((t) => t.verdict === "supported"));
    assert.equal(r.claim1.verdict, "supported");
    // H1c: 0.6 + j vs 0.5 + j, (mean over the 3 windows) = +0.1
    assert.equal(r.h1c.verdict, "supported");
    assert.ok(Math.abs(r.h1c.differences[0] - 0.1) < 1e-9);
    // H2a: the last 1,000 episodes only (the -100s before them are left out): -1 + j vs -2 + j = +1, beyond the detectable 1.18 / ... at n=5
    assert.ok(
      r.claim2.h2a.differences.every((d) => Math.abs(d - 1) < 1e-9),
      String(r.claim2.h2a.differences),
    );
    assert.equal(r.claim2.h2a.verdict, "supported");
    assert.equal(r.claim2.verdict, "supported");
    // H2b: (-1 + j) - (-1 - j) = 2j: tiny, positive on every seed -> supported by the interval
    assert.deepEqual(r.claim2.h2b.seeds, [1, 2, 3, 4, 5]);
    // the per-step LeMOL (0.3) is below every baseline: not supported, and the upper end is below the detectable size
    assert.ok(r.secondary.h1a.every((t) => t.verdict === "not supported"));
    assert.equal(r.secondary.h2a.verdict, "not supported");
    // the curves over cycles, per run: cycle 0's windows are 0.1 throughout, cycle 1's as above
    const ep = r.conditions["lemol-ep"].per_cycle["2"];
    assert.deepEqual(Object.keys(ep), ["0", "1"]);
    assert.ok(Math.abs(ep["0"].om_accuracy_in_play - 0.1) < 1e-9 && Math.abs(ep["1"].om_accuracy_in_play - (0.6 + 0.002 / 3)) < 1e-9);
    assert.ok(Math.abs(ep["1"].reward - (-1 + 0.002)) < 1e-9);
    assert.deepEqual(Object.keys(r.conditions.maddpg.per_cycle["2"]["1"]), ["reward"], "the control has no OM");
  });

  it("gives no verdict below the plan's floor of 5 seeds, and pairs only the seeds both conditions have", () => {
    const dir = study([1, 2, 3, 4]);
    const r = analyseStudy(loadRuns(dir)) as { claim1: { verdict: string }; claim2: { h2a: T } };
    assert.equal(r.claim1.verdict, "too few seeds");
    assert.equal(r.claim2.h2a.verdict, "too few seeds");
    fs.rmSync(path.join(dir, "r001-s4"), { recursive: true }); // lemol-ep's seed 4 unfinished
    const r2 = analyseStudy(loadRuns(dir)) as { claim2: { h2a: T } };
    assert.deepEqual(r2.claim2.h2a.seeds, [1, 2, 3]);
  });
});
