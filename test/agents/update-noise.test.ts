// One update's training noise is drawn in one place (ActorCriticTrainer.drawUpdateNoise), in the
// order of its steps, for both update paths (tfjs and fused): which target actions take noise, per
// learner and option. (That both paths then give the same numbers: test/agents/maddpg-fused.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { initBackend } from "../../src/nn/backend.js";
import { buildRun } from "../../src/train/build.js";
import { resolveConfig } from "../../src/train/config.js";

const SMALL = { scenario: "simple_push", batch_size: 8, num_units: 8, lstm_hidden_dim: 4, seed: 5 };

function learners(options: Record<string, unknown>): ActorCriticTrainer[] {
  const run = buildRun(resolveConfig({ ...SMALL, ...options }), () => {});
  return [...run.trainers.values()] as ActorCriticTrainer[];
}

const drawnFor = (t: ActorCriticTrainer, agents: ActorCriticTrainer[]) => t.drawUpdateNoise(agents).target.map((z) => z !== null);

describe("an update's noise plan", () => {
  it("MADDPG: every agent's target action, then the actor; arg-max updates: the actor only", async () => {
    await initBackend("cpu");
    const agents = learners({ bad_policy: "maddpg", good_policy: "maddpg" });
    assert.deepEqual(drawnFor(agents[0], agents), [true, true]);
    const noise = agents[0].drawUpdateNoise(agents);
    assert.equal(noise.actor.length, 8 * agents[0].pd.noiseSize);
    const argmax = learners({ bad_policy: "maddpg", good_policy: "maddpg", argmax_update_actions: true });
    assert.deepEqual(drawnFor(argmax[0], argmax), [false, false]);
  });

  it("LeMOL: both target actions (its own conditioned on the opponent's); fully decentralised, only its own", async () => {
    await initBackend("cpu");
    const lemol = learners({ bad_policy: "lemol", good_policy: "maddpg" });
    assert.deepEqual(drawnFor(lemol[0], lemol), [true, true]);
    const full = learners({ bad_policy: "lemol", good_policy: "maddpg", fully_decentralise_lemol: true });
    assert.deepEqual(drawnFor(full[0], full), [true, false], "the opponent's target action is the OM's prediction: no noise");
  });
});
