// %% [markdown]
// # 07 · The LeMOL paper's two claims, tested
//
// The LeMOL paper (Davies, Tian, Wang, 2020) claims, on the two-player KeepAway game `simple_push`
// (LeMOL defends, `bad_agent_0`; the attacker `good_agent_1` is a learning MADDPG agent, fresh in
// every trajectory):
//
// 1. its structured opponent model is **more accurate and more stable** than naive behaviour
//    cloning;
// 2. opponent modelling **improves the agent's reward**.
//
// lemol tests both in a study **pre-registered before its runs** (`docs/study.md` in the lemol
// repository: outside the notebook server's folder, so not a link): five defenders against a
// MADDPG attacker — a MADDPG defender (`maddpg`, the control), LeMOL-EP (`lemol-ep`), LeMOL-EP
// without its model of learning (`lemol-ep-ablated`), LeMOL-EP fed the attacker's true action
// (`lemol-ep-oracle`) and the initial release's per-step LeMOL (`lemol-init`) — 4 cycles of 3
// full-length trajectories each, seeds 1–10 planned (5 at least), every run made by one code
// version (the tag `study-v1`, commit `19a4f5c`). The hypotheses, the statistics and the decision
// rule were fixed in that file before the first run:
//
// - **H1a** in-play OM accuracy minus each baseline's on the same steps > 0 (persistence, window
//   majority, BC-MLP on o_t, BC on [o_t ‖ a_{t−1}], online BC on the opponent's recent steps);
//   **H1b** each BC baseline's instability minus the OM's > 0 (the within-trajectory standard
//   deviation of window accuracy, and the drop after the opponent change); **H1c** LeMOL-EP's
//   accuracy minus the ablated model's > 0.
// - **H2a** LeMOL-EP's final reward minus the MADDPG defender's > 0 (claim 2's verdict); **H2b**
//   minus the ablated LeMOL-EP's; **H2c** the oracle's minus LeMOL-EP's ≥ 0 (a sanity check).
//
// One number per run (the last cycle; rewards over each trajectory's last 1,000 episodes), per-seed
// differences, a 95 % percentile bootstrap interval of their mean (2,000 resamples, resampler seed
// 0). **Supported**: the interval's lower end is above 0; **not supported**: it is not, and its
// upper end is below the smallest difference the seeds run could detect (power 0.8); otherwise
// **inconclusive at this power**. Below **5 paired seeds** a hypothesis gets **no verdict** ("too
// few seeds"): a bootstrap over 2–4 values is far too narrow to decide on.
//
// Everything below comes from `data/study`, the shipped copy of the runs finished when it was
// made (`npm run study:data`; it is re-made as the study's runs arrive), decided by the library's
// `analyseStudy` — the same code as `npm run bench -- study`. The last section re-runs one seed
// of one condition cell by cell.
//
// **Size:** `LEMOL_NOTEBOOK_SIZE` sets only that re-run: `small` (seconds), `medium` (the default,
// about a minute) or `full` (the study's own scale: about 1.5 h on 2 cores).
//
// **Plots** are live (zoom, hover) where the notebook's scripts run, and each carries a static
// image for where they do not: an untrusted copy, GitHub, an HTML export read with JavaScript off.
// A notebook you received opens untrusted; to get live plots, trust it (File ▸ Trust Notebook, or
// `python3 -m nbformat.sign NOTEBOOK.ipynb`) and run it (plotly.js comes with the run, not the file).

// %%
import { analyseStudy, loadRuns, loadStudyData, plot, show, STUDY_PLAN, StudyTest } from "lemol";
const study = loadStudyData("../data/study");
const result = analyseStudy(study.runs);
console.log(`data/study made ${study.made.slice(0, 10)} from ${study.runs.length} finished runs; code version ${study.code_versions.join(", ")}`);
console.log(`planned: ${study.planned.conditions.length} conditions x seeds ${study.planned.seeds.join(", ")}`);
show(
  study.planned.conditions.map((condition) => {
    const seeds = study.seeds_per_condition[condition] ?? [];
    return { condition, finished_seeds: seeds.length, seeds: seeds.join(", "), of_planned: study.planned.seeds.length };
  }),
  { title: "finished runs in data/study, per condition" },
);

// %% [markdown]
// ## How many seeds each comparison has, and the verdicts
//
// A comparison of two conditions uses the seeds **both** finished (paired by seed: the same seed
// gives both the same environment and attacker streams); H1a and H1b are differences within a run.
// The verdicts are `analyseStudy`'s, by the rule above; below 5 paired seeds there is none.

// %%
const seedWords = (t: StudyTest) =>
  t.seeds.length === 0 ? "no seeds yet" : `${t.seeds.length} seed${t.seeds.length === 1 ? "" : "s"} (${t.seeds.join(", ")})`;
const verdictWords = (t: StudyTest) => (t.verdict === "too few seeds" ? `no verdict: fewer than the plan's ${STUDY_PLAN.minSeeds} paired seeds` : t.verdict);
const allTests = [...result.claim1.h1a, ...result.claim1.h1b, result.h1c, result.claim2.h2a, result.claim2.h2b, result.claim2.h2c];
show(
  allTests.map((t) => ({
    test: t.id,
    seeds: seedWords(t),
    mean_difference: t.mean_difference ? +t.mean_difference.estimate.toFixed(4) : null,
    ci_low: t.mean_difference ? +t.mean_difference.low.toFixed(4) : null,
    ci_high: t.mean_difference ? +t.mean_difference.high.toFixed(4) : null,
    smallest_detectable: t.smallest_detectable === null ? null : +t.smallest_detectable.toFixed(3),
    verdict: verdictWords(t),
  })),
  { title: "every test of docs/study.md on data/study" },
);
console.log(`claim 1 (the OM beats naive behaviour cloning): ${result.claim1.verdict} (${result.claim1.rule})`);
console.log(`claim 2 (opponent modelling improves the reward): ${result.claim2.verdict} (${result.claim2.rule})`);

// %% [markdown]
// ## Claim 1: the opponent model against naive behaviour cloning
//
// **H1a**: LeMOL-EP's in-play OM accuracy minus each baseline's, on the same steps of the last
// cycle. Each dot is one seed's difference; where a test has 5 seeds or more, the diamond is the
// mean difference with its bootstrap interval and the tick the smallest difference the seeds run
// could detect. Left of the zero line the baseline is ahead.

// %%
plot.studyTests(result.claim1.h1a, { title: "H1a: OM accuracy minus each baseline's (LeMOL-EP, last cycle)", xTitle: "accuracy difference" });

// %% [markdown]
// **H1b**: stability, the baseline's minus the OM's (positive: the OM is the more stable), for the
// within-trajectory standard deviation of window accuracy (`sd`) and the drop after the opponent
// change (`drop`). The plan fixed no effect size for stability, so these say "supported" or "not
// supported" only. **H1c**: LeMOL-EP's accuracy minus the ablated model's, paired by seed.

// %%
plot.studyTests([...result.claim1.h1b, result.h1c], { title: "H1b: instability, baseline minus OM · H1c: LeMOL-EP minus ablated", xTitle: "difference" });

// %% [markdown]
// In-play accuracy per cycle across seeds, from the binned copies in `data/study/binned` (means of
// 250 logging windows; the tests above use the exact per-cycle means in `data/study/study.json`):
// the line is the IQM across seeds with its bootstrap band (one seed: the seed itself), dashed
// lines LeMOL-EP's baselines on the same steps. Cycle 0 plays with an untrained model.

// %%
const binned = loadRuns("../data/study/binned");
const withOM = binned.filter((r) => r.options.bad_policy === "lemol");
plot.omAccuracy(
  withOM.filter((r) => r.options.exp_name === "lemol-ep"),
  { condition: ["exp_name"], title: "LeMOL-EP: OM accuracy in play and the baselines on the same steps" },
);
plot.omAccuracy(withOM, { condition: ["exp_name"], baselines: false, title: "OM accuracy in play, per condition" });

// %% [markdown]
// ## Claim 2: does opponent modelling improve the defender's reward?
//
// **H2a** (claim 2's verdict): LeMOL-EP's final reward minus the MADDPG defender's, paired by seed —
// the control plays the same 4 × 3 trajectories with the same Adam carry-over, so what differs is
// the opponent model. **H2b**: minus the ablated LeMOL-EP's (the gain credited to the model of
// learning). **H2c**: the oracle's minus LeMOL-EP's (headroom, a sanity check).

// %%
plot.studyTests([result.claim2.h2a, result.claim2.h2b, result.claim2.h2c], {
  title: "H2: differences in the defender's final reward (last 1,000 episodes of each trajectory, last cycle)",
  xTitle: "reward difference",
});

// %% [markdown]
// The defender's and the attacker's episode reward over the run's 12 trajectories (blocks of
// 1,000 episodes from the binned copies), IQM across seeds with its band, per condition.

// %%
plot.learningCurves(binned, { condition: ["exp_name"], agents: ["bad_agent_0"], window: 1, title: "the defender's episode reward" });
plot.learningCurves(binned, { condition: ["exp_name"], agents: ["good_agent_1"], window: 1, title: "the attacker's episode reward" });

// %% [markdown]
// The secondary arm, the initial release's per-step LeMOL (`lemol-init`), on the same tests:

// %%
const secondary = [...result.secondary.h1a, result.secondary.h2a];
if (secondary.some((t) => t.seeds.length > 0)) plot.studyTests(secondary, { title: "secondary: the per-step LeMOL (lemol-init)", xTitle: "difference" });
else console.log("no finished lemol-init run in data/study yet: nothing to draw");

// %% [markdown]
// ## Re-running one seed of one condition, cell by cell
//
// The run below takes the study's own options for one condition and seed — from the study's sweep
// file, `bench/study/sweep-1.json`: `simple_push`, a MADDPG attacker, the later release's
// defaults (`revision head`: an update every 25 steps), parallel trajectories, and the condition's
// own options (LeMOL-EP: `block_processing`) — and replaces only the **scale** by the notebook
// size's: episodes per trajectory, cycles, trajectories per cycle, batch size, layer widths and
// the opponent model's training (passes, chunk length). `small`: 2 cycles × 2 trajectories × 80
// episodes (seconds); `medium`: 3 × 3 × 400 episodes (about a minute); `full`: nothing replaced,
// the study's 4 cycles × 3 trajectories × 11,024 episodes (about 1.5 h on 2 cores). Below full size
// its numbers are not the study's: too short for the opponent model to learn much. At full size it
// repeats the study's run of that seed with this checkout's code, which is not `study-v1`'s, so its
// numbers may differ.

// %%
import { Experiment, ExperimentOptions, expandSweep, loadSweepSpec, sizedOptions, studyRunOf } from "lemol";
const CONDITION = "lemol-ep";
const SEED = 1;
const { size: SIZE, options: scale } = sizedOptions<ExperimentOptions>({
  small: {
    num_episodes: 80,
    batch_size: 32,
    num_units: 32,
    lstm_hidden_dim: 16,
    n_opp_cycles: 2,
    traj_per_iter: 2,
    om_training_iters: 2,
    chunk_length: 16,
    save_rate: 40,
  },
  medium: { num_episodes: 400, batch_size: 64, lstm_hidden_dim: 32, n_opp_cycles: 3, traj_per_iter: 3, om_training_iters: 3, chunk_length: 32, save_rate: 200 },
  full: {},
});
const job = expandSweep(loadSweepSpec("../bench/study/sweep-1.json")).find((j) => j.options.exp_name === CONDITION && j.seed === SEED)!;
const studyOptions = { ...job.options };
delete studyOptions.run_dir; // the sweep's results directory: this run writes its own, runs/<exp_name>-<time>
const options = { ...studyOptions, ...scale } as ExperimentOptions;
console.log(`size ${SIZE}: the study's options`, studyOptions, "with the scale", scale);

// %%
const exp = await Experiment.create(options, { print: null });
exp;

// %% [markdown]
// One trajectory of cycle 0: the opponent model is untrained, so its accuracy is near chance.

// %% {"timeout": 7200}
await exp.runTrajectory();
exp;

// %% [markdown]
// The rest of cycle 0, then the opponent model trains on the cycle's saved trajectories.

// %% {"timeout": 7200}
while (exp.phase === "play") await exp.runTrajectory();
const passes = await exp.trainOpponentModel();
show(
  passes.map((p, i) => ({ pass: i + 1, ...p })),
  { title: "opponent-model training passes" },
);

// %% [markdown]
// The remaining cycles, each a training of the model after its trajectories.

// %% {"timeout": 36000}
await exp.run();
exp;

// %% [markdown]
// The re-run's numbers, read exactly as the study reads a run (`studyRunOf`), beside the shipped
// run of the same condition and seed (at the study's scale).

// %%
const rerun = studyRunOf(loadRuns(exp)[0]);
const shipped = study.runs.find((r) => r.condition === CONDITION && r.seed === SEED);
const rowsOf = (label: string, r: typeof rerun) =>
  r.cycles.map((c) => ({
    run: label,
    cycle: c.cycle,
    om_accuracy: c.accuracy ? +c.accuracy.om_accuracy_in_play.toFixed(4) : null,
    best_baseline: c.accuracy
      ? +Math.max(
          ...Object.entries(c.accuracy)
            .filter(([k]) => k.startsWith("om_baseline_"))
            .map(([, v]) => v),
        ).toFixed(4)
      : null,
    defender_reward: +c.reward.toFixed(3),
    attacker_reward: +c.attacker_reward.toFixed(3),
  }));
show([...rowsOf(`re-run (${SIZE})`, rerun), ...(shipped ? rowsOf("data/study", shipped) : [])], {
  title: `${CONDITION}, seed ${SEED}: per cycle`,
});
plot.omAccuracy(exp);
plot.learningCurves(exp);
