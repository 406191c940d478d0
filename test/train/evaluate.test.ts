/**
 * Evaluating trained policies (`test`, `display`, `benchmark` with `load_*`): the loaded weights
 * are used and kept (the original re-initialised them right after loading), nothing learns, the
 * opponent model predicts from the first step, and the outputs land in the run directory.
 */
import type { LeMOLAgentTrainer } from "../../src/agents/lemol/agent.js";
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";
import { loadCheckpoint } from "../../src/storage/checkpoint.js";
import { REDUCED, tmpRun } from "../helpers/experiment.js";
import { runCli } from "../helpers/cli.js";

const ARCH: ExperimentOptions = { num_units: REDUCED.num_units, lstm_hidden_dim: REDUCED.lstm_hidden_dim };
let trainedRun = "";

async function evaluate(options: ExperimentOptions): Promise<Experiment> {
  const exp = await Experiment.create({ ...ARCH, num_episodes: 6, traj_per_iter: 1, run_dir: tmpRun(), ...options }, { print: null });
  await exp.run();
  return exp;
}

describe("evaluating loaded policies", () => {
  before(async () => {
    const exp = await Experiment.create({ ...REDUCED, n_opp_cycles: 1, traj_per_iter: 1, num_episodes: 40, run_dir: tmpRun(), seed: 8 }, { print: null });
    await exp.run();
    exp.dispose();
    trainedRun = exp.runDir.root;
  });

  it("--test plays with the loaded weights, keeps them, learns nothing and tracks the OM from the first step", async () => {
    const exp = await evaluate({ test: true, load_name: trainedRun });
    const names = new Set(exp.metrics.rows.map((r) => r.metric));
    assert.ok(names.has("episode_reward"));
    assert.ok(!names.has("q_loss") && !names.has("om_training_loss"), "no learning");
    const acc = exp.metrics.select("om_accuracy_in_play");
    assert.ok(acc.length > 0 && acc[0].train_step === 0, "tracked from step 0");
    // the weights after the evaluation are the checkpoint's (not re-initialised)
    const r = loadCheckpoint(path.join(trainedRun, "checkpoints", "latest"));
    const lemol = exp.allTrainers.find((t) => t.name.startsWith("lemol")) as LeMOLAgentTrainer;
    assert.deepEqual(Array.from(lemol.actor.params[0].dataSync()), Array.from(r.f32("trainer/lemol/0/actor/0")));
    // another seed's fresh policies play differently
    const fresh = await Experiment.create(
      { ...ARCH, num_episodes: 6, traj_per_iter: 1, run_dir: tmpRun(), test: true, load_good: trainedRun },
      { print: null },
    );
    await fresh.run();
    assert.notDeepEqual(
      fresh.metrics.select("episode_reward", "lemol-bad_agent_0").map((x) => x.value),
      exp.metrics.select("episode_reward", "lemol-bad_agent_0").map((x) => x.value),
    );
    exp.dispose();
    fresh.dispose();
  });

  it("--display writes an animation of each trajectory's first episode", async () => {
    const exp = await evaluate({ display: true, load_name: trainedRun });
    const files = fs.readdirSync(path.join(exp.runDir.root, "display"));
    assert.deepEqual(files, ["0-lemol_vs_maddpg.html"]);
    const html = fs.readFileSync(path.join(exp.runDir.root, "display", files[0]), "utf8");
    // the first frame as an image, then all 26 (reset + 25 steps) in the player's data
    assert.equal((html.match(/src="data:image\/svg\+xml;base64,/g) ?? []).length, 1);
    assert.equal((html.match(/<svg/g) ?? []).length, 26);
    assert.match(html, /episode 1 · step 25/);
    exp.dispose();
  });

  it("--benchmark records the scenario's benchmark data for benchmark_iters steps", async () => {
    const train = await Experiment.create(
      { ...REDUCED, scenario: "simple_tag", bad_policy: "maddpg", good_policy: "maddpg", num_episodes: 4, save_rate: 4, run_dir: tmpRun() },
      { print: null },
    );
    await train.run();
    train.dispose();
    const exp = await Experiment.create(
      {
        ...ARCH,
        scenario: "simple_tag",
        bad_policy: "maddpg",
        good_policy: "maddpg",
        benchmark: true,
        benchmark_iters: 30,
        load_name: train.runDir.root,
        run_dir: tmpRun(),
      },
      { print: null },
    );
    await exp.run();
    const b = JSON.parse(fs.readFileSync(path.join(exp.runDir.root, "benchmark.json"), "utf8"));
    assert.equal(b.steps, 30);
    assert.equal(b.data.length, 30);
    assert.equal(b.data[0].length, 4);
    assert.equal(exp.phase, "done");
    exp.dispose();
  });

  it("refuses combinations that cannot work, before writing anything", async () => {
    const dir = tmpRun();
    await assert.rejects(() => Experiment.create({ test: true, run_dir: dir }, { print: null }), /evaluate loaded policies: give load_name/);
    await assert.rejects(
      () => Experiment.create({ load_name: trainedRun, run_dir: dir }, { print: null }),
      /to continue a run use Experiment\.restore\(run_dir\)/,
    );
    await assert.rejects(
      () => Experiment.create({ test: true, load_name: trainedRun, run_dir: dir }, { print: null }),
      /"trainer\/lemol\/0\/actor\/0" has shape \[\d+,64\], the network expects \[\d+,64\]|has shape/,
    );
    await assert.rejects(
      () => Experiment.create({ ...ARCH, test: true, bad_policy: "maddpg", load_name: trainedRun, run_dir: dir }, { print: null }),
      /has no trainer "maddpg\/0" \(it was made with bad_policy lemol good_policy maddpg\)/,
    );
    await assert.rejects(
      () => Experiment.create({ benchmark: true, load_name: trainedRun, run_dir: dir }, { print: null }),
      /benchmark: scenario simple_push has no benchmark_data/,
    );
    assert.ok(!fs.existsSync(dir), "nothing written");
    const r = runCli(["train", "--test", "--load_name", "/no/such/run", "--run_dir", dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such checkpoint/);
  });
});
