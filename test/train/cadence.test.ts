// The schedule at full default sizes (spec §9.2 items 2-4), with the learning step replaced by a
// counting no-op: the real loop, cadence checks, in-play opponent model and experience files run.
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { LeMOLAgentTrainer } from "../../src/agents/lemol/agent.js";
import { trainOpponentModelPass } from "../../src/agents/lemol/om-training.js";
import { loadNpz } from "../../src/storage/npz.js";
import { Rng } from "../../src/util/rng.js";
import { experiment } from "../helpers/experiment.js";
import { ready } from "../helpers/tf.js";

const ZERO = { qLoss: 0, pLoss: 0, qValue: 0, targetQ: 0, reward: 0, targetQNext: 0, targetQStd: 0 };

async function dryRun(revision: "init" | "head") {
  const head = revision === "head";
  const exp = await experiment({
    revision,
    num_episodes: head ? 11024 : 10000,
    agent_update_freq: head ? 25 : 1,
    batch_size: 1024,
    num_units: 64,
    lstm_hidden_dim: head ? 64 : 32,
    chunk_length: 64,
    n_opp_cycles: 1,
    traj_per_iter: 1,
    om_training_iters: 0,
    save_rate: 100000,
  });
  const updates = exp.pairing.map(() => ({ count: 0, first: -1 }));
  exp.pairing.forEach((t, i) =>
    (t as ActorCriticTrainer).setLearnHook((_agents, step) => {
      if (updates[i].first < 0) updates[i].first = step;
      updates[i].count++;
      return ZERO;
    }),
  );
  const lemol = exp.lemol as LeMOLAgentTrainer;
  let firstAdvance = -1;
  const advance = lemol.om.advance.bind(lemol.om);
  lemol.om.advance = (...args: Parameters<typeof advance>) => {
    if (firstAdvance < 0) firstAdvance = exp.trainStep;
    advance(...args);
  };
  await exp.runTrajectory();
  return { exp, updates, firstAdvance, lemol };
}

describe("the schedule at full default sizes", { timeout: 240_000 }, () => {
  before(ready);

  it("head: 275,600 steps, first update at 25,600, 10,000 updates, first slow-LSTM step at 25,625; 3,906 chunks", async () => {
    const { exp, updates, firstAdvance, lemol } = await dryRun("head");
    assert.equal(exp.trainStep, 275_600);
    assert.deepEqual(
      updates.map((u) => u.first),
      [25_600, 25_600],
    );
    assert.deepEqual(
      updates.map((u) => u.count),
      [10_000, 10_000],
    );
    assert.equal(firstAdvance, 25_625);
    await checkFile(exp, lemol, 275_600, 3906);
  });

  it("init: 250,000 steps, first update at 25,599, 224,401 updates; 3,507 chunks", async () => {
    const { exp, updates, lemol } = await dryRun("init");
    assert.equal(exp.trainStep, 250_000);
    assert.deepEqual(
      updates.map((u) => u.first),
      [25_599, 25_599],
    );
    assert.deepEqual(
      updates.map((u) => u.count),
      [224_401, 224_401],
    );
    await checkFile(exp, lemol, 250_000, 3507);
  });
});

/** The trajectory's npz (spec §9.2 item 3) and the chunk count of one OM training pass (item 4). */
async function checkFile(exp: Awaited<ReturnType<typeof experiment>>, lemol: LeMOLAgentTrainer, T: number, chunks: number) {
  const [file] = exp.runDir.experienceFiles();
  const z = loadNpz(file);
  assert.deepEqual(Object.keys(z), ["observations", "actions", "rewards", "terminals", "opponent_actions", "om_predictions", "policy", "opponent_policy"]);
  for (const k of Object.keys(z)) assert.equal(z[k].shape[0], T, k);
  const term = z.terminals.data;
  for (let t = 0; t < T; t++) if (term[t] !== ((t + 1) % 25 === 0 ? 1 : 0)) assert.fail(`terminal at row ${t}`);
  let calls = 0;
  lemol.om.trainChunk = () => {
    calls++;
    lemol.om.iterations++;
    return { loss: 0, accuracy: 0, triplet: NaN };
  };
  const before = lemol.om.iterations;
  const r = await trainOpponentModelPass(
    lemol.om,
    [file],
    { numTrajToTrain: 8, chunkLength: 64, revision: exp.config.revision, explorationSteps: 25_600, trainOnOneHot: false, rng: new Rng(1) },
    () => {},
  );
  assert.equal(r.chunks, chunks);
  assert.equal(calls, chunks);
  assert.equal(lemol.om.iterations - before, chunks);
  exp.dispose();
}
