// %% [markdown]
// # 02 · MADDPG against MADDPG on `simple_push`
//
// **MADDPG** (Lowe et al., 2017) trains each agent with its own actor (which sees only the agent's
// observation) and its own *centralised* critic (which sees every agent's observation and action).
// lemol's trainer is the original algorithm step for step: Gumbel-softmax actors, Adam with
// per-variable gradient clipping at 0.5, independently initialised target networks updated by
// Polyak averaging, and the time limit treated as terminal.
//
// Here both sides of `simple_push` learn with MADDPG for one trajectory (one learning run). The
// same `Experiment` object drives LeMOL in notebook 03; with no LeMOL agent the schedule is one
// cycle of `traj_per_iter` trajectories.
//
// **Size:** `LEMOL_NOTEBOOK_SIZE` = `small` (seconds, for CI), `medium` (about a minute) or
// `full` (about ten minutes: the original's batch size and one update per step).
//
// **Plots** are live (zoom, hover) where the notebook's scripts run, and each carries a static
// image for where they do not: an untrusted copy, GitHub, an HTML export read with JavaScript off.
// A notebook you received opens untrusted; to get live plots, trust it (File ▸ Trust Notebook, or
// `python3 -m nbformat.sign NOTEBOOK.ipynb`) and run it (plotly.js comes with the run, not the file).

// %%
import { sizedOptions } from "lemol";
const { size: SIZE, options: sized } = sizedOptions({
  small: { num_episodes: 60, batch_size: 32, agent_update_freq: 5, num_units: 32, save_rate: 30 },
  medium: { num_episodes: 1000, batch_size: 128, agent_update_freq: 2, save_rate: 100 },
  full: { num_episodes: 4000, batch_size: 1024, agent_update_freq: 1, save_rate: 500 },
});
console.log(`size ${SIZE}:`, sized);

// %%
import { Experiment, MADDPGAgentTrainer, makeEnv, recordEpisode, animate, plot, summarise, show, display } from "lemol";
import * as aq from "arquero";

// %% [markdown]
// ## An experiment, cell by cell
//
// Options have the same names and defaults as `lemol train` (the original `train.py`). The run
// directory (here under `notebooks/runs/`) receives `manifest.json`, `metrics.csv` and checkpoints.

// %%
const exp = await Experiment.create(
  { exp_name: "maddpg-simple-push", bad_policy: "maddpg", good_policy: "maddpg", traj_per_iter: 1, seed: 2, ...sized },
  { print: null },
);
exp;

// %% [markdown]
// One environment step with both agents (they act, the environment moves, each stores the
// transition and updates when due). The picture is the world after the step.

// %%
exp.step();
exp.step();
display({ "image/svg+xml": exp.env.render({ caption: `step ${exp.trainStep}` }), "text/plain": `world at step ${exp.trainStep}` });
exp.env.observations().map((o) => Array.from(o, (v) => +v.toFixed(3)));

// %%
const firstEpisode = await exp.runEpisode();
console.log("episode rewards (adversary, good agent):", firstEpisode);

// %% [markdown]
// The rest of the trajectory. A live display shows progress; the ■ (interrupt) button stops it
// cleanly between two steps, and running the cell again continues from there.

// %% {"timeout": 1800}
await exp.runTrajectory();
exp;

// %% [markdown]
// ## Learning curves
//
// Rewards per episode (faint) and their rolling mean. In `simple_push` the good agent's reward is
// its negative distance to the goal; the adversary's is the good agent's distance minus its own.

// %%
plot.learningCurves(exp);

// %%
plot.losses(exp);
plot.qValues(exp);

// %% [markdown]
// The metrics are one long table (`exp.metrics`, an arquero table with `.table()`), the same as the
// run's `metrics.csv`. For example, the mean reward per agent over each block of 100 episodes:

// %%
const rewards = exp.metrics
  .table()
  .filter(aq.escape((d) => d.metric === "episode_reward"))
  .derive({ block: aq.escape((d) => Math.floor(d.episode / 100) * 100) })
  .groupby("agent", "block")
  .rollup({ episodes: aq.op.count(), mean_reward: aq.op.mean("value") })
  .orderby("block", "agent");
show(rewards, { title: "mean episode reward per 100 episodes", limit: 12 });

// %%
summarise(exp);

// %% [markdown]
// ## The trained agents, animated
//
// A new environment, both trained actors choosing the actions (sampled from their Gumbel-softmax
// policies, as in training).

// %%
const trained = exp.pairing as MADDPGAgentTrainer[];
const episode = recordEpisode(makeEnv("simple_push", { seed: 11 }), (obs, actions) => trained.forEach((t, a) => t.act(obs[a], actions[a])), { steps: 25 });
animate(episode);
episode;
