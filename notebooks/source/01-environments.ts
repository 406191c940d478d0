// %% [markdown]
// # 01 · The Multi-Agent Particle Environments
//
// Every lemol experiment runs on the **Multi-Agent Particle Environments** (MPE) of Lowe et al.
// (2017): a few agents and landmarks on a 2-D plane, simple physics (forces, damping, soft
// collisions) and a small scenario file that says how the world is reset, what each agent observes
// and how it is rewarded. lemol's port matches the original Python numbers to 1e-9 on recorded
// conformance vectors (`lemol conformance`), so curves made here compare with published ones.
//
// This notebook tours the nine scenarios with random agents: their agents and spaces, an animated
// episode of a few of them, the observation layout of `simple_push` (the LeMOL paper's game), and
// saving/restoring the exact state of an environment.
//
// **Size.** Every lemol notebook reads `LEMOL_NOTEBOOK_SIZE` (`small`, `medium`, `full`); here it
// only sets the episode length of the animations.
//
// **Plots** are live (zoom, hover) where the notebook's scripts run, and each carries a static
// image for where they do not: an untrusted copy, GitHub, an HTML export read with JavaScript off.
// A notebook you received opens untrusted; to get live plots, trust it (File ▸ Trust Notebook, or
// `python3 -m nbformat.sign NOTEBOOK.ipynb`) and run it (plotly.js comes with the run, not the file).

// %%
import { sizedOptions } from "lemol";
const { size: SIZE, options: STEPS } = sizedOptions({ small: 10, medium: 25, full: 25 });
console.log(`size ${SIZE}: ${STEPS}-step episodes`);

// %%
import { SCENARIO_NAMES, getScenario, makeEnv, describeSpace, recordEpisode, animate, show, Figure } from "lemol";

// %% [markdown]
// ## The nine scenarios
//
// `makeEnv(name, { seed })` builds one environment. Actions are discrete by default: a 5-vector
// `[no-op, +x, −x, +y, −y]` per agent (probabilities are allowed; the physics uses them as forces),
// plus a communication part for agents that can speak.

// %%
const rows = SCENARIO_NAMES.map((name) => {
  const env = makeEnv(name, { seed: 0 });
  return {
    scenario: name,
    agents: env.agentNames.join(", "),
    observation_sizes: env.obsSizes.join(" / "),
    actions: env.actionSpaces.map((s) => describeSpace(s, env.actionMode)).join(" / "),
    shared_reward: env.sharedReward,
    description: getScenario(name).description,
  };
});
show(rows, { title: "MPE scenarios", limit: 9 });

// %% [markdown]
// ## Random agents, animated
//
// `recordEpisode(env)` plays one episode with uniformly random actions (pass a policy function to
// use your own) and keeps an SVG frame per step; `animate(episode)` plays the frames in the cell.
// Adversaries are red, good agents grey (tinted with their goal's colour), landmarks by role.

// %%
const push = recordEpisode(makeEnv("simple_push", { seed: 1 }), undefined, { steps: STEPS, seed: 1 });
animate(push);
push;

// %%
animate(recordEpisode(makeEnv("simple_tag", { seed: 2 }), undefined, { steps: STEPS, seed: 2 }));

// %%
animate(recordEpisode(makeEnv("simple_world_comm", { seed: 3 }), undefined, { steps: STEPS, seed: 3 }));

// %% [markdown]
// Per-step rewards of the `simple_push` episode above. The adversary is rewarded for keeping the
// good agent away from the goal while staying near the goal itself; the good agent for closeness to
// its goal (negative distance).

// %%
new Figure(
  push.agents.map((agent, a) => ({
    type: "scatter",
    mode: "lines+markers",
    name: agent,
    x: push.rewards.map((_, t) => t + 1),
    y: push.rewards.map((r) => r[a]),
  })),
  { title: { text: "simple_push, random agents: reward per step" }, xaxis: { title: { text: "step" } }, yaxis: { title: { text: "reward" } } },
).show();

// %% [markdown]
// ## What an agent sees: `simple_push`
//
// Observations are flat vectors made of blocks. In `simple_push` (two landmarks, one adversary,
// one good agent):
//
// | agent | blocks (sizes) | total |
// |---|---|---|
// | adversary | own velocity (2), position of each landmark relative to it (2 × 2), the other agent's relative position (2) | 8 |
// | good agent | own velocity (2), goal relative position (2), own colour (3), landmarks' relative positions (2 × 2), landmark colours (3 × 2), the other agent's relative position (2) | 19 |
//
// The adversary does not know which landmark is the goal: it must infer it from how the good agent
// moves — this is why modelling the opponent helps in this game.

// %%
const env = makeEnv("simple_push", { seed: 7 });
const [adversaryObs, agentObs] = env.reset();
show(
  [
    { agent: env.agentNames[0], size: adversaryObs.length, values: Array.from(adversaryObs, (v) => v.toFixed(3)).join(" ") },
    { agent: env.agentNames[1], size: agentObs.length, values: Array.from(agentObs, (v) => v.toFixed(3)).join(" ") },
  ],
  { title: "simple_push observations after reset (seed 7)" },
);

// %% [markdown]
// ## Exact state: save, restore, continue identically
//
// `saveState()` exports the whole world (positions, velocities, communication, goals, colours) in
// the conformance-vector format; `loadState()` puts it back, so an episode continues exactly as it
// would have. (Resets draw from the env's random stream, saved separately: `env.rng.getState()`.)

// %%
const noop = env.actionSizes.map((n) => Float64Array.from({ length: n }, (_, k) => (k === 1 ? 1 : 0)));
env.step(noop);
const saved = env.saveState();
const first = Array.from(env.step(noop).rewards);
env.loadState(saved);
const again = Array.from(env.step(noop).rewards);
if (first.join() !== again.join()) throw new Error("restored state diverged");
console.log("after restore, the next step gives the same rewards:", first, again);
