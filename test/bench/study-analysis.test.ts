// The study's analysis (bench/study/analyse.ts) on synthetic runs whose answers are known: each
// hypothesis reads the metric the plan names, in the last cycle, paired by seed, and decides by
// the plan's rule; below 5 seeds nothing is decided.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { studyRunsIn } from "../../bench/study/analyse.js";
import { analyseStudy } from "../../src/analysis/index.js";
import { writeStudySweep } from "../analysis/sweep-fixture.js";

describe("the study's analysis", () => {
  it("decides each hypothesis on the last cycle, paired by seed, with the plan's rule", () => {
    const runs = studyRunsIn(writeStudySweep([1, 2, 3, 4, 5]));
    const r = analyseStudy(runs);
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
    const ep = runs.find((x) => x.condition === "lemol-ep" && x.seed === 2)!.cycles;
    assert.deepEqual(
      ep.map((c) => c.cycle),
      [0, 1],
    );
    assert.ok(Math.abs(ep[0].accuracy!.om_accuracy_in_play - 0.1) < 1e-9 && Math.abs(ep[1].accuracy!.om_accuracy_in_play - (0.6 + 0.002 / 3)) < 1e-9);
    assert.ok(Math.abs(ep[1].reward - (-1 + 0.002)) < 1e-9);
    assert.ok(Math.abs(ep[1].attacker_reward - (1 - 0.002)) < 1e-9, "the attacker's final reward, its own rows");
    const control = runs.find((x) => x.condition === "maddpg" && x.seed === 2)!.cycles[1];
    assert.equal(control.accuracy, undefined, "the control has no OM");
    assert.equal(control.stability, undefined);
  });

  it("gives no verdict below the plan's floor of 5 seeds, and pairs only the seeds both conditions have", () => {
    const dir = writeStudySweep([1, 2, 3, 4]);
    const r = analyseStudy(studyRunsIn(dir));
    assert.equal(r.claim1.verdict, "too few seeds");
    assert.equal(r.claim2.h2a.verdict, "too few seeds");
    fs.rmSync(path.join(dir, "r001-s4"), { recursive: true }); // lemol-ep's seed 4 unfinished
    const r2 = analyseStudy(studyRunsIn(dir));
    assert.deepEqual(r2.claim2.h2a.seeds, [1, 2, 3]);
  });
});
