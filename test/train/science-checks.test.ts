// The science checks of lemol-spec §9.2 on a small seeded experiment (LeMOL vs MADDPG on
// simple_push, 2 cycles of 200 episodes; the ablation 3): item 11 (in-play accuracy at or below
// chance before any OM training; clearly above chance, above cycle 0, rising within the trajectory
// and at or above the behaviour-cloning MLP after it; never near-perfect), item 13 (the ablated
// model below the full one, and its in-play accuracy in the trajectory's early region not rising
// from one trained cycle to the next), item 16 (the alignment alone, INIT's t+1
// target shift, changes the OM training curve: on a synthetic file, everything else the same).
// Deterministic for the seed; each assertion names its values (margins measured for seed 5).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { argmax } from "../../src/agents/lemol/in-play.js";
import { OMTrainingPass } from "../../src/agents/lemol/om-training.js";
import { saveNpz } from "../../src/storage/npz.js";
import { Rng } from "../../src/util/rng.js";
import { makeLeMOL } from "../helpers/lemol.js";
import { ready } from "../helpers/tf.js";
import type { ExperimentOptions } from "../../src/train/experiment.js";
import { experiment } from "../helpers/experiment.js";

const SMALL: ExperimentOptions = {
  scenario: "simple_push",
  bad_policy: "lemol",
  good_policy: "maddpg",
  num_episodes: 200,
  batch_size: 64,
  agent_update_freq: 1,
  n_opp_cycles: 2,
  traj_per_iter: 1,
  om_training_iters: 3,
  chunk_length: 16,
  num_units: 32,
  lstm_hidden_dim: 16,
  save_rate: 100_000,
  seed: 5,
};

type Run = {
  /** The mean of a metric's rows in a cycle. */
  mean: (metric: string, cycle: number) => number;
  /** The rows' values of a metric (of one cycle, when given). */
  series: (metric: string, cycle?: number) => number[];
  /** The mean of a metric over quarter q (0-3) of a cycle's rows (one trajectory a cycle here). */
  quarter: (metric: string, cycle: number, q: number) => number;
};

const average = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

async function run(extra: ExperimentOptions): Promise<Run> {
  const exp = await experiment({ ...SMALL, ...extra });
  await exp.run();
  const rows = exp.metrics.rows;
  exp.dispose();
  const pick = (metric: string, cycle?: number) => rows.filter((r) => r.metric === metric && (cycle === undefined || r.cycle === cycle)).map((r) => r.value);
  return {
    mean: (metric, cycle) => {
      const v = pick(metric, cycle);
      assert.ok(v.length > 0, `${metric} logged in cycle ${cycle}`);
      return average(v);
    },
    series: pick,
    quarter: (metric, cycle, q) => {
      const v = pick(metric, cycle);
      assert.ok(v.length >= 8, `${metric}: enough windows in cycle ${cycle} for quarters`);
      const n = Math.floor(v.length / 4);
      return average(v.slice(q * n, (q + 1) * n));
    },
  };
}

describe("science checks (lemol-spec §9.2) on a small seeded run", () => {
  before(ready);

  it("item 11: in-play accuracy at or below chance throughout cycle 0, above chance, above cycle 0 and rising within the trajectory after OM training, at or above the BC-MLP, never near-perfect (no leak); item 13: the ablation below the full model and not improving across trained cycles in the early region", async () => {
    const full = await run({});
    const before = full.mean("om_accuracy_in_play", 0),
      after = full.mean("om_accuracy_in_play", 1);
    // before any OM training: no quarter of the trajectory above chance (0.2) + 0.05. (It is not flat
    // below chance: the untrained OM predicts nearly one action, which the fresh opponent plays less
    // and less: 0.02 in the first quarter, 0.17 in the last for this seed.) An OM that learned in
    // play, or saw the opponent's action, would climb above it.
    for (let q = 0; q < 4; q++) {
      const v = full.quarter("om_accuracy_in_play", 0, q);
      assert.ok(v <= 0.25, `cycle 0 (no OM training yet), quarter ${q + 1}: ${v.toFixed(3)} at or below chance`);
    }
    assert.ok(after > 0.3, `cycle 1 (after OM training): ${after.toFixed(3)} is clearly above chance`);
    assert.ok(after > before + 0.1, `cycle 1 ${after.toFixed(3)} above cycle 0 ${before.toFixed(3)}`);
    // an upper bound: the opponent samples from a stochastic policy and the OM sees only its past
    // (lemol-spec §5.1); an OM that saw the opponent's current action would score near 1 in play
    const best = Math.max(...full.series("om_accuracy_in_play", 1));
    assert.ok(best < 0.8, `no in-play window of cycle 1 near-perfect (best ${best.toFixed(3)}): the current action does not leak into the OM's input`);
    // after training it rises within the trajectory as the opponent's policy sharpens (0.28 -> 0.40 for this seed)
    const first = full.quarter("om_accuracy_in_play", 1, 0),
      last = full.quarter("om_accuracy_in_play", 1, 3);
    assert.ok(last > first + 0.05, `cycle 1 rises within the trajectory: first quarter ${first.toFixed(3)}, last ${last.toFixed(3)}`);
    // the paper's claim: at or above a behaviour-cloning MLP on o_L trained on the same files,
    // scored on the same steps (bc-baseline.ts). (At this scale the OM, 0.35, is below persistence,
    // 0.39, and the online BC, 0.41: the test does not claim more than the spec's check; the
    // multi-seed study weighs the stronger baselines.)
    const cloning = full.mean("om_baseline_bc_in_play", 1);
    assert.ok(after >= cloning, `cycle 1: OM ${after.toFixed(3)} at or above the BC-MLP's ${cloning.toFixed(3)}`);

    const ablated = await run({ ablate_lemol_lstm: true, n_opp_cycles: 3 });
    const ablatedAfter = ablated.mean("om_accuracy_in_play", 1);
    assert.ok(ablatedAfter < after, `ablated ${ablatedAfter.toFixed(3)} below the full model's ${after.toFixed(3)} after OM training`);
    // without the learning feature more OM training does not help where opponent-learning context
    // matters most, the trajectory's early region (its first quarter of windows): in play, cycle 2 not above cycle 1
    const early1 = ablated.quarter("om_accuracy_in_play", 1, 0),
      early2 = ablated.quarter("om_accuracy_in_play", 2, 0);
    assert.ok(
      early2 <= early1,
      `the ablated OM's early-region in-play accuracy does not rise from cycle 1 (${early1.toFixed(3)}) to cycle 2 (${early2.toFixed(3)})`,
    );
  });

  it("item 16: the alignment alone — INIT's OM is trained on the next step's action; on the same exploration, chunks and model, that shift alone changes the training curve", () => {
    // an experience file whose observation o_t names the opponent's next action a(t+1), while a(t) is
    // drawn at random: what INIT's shifted target asks for is in o_t, the unshifted one is not
    const O = 8,
      P = 5,
      X = 50, // exploration: two episodes of 25 steps
      C = 16;
    const T = X + 25 * C + 1; // INIT's 400 rows after exploration: 25 whole chunks
    const rng = new Rng(16);
    const actions = Int32Array.from({ length: T + 1 }, () => rng.int(P));
    const obs = Float64Array.from({ length: T * O }, () => rng.normal() * 0.3);
    for (let t = 0; t < T; t++) obs[t * O + actions[t + 1]] += 1;
    const oneHot = new Float64Array(T * P);
    for (let t = 0; t < T; t++) oneHot[t * P + actions[t]] = 1;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-check16-"));
    const file = path.join(dir, "0.npz");
    saveNpz(file, {
      observations: { data: obs, shape: [T, O] },
      actions: { data: Float64Array.from({ length: T * 5 }, () => rng.uniform()), shape: [T, 5] },
      rewards: { data: new Float64Array(T), shape: [T] },
      terminals: { data: Float64Array.from({ length: T }, (_, t) => (t % 25 === 24 ? 1 : 0)), shape: [T] },
      opponent_actions: { data: oneHot, shape: [T, P] },
    });
    /**
     * INIT training passes of a fresh OM (the same initial weights each call), per chunk: its
     * accuracy and the rows (file row, of the events and of the targets) it was fed. `unshift`
     * replaces each target by the action at the event's own row: everything else is the same run.
     */
    const train = (unshift: boolean) => {
      const agent = makeLeMOL(0, { lstmHiddenDim: 8, omlr: 1e-2, revision: "init" });
      const om = agent.om;
      const trainChunk = om.trainChunk.bind(om);
      const fed: { obs: number[]; targets: number[] }[] = [];
      om.trainChunk = (chunk, index) => {
        const first = X + (index ?? 0) * C;
        if (unshift) for (let k = 0; k < chunk.C; k++) chunk.targets.set(oneHot.subarray((first + k) * P, (first + k + 1) * P), k * P);
        fed.push({
          obs: Array.from(chunk.obs.subarray(0, O)),
          targets: Array.from({ length: chunk.C }, (_, k) => argmax(chunk.targets.subarray(k * P, (k + 1) * P), P)),
        });
        return trainChunk(chunk, index);
      };
      const accuracy: number[] = [];
      for (let pass = 0; pass < 6; pass++) {
        const p = new OMTrainingPass(om, [file], {
          numTrajToTrain: 1,
          chunkLength: C,
          revision: "init",
          explorationSteps: X,
          trainOnOneHot: false,
          rng: new Rng(pass),
        });
        assert.equal(p.chunks, 25);
        while (!p.done) accuracy.push(p.trainNext().accuracy);
      }
      agent.dispose();
      return { accuracy, fed };
    };
    const shifted = train(false),
      unshifted = train(true);
    // the same exploration and chunks: chunk j of a pass starts at the file's row X + 16 j in both
    const rowObs = (r: number) => Array.from(Float32Array.from(obs.subarray(r * O, (r + 1) * O)));
    assert.equal(shifted.fed.length, 150);
    shifted.fed.forEach((f, j) => assert.deepEqual(f.obs, rowObs(X + (j % 25) * C)));
    assert.deepEqual(
      unshifted.fed.map((f) => f.obs),
      shifted.fed.map((f) => f.obs),
    );
    // INIT's targets are the next row's action
    shifted.fed.forEach((f, j) => assert.deepEqual(f.targets, Array.from(actions.subarray(X + (j % 25) * C + 1, X + (j % 25) * C + 1 + C)), `chunk ${j}`));
    const differing = shifted.accuracy.filter((a, k) => a !== unshifted.accuracy[k]).length;
    assert.ok(differing > shifted.accuracy.length / 2, `the shift alone changes the curve at ${differing} of ${shifted.accuracy.length} chunks`);
    const last = (xs: number[]) => xs.slice(-25).reduce((a, b) => a + b, 0) / 25;
    assert.ok(last(shifted.accuracy) > 0.8, `o_t names a(t+1): INIT's OM learns it (${last(shifted.accuracy).toFixed(3)})`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
