// MADDPG's maths lives in agents/maddpg-maths.ts: the fused native update computes it bit for bit
// (checkFusedMaths, run before a run takes that path), a changed loss is found and named, and a
// run with a changed loss uses it: on the tfjs path, which its manifest and start line record.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { before, describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { FusedMADDPGUpdate } from "../../src/agents/maddpg-fused.js";
import { ActorCriticMaths, checkFusedMaths, criticLoss, MADDPG_MATHS } from "../../src/agents/maddpg-maths.js";
import { createTrainers } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { distributionFor } from "../../src/nn/distributions.js";
import { nativeKernels } from "../../src/nn/native-kernels.js";
import { Experiment } from "../../src/train/experiment.js";
import { TrainingRunner } from "../../src/train/runner.js";
import { tmpRun } from "../helpers/experiment.js";
import { nativeSkip } from "../helpers/native.js";
import { ready, tf } from "../helpers/tf.js";

const skip = nativeSkip();

/** The critic's loss doubled (as a researcher might change it): the same shape, other numbers. */
const doubledCriticLoss: ActorCriticMaths["criticLoss"] = (q, y) => {
  const { loss, dQ } = criticLoss(q, y);
  return { loss: tf.mul(loss, 2) as tf.Scalar, dQ: tf.mul(dQ, 2) as tf.Tensor2D };
};

/** Two MADDPG trainers of simple_push past exploration, with `maths`; `rounds` update rounds; their weights' bits. */
function train(maths: ActorCriticMaths | undefined, rounds: number) {
  const env = new MultiAgentEnv("simple_push", { seed: 5 });
  const trainers = createTrainers(env, { badPolicy: "maddpg", goodPolicy: "maddpg", seed: 5, config: { batchSize: 64, numUnits: 16 }, maths });
  const runner = new TrainingRunner(env, trainers, { learn: false });
  const c = trainers[0].config;
  while (trainers[0].replay.length < c.batchSize * c.maxEpisodeLen) runner.step();
  const paths = trainers.map((t) => t.updatePath(trainers));
  for (let t = 0; t < rounds; t++) {
    for (const tr of trainers) tr.update(trainers, t);
    runner.step();
  }
  const weights = trainers.flatMap((tr: ActorCriticTrainer) =>
    [tr.actor, tr.critic].flatMap((n) => n.params.map((p) => new Uint32Array((p.dataSync() as Float32Array).slice().buffer))),
  );
  trainers.forEach((tr) => tr.dispose());
  return { paths, weights };
}

describe("MADDPG's maths in one place (agents/maddpg-maths.ts)", { skip }, () => {
  before(ready);
  const pd = distributionFor(new MultiAgentEnv("simple_push").actionSpaces[0]);

  it("is what the fused update's native glue computes, bit for bit (several batch sizes, γ)", () => {
    const k = nativeKernels()!;
    for (const [B, gamma] of [
      [64, 0.95],
      [50, 0.95],
      [1024, 0.99],
      [7, 0.5],
    ])
      assert.equal(checkFusedMaths(k, MADDPG_MATHS, pd, B, gamma), null, `B ${B}, γ ${gamma}`);
  });

  it("finds a changed loss and names the function that differs and the native glue to port it to", () => {
    const k = nativeKernels()!;
    const changed: [Partial<ActorCriticMaths>, RegExp][] = [
      [{ criticLoss: doubledCriticLoss }, /^criticLoss \(agents\/maddpg-maths\.ts\).*criticGlueRows \(nn\/native\/fused_update\.cc\).*dQ/],
      [{ tdTarget: (rew, done, qNext, gamma) => MADDPG_MATHS.tdTarget(rew, done, qNext, gamma * gamma) }, /^tdTarget .*criticGlueRows.* y /],
      [{ actorLoss: (q, logits) => ({ ...MADDPG_MATHS.actorLoss(q, logits), loss: tf.neg(tf.mean(q)) as tf.Scalar }) }, /^actorLoss .*actorLoss .*the loss/],
      [
        { actorLoss: (q, logits) => ({ ...MADDPG_MATHS.actorLoss(q, logits), dLogits: tf.mul(logits, 0) as tf.Tensor2D }) },
        /^actorLoss \(its dLogits\).*actorGlueRows.*dLogits/,
      ],
      [
        { actorLoss: (q, logits) => ({ ...MADDPG_MATHS.actorLoss(q, logits), dQ: tf.fill([q.shape[0], 1], -2 / q.shape[0]) as tf.Tensor2D }) },
        /^actorLoss .*actorTrain's dq.*dQ/,
      ],
    ];
    for (const [change, message] of changed) {
      const got = checkFusedMaths(k, { ...MADDPG_MATHS, ...change }, pd, 64, 0.95);
      assert.match(got ?? "(no difference found)", message);
    }
  });

  it("a changed loss changes the run: the tfjs path is taken (and says why), and it is what that path computes", () => {
    const standard = train(undefined, 4);
    assert.deepEqual(
      standard.paths.map((p) => p.path),
      ["fused", "fused"],
      "the standard maths takes the fused update",
    );
    const changed = train({ ...MADDPG_MATHS, criticLoss: doubledCriticLoss }, 4);
    for (const p of changed.paths) {
      assert.equal(p.path, "tfjs");
      assert.match(p.reason, /criticLoss \(agents\/maddpg-maths\.ts\).*criticGlueRows/);
    }
    assert.equal(changed.weights.length, standard.weights.length);
    assert.ok(
      changed.weights.some((w, k) => !w.every((x, i) => x === standard.weights[k][i])),
      "the changed loss moved the weights",
    );
    // the tfjs path with the fused update switched off gives the same numbers: the change was used, not approximated
    FusedMADDPGUpdate.enabled = false;
    try {
      const viaTf = train({ ...MADDPG_MATHS, criticLoss: doubledCriticLoss }, 4);
      viaTf.weights.forEach((w, k) => assert.deepEqual(w, changed.weights[k], `weights ${k}`));
    } finally {
      FusedMADDPGUpdate.enabled = true;
    }
  });

  it("the path is recorded in the run's manifest and printed in its start line", async () => {
    const lines: string[] = [];
    const exp = await Experiment.create(
      { scenario: "simple_push", bad_policy: "maddpg", good_policy: "maddpg", num_episodes: 2, run_dir: tmpRun() },
      { print: (l) => lines.push(l) },
    );
    try {
      const manifest = JSON.parse(fs.readFileSync(exp.runDir.manifestFile, "utf8"));
      assert.deepEqual(Object.keys(manifest.update_paths), ["maddpg-bad_agent_0", "maddpg-good_agent_1"]);
      for (const p of Object.values<{ path: string }>(manifest.update_paths)) assert.equal(p.path, "fused");
      assert.ok(lines.includes("  update: fused: maddpg-bad_agent_0, maddpg-good_agent_1"), lines.join("\n"));
    } finally {
      exp.dispose();
    }
  });
});
