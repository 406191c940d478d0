// %% [markdown]
// # 05 · Reproducing a run
//
// A shared notebook is only useful if a colleague gets the same numbers. In lemol every random
// source (environment resets, exploration noise, replay sampling, weight initialisation, the files
// the opponent model trains on) is a stream derived from one `seed`, and the schedule is a state
// machine: however the calls are split across cells, the same options and seed give the same
// metrics, byte for byte, on the same machine type. This notebook checks it five ways:
//
// 1. the same run twice;
// 2. the run split into cells (three trajectories by hand, then a cycle, then the rest);
// 3. the same options through the command line, `lemol train`;
// 4. a run stopped in the middle (as the ■ interrupt button does) and continued;
// 5. a run saved to a checkpoint mid-trajectory, restored from disk and continued.
//
// It then reads the saved run back from disk and shows what its manifest records.
//
// **Size:** `LEMOL_NOTEBOOK_SIZE` = `small` (seconds), `medium` (a few minutes) or `full`.
//
// **Plots** are live (zoom, hover) where the notebook's scripts run, and each carries a static
// image for where they do not: an untrusted copy, GitHub, an HTML export read with JavaScript off.
// A notebook you received opens untrusted; to get live plots, trust it (File ▸ Trust Notebook, or
// `python3 -m nbformat.sign NOTEBOOK.ipynb`) and run it (plotly.js comes with the run, not the file).

// %%
import { sizedOptions } from "lemol";
const { size: SIZE, options: sized } = sizedOptions({
  small: {
    num_episodes: 40,
    batch_size: 16,
    agent_update_freq: 5,
    num_units: 16,
    lstm_hidden_dim: 8,
    n_opp_cycles: 3,
    traj_per_iter: 3,
    om_training_iters: 1,
    chunk_length: 8,
    save_rate: 20,
  },
  medium: {
    num_episodes: 200,
    batch_size: 32,
    agent_update_freq: 2,
    lstm_hidden_dim: 32,
    n_opp_cycles: 3,
    traj_per_iter: 3,
    om_training_iters: 2,
    chunk_length: 32,
    save_rate: 100,
  },
  full: { num_episodes: 1000, batch_size: 256, agent_update_freq: 1, n_opp_cycles: 3, traj_per_iter: 3, save_rate: 500 },
});
const options = { exp_name: "reproduce", bad_policy: "lemol", good_policy: "maddpg", seed: 2024, ...sized };
console.log(`size ${SIZE}:`, options);

// %%
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { Experiment, loadRun, plot, show } from "lemol";

const metricsOf = (exp: Experiment) => fs.readFileSync(exp.runDir.metricsFile, "utf8");
const results: { check: string; identical: boolean; rows: number }[] = [];
function record(check: string, a: string, b: string) {
  results.push({ check, identical: a === b, rows: a.split("\n").length - 2 });
  if (a !== b) throw new Error(`${check}: the metrics differ`);
  console.log(`${check}: identical (${a.length.toLocaleString("en-US")} bytes of metrics.csv)`);
}

// %% [markdown]
// ## 1 · The reference run, and the same run again

// %% {"timeout": 7200}
const reference = await Experiment.create(options, { print: null });
await reference.run();
const again = await Experiment.create(options, { print: null });
await again.run();
record("same options, same seed, run twice", metricsOf(reference), metricsOf(again));

// %% [markdown]
// ## 2 · Split into cells

// %% {"timeout": 7200}
const cells = await Experiment.create(options, { print: null });
for (let i = 0; i < 3; i++) await cells.runTrajectory();
await cells.runCycle();
cells.step();
await cells.runEpisode();
await cells.run();
record("three trajectories by hand, a cycle, a step, an episode, the rest", metricsOf(reference), metricsOf(cells));

// %% [markdown]
// ## 3 · The command line
//
// `lemol train` takes the same options as flags (`lemol train --help` lists them with their
// defaults, which are the original `train.py`'s).

// %% {"timeout": 7200}
const lemolRoot = path.dirname(require.resolve("lemol/package.json"));
const cliDir = path.join(path.dirname(reference.runDir.root), `reproduce-cli-${Date.now()}`);
const flags = Object.entries({ ...options, run_dir: cliDir }).flatMap(([k, v]) => [`--${k}`, String(v)]);
execFileSync(process.execPath, [path.join(lemolRoot, "dist/cli/main.js"), "train", ...flags, "--quiet"], { stdio: ["ignore", "ignore", "inherit"] });
record("lemol train with the same flags", metricsOf(reference), fs.readFileSync(path.join(cliDir, "metrics.csv"), "utf8"));

// %% [markdown]
// ## 4 · Stopped and continued
//
// `requestStop()` ends the call under way at the next step boundary with an `ExperimentStopped`
// error; the experiment stays consistent and the next call continues where it stopped. (The
// kernel's interrupt, the ■ button, stops a call the same way, but the call then ends normally
// with one printed line, so that the cell keeps what it declared.)

// %% {"timeout": 7200}
const stopped = await Experiment.create(options, { print: null });
let episodes = 0;
const off = stopped.on("episode_end", () => {
  if (++episodes === Math.floor(options.num_episodes / 2)) stopped.requestStop();
});
try {
  await stopped.run();
} catch (e) {
  console.log(`stopped: ${e.message} — ${stopped.describe()}`);
}
off();
await stopped.run();
record("stopped half-way through a trajectory, then continued", metricsOf(reference), metricsOf(stopped));

// %% [markdown]
// ## 5 · Saved, restored from disk, continued
//
// `checkpoint()` writes everything needed to continue (networks, optimiser moments, every random
// stream, counters, the trajectory's experience so far, the opponent model's state and, with
// `replay: true` or the `checkpoint_replay` option, the replay buffers). `Experiment.restore(dir)`
// rebuilds the experiment from it — in this kernel, after a restart, or on a colleague's machine —
// and `lemol train --restore <dir>` does the same from the command line.

// %% {"timeout": 7200}
const saving = await Experiment.create(options, { print: null });
await saving.runCycle();
await saving.runEpisode();
const checkpointDir = saving.checkpoint("notebook", { replay: true });
saving.dispose();
const restored = await Experiment.restore(saving.runDir.root, { checkpoint: "notebook" }, { print: null });
console.log(`restored from ${path.relative(".", checkpointDir)}: ${restored.describe()}`);
await restored.run();
record("saved mid-trajectory, restored from disk, continued", metricsOf(reference), metricsOf(restored));

// %%
show(results, { title: "reproducibility checks" });

// %% [markdown]
// ## The run on disk
//
// Everything a colleague needs is in the run directory: `manifest.json` (options, seed, library
// version, git commit, Node version, backend, machine), `metrics.csv`, the experience files and
// checkpoints. `loadRun` reads it back; its metrics equal the live ones.

// %%
const saved = loadRun(reference.runDir.root);
if (saved.metrics.length !== reference.metrics.length) throw new Error("reloaded metrics differ in length");
const { config: _options, ...manifest } = saved.manifest;
show(
  Object.entries(manifest).map(([key, value]) => ({ key, value: typeof value === "object" ? JSON.stringify(value) : String(value) })),
  { title: "manifest.json (without the options)" },
);
console.log(
  `${saved.metrics.length} metric rows, ${saved.experienceFiles.length} experience files; checkpoint:`,
  path.relative(".", reference.checkpoint("notebook")),
);
plot.omAccuracy(saved);
