// %% [markdown]
// # 06 · Learning benchmarks: does lemol's MADDPG learn like the reference implementations?
//
// Every LeMOL result is about an opponent that *learns*, so the learners must learn as well as
// the standard implementations. `npm run bench -- learning` trains MADDPG vs MADDPG (and M3DDPG
// vs M3DDPG where a scenario has two sides) on seven MPE scenarios at openai/maddpg's settings —
// lr 0.01, γ 0.95, batch 1,024, 64 units, polyak 0.01, an update round every 100 env steps,
// 25-step episodes, 10,000 episodes — on five seeds, and writes `bench/results/learning.json`.
//
// Each configuration runs twice: with lemol's default, which stores the **time limit as terminal**
// as LeMOL's code does, and with `--bootstrap_time_limit`, which stores only the environment's
// done as openai/maddpg does. On `simple_spread` that choice decides whether MADDPG learns:
// MPE observations carry no clock, so a terminal time limit asks the critic for `y = r` at the
// last step and `y = r + γQ'` at states that look the same; the aliasing error grows with |Q|
// until it is most of the critic's loss, and learning stalls, then declines
// (`docs/learning.md` in the lemol repository: outside the notebook server's folder, so not a link).
//
// This notebook reads the committed results (any size); the last section re-trains a small
// comparison live (`LEMOL_NOTEBOOK_SIZE`: `small` seconds, `medium` about two minutes, `full` the
// benchmark's own settings for one seed, a few minutes).
//
// **Plots** are live (zoom, hover) where the notebook's scripts run, and each carries a static
// image for where they do not: an untrusted copy, GitHub, an HTML export read with JavaScript off.
// A notebook you received opens untrusted; to get live plots, trust it (File ▸ Trust Notebook, or
// `python3 -m nbformat.sign NOTEBOOK.ipynb`) and run it (plotly.js comes with the run, not the file).

// %%
import * as fs from "node:fs";
import {
  CurveGroup,
  Experiment,
  learningSummary,
  loadLearningBenchmark,
  loadThirdPartyBenchmark,
  plot,
  plotLearningBenchmark,
  show,
  sizedOptions,
  thirdPartyCurves,
} from "lemol";
const bench = loadLearningBenchmark("../bench/results/learning.json");
console.log(bench.about);
bench.settings;

// %% [markdown]
// ## The summary
//
// Summed reward (over all agents) per configuration: the random-policy start (the first 500
// episodes, all exploration), the mean of the last 1,000 episodes on each seed, the largest drop
// from a seed's best 500-episode window to its last 1,000 episodes, and the spread of the last
// 1,000 across seeds. `improves`: every side gained on every seed.

// %%
show(learningSummary(bench), { title: "learning benchmark: summed episode reward" });

// %% [markdown]
// ## simple_spread, against this project's clean-room reference
//
// The dotted line is the target (the mean of the last 1,000 episodes at least −520 on
// every seed). `bench/reference/` holds a numpy MPE + PyTorch MADDPG that this project wrote from
// its own spec (not from lemol's code, but from the same reading of the algorithm: a check of the
// code, not an independent implementation), at the same settings; its curves are drawn dashed
// when its results file is present. Third-party code comes next.

// %%
const referenceFile = "../bench/results/learning-reference.json";
const reference: CurveGroup[] = [];
if (fs.existsSync(referenceFile)) {
  const ref = JSON.parse(fs.readFileSync(referenceFile, "utf8")) as { runs: { time_limit_terminal: boolean; summed_reward_blocks: number[] }[] };
  for (const terminal of [false, true]) {
    const runs = ref.runs.filter((r) => r.time_limit_terminal === terminal).map((r) => r.summed_reward_blocks);
    if (runs.length) reference.push({ label: `PyTorch reference, time limit ${terminal ? "terminal" : "bootstrapped"}`, runs, dash: "dash" });
  }
}
plotLearningBenchmark(bench, { scenario: "simple_spread", extra: reference, line: { y: -520, label: "target −520" }, height: 480 });

// %% [markdown]
// ## Beside third-party code: maddpg-pytorch on the original MPE
//
// `bench/third-party/run.sh` runs shariqiqbal2810/maddpg-pytorch, unmodified, on the original
// openai/multiagent-particle-envs at the same settings (one thread, seeds 1–5) and writes
// `bench/results/learning-third-party.json`. It stores only the environment's done, so it is
// compared with lemol's `--bootstrap_time_limit` MADDPG runs. It cannot express simple_reference
// (a MultiDiscrete action space) nor M3DDPG, and it departs from openai/maddpg in known ways
// (BatchNorm on every network's input, learning from 1,024 steps, hard one-hot actions, gradient
// clipping over all parameters, reward normalisation): see bench/third-party/README.md.
//
// The verdicts below are computed by `bench/learning-summary.ts` from the committed files: each
// lemol seed's mean over its last 1,000 episodes must lie inside the references' seed range,
// widened on each side by max(that range, 10% of the references' progress); two-sided games
// are judged per side. The file may hold fewer than five reference seeds while the runs go on; the
// verdict says so.

// %%
const thirdParty = loadThirdPartyBenchmark("../bench/results/learning-third-party.json");
console.log(thirdParty.comparison?.criterion ?? "no comparison yet: run `node --import tsx bench/learning-summary.ts`");
show(thirdParty.comparison?.scenarios ?? [], { title: "lemol (--bootstrap_time_limit) against maddpg-pytorch, per scenario" });
show(
  (thirdParty.comparison?.rows ?? []).map((r) => ({
    scenario: r.scenario,
    measure: r.measure,
    maddpg_pytorch_last_1000: r.reference_last_1000.map((x) => x.toFixed(1)).join(" / "),
    accepted: `${r.accepted[0].toFixed(1)} .. ${r.accepted[1].toFixed(1)}`,
    lemol_last_1000: r.lemol_last_1000.map((x) => x.toFixed(1)).join(" / "),
    verdict: r.verdict,
  })),
  { title: "per measure: the mean of the last 1,000 episodes on each seed" },
);

// %% [markdown]
// Each scenario's curves: lemol's MADDPG with `--bootstrap_time_limit` (solid) and
// maddpg-pytorch (dashed), mean across seeds with a band from the worst to the best seed.

// %%
const lemolBootstrapped = { ...bench, runs: bench.runs.filter((r) => r.policy === "maddpg" && r.bootstrap_time_limit) };
for (const scenario of [...new Set(thirdParty.runs.map((r) => r.scenario))]) {
  const twoSided = thirdParty.runs.some((r) => r.scenario === scenario && r.sides.includes("bad") && r.sides.includes("good"));
  for (const side of twoSided ? (["bad", "good"] as const) : (["summed"] as const))
    plotLearningBenchmark(lemolBootstrapped, { scenario, side, extra: thirdPartyCurves(thirdParty, scenario, side), height: 380 });
}

// %% [markdown]
// ## Every scenario
//
// Cooperative scenarios plot the summed reward; two-sided ones plot each side (adversaries are
// the `bad` side). In a two-sided game both sides learn at once, so one side's curve also shows
// its opponent getting better.

// %%
const scenarios = [...new Set(bench.runs.map((r) => r.scenario))];
for (const scenario of scenarios) {
  const twoSided = bench.runs.some((r) => r.scenario === scenario && r.agents.some((a) => a.includes("-bad_")));
  if (!twoSided) plotLearningBenchmark(bench, { scenario, height: 380 });
  else for (const side of ["bad", "good"] as const) plotLearningBenchmark(bench, { scenario, side, height: 380 });
}

// %% [markdown]
// ## Re-run a comparison yourself
//
// The same comparison on `simple_spread`, trained here: the time limit as terminal (lemol's
// default, LeMOL's code) against bootstrapping through it (openai/maddpg). For the whole
// benchmark, run `npm run bench -- learning` from the repository root (about two hours on two
// cores) and re-open this notebook.

// %%
const { size: SIZE, options: sized } = sizedOptions({
  small: { num_episodes: 120, batch_size: 32, agent_update_freq: 5, num_units: 32, polyak: 0.01, save_rate: 60 },
  medium: { num_episodes: 2000, batch_size: 256, agent_update_freq: 25, polyak: 0.01, save_rate: 500 },
  full: { num_episodes: 10000, batch_size: 1024, agent_update_freq: 100, polyak: 0.01, save_rate: 1000 },
});
console.log(`size ${SIZE}:`, sized);

// %% {"timeout": 3600}
const spread = { scenario: "simple_spread", num_adversaries: 0, bad_policy: "maddpg", good_policy: "maddpg", traj_per_iter: 1, seed: 1, ...sized };
const terminal = await Experiment.create({ ...spread, exp_name: "spread-terminal" }, { print: null });
await terminal.run();
const bootstrapped = await Experiment.create({ ...spread, exp_name: "spread-bootstrap", bootstrap_time_limit: true }, { print: null });
await bootstrapped.run();
plot.compare(
  { "time limit terminal": terminal, "time limit bootstrapped": bootstrapped },
  { agent: "agent_0", title: "simple_spread: agent 0's episode reward (shared by all three agents)" },
);
