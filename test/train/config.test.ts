// The configuration schema: README-I defaults, validation, the varying side.
import * as fs from "node:fs";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, OPTIONS, optionsMarkdownTable, policyLists, resolveConfig, setOptionSyntax } from "../../src/train/config.js";

describe("experiment configuration", () => {
  it("has the seed README's defaults, with scenario simple_push and one adversary", () => {
    const c = resolveConfig();
    assert.equal(c.scenario, "simple_push");
    assert.equal(c.num_adversaries, 1);
    assert.deepEqual(
      [
        c.max_episode_len,
        c.num_episodes,
        c.good_policy,
        c.bad_policy,
        c.lr,
        c.gamma,
        c.batch_size,
        c.num_units,
        c.agent_update_freq,
        c.polyak,
        c.omlr,
        c.lstm_hidden_dim,
        c.chunk_length,
        c.num_traj_to_train,
        c.traj_per_iter,
        c.om_training_iters,
        c.n_opp_cycles,
      ],
      [25, 10000, "maddpg", "lemol", 1e-2, 0.95, 1024, 64, 1, 1e-4, 1e-3, 64, 64, 8, 3, 5, 10],
    );
    assert.equal(c.revision, "init");
    assert.equal(c.replay_buffer_capacity, 1_000_000);
  });

  it("takes the chosen release's cadence defaults: --revision head runs 11,024 episodes and updates every 25 steps; given values win", () => {
    const head = resolveConfig({ revision: "head" });
    assert.deepEqual([head.num_episodes, head.agent_update_freq], [11024, 25]);
    assert.deepEqual([head.lstm_hidden_dim, head.learning_feature_dim], [64, 64]);
    const init = resolveConfig({ revision: "init" });
    assert.deepEqual([init.num_episodes, init.agent_update_freq], [10000, 1]);
    const given = resolveConfig({ revision: "head", num_episodes: 500, agent_update_freq: 1 });
    assert.deepEqual([given.num_episodes, given.agent_update_freq], [500, 1]);
  });

  it("turns on one-hot OM targets with discrete actions, as the original's main does", () => {
    assert.equal(resolveConfig({ discrete_actions: true }).train_lemol_om_on_oh, true);
  });

  it("rejects bad values with one line naming the option", () => {
    for (const [opts, msg] of [
      [{ num_episodes: 0 }, /num_episodes: must be >= 1, got 0/],
      [{ lr: -1 }, /lr: must be > 0, got -1/],
      [{ gamma: 1.5 }, /gamma: must be <= 1, got 1.5/],
      [{ batch_size: 2.5 }, /batch_size: expected an integer, got 2.5/],
      [{ revision: "tip" }, /revision: "tip" is not one of init, head/],
      [{ scenario: 3 }, /scenario: expected a string, got 3/],
      [{ use_alternative_lstm: true, block_processing: true }, /use_alternative_lstm is a cell of the per-step opponent model/],
      [{ frobnicate: 1 }, /unknown option "frobnicate"/],
    ] as const) {
      assert.throws(
        () => resolveConfig(opts as Record<string, unknown>),
        (e: Error) => e instanceof ConfigError && msg.test(e.message) && !e.message.includes("--"),
      );
    }
    // the CLI names options as its flags
    setOptionSyntax("cli");
    try {
      assert.throws(() => resolveConfig({ use_alternative_lstm: true, block_processing: true }), /^ConfigError: --use_alternative_lstm is a cell/);
    } finally {
      setOptionSyntax("api");
    }
    // implications of the later release's __main__, and impossible combinations
    assert.equal(resolveConfig({ fully_decentralise_lemol: true }).decentralise_lemol_obs, true);
    assert.throws(() => resolveConfig({ recurrent_om_prediction: true }), /needs block_processing/);
  });

  it("documents every option in docs/options.md's table, as the schema has it (npm run docs:options)", () => {
    const doc = fs.readFileSync(new URL("../../docs/options.md", import.meta.url), "utf8");
    const block = doc.slice(doc.indexOf("<!-- options:begin -->") + "<!-- options:begin -->".length, doc.indexOf("<!-- options:end -->")).trim();
    assert.equal(block, optionsMarkdownTable(), "the option table in docs/options.md is stale: run npm run docs:options");
    for (const o of OPTIONS) assert.ok(block.includes(`| \`--${o.name}\` |`), o.name);
  });

  it("splits '_'-separated policy lists and allows only one varying side", () => {
    assert.deepEqual(policyLists(resolveConfig({ good_policy: "maddpg_mmmaddpg" })), { bad: ["lemol"], good: ["maddpg", "mmmaddpg"], varying: "good" });
    assert.throws(() => policyLists(resolveConfig({ good_policy: "maddpg_ddpg", bad_policy: "lemol_maddpg" })), /only one side may list several policies/);
    assert.throws(() => policyLists(resolveConfig({ good_policy: "maddpg_maddpg" })), /listed twice/);
  });

  it("implements every option of the original's train.py, the later release's included", () => {
    assert.deepEqual(
      OPTIONS.filter((o) => !o.implemented).map((o) => o.name),
      [],
    );
    for (const name of [
      "block_processing",
      "recurrent_om_prediction",
      "ablate_lemol_lstm",
      "use_triplet_representation_loss",
      "skip_to_om_training",
      "fully_decentralise_lemol",
      "log_om_influence",
      "use_alternative_lstm",
      "ppo_lambda",
      "uav_grid_height",
    ]) {
      assert.ok(
        OPTIONS.some((o) => o.name === name),
        name,
      );
    }
    // the evaluation modes and checkpoint options are built
    for (const name of ["test", "display", "benchmark", "benchmark_iters", "load_name", "load_good", "load_bad", "checkpoint_replay"])
      assert.ok(
        OPTIONS.some((o) => o.name === name && o.implemented),
        name,
      );
  });
});
