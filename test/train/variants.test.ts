/**
 * The later release's LeMOL options end to end (lemol-spec §4.3–4.8): each variant completes a
 * tiny run and logs its OM metrics; the oracle scores 1.0 (§9.2 item 14); skip_to_om_training
 * trains on existing files; the fully decentralised update never asks for the opponent's target
 * action; discrete actions work with a live OM (§8 item 1); a variant's run resumes exactly.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { LeMOLAgentTrainer } from "../../src/agents/lemol/agent.js";
import { FusedMADDPGUpdate } from "../../src/agents/maddpg-fused.js";
import type { MADDPGAgentTrainer } from "../../src/agents/maddpg.js";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";
import { loadNpz } from "../../src/storage/npz.js";
import { stopAndResume, tmpRun } from "../helpers/experiment.js";

const TINY: ExperimentOptions = {
  num_episodes: 50,
  batch_size: 24,
  agent_update_freq: 25,
  n_opp_cycles: 2,
  traj_per_iter: 1,
  save_rate: 25,
  om_training_iters: 1,
  chunk_length: 8,
  num_units: 16,
  lstm_hidden_dim: 8,
  episode_embedding_dim: 8,
  in_ep_lstm_dim: 4,
  lemol_in_play_perf_log_freq: 25,
  revision: "head",
  seed: 5,
};

function make(options: ExperimentOptions = {}): Promise<Experiment> {
  return Experiment.create({ ...TINY, run_dir: tmpRun(), ...options }, { print: null });
}

function values(exp: Experiment, metric: string): number[] {
  return exp.metrics.rows.filter((r) => r.metric === metric).map((r) => r.value);
}

const VARIANTS: Record<string, ExperimentOptions> = {
  "LeMOL-EP": { block_processing: true },
  "LeMOL-EP with the in-episode LSTM": { block_processing: true, recurrent_om_prediction: true },
  "ablated LeMOL-EP": { block_processing: true, ablate_lemol_lstm: true },
  "ablated per-step LeMOL": { ablate_lemol_lstm: true },
  "triplet loss, per step": { use_triplet_representation_loss: true, chunk_length: 12, rep_loss_neg_dist: 6, rep_loss_pos_dist: 2 },
  "triplet loss, LeMOL-EP": { block_processing: true, use_triplet_representation_loss: true, rep_loss_neg_dist: 4, rep_loss_pos_dist: 2 },
  "decentralised critic": { decentralise_lemol_obs: true },
  "fully decentralised, EP with the in-episode LSTM": { fully_decentralise_lemol: true, block_processing: true, recurrent_om_prediction: true },
  "discrete actions with a live OM": { discrete_actions: true, block_processing: true },
  "first release's alignment, EP": { revision: "init", block_processing: true },
  // periods of one step: the initial release's EP (lemol-spec §4.5: INIT EP works only with F = 1)
  "LeMOL-EP with an update every step": { block_processing: true, agent_update_freq: 1 },
  "first release's EP, an update every step": { revision: "init", block_processing: true, agent_update_freq: 1 },
  "the alternative LSTM cell": { use_alternative_lstm: true, learning_feature_dim: 4 },
};

describe("LeMOL variants end to end", () => {
  for (const [name, options] of Object.entries(VARIANTS)) {
    it(`${name}: a tiny run completes and logs OM training and in-play accuracy`, async () => {
      const exp = await make(options);
      await exp.run();
      const train = values(exp, "om_training_accuracy");
      const loss = values(exp, "om_training_loss");
      const inPlay = values(exp, "om_accuracy_in_play");
      assert.ok(train.length > 0 && loss.length === train.length, "OM training metrics");
      assert.ok(loss.every(Number.isFinite) && train.every((a) => a >= 0 && a <= 1), "finite loss, accuracy in [0, 1]");
      assert.ok(inPlay.length > 0 && inPlay.every((a) => a >= 0 && a <= 1), "in-play accuracy");
      assert.ok(values(exp, "q_loss").every(Number.isFinite), "finite critic losses");
      if (options.discrete_actions) {
        // m is the one-hot of the prediction (the original crashes here)
        const z = loadNpz(exp.runDir.experienceFiles()[0]);
        const X = TINY.batch_size! * 25;
        for (let t = X; t < z.om_predictions.shape[0]; t += 37) {
          const row = Array.from(z.om_predictions.data.subarray(t * 5, t * 5 + 5));
          assert.deepEqual(row.slice().sort(), [0, 0, 0, 0, 1], `row ${t}: ${row}`);
        }
      }
      exp.dispose();
    });
  }

  it("the oracle of the later release scores in-play accuracy 1.0 in every window (§9.2 item 14), and trains no OM", async () => {
    const exp = await make({ feed_lemol_true_action: true, n_opp_cycles: 1 });
    await exp.run();
    const acc = values(exp, "om_accuracy_in_play");
    assert.ok(acc.length > 10 && acc.every((a) => a === 1), `${acc}`);
    assert.equal(values(exp, "om_training_loss").length, 0);
    exp.dispose();
    // outside its window and below its proportion, the oracle still feeds the truth with probability lemol_oracle_baseline_acc
    const noisy = await make({ feed_lemol_true_action: true, n_opp_cycles: 1, lemol_true_action_feed_proportion: 0, lemol_oracle_baseline_acc: 0.55 });
    await noisy.run();
    const mean = values(noisy, "om_accuracy_in_play").reduce((s, a, _, all) => s + a / all.length, 0);
    // truth 55% of the time, otherwise a Dirichlet draw that still matches ~20%: ~0.64
    assert.ok(mean > 0.57 && mean < 0.71, `mean accuracy ${mean}`);
    noisy.dispose();
  });

  it("logs the OM's influence on the policy every log_om_influence_freq steps", async () => {
    const exp = await make({ log_om_influence: true, log_om_influence_freq: 10, n_opp_cycles: 1 });
    await exp.runTrajectory();
    const rows = exp.metrics.rows.filter((r) => r.metric === "om_influence");
    assert.equal(rows.length, (TINY.num_episodes! * 25) / 10);
    assert.ok(rows.every((r) => r.train_step! % 10 === 0 && Number.isFinite(r.value) && r.value >= 0));
    assert.ok(
      rows.some((r) => r.value > 0),
      "the actor's logits depend on m",
    );
    exp.dispose();
  });

  it("skip_to_om_training trains on the files already there; _first_cycle skips cycle 0 only", async () => {
    const first = await make({ n_opp_cycles: 1 });
    await first.run();
    const dir = first.runDir.experienceDir;
    assert.equal(first.runDir.experienceFiles().length, 1);
    first.dispose();

    const skip = await make({ skip_to_om_training: true, lemol_save_path: dir });
    assert.equal(skip.phase, "om_training");
    await skip.run();
    assert.equal(skip.trajectoriesStarted, 0, "no play at all");
    assert.equal(new Set(skip.metrics.rows.filter((r) => r.metric === "om_training_loss").map((r) => r.cycle)).size, 2, "an OM training per cycle");
    skip.dispose();

    const firstOnly = await make({ skip_to_om_training_first_cycle: true, lemol_save_path: dir });
    await firstOnly.run();
    assert.equal(firstOnly.trajectoriesStarted, 1, "cycle 1 plays");
    assert.ok(firstOnly.metrics.rows.some((r) => r.metric === "om_accuracy_in_play" && r.cycle === 1));
    firstOnly.dispose();

    const empty = tmpRun();
    await assert.rejects(() => make({ skip_to_om_training: true, lemol_save_path: empty }), /no experience files under/);
  });

  it("the fully decentralised update uses the OM where the centralised one asks the opponent for its target action", async (t) => {
    // watched on the tfjs path (the fused update computes the same: test/agents/maddpg-fused.test.ts)
    FusedMADDPGUpdate.enabled = false;
    t.after(() => (FusedMADDPGUpdate.enabled = true));
    for (const full of [false, true]) {
      const exp = await make({ fully_decentralise_lemol: full, n_opp_cycles: 1 });
      const opponent = exp.pairing.find((t) => !(t instanceof LeMOLAgentTrainer)) as MADDPGAgentTrainer;
      let asked = 0;
      const original = opponent.targetAction.bind(opponent);
      opponent.targetAction = (...args) => {
        if ((new Error().stack ?? "").includes("LeMOLAgentTrainer")) asked++;
        return original(...args);
      };
      await exp.runTrajectory();
      assert.ok(values(exp, "q_loss").length > 0, "LeMOL updated");
      if (full) assert.equal(asked, 0, "fully decentralised LeMOL never uses the opponent's target actor");
      else assert.ok(asked > 0, "centralised LeMOL uses the opponent's target actor");
      exp.dispose();
    }
  });

  it("rejects combinations that cannot work, naming the options", async () => {
    await assert.rejects(() => make({ recurrent_om_prediction: true }), /recurrent_om_prediction needs block_processing/);
    await assert.rejects(() => make({ block_processing: true, episode_embedding_dim: 7 }), /episode_embedding_dim: must be even/);
    await assert.rejects(() => make({ use_triplet_representation_loss: true }), /too short for rep_loss_neg_dist 40/);
    await assert.rejects(() => make({ block_processing: true, chunk_length: 400 }), /periods of 25 steps is larger than/);
    await assert.rejects(() => make({ skip_to_om_training: true, feed_lemol_true_action: true }), /skip_to_om_training/);
    await assert.rejects(() => make({ use_alternative_lstm: true, block_processing: true }), /use_alternative_lstm .* does not combine with block_processing/);
  });

  it("a LeMOL-EP run with the in-episode LSTM and the triplet loss resumes mid-trajectory with exactly the uninterrupted run's metrics", async () => {
    const opts: ExperimentOptions = {
      block_processing: true,
      recurrent_om_prediction: true,
      use_triplet_representation_loss: true,
      rep_loss_neg_dist: 4,
      rep_loss_pos_dist: 2,
      fully_decentralise_lemol: true,
      checkpoint_replay: true,
    };
    const whole = await make(opts);
    await whole.run();
    const b = await stopAndResume({ ...TINY, ...opts }, 70); // cycle 1, mid-trajectory
    const la = fs.readFileSync(whole.runDir.metricsFile, "utf8").split("\n");
    const lb = fs.readFileSync(b.runDir.metricsFile, "utf8").split("\n");
    const k = la.findIndex((l, i) => l !== lb[i]);
    assert.ok(k < 0 && la.length === lb.length, `metrics.csv differs at line ${k + 1}: ${la[k]} vs ${lb[k]}`);
    for (const f of whole.runDir.experienceFiles()) {
      const rel = path.relative(whole.runDir.experienceDir, f);
      assert.ok(fs.readFileSync(f).equals(fs.readFileSync(path.join(b.runDir.experienceDir, rel))), rel);
    }
    whole.dispose();
    b.dispose();
  });
});
