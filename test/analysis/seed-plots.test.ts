// The plots across seeds: given several runs, learningCurves / omAccuracy / pairedDifferences draw
// each condition's IQM with its bootstrap band, from the same statistics as `lemol stats` (the
// sweep of sweep-fixture.ts, whose numbers are worked out by hand there and in compare.test.ts).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { loadSweep } from "../../src/notebook/sweep.js";
import { isSeedRuns } from "../../src/notebook/seeds.js";
import { plot } from "../../src/notebook/plots.js";
import type { Trace } from "../../src/notebook/plotly.js";
import { removeStatsSweep, writeStatsSweep } from "./sweep-fixture.js";

const { results } = writeStatsSweep();
after(removeStatsSweep);
const runDirs = fs
  .readdirSync(results)
  .filter((d) => d.startsWith("r000-") && d !== "r000-s6")
  .map((d) => path.join(results, d));

const close = (got: unknown, want: number[], what: string) => {
  const g = got as number[];
  assert.equal(g.length, want.length, what);
  g.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-9, `${what}[${i}]: ${v}, expected ${want[i]}`));
};
const named = (traces: Trace[], start: string) => {
  const t = traces.find((x) => typeof x.name === "string" && x.name.startsWith(start));
  assert.ok(t, `a trace named "${start}…" among ${traces.map((x) => x.name).join(" | ")}`);
  return t;
};

describe("plots across seeds", () => {
  it("tell several runs from one run's metrics", () => {
    assert.equal(isSeedRuns(results), true); // a sweep's results directory
    assert.equal(isSeedRuns(runDirs), true);
    assert.equal(isSeedRuns(loadSweep(results)), true);
    assert.equal(isSeedRuns(runDirs[0]), false); // one run directory
    assert.equal(
      isSeedRuns([{ cycle: 0, trajectory: 0, opponent: null, episode: 0, train_step: 0, om_iter: null, agent: null, metric: "m", value: 1 }]),
      false,
    );
  });

  it("omAccuracy draws each condition's IQM per cycle with its band, and the logged baselines", () => {
    for (const source of [results, loadSweep(results)]) {
      const fig = plot.omAccuracy(source, { show: false, condition: ["ablate_lemol_lstm"], bootstrapSeed: 3 });
      const a = named(fig.data, "false (5 seeds)");
      assert.deepEqual(a.x, [0, 1]);
      close(a.y, [0.2, (0.45 + 0.5 + 0.61) / 3], "IQM of condition false");
      const b = named(fig.data, "true (5 seeds)");
      close(b.y, [0.25, (0.4 + 0.41 + 0.44) / 3], "IQM of condition true");
      // the band just before each line: high forwards, low backwards; it holds the line
      const band = fig.data[fig.data.indexOf(a) - 1];
      assert.equal(band.fill, "toself");
      const y = band.y as number[];
      assert.ok(Math.abs(y[0] - 0.2) < 1e-9 && Math.abs(y[3] - 0.2) < 1e-9, `cycle 0 is 0.2 on every seed: a zero-width band, ${y}`);
      assert.ok(y[1] > (a.y as number[])[1] && y[2] < (a.y as number[])[1], `cycle 1's band ${y[2]}..${y[1]} around the IQM`);
      close(named(fig.data, "false: persistence").y, [0.3, 0.3], "baseline");
      assert.match(String((fig.layout.title as { text: string }).text), /IQM across seeds, 95 % bootstrap CI \(2000 resamples, seed 3\)/);
    }
  });

  it("learningCurves draws per condition and agent the IQM of block means (by hand: seed s has 10 s + 1.5, then 10 s + 5.5)", () => {
    const fig = plot.learningCurves(runDirs, { show: false, window: 4, seedLines: true });
    const bad = named(fig.data, "all runs: lemol-bad_agent_0");
    assert.deepEqual(bad.x, [0, 4]);
    close(bad.y, [31.5, 35.5], "IQM over seeds 1..5");
    close(named(fig.data, "all runs: maddpg-good_agent_1").y, [-31.5, -35.5], "the good agent");
    assert.equal(fig.data.filter((t) => t.legendgroup === "all runs: lemol-bad_agent_0" && t.opacity === 0.35).length, 5, "one faint line per seed");
  });

  it("pairedDifferences draws each seed's difference and the mean and IQM with intervals (by hand)", () => {
    const fig = plot.pairedDifferences(results, "false", "true", { show: false, condition: ["ablate_lemol_lstm"] });
    close(named(fig.data, "per seed (5)").x, [0.1, -0.02, 0.11, 0.04, 0.6], "per-seed differences");
    close(named(fig.data, "mean 0.166").x, [0.166], "mean");
    close(named(fig.data, "IQM 0.083").x, [0.25 / 3], "IQM");
    assert.match(String((fig.layout.title as { text: string }).text), /false higher on 4 of 5 seeds; P\(false > true\) = 0\.86/);
  });

  it("says what it cannot draw across seeds", () => {
    assert.throws(
      () => plot.omAccuracy(results, { show: false, by: "step" }),
      /by: "step" draws one run; given several runs it draws each condition per cycle across seeds/,
    );
    assert.throws(() => plot.qValues(runDirs, { show: false }), /no "q_value" rows in these runs/);
  });

  it("keeps the single-run plots for one run", () => {
    const fig = plot.omAccuracy(runDirs[0], { show: false });
    assert.ok(fig.data.some((t) => t.name === "cycle 1"));
  });
});
