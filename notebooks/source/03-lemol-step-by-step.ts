// %% [markdown]
// # 03 · LeMOL, step by step
//
// **LeMOL** ("Learning to Model Opponent Learning", Davies et al., 2020) is a MADDPG agent with an
// opponent model that watches the opponent *learn*. Its slow LSTM reads, every
// `agent_update_freq` steps, the recent events `e = [opponent action ‖ own observation ‖ own
// action ‖ reward ‖ done]`; its state is a summary of where the opponent is in its learning, and
// a small network turns it (with LeMOL's observation) into `m`, a prediction of the opponent's
// next action. `m` is an input to LeMOL's actor and critic.
//
// The experiment runs in **cycles**: LeMOL plays `traj_per_iter` trajectories, each a whole
// learning run of a fresh opponent (new weights, empty buffers); every trajectory's experience is
// saved; then the opponent model trains on those files with truncated back-propagation through
// time. Across cycles the model should predict better and better — *in play*, on new opponents.
//
// This notebook first looks at a recorded run shipped in `data/`, then runs the same kind of
// experiment cell by cell.
//
// **Size:** `LEMOL_NOTEBOOK_SIZE` = `small` (seconds, for CI), `medium` (the recorded run's
// settings: about a minute and a half) or `full` (the original's defaults: 10 cycles of 3
// trajectories of 10,000 episodes, an overnight run).
//
// **Plots** are live (zoom, hover) where the notebook's scripts run, and each carries a static
// image for where they do not: an untrusted copy, GitHub, an HTML export read with JavaScript off.
// A notebook you received opens untrusted; to get live plots, trust it (File ▸ Trust Notebook, or
// `python3 -m nbformat.sign NOTEBOOK.ipynb`) and run it (plotly.js comes with the run, not the file).

// %%
import { sizedOptions, LEMOL_SIZES } from "lemol";
const { size: SIZE, options: sized } = sizedOptions(LEMOL_SIZES);
console.log(`size ${SIZE}:`, sized);

// %%
import { Experiment, loadRun, loadNpz, plot, summarise, show, EXPERIENCE_KEYS } from "lemol";

// %% [markdown]
// ## A recorded run: LeMOL vs MADDPG
//
// `data/example-run` was made by lemol itself (`npm run data:example`, seed 71): 3 cycles of 2
// trajectories of 300 episodes on `simple_push`, LeMOL as the adversary. `loadRun` reads its
// manifest, metrics and experience files.

// %%
const example = loadRun("../data/example-run");
console.log(
  example.manifest.config.exp_name,
  "recorded",
  example.manifest.started,
  "on",
  example.manifest.backend.name,
  "·",
  example.experienceFiles.length,
  "experience files shipped",
);
summarise(example);

// %% [markdown]
// **Opponent-model accuracy in play**: how often the arg-max of `m` is the opponent's actual
// action, averaged per trajectory (bars: the middle half of the trajectory's logging windows).
// Cycle 0 plays with an untrained model; each later cycle follows an opponent-model training.
// Beside it, on the same steps, the baselines a sceptical reader tries first: **persistence** (the
// opponent repeats its previous action), the **window majority** (its most frequent action in the
// logging window, in hindsight) and **behaviour cloning** (an MLP from LeMOL's observation alone,
// trained on the same experience files as the model). The dashed line is chance (one in five).

// %%
plot.omAccuracy(example);

// %%
plot.omTraining(example);
plot.learningCurves(example);

// %% [markdown]
// ## At full scale: the later release's default experiment
//
// `data/full-head` is a binned copy (means over 100 episodes, 25 logging windows, 100 training
// chunks) of a full run of the later release's defaults: `lemol train --revision head
// --parallel_trajectories --seed 1` — 10 cycles × 3 trajectories × 11,024 episodes, an update every
// 25 steps, batch 1,024. Its summary is `bench/results/full-head.json`; how it was made and what it
// shows: `docs/experiments.md`, "The full-scale runs". The manifest's `status` says whether the
// run had finished when the copy was taken.

// %%
const full = loadRun("../data/full-head");
console.log(full.manifest.config.revision, "release ·", full.manifest.status, "· bins:", (full.manifest as any).binned.rows_per_bin);
summarise(full);

// %%
plot.omAccuracy(full, { title: "full scale: opponent-model accuracy in play, per trajectory" });
plot.omTraining(full, { window: 1 }); // each point already the mean of 100 chunks

// %% [markdown]
// **What it shows.** After training, the model's accuracy in play rises over the first five cycles
// (0.27 untrained, 0.37 after one training, 0.41 by cycle 5), then levels off near 0.40: above
// persistence (~0.36) and the window majority (~0.32), but well below the behaviour-cloning MLP
// (~0.58), while on its own training files it goes on improving (0.74 → 0.81). The gap is the later release's design, which lemol reproduces: the
// per-step model is trained with a learning feature that has just seen the opponent's previous
// action, but in play the slow LSTM advances once every 25 steps (once an episode), so the feature
// it predicts from is up to 24 steps old. Run offline on the same weights and file, the model
// scores ~0.76 with the feature advanced every step and ~0.39 on the play schedule
// (`npm run experiment:om-schedule`; `bench/results/om-schedule-head.json`). At the initial
// release's cadence (an update every step, as in the recorded run above) there is no such gap.

// %% [markdown]
// ## At full size: the initial release's experiment, its first cycles
//
// `data/full-init`: the same kind of copy of `lemol train --revision init --parallel_trajectories
// --seed 1` — the seed's default experiment: 3 trajectories × 10,000 episodes a cycle, an update
// every step, batch 1,024 — stopped after its first 4 of 10 cycles for time (the manifest's
// `status` says `stopped`). Its summary: `bench/results/full-init.json`; docs/experiments.md, "The
// full-scale runs".

// %%
const fullInit = loadRun("../data/full-init");
console.log(fullInit.manifest.config.revision, "release ·", fullInit.manifest.status);
summarise(fullInit);
plot.omAccuracy(fullInit, { title: "initial release, full size: opponent-model accuracy in play, per trajectory" });

// %% [markdown]
// **What it shows.** Here the model plays with the learning feature it was trained with (an update
// every step), and after training it is above every baseline on the same steps: 0.49, 0.56 and 0.58
// in cycles 1–3 against the behaviour-cloning MLP's 0.37–0.45 and persistence's 0.32–0.38. The first
// training lifts it from 0.24 far beyond the spread across trajectories; the later gains are within
// that spread (0.08–0.14).

// %% [markdown]
// ## The same experiment, cell by cell
//
// Every call below can be made in any order the schedule allows, and the numbers are the same as
// `lemol train` with the same options and seed (notebook 05 checks this).

// %%
const exp = await Experiment.create({ exp_name: "lemol-step-by-step", bad_policy: "lemol", good_policy: "maddpg", seed: 71, ...sized }, { print: null });
exp;

// %% [markdown]
// A few single steps. During the exploration phase (the first `batch_size × max_episode_len`
// steps) the seed's LeMOL feeds the opponent's true action as `m`, so the "prediction" is right.

// %%
for (let i = 0; i < 3; i++) exp.step();
exp.omPrediction;

// %%
await exp.runEpisode();
// %% {"timeout": 3600}
const first = await exp.runTrajectory();
console.log(`trajectory ${first.trajectory} (${first.pair}) done`);
exp;

// %% [markdown]
// ## The saved experience
//
// Each trajectory leaves an `.npz` file in the original's layout (`numpy.load` reads it): per step,
// LeMOL's observation, action and reward, the opponent's action, the model's prediction `m`, and
// both policies' raw outputs.

// %%
const files = exp.runDir.experienceFiles();
const experience = loadNpz(files[0]);
show(
  EXPERIENCE_KEYS.map((key) => ({ key, shape: experience[key].shape.join(" × ") })),
  { title: files[0].split("/").slice(-3).join("/") },
);

// %%
const steps = experience.opponent_actions.shape[0];
const argmax = (a, row, width) => {
  let best = 0;
  for (let k = 1; k < width; k++) if (a.data[row * width + k] > a.data[row * width + best]) best = k;
  return best;
};
const P = experience.opponent_actions.shape[1];
const last = Array.from({ length: 8 }, (_, i) => steps - 8 + i).map((row) => ({
  step: row,
  opponent_action: argmax(experience.opponent_actions, row, P),
  predicted: argmax(experience.om_predictions, row, P),
  reward: +experience.rewards.data[row].toFixed(3),
}));
show(last, { title: "the trajectory's last steps: opponent's action vs the model's prediction (before any OM training)" });

// %% [markdown]
// ## The rest of cycle 0, then opponent-model training

// %% {"timeout": 7200}
while (exp.phase === "play") await exp.runTrajectory();
exp;

// %% {"timeout": 7200}
const passes = await exp.trainOpponentModel();
show(
  passes.map((p, i) => ({ pass: i + 1, ...p })),
  { title: "opponent-model training passes" },
);
plot.omTraining(exp);

// %% [markdown]
// ## The next cycles: does the trained model predict new opponents better?

// %% {"timeout": 36000}
await exp.run();
exp;

// %%
plot.omAccuracy(exp);
plot.omAccuracy(exp, { by: "step", title: "accuracy within each trajectory" });

// %%
summarise(exp);
plot.learningCurves(exp);
