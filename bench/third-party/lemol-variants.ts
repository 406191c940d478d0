/**
 * lemol's MADDPG with one of maddpg-pytorch's departures from openai/maddpg at a time, on one
 * scenario, at the learning benchmark's settings with --bootstrap_time_limit (the storage
 * maddpg-pytorch has): the experiments of docs/learning.md's "Explaining the gaps".
 *
 *   node --import tsx --import ./bench/built-library.mjs bench/third-party/lemol-variants.ts SCENARIO VARIANT...
 *
 * VARIANT is a name of VARIANTS below. Runs are a sweep on the built `lemol` command (one worker:
 * LEMOL_LEARNING_WORKERS to change; LEMOL_LEARNING_SEEDS, default 1-5), kept in
 * bench/tmp/third-party/ so that an interrupted call continues; each finished variant is written
 * into bench/results/learning-lemol-variants.json (other scenarios' and variants' entries kept),
 * as VARIANT, or, on other seeds than 1-5, as VARIANT-seedsA-B (A, B the first and last seed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { BLOCK, LEARNING_SETTINGS, SCENARIOS, collectRuns, runSweep } from "../learning.js";
import { summariseLearning } from "../learning-summary.js";
import type { LearningRun } from "../learning-summary.js";
import { RESULTS_DIR, machine } from "../common.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WORK = path.join(REPO, "bench/tmp/third-party");
const OUT = path.join(RESULTS_DIR, "learning-lemol-variants.json");

/** The departures that build on each other: each set is the one before it and more. */
const ALL_FOUR = { discrete_actions: true, discrete_messages: true, learning_starts: 1024, grad_clip_global: true };
const PYTORCH_UPDATE = { ...ALL_FOUR, normalise_rewards: true, argmax_update_actions: true };
const PYTORCH_ALL = { ...PYTORCH_UPDATE, pytorch_init: true, sample_without_replacement: true };

/** Each variant: the options it adds to the benchmark's --bootstrap_time_limit run, and what it tries. */
export const VARIANTS: Record<string, { options: Record<string, unknown>; about: string }> = {
  none: {
    options: {},
    about: "--bootstrap_time_limit alone: learning.json's row, for seeds beyond its 1-5",
  },
  discrete_actions: {
    options: { discrete_actions: true },
    about: "--discrete_actions: the environment plays the one-hot of each movement (and it is stored); messages stay soft",
  },
  hard_actions: {
    options: { discrete_actions: true, discrete_messages: true },
    about:
      "--discrete_actions --discrete_messages: the one-hot of every sampled movement and message goes to the environment and the buffer, as in maddpg-pytorch",
  },
  grad_clip_global: {
    options: { grad_clip_global: true },
    about: "--grad_clip_global: the gradient norm clipped at 0.5 over all of a network's parameters, as maddpg-pytorch, instead of per variable",
  },
  all_four: {
    options: ALL_FOUR,
    about: "the four departures above at once (hard actions and messages, learning from 1,024 transitions, global clipping): lemol's nearest to maddpg-pytorch",
  },
  normalise_rewards: {
    options: { normalise_rewards: true },
    about:
      "--normalise_rewards: each sampled batch's rewards standardised by the mean and std of the agent's whole buffer, as maddpg-pytorch's ReplayBuffer.sample(norm_rews=True)",
  },
  argmax_update_actions: {
    options: { argmax_update_actions: true },
    about:
      "--argmax_update_actions: arg-max one-hot target actions and partner actions in the actor's loss, the own action a straight-through hard Gumbel-softmax sample, as maddpg-pytorch's update",
  },
  pytorch_update: {
    options: PYTORCH_UPDATE,
    about:
      "all_four with --normalise_rewards and --argmax_update_actions: every departure of maddpg-pytorch lemol can express (not its BatchNorm inputs, PyTorch's initialisation, sampling without replacement)",
  },
  pytorch_all: {
    options: PYTORCH_ALL,
    about:
      "pytorch_update with --pytorch_init (nn.Linear's initialisation, targets starting as copies) and --sample_without_replacement: every departure of maddpg-pytorch but its BatchNorm inputs",
  },
  pytorch_all_input_batchnorm: {
    options: { ...PYTORCH_ALL, input_batchnorm: true },
    about: "pytorch_all with --input_batchnorm (every network's input through torch's BatchNorm1d): every departure of maddpg-pytorch this project found",
  },
  pytorch_update_init: {
    options: { ...PYTORCH_UPDATE, pytorch_init: true },
    about: "pytorch_update with --pytorch_init alone (nn.Linear's initialisation, targets starting as copies)",
  },
  pytorch_update_without_replacement: {
    options: { ...PYTORCH_UPDATE, sample_without_replacement: true },
    about: "pytorch_update with --sample_without_replacement alone (each batch's transitions distinct)",
  },
  learning_starts: {
    options: { learning_starts: 1024 },
    about: "--learning_starts 1024: updates from 1,024 transitions (batch_size), as maddpg-pytorch, instead of batch_size x 25",
  },
};

interface VariantsFile {
  about: string;
  settings: Record<string, unknown>;
  machine: ReturnType<typeof machine>;
  /** scenario -> variant -> runs */
  runs: Record<string, Record<string, { about: string; options: Record<string, unknown>; seeds?: number[]; wall_seconds: number; runs: LearningRun[] }>>;
  summary_lines: string[];
  written: string;
}

function readOut(): VariantsFile {
  if (fs.existsSync(OUT)) return JSON.parse(fs.readFileSync(OUT, "utf8")) as VariantsFile;
  return {
    about:
      "lemol's MADDPG (both sides) with --bootstrap_time_limit and one more option per variant, at the learning benchmark's settings; per run the mean episode reward per 500-episode block as in learning.json. Written by bench/third-party/lemol-variants.ts; see docs/learning.md.",
    settings: {},
    machine: machine(),
    runs: {},
    summary_lines: [],
    written: "",
  };
}

const [scenario, ...variants] = process.argv.slice(2);
const adversaries = SCENARIOS[scenario ?? ""];
if (adversaries === undefined || variants.length === 0) {
  console.error(`usage: lemol-variants.ts SCENARIO VARIANT...; scenarios: ${Object.keys(SCENARIOS).join(", ")}; variants: ${Object.keys(VARIANTS).join(", ")}`);
  process.exit(2);
}
for (const v of variants) {
  if (!(v in VARIANTS)) {
    console.error(`unknown variant "${v}"; variants: ${Object.keys(VARIANTS).join(", ")}`);
    process.exit(2);
  }
}
const seeds = (process.env.LEMOL_LEARNING_SEEDS ?? "1,2,3,4,5").split(",").map(Number);
const workers = Number(process.env.LEMOL_LEARNING_WORKERS ?? 1);
const episodes = 10000;
const seedKey = seeds.join(",") === "1,2,3,4,5" ? "" : `-seeds${seeds[0]}-${seeds[seeds.length - 1]}`;

for (const variant of variants) {
  const name = `${scenario}-${variant}${seedKey}`;
  const results = path.join(WORK, name);
  fs.mkdirSync(results, { recursive: true });
  const base = { ...LEARNING_SETTINGS, num_episodes: episodes, save_rate: 1000, traj_per_iter: 1, checkpoint_replay: false, exp_name: "variant" };
  const config = {
    scenario,
    num_adversaries: adversaries,
    good_policy: "maddpg",
    bad_policy: "maddpg",
    bootstrap_time_limit: true,
    ...VARIANTS[variant].options,
  };
  const file = path.join(WORK, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ name, results, base, list: [config], seeds }, null, 2) + "\n");
  const t0 = Date.now();
  await runSweep(file, workers);
  const runs = await collectRuns(results, episodes);
  const out = readOut();
  // the seeds are each entry's (runs of one variant on other seeds are kept as VARIANT-seedsA-B)
  out.settings = { ...LEARNING_SETTINGS, num_episodes: episodes, block_episodes: BLOCK, bootstrap_time_limit: true };
  out.machine = machine();
  out.runs[scenario] = {
    ...(out.runs[scenario] ?? {}),
    [variant + seedKey]: {
      about: VARIANTS[variant].about,
      options: VARIANTS[variant].options,
      seeds,
      wall_seconds: Math.round((Date.now() - t0) / 1000),
      runs,
    },
  };
  out.summary_lines = Object.values(out.runs).flatMap((byVariant) =>
    Object.entries(byVariant).flatMap(([v, entry]) => summariseLearning(entry.runs, BLOCK).lines.map((l) => `${v.padEnd(20)} ${l}`)),
  );
  out.written = new Date().toISOString();
  fs.writeFileSync(OUT, JSON.stringify(out, null, 1) + "\n");
  for (const l of out.summary_lines.filter((l) => l.includes(scenario))) console.log(l);
}
