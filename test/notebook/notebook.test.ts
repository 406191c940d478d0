/**
 * The notebook layer in plain Node: what each helper displays (captured through the display sink)
 * and the numbers behind the plots and summaries. The real kernel, HTML export and browser checks
 * are in scripts/notebooks-test.sh (npm run notebooks:test).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { inspect } from "node:util";
import * as aq from "arquero";
import { MetricRow, MetricsLog } from "../../src/train/metrics.js";
import { makeEnv } from "../../src/envs/env.js";
import { DisplaySink, MimeBundle, setDisplaySink, DisplayHandle } from "../../src/notebook/display.js";
import { chromiumPath, Figure, renderPng, resetPlotlyInit } from "../../src/notebook/plotly.js";
import { plot } from "../../src/notebook/plots.js";
import { show, summarise } from "../../src/notebook/tables.js";
import { animate, recordEpisode } from "../../src/notebook/animate.js";
import { formatDuration, LiveProgress } from "../../src/notebook/progress.js";
import { metricsOf, quantile, rollingMean } from "../../src/notebook/source.js";
import { sizedOptions } from "../../src/notebook/size.js";
import { Experiment } from "../../src/train/experiment.js";
import { REDUCED, tmpRun } from "../helpers/experiment.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expandSweep, parseSweepSpec, runSweepJob } from "../../src/train/sweep.js";
import { loadSweep } from "../../src/notebook/sweep.js";

interface Shown {
  bundle: MimeBundle;
  id: string | null;
  update: boolean;
}
let shown: Shown[] = [];
const nodeRequire = createRequire(import.meta.url);
let previous: DisplaySink | null = null;
before(() => {
  previous = setDisplaySink((bundle, id, update) => shown.push({ bundle, id, update }));
});
after(() => setDisplaySink(previous));

const base = { cycle: 0, opponent: "maddpg", om_iter: null, train_step: null } as const;
/** Two trajectories of 4 episodes, two agents; rewards t*10+e for agent A, negated for B. */
function syntheticRuns(): MetricsLog {
  const rows: MetricRow[] = [];
  for (let t = 0; t < 2; t++) {
    for (let e = 0; e < 4; e++) {
      rows.push({ ...base, cycle: t, trajectory: t, episode: e, agent: "lemol-bad_agent_0", metric: "episode_reward", value: t * 10 + e });
      rows.push({ ...base, cycle: t, trajectory: t, episode: e, agent: "maddpg-good_agent_1", metric: "episode_reward", value: -(t * 10 + e) });
    }
    for (const [k, v] of [0.1, 0.3, 0.5].entries()) {
      rows.push({
        ...base,
        cycle: t,
        trajectory: t,
        episode: 2 + k,
        train_step: 100 * k,
        agent: "lemol-bad_agent_0",
        metric: "om_accuracy_in_play",
        value: v + t * 0.1,
      });
      // baselines on the same windows: persistence 0.35 throughout, window majority 0.25 + 0.1·t,
      // behaviour cloning 0.2 + 0.18·t
      const window = { ...base, cycle: t, trajectory: t, episode: 2 + k, train_step: 100 * k, agent: "lemol-bad_agent_0" };
      rows.push({ ...window, metric: "om_baseline_persistence_in_play", value: 0.35 });
      rows.push({ ...window, metric: "om_baseline_window_majority_in_play", value: 0.25 + t * 0.1 });
      rows.push({ ...window, metric: "om_baseline_bc_in_play", value: 0.2 + t * 0.18 });
    }
  }
  for (let i = 0; i < 6; i++) {
    rows.push({ ...base, trajectory: null, episode: null, om_iter: i + 1, agent: "lemol-bad_agent_0", metric: "om_training_accuracy", value: 0.2 + i * 0.1 });
    rows.push({ ...base, trajectory: null, episode: null, om_iter: i + 1, agent: "lemol-bad_agent_0", metric: "om_training_loss", value: 2 - i * 0.2 });
  }
  return MetricsLog.fromRows(rows);
}

describe("figures", () => {
  it("round hover values to 4 significant digits unless the figure says otherwise", () => {
    assert.equal((new Figure([{ type: "scatter", y: [0.123456789] }]).toJSON().layout.yaxis as { hoverformat: string }).hoverformat, ".4~r");
    const own = new Figure([{ type: "scatter", y: [1] }], { yaxis: { hoverformat: ".1f", title: { text: "y" } } }).toJSON().layout.yaxis as Record<
      string,
      unknown
    >;
    assert.deepEqual(own, { hoverformat: ".1f", title: { text: "y" } });
  });

  it("are one output each: HTML drawing the figure (its data stored once) and text; ids are a hash of the figure", () => {
    shown = [];
    const fig = new Figure([{ type: "scatter", x: [1, 2], y: [3, 4], name: "line" }], { title: { text: "t" } });
    fig.show();
    fig.show();
    assert.equal(shown.length, 2, "outside a kernel: no bundle output, one output per figure");
    for (const s of shown) {
      assert.deepEqual(Object.keys(s.bundle).sort(), ["text/html", "text/plain"]);
      assert.match(s.bundle["text/html"] as string, /Plotly\.newPlot/);
      assert.equal((s.bundle["text/html"] as string).split('"line"').length - 1, 1, "the figure's data appears once");
      assert.equal(s.bundle["text/plain"], '<Figure "t": 1 trace(s) [line]>');
    }
    assert.equal(shown[0].bundle["text/html"], shown[1].bundle["text/html"], "the same figure, the same bytes (no random or time-based ids)");
    const other = new Figure([{ type: "scatter", x: [1, 2], y: [3, 5], name: "line" }], { title: { text: "t" } });
    assert.notEqual(other.key(), fig.key());
    assert.equal(inspect(fig), '<Figure "t": 1 trace(s) [line]>');
    assert.equal(fig.show(), undefined, "show() returns nothing, so a cell ending with it prints no <Figure> line");
  });

  it("bring plotly.js to the page with the first figure of each cell, in the output the figure then replaces", () => {
    const g = globalThis as { __tslab__?: unknown };
    const cache = nodeRequire.cache as Record<string, unknown>;
    const fake = "/fake/node_modules/tslab/dist/jupyter.js";
    const tslab: { lastWriteDisplayData: unknown } = { lastWriteDisplayData: () => {} };
    g.__tslab__ = {};
    cache[fake] = { exports: tslab };
    try {
      shown = [];
      resetPlotlyInit();
      const fig = new Figure([{ type: "bar", x: ["a"], y: [1] }]);
      fig.show();
      fig.show();
      tslab.lastWriteDisplayData = () => {}; // the next cell
      fig.show();
      assert.equal(shown.length, 5);
      const [loader, replaced, second, loader2, replaced2] = shown;
      assert.match(loader.bundle["text/html"] as string, /^<script type="text\/javascript">if\(!window\.Plotly/);
      assert.ok((loader.bundle["text/html"] as string).length > 1_000_000, "the bundle, inline (offline)");
      assert.doesNotMatch(loader.bundle["text/html"] as string, /<\/script>[\s\S]*<\/script>/, "no early </script> inside the inlined bundle");
      assert.deepEqual([loader.update, replaced.update, replaced.id], [false, true, loader.id], "then replaced by the figure in place");
      assert.match(replaced.bundle["text/html"] as string, /data-lemol-figure/);
      assert.deepEqual([second.update, second.id], [false, null], "a later figure of the cell: the figure only");
      assert.match(loader2.bundle["text/html"] as string, /^<script/, "a new cell gets the bundle again (the page may have been reloaded)");
      assert.equal(replaced2.update, true);
    } finally {
      delete g.__tslab__;
      delete cache[fake];
    }
  });

  it("escape figure JSON that contains a closing script tag", () => {
    const fig = new Figure([{ type: "scatter", x: [1], y: [1], name: "</script><b>x</b>" }]);
    const html = fig.bundle()["text/html"] as string;
    assert.equal(html.match(/<\/script>/g)!.length, 1, "only the real end tag");
  });

  it(
    "carry a static image (plotly's own rendering in headless Chromium, WebP) for viewers that run no scripts",
    { skip: chromiumPath() ? false : "no Chromium installed" },
    async () => {
      shown = [];
      const fig = new Figure([{ type: "bar", x: ["a", "b"], y: [1, 3] }], { title: { text: "static" }, height: 300 });
      fig.show();
      const html = shown[shown.length - 1].bundle["text/html"] as string;
      const m = /<img class="lemol-plot-static" alt="[^"]*" style="max-width:100%" src="data:image\/webp;base64,([^"]+)"\/><div class="lemol-plot"/.exec(html);
      assert.ok(m, "the static image is in the HTML, before the live plot's div");
      const webp = Buffer.from(m[1], "base64");
      assert.deepEqual([webp.toString("latin1", 0, 4), webp.toString("latin1", 8, 12)], ["RIFF", "WEBP"], "a WebP file");
      assert.ok(webp.length > 2000, "with something drawn in it");
      fig.show();
      assert.equal(shown[shown.length - 1].bundle["text/html"], html, "the same figure, the same image bytes");
      const png = Buffer.from(await renderPng(fig, { width: 400 }), "base64");
      assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "renderPng: a PNG file");
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [400, 300], "at the requested width, the figure's height");
    },
  );

  it("standalone HTML inlines the bundle", () => {
    const page = new Figure([{ type: "bar", x: ["a"], y: [1] }]).toHTML();
    assert.match(page, /^<!doctype html>/);
    assert.ok(page.length > 1_000_000);
  });
});

describe("plots", () => {
  it("learning curves: run-wide episodes, per-trajectory rolling means, a break between trajectories", () => {
    const fig = plot.learningCurves(syntheticRuns(), { window: 2, show: false });
    const smooth = fig.data.filter((t) => !String(t.name).endsWith("(raw)"));
    assert.deepEqual(
      smooth.map((t) => t.name),
      ["lemol-bad_agent_0 (mean of 2)", "maddpg-good_agent_1 (mean of 2)"],
    );
    assert.deepEqual(smooth[0].x, [0, 1, 2, 3, null, 4, 5, 6, 7]);
    // trajectory 0: 0,1,2,3 -> 0,.5,1.5,2.5 ; trajectory 1 restarts: 10,11,12,13 -> 10,10.5,11.5,12.5
    assert.deepEqual(smooth[0].y, [0, 0.5, 1.5, 2.5, null, 10, 10.5, 11.5, 12.5]);
    assert.equal((fig.layout.shapes as unknown[]).length, 1, "one separator: before trajectory 1");
  });

  it("opponent-model accuracy: one point per trajectory (mean of its windows), the baselines on the same steps, and the chance line", () => {
    const fig = plot.omAccuracy(syntheticRuns(), { show: false });
    const [c0, c1, persistence, majority, cloning, chance] = fig.data;
    assert.equal(persistence.name, "persistence (previous action)");
    assert.deepEqual(persistence.x, [0, 1]);
    assert.ok((persistence.y as number[]).every((v) => Math.abs(v - 0.35) < 1e-12));
    assert.equal(majority.name, "window majority (hindsight)");
    assert.ok(Math.abs((majority.y as number[])[1] - 0.35) < 1e-12);
    assert.equal(cloning.name, "behaviour cloning (MLP on o_t)");
    assert.ok(Math.abs((cloning.y as number[])[1] - 0.38) < 1e-12);
    assert.equal(plot.omAccuracy(syntheticRuns(), { show: false, baselines: false }).data.length, 3, "baselines: false");
    assert.equal(c0.name, "cycle 0");
    assert.deepEqual(c0.x, [0]);
    assert.ok(Math.abs((c0.y as number[])[0] - 0.3) < 1e-12);
    assert.ok(Math.abs((c1.y as number[])[0] - 0.4) < 1e-12);
    assert.equal(chance.name, "chance (0.20)");
    assert.deepEqual(chance.y, [0.2, 0.2]);
    // bars: the middle half of the windows (0.1, 0.3, 0.5 -> quartiles 0.2 and 0.4 around 0.3)
    const bars = c0.error_y as { array: number[]; arrayminus: number[] };
    assert.ok(Math.abs(bars.array[0] - 0.1) < 1e-12 && Math.abs(bars.arrayminus[0] - 0.1) < 1e-12);
    const within = plot.omAccuracy(syntheticRuns(), { show: false, by: "step", chance: null });
    assert.deepEqual(
      within.data.map((t) => t.x),
      [
        [0, 100, 200],
        [0, 100, 200],
      ],
    );
  });

  it("opponent-model training: accuracy and loss per cycle on two axes", () => {
    const fig = plot.omTraining(syntheticRuns(), { show: false, window: 1 });
    assert.deepEqual(
      fig.data.map((t) => t.name),
      ["accuracy, cycle 0", "loss, cycle 0"],
    );
    assert.equal(fig.data[1].yaxis, "y2");
    assert.deepEqual(fig.data[0].x, [1, 2, 3, 4, 5, 6]);
  });

  it("say clearly when a run has nothing to plot", () => {
    const empty = MetricsLog.fromRows([]);
    assert.throws(() => plot.omAccuracy(empty, { show: false }), /no opponent-model accuracy in this run/);
    assert.throws(() => plot.omTraining(empty, { show: false }), /no opponent model training|no opponent-model training/);
    assert.throws(() => plot.learningCurves(empty, { show: false }), /no "episode_reward" rows/);
    assert.throws(() => metricsOf("/no/such/run"), /no such run directory/);
  });

  it("accept arquero tables and row arrays as well as logs", () => {
    const log = syntheticRuns();
    const a = plot.learningCurves(log, { show: false, window: 3 });
    const b = plot.learningCurves(log.table(), { show: false, window: 3 });
    const c = plot.learningCurves(log.rows, { show: false, window: 3 });
    assert.deepEqual(b.data, a.data);
    assert.deepEqual(c.data, a.data);
  });

  it("are shown and not returned by default, returned and not shown with show: false", () => {
    shown = [];
    assert.equal(plot.learningCurves(syntheticRuns()), undefined);
    assert.equal(shown.filter((s) => /data-lemol-figure/.test(s.bundle["text/html"] as string)).length, 1);
    shown = [];
    assert.ok(plot.omTraining(syntheticRuns(), { show: false }) instanceof Figure);
    assert.equal(shown.length, 0);
  });

  it("quantiles interpolate between order statistics (numpy's default)", () => {
    assert.equal(quantile([4, 1, 3, 2], 0.25), 1.75);
    assert.equal(quantile([1, 2, 3], 0.5), 2);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it("rolling mean is a trailing mean, shorter at the start", () => {
    assert.deepEqual(rollingMean([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5]);
    assert.deepEqual(rollingMean([5], 10), [5]);
  });
});

describe("tables", () => {
  it("show() renders HTML (no script) and text, saying how many rows are hidden", () => {
    shown = [];
    show(aq.table({ a: [1, 2, 3], b: ["x", "<y>", "z"] }), { limit: 2, title: "T" });
    assert.equal(shown.length, 1);
    const html = shown[0].bundle["text/html"] as string;
    assert.match(html, /<table class="lemol-table"><caption[^>]*>T<\/caption>/);
    assert.match(html, /&lt;y&gt;/);
    assert.doesNotMatch(html, /<script/);
    assert.match(html, /1 more rows \(3 in all\)/);
    assert.equal(shown[0].bundle["text/plain"], "T\na  b\n-  ---\n1  x\n2  <y>\n… 1 more rows (3 in all)");
  });

  it("summarise(): final rewards over the last episodes of each trajectory, accuracy per cycle against the baselines", () => {
    shown = [];
    assert.equal(summarise(syntheticRuns(), { window: 2 }), undefined, "shown, not returned (a cell would print it again)");
    assert.equal(shown.length, 2, "two tables shown");
    shown = [];
    const s = summarise(syntheticRuns(), { window: 2, show: false });
    assert.equal(shown.length, 0);
    const rewards = s.rewards.objects() as Record<string, number | string>[];
    // agent A: trajectory 0 last two: 2,3 -> 2.5; trajectory 1: 12,13 -> 12.5; mean 7.5
    assert.equal(rewards[0].agent, "lemol-bad_agent_0");
    assert.equal(rewards[0].final_reward, 7.5);
    assert.equal(rewards[0].episodes, 8);
    assert.equal(rewards[1].final_reward, -7.5);
    const acc = s.accuracy.objects() as Record<string, unknown>[];
    assert.equal(acc.length, 2);
    assert.ok(Math.abs((acc[1].accuracy as number) - 0.4) < 1e-12);
    // the OM against the best baseline on the same steps: cycle 0 0.3 vs persistence 0.35; cycle 1
    // 0.4 vs behaviour cloning 0.38
    assert.ok(Math.abs((acc[0].persistence as number) - 0.35) < 1e-12);
    assert.ok(Math.abs((acc[0].om_minus_best_baseline as number) - -0.05) < 1e-12);
    assert.ok(Math.abs((acc[1].window_majority as number) - 0.35) < 1e-12);
    assert.ok(Math.abs((acc[1].behaviour_cloning as number) - 0.38) < 1e-12);
    assert.ok(Math.abs((acc[1].om_minus_best_baseline as number) - 0.02) < 1e-12);
    assert.equal(acc[0].om_trained_before, false);
    assert.equal(acc[1].om_trained_before, true, "cycle 0's OM training precedes cycle 1");
    assert.match(inspect(s), /final rewards/);
    // the default window (100) is longer than these 4-episode trajectories: the title says what was averaged
    shown = [];
    summarise(syntheticRuns());
    assert.match(shown[0].bundle["text/html"] as string, /mean of the last 4 episodes of each trajectory/);
  });

  it("summarise(): rows without episode numbers, or numbered out of order, count one episode each", () => {
    const reward = (episode: number | null, value: number): MetricRow => ({
      ...base,
      cycle: 0,
      trajectory: 0,
      episode,
      agent: "a",
      metric: "episode_reward",
      value,
    });
    const rewardsOf = (rows: MetricRow[]) =>
      (summarise(MetricsLog.fromRows(rows), { window: 2, show: false }).rewards.objects() as Record<string, number>[])[0];
    // unnumbered: the last two rows; numbered twice over (a log joined by hand): rows as they come
    for (const rows of [[1, 2, 3, 4].map((v) => reward(null, v)), [0, 1, 0, 1].map((e, k) => reward(e, k + 1))]) {
      const r = rewardsOf(rows);
      assert.deepEqual([r.episodes, r.final_reward, r.mean_reward], [4, 3.5, 2.5]);
    }
    // numbered in order, with gaps (a binned copy): a row stands for the episodes since the last
    const r = rewardsOf([reward(1, 1), reward(3, 3), reward(5, 5)]);
    assert.deepEqual([r.episodes, r.final_reward, r.mean_reward], [6, 5, 3]);
  });
});

describe("animations", () => {
  it("record an episode's frames and show them with play/pause", () => {
    shown = [];
    const env = makeEnv("simple_push", { seed: 3 });
    const ep = recordEpisode(env, undefined, { steps: 5, seed: 1 });
    assert.equal(ep.frames.length, 6);
    assert.equal(ep.rewards.length, 5);
    assert.ok(ep.totals.every((v, a) => Math.abs(v - ep.rewards.reduce((s, r) => s + r[a], 0)) < 1e-12));
    const again = recordEpisode(makeEnv("simple_push", { seed: 3 }), undefined, { steps: 5, seed: 1 });
    assert.deepEqual(again.rewards, ep.rewards, "same seeds, same episode");
    animate(ep, { fps: 5 });
    const html = shown[0].bundle["text/html"] as string;
    assert.match(html, /class="play"/);
    assert.match(html, /<svg/);
    assert.match(shown[0].bundle["text/plain"] as string, /^<Episode simple_push: 5 steps/);
    assert.throws(() => recordEpisode(env, undefined, { steps: 0 }), /steps must be a positive integer/);
  });
});

describe("live progress", () => {
  /** One 40-episode trajectory and its OM training, progress shown live in the (fake) cell. */
  const liveExperiment = () =>
    Experiment.create(
      { ...REDUCED, num_episodes: 40, n_opp_cycles: 1, traj_per_iter: 1, run_dir: tmpRun() },
      { print: null, progress: new LiveProgress({ intervalMs: 0 }), interrupts: null },
    );

  it("updates one output in place during a run call and ends with how it went", async () => {
    shown = [];
    const exp = await liveExperiment();
    await exp.runTrajectory();
    assert.ok(shown.length >= 40, `one update per episode at least (got ${shown.length})`);
    const ids = new Set(shown.map((s) => s.id));
    assert.equal(ids.size, 1, "always the same output");
    assert.equal(shown[0].update, false);
    assert.ok(shown.slice(1).every((s) => s.update));
    const middle = shown[Math.floor(shown.length / 2)].bundle["text/plain"] as string;
    assert.match(middle, /^runTrajectory \d+% · cycle 0 \(of 1\) · trajectory 0 \(of 1, lemol_vs_maddpg\) · episode \d+\/40 · [\d,]+ steps\/s · ETA /);
    const last = shown[shown.length - 1].bundle;
    assert.match(last["text/plain"] as string, /^runTrajectory: done in /);
    assert.match(last["text/html"] as string, /width:100%/);
    shown = [];
    await exp.trainOpponentModel();
    assert.match(shown[shown.length - 1].bundle["text/plain"] as string, /^trainOpponentModel: done in .* opponent-model training of cycle 0 · pass 2\/2/);
    exp.dispose();
  });

  it("does not read 100% before a cycle's opponent-model training has run", async () => {
    shown = [];
    const exp = await liveExperiment();
    await exp.runCycle();
    const texts = shown.map((s) => s.bundle["text/plain"] as string);
    const omStart = texts.findIndex((t) => /opponent-model training of cycle 0/.test(t));
    assert.ok(omStart > 0, "the OM training shows");
    assert.ok(
      texts.slice(0, omStart).every((t) => !/^runCycle 100%/.test(t)),
      "the episodes done are not the whole call",
    );
    assert.match(texts[omStart], /^runCycle \d+% · opponent-model training of cycle 0 · pass 1\/\d+ · chunk 1\//);
    exp.dispose();
  });

  it("shows one output per cell however many calls it makes, counting them; progress: false shows none", async () => {
    let cell = "A";
    const exp = await Experiment.create(
      { ...REDUCED, num_episodes: 40, n_opp_cycles: 1, traj_per_iter: 1, run_dir: tmpRun() },
      { print: null, progress: new LiveProgress({ intervalMs: 0, cell: () => cell }), interrupts: null },
    );
    shown = [];
    for (let i = 0; i < 5; i++) await exp.runEpisode();
    assert.equal(new Set(shown.map((s) => s.id)).size, 1, "a loop of 5 calls: one output");
    assert.equal(shown.filter((s) => !s.update).length, 1);
    assert.ok(shown.some((s) => /^runEpisode \(call 5 of this cell\) \d+% · /.test(s.bundle["text/plain"] as string)));
    cell = "B";
    await exp.runEpisode();
    assert.equal(new Set(shown.map((s) => s.id)).size, 2, "the next cell: its own output");
    const before = shown.length;
    await exp.runEpisode({ progress: false });
    assert.equal(shown.length, before, "progress: false: nothing shown");
    assert.equal(exp.lastCall?.outcome, "done");
    exp.dispose();
  });

  it("run()'s bar covers the opponent-model training, with an ETA, and never goes back", async () => {
    shown = [];
    const exp = await Experiment.create(
      { ...REDUCED, num_episodes: 40, n_opp_cycles: 2, traj_per_iter: 1, run_dir: tmpRun() },
      { print: null, progress: new LiveProgress({ intervalMs: 0 }), interrupts: null },
    );
    await exp.run();
    const texts = shown.map((s) => s.bundle["text/plain"] as string);
    const om = texts.filter((t) => /^run \d+% · opponent-model training of cycle 1 /.test(t));
    assert.ok(om.length > 0, "the second cycle's OM training shows in run()'s bar");
    assert.ok(
      om.every((t) => / · ETA /.test(t)),
      om[0],
    );
    assert.ok(
      texts.some((t) => /^run \d+% · cycle 1 .* · ETA [^+]*$/.test(t)),
      "in the second cycle the ETA includes the OM training measured in the first (no '+ OM training')",
    );
    const pcts = texts.flatMap((t) => /^run (\d+)% /.exec(t)?.slice(1).map(Number) ?? []);
    const firstOM = texts.findIndex((t) => /^run \d+% · opponent-model training of cycle 0/.test(t));
    const beforeOM = Number(/^run (\d+)% /.exec(texts[firstOM - 1])?.[1]);
    const atOM = Number(/^run (\d+)% /.exec(texts[firstOM])?.[1]);
    assert.ok(atOM >= beforeOM - 5, `no drop to 0 % when OM training starts (${beforeOM} -> ${atOM})`);
    assert.ok(pcts[pcts.length - 1] >= 90, `ends near full (${pcts.slice(-3)})`);
    exp.dispose();
  });

  it("shows a line per worker when a cycle's trajectories run in parallel (exp.runCycle({ workers: 2 }))", async () => {
    shown = [];
    const exp = await Experiment.create(
      { ...REDUCED, num_episodes: 40, n_opp_cycles: 1, traj_per_iter: 2, parallel_trajectories: true, run_dir: tmpRun() },
      { print: null, progress: new LiveProgress({ intervalMs: 0 }), interrupts: null },
    );
    await exp.runCycle({ workers: 2 });
    const texts = shown.map((s) => s.bundle["text/plain"] as string);
    assert.ok(
      texts.some((t) => /worker 0: trajectory \d \(of 2, .*\) · episode \d+\/40/.test(t)),
      "worker 0's line",
    );
    assert.ok(
      texts.some((t) => /worker 1: trajectory \d \(of 2/.test(t)),
      "worker 1's line",
    );
    assert.match(texts[texts.length - 1], /^runCycle: done in /);
    assert.equal(exp.phase, "done");
    await assert.rejects(() => exp.runCycle({ workers: 0 }), /workers: expected a positive integer/);
    exp.dispose();
  });

  it("formats durations", () => {
    assert.equal(formatDuration(3.21), "3.2 s");
    assert.equal(formatDuration(187), "3m 07s");
    assert.equal(formatDuration(7322), "2h 02m");
    assert.equal(formatDuration(NaN), "?");
  });

  it("display handles keep their id across updates", () => {
    shown = [];
    const h = new DisplayHandle();
    h.update({ "text/plain": "a" });
    h.update({ "text/plain": "b" });
    assert.deepEqual(
      shown.map((s) => [s.id, s.update]),
      [
        [h.id, false],
        [h.id, true],
      ],
    );
  });
});

describe("notebook sizes", () => {
  it("come from LEMOL_NOTEBOOK_SIZE, else the notebook's default, and unknown sizes are refused", () => {
    const saved = process.env.LEMOL_NOTEBOOK_SIZE;
    try {
      const sizes = { small: 1, medium: 2, full: 3 };
      delete process.env.LEMOL_NOTEBOOK_SIZE;
      assert.deepEqual(sizedOptions(sizes), { size: "medium", options: 2 });
      assert.deepEqual(sizedOptions(sizes, "full"), { size: "full", options: 3 });
      process.env.LEMOL_NOTEBOOK_SIZE = "small";
      assert.deepEqual(sizedOptions(sizes), { size: "small", options: 1 });
      process.env.LEMOL_NOTEBOOK_SIZE = "huge";
      assert.throws(() => sizedOptions(sizes), /LEMOL_NOTEBOOK_SIZE must be one of small, medium, full \(got "huge"\)/);
    } finally {
      if (saved === undefined) delete process.env.LEMOL_NOTEBOOK_SIZE;
      else process.env.LEMOL_NOTEBOOK_SIZE = saved;
    }
  });
});

describe("sweep results in a notebook", () => {
  it("loads a sweep's finished runs into one table and plots a metric per configuration, mean ± std across seeds", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-nbsweep-"));
    const spec = parseSweepSpec(
      {
        name: "nb",
        results: "results",
        base: { ...REDUCED, num_episodes: 40, n_opp_cycles: 2, traj_per_iter: 1 },
        grid: { good_policy: ["maddpg", "ddpg"] },
        seeds: [1, 2],
      },
      dir,
    );
    const jobs = expandSweep(spec);
    for (const job of jobs.slice(0, 3)) await runSweepJob(job); // the fourth is still to run
    const sweep = loadSweep(spec.results);
    assert.deepEqual(sweep.varied, ["good_policy"]);
    assert.equal(sweep.runs, 3);
    assert.equal(sweep.finished, 3);
    const t = sweep.table;
    assert.ok(t.columnNames().includes("run") && t.columnNames().includes("seed") && t.columnNames().includes("good_policy"));
    assert.deepEqual(t.groupby("run").count().numRows(), 3);
    const fig = plot.sweep(sweep, { metric: "om_accuracy_in_play", show: false });
    assert.equal(fig.data.length, 2, "one line per configuration");
    const maddpg = fig.data.find((d) => String(d.name).startsWith('good_policy="maddpg"'))!;
    assert.match(String(maddpg.name), /\(2 seeds\)/);
    assert.equal((maddpg.x as number[]).length, 2, "one point per trajectory");
    // the point is the mean over seeds of each run's mean per trajectory, the bar their std
    const perRun = (run: string, traj: number) => {
      const v = (t.objects() as Record<string, unknown>[])
        .filter((r) => r.run === run && r.metric === "om_accuracy_in_play" && r.trajectory === traj)
        .map((r) => Number(r.value));
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    const a = perRun("r000-s1", 0),
      b = perRun("r000-s2", 0);
    assert.ok(Math.abs((maddpg.y as number[])[0] - (a + b) / 2) < 1e-12);
    assert.ok(Math.abs((maddpg.error_y as { array: number[] }).array[0] - Math.abs(a - b) / Math.SQRT2) < 1e-12);
    const ddpg = fig.data.find((d) => String(d.name).startsWith('good_policy="ddpg"'))!;
    assert.match(String(ddpg.name), /\(1 seed\)/);
    assert.throws(() => plot.sweep(sweep, { metric: "nope", show: false }), /no "nope" rows/);
  });
});
