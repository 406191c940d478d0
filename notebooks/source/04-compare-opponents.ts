// %% [markdown]
// # 04 · LeMOL against different opponents
//
// Does modelling the opponent's learning help, and against whom? This notebook pits two
// adversaries against the same two kinds of good agent on `simple_push`:
//
// - **LeMOL** (MADDPG + the learning-aware opponent model), and
// - plain **MADDPG** as the baseline adversary,
//
// each facing **MADDPG** and **M3DDPG** opponents (`mmmaddpg`: MADDPG trained against worst-case
// perturbations of the other agents' actions, Li et al. 2019). A `_`-separated policy list makes
// the experiment alternate opponents, as the original `train.py` does.
//
// Results first from the recorded run in `data/` (LeMOL vs MADDPG), then fresh runs.
//
// **Size:** `LEMOL_NOTEBOOK_SIZE` = `small` (seconds, for CI), `medium` (a few minutes) or `full`
// (the original's defaults: many hours).
//
// **Plots** are live (zoom, hover) where the notebook's scripts run, and each carries a static
// image for where they do not: an untrusted copy, GitHub, an HTML export read with JavaScript off.
// A notebook you received opens untrusted; to get live plots, trust it (File ▸ Trust Notebook, or
// `python3 -m nbformat.sign NOTEBOOK.ipynb`) and run it (plotly.js comes with the run, not the file).

// %%
import { sizedOptions, LEMOL_SIZES } from "lemol";
const { size: SIZE, options } = sizedOptions(LEMOL_SIZES);
// one trajectory per opponent and two cycles (three opponents to compare), except at full size
const sized = SIZE === "full" ? options : { ...options, n_opp_cycles: 2, traj_per_iter: 1 };
console.log(`size ${SIZE}:`, sized);

// %%
import { Experiment, loadRun, plot, summarise, show } from "lemol";

// %% [markdown]
// ## The recorded run (LeMOL vs MADDPG)

// %%
const example = loadRun("../data/example-run");
summarise(example);

// %% [markdown]
// ## At full scale (LeMOL vs MADDPG, the later release's defaults)
//
// `data/full-head`: a binned copy of the full run notebook 03 describes (10 cycles × 3
// trajectories × 11,024 episodes; see docs/experiments.md, "The full-scale runs"). Each point of
// the curves is the mean of 100 episodes; the final rewards are the last 100 episodes' of each
// trajectory, as for any run.

// %%
const full = loadRun("../data/full-head");
summarise(full);
plot.learningCurves(full, { window: 1, raw: false, title: "full scale: episode reward (means of 100 episodes)" });

// %% [markdown]
// ## LeMOL and MADDPG adversaries against MADDPG and M3DDPG opponents

// %% {"timeout": 36000}
const opponents = "maddpg_mmmaddpg";
const lemolRun = await Experiment.create({ exp_name: "lemol-vs-opponents", bad_policy: "lemol", good_policy: opponents, seed: 4, ...sized }, { print: null });
await lemolRun.run();
lemolRun;

// %% [markdown]
// **Equal budgets.** LeMOL's experiment runs in cycles: `n_opp_cycles` × `traj_per_iter`
// trajectories against each opponent, with opponent-model training between cycles. A run without
// LeMOL has no opponent model to train, so it is one cycle; to give the baseline as many
// trajectories (whole learning runs of a fresh opponent, each `num_episodes` long) against each
// opponent, its `traj_per_iter` is LeMOL's `n_opp_cycles × traj_per_iter`. Both adversaries then
// play the same number of episodes against the same opponents; the difference is what LeMOL's
// model learned between its cycles.

// %% {"timeout": 36000}
const lemolTrajectories = lemolRun.config.n_opp_cycles * lemolRun.config.traj_per_iter;
const baselineRun = await Experiment.create(
  { exp_name: "maddpg-vs-opponents", bad_policy: "maddpg", good_policy: opponents, seed: 4, ...sized, traj_per_iter: lemolTrajectories },
  { print: null },
);
await baselineRun.run();
console.log(`trajectories played: LeMOL ${lemolRun.totalTrajectories}, MADDPG ${baselineRun.totalTrajectories}`);
baselineRun;

// %% [markdown]
// ## Comparison
//
// Final rewards: per adversary and opponent, the mean episode reward over the last 100 episodes of
// each trajectory (averaged over trajectories: the `trajectories` column shows both adversaries
// had the same number). Higher is better for the adversary.

// %%
const runs = { "LeMOL adversary": lemolRun, "MADDPG adversary": baselineRun };
const comparison = Object.entries(runs).flatMap(([label, run]) =>
  (summarise(run, { show: false }).rewards.objects() as Record<string, any>[])
    .filter((r) => String(r.agent).includes("bad"))
    .map((r) => ({ adversary: label, opponent: r.opponent, trajectories: r.trajectories, final_reward: r.final_reward, mean_reward: r.mean_reward })),
);
show(comparison, { title: "adversary rewards by opponent" });

// %%
plot.compare(runs, { agent: "bad", title: "adversary's episode reward (rolling mean)" });

// %% [markdown]
// The opponent model's accuracy in play, per opponent type: is one kind of learner easier to read?

// %%
plot.omAccuracy(lemolRun, { groupBy: "opponent" });
summarise(lemolRun);
