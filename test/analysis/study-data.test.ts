// data/study's script (scripts/study-data.ts) on a small synthetic study: its study.json loads,
// says which seeds each condition has, and gives analyseStudy exactly what the raw runs give (one
// code path for the statistics); its binned copies load as runs and keep the plan's final reward;
// plot.studyTests draws exactly what the analysis decided.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { studyRunsAt, studyRunsIn } from "../../bench/study/analyse.js";
import { plannedStudy, writeStudyData } from "../../scripts/study-data.js";
import { analyseStudy, loadRuns, loadStudyData, runValue } from "../../src/analysis/index.js";
import { plot } from "../../src/notebook/plots.js";
import { writeRun, writeStudySweep } from "./sweep-fixture.js";

describe("data/study (npm run study:data)", () => {
  const made: string[] = [];
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-study-data-"));
    made.push(d);
    return d;
  };

  it("holds every finished run's numbers, and the analysis on it is the analysis on the raw runs", async () => {
    const runs = writeStudySweep([1, 2, 3, 4, 5]);
    made.push(runs);
    // lemol-init's seed 5 still running: left out of both
    writeRun(path.join(runs, "r004-s5"), { seed: 5, exp_name: "lemol-init" }, [], "running");
    const out = path.join(tmp(), "study");
    const written = await writeStudyData(runs, out, plannedStudy());
    const data = loadStudyData(out);
    assert.deepEqual(data, JSON.parse(JSON.stringify(written)));
    assert.equal(data.runs.length, 24);
    assert.deepEqual(data.seeds_per_condition["lemol-ep"], [1, 2, 3, 4, 5]);
    assert.deepEqual(data.seeds_per_condition["lemol-init"], [1, 2, 3, 4]);
    assert.deepEqual(data.planned, {
      conditions: ["maddpg", "lemol-ep", "lemol-ep-ablated", "lemol-ep-oracle", "lemol-init"],
      seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    });
    const ep = data.runs.find((r) => r.condition === "lemol-ep" && r.seed === 3)!;
    assert.deepEqual(
      ep.cycles.map((c) => c.cycle),
      [0, 1],
    );
    assert.ok(Math.abs(ep.cycles[1].accuracy!.om_accuracy_in_play - (0.6 + 0.003 / 3)) < 1e-12);
    assert.ok(Math.abs(ep.cycles[1].accuracy!.om_baseline_online_bc_in_play - 1.2 / 3) < 1e-12);
    assert.ok(Math.abs(ep.cycles[1].stability!.om_baseline_bc_in_play.drop - (1.2 / 3 - 0.1)) < 1e-12);
    assert.ok(Math.abs(ep.cycles[1].reward - (-1 + 0.003)) < 1e-12 && Math.abs(ep.cycles[1].attacker_reward - (1 - 0.003)) < 1e-12);
    // the same verdicts, intervals and differences from the copy as from the runs
    const fromRuns = analyseStudy(studyRunsIn(runs));
    assert.deepEqual(analyseStudy(data.runs), fromRuns);
    assert.deepEqual(analyseStudy(studyRunsAt(out).runs), fromRuns);
    assert.equal(studyRunsAt(out).from, "copy");
    assert.equal(fromRuns.claim2.h2a.verdict, "supported");
    assert.equal(fromRuns.secondary.h2a.verdict, "too few seeds", "lemol-init has 4 finished seeds");

    // the binned copies: runs like any other, their last bin exactly the last 1,000 episodes
    const copies = loadRuns(path.join(out, "binned"));
    assert.equal(copies.length, 24);
    const copy = copies.find((r) => r.options.exp_name === "lemol-ep" && r.seed === 3)!;
    assert.ok(Math.abs(runValue(copy, { metric: "episode_reward", agent: "bad", lastEpisodes: 1000 }) - ep.cycles[1].reward) < 1e-6);
    assert.deepEqual(
      copy.metrics
        .select("episode_reward", "lemol-bad_agent_0")
        .map((r) => [r.cycle, r.episode, r.value])
        .sort((p, q) => p[0]! - q[0]! || p[1]! - q[1]!),
      [
        [0, 199, -100],
        [0, 1199, -100],
        [1, 199, -100],
        [1, 1199, -1 + 0.003],
      ],
    );
  });

  it("re-made as runs finish, replaces only its own files, and refuses a directory it did not write", async () => {
    const runs = writeStudySweep([1]);
    made.push(runs);
    const out = path.join(tmp(), "study");
    await writeStudyData(runs, out, plannedStudy());
    // seed 2 arrives
    const more = writeStudySweep([2]);
    made.push(more);
    for (const d of fs.readdirSync(more)) fs.cpSync(path.join(more, d), path.join(runs, d), { recursive: true });
    const again = await writeStudyData(runs, out, plannedStudy());
    assert.deepEqual(again.seeds_per_condition.maddpg, [1, 2]);
    assert.equal(fs.readdirSync(path.join(out, "binned")).length, 10);
    // a stability measure under two windows is NaN, which JSON writes as null: read back as NaN
    const file = path.join(out, "study.json");
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { runs: { cycles: { stability?: Record<string, { sd: number | null }> }[] }[] };
    json.runs.find((r) => r.cycles[1].stability)!.cycles[1].stability!.om_accuracy_in_play.sd = null;
    fs.writeFileSync(file, JSON.stringify(json));
    assert.ok(loadStudyData(out).runs.some((r) => Number.isNaN(r.cycles[1].stability?.om_accuracy_in_play.sd)));
    assert.throws(() => loadStudyData(path.join(out, "binned")), /no study data at .*study\.json \(npm run study:data writes it\)/);
    const foreign = tmp();
    fs.writeFileSync(path.join(foreign, "notes.txt"), "mine");
    await assert.rejects(writeStudyData(runs, foreign, plannedStudy()), /not a study copy made by scripts\/study-data\.ts/);
    assert.deepEqual(fs.readdirSync(foreign), ["notes.txt"]);
  });

  it("plot.studyTests draws each seed's difference, and the interval and detectable size only where the plan decides", () => {
    const runs = writeStudySweep([1, 2, 3, 4, 5]);
    made.push(runs);
    fs.rmSync(path.join(runs, "r000-s5"), { recursive: true }); // the control's seed 5 unfinished: H2a on 4 seeds
    const r = analyseStudy(studyRunsIn(runs));
    const fig = plot.studyTests([r.h1c, r.claim2.h2a], { show: false });
    const [perSeed, mean, detectable] = fig.data;
    assert.deepEqual(perSeed.x, [...r.h1c.differences, ...r.claim2.h2a.differences]);
    assert.equal((perSeed.x as number[]).length, 5 + 4);
    // H1c (5 seeds, top row) decided; H2a (4 seeds) not: one interval, one detectable size
    assert.deepEqual(mean.x, [r.h1c.mean_difference!.estimate]);
    assert.ok(Math.abs((mean.x as number[])[0] - 0.1) < 1e-9);
    const err = mean.error_x as { array: number[]; arrayminus: number[] };
    assert.ok(Math.abs(err.array[0] - (r.h1c.mean_difference!.high - 0.1)) < 1e-9 && Math.abs(err.arrayminus[0] - (0.1 - r.h1c.mean_difference!.low)) < 1e-9);
    assert.deepEqual(detectable.x, [r.h1c.smallest_detectable]);
    const ticks = (fig.layout.yaxis as { ticktext: string[] }).ticktext;
    assert.match(ticks[0], /^H1c<br><sup>n=5 · supported/);
    assert.match(ticks[1], /^H2a<br><sup>n=4 · too few seeds/);
    assert.match(String((fig.layout.title as { text: string }).text), /below 5 seeds: each seed's difference only/);
    assert.doesNotMatch(String((plot.studyTests([r.h1c], { show: false }).layout.title as { text: string }).text), /below 5 seeds/);
    assert.throws(() => plot.studyTests([], { show: false }), /no tests/);
  });
});
