// The behaviour-cloning baseline beside the OM (lemol-spec §9.2 check 11): trained on the OM's own
// chunks with the opponent's action at the same row (INIT's OM targets are the next row's), one
// step per chunk, in checkpoints, and scored in play on the OM's steps.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { BehaviourCloningBaseline } from "../../src/agents/lemol/bc-baseline.js";
import { OMTrainingPass } from "../../src/agents/lemol/om-training.js";
import { CheckpointReader, CheckpointWriter } from "../../src/storage/checkpoint.js";
import { saveNpz } from "../../src/storage/npz.js";
import { Rng } from "../../src/util/rng.js";
import { makeLeMOL } from "../helpers/lemol.js";
import { ready, tf } from "../helpers/tf.js";

const O = 8,
  P = 5;

/** Observations whose first P entries name the opponent's action at the same step (their arg-max). */
function labelled(rng: Rng, rows: number): { obs: Float32Array; labels: Int32Array } {
  const obs = Float32Array.from({ length: rows * O }, () => rng.normal());
  const labels = new Int32Array(rows);
  for (let t = 0; t < rows; t++) {
    let best = 0;
    for (let k = 1; k < P; k++) if (obs[t * O + k] > obs[t * O + best]) best = k;
    labels[t] = best;
  }
  return { obs, labels };
}

function accuracy(bc: BehaviourCloningBaseline, obs: Float32Array, labels: Int32Array): number {
  let hits = 0;
  for (let t = 0; t < labels.length; t++) hits += bc.predict(obs, t * O) === labels[t] ? 1 : 0;
  return hits / labels.length;
}

describe("behaviour-cloning baseline", () => {
  before(ready);

  it("trains on the OM's chunks, one step each, on the opponent's action at the same row", () => {
    const agent = makeLeMOL(0, { lstmHiddenDim: 8, omlr: 1e-2, revision: "init" });
    const om = agent.om;
    const bc = om.baseline!;
    assert.ok(bc, "every LeMOL agent has one");
    const rng = new Rng(5);
    const T = 400;
    const { obs, labels } = labelled(rng, T);
    const oneHot = new Float32Array(T * P);
    labels.forEach((a, t) => (oneHot[t * P + a] = 1));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-bc-"));
    const file = path.join(dir, "0.npz");
    const f64 = (x: Float32Array, shape: number[]) => ({ data: Float64Array.from(x), shape });
    const terminals = Float32Array.from({ length: T }, (_, t) => (t % 25 === 24 ? 1 : 0)); // episodes of 25 steps
    saveNpz(file, {
      observations: f64(obs, [T, O]),
      actions: f64(new Float32Array(T * 5), [T, 5]),
      rewards: f64(new Float32Array(T), [T]),
      terminals: f64(terminals, [T]),
      opponent_actions: f64(oneHot, [T, P]),
    });
    const test = labelled(new Rng(6), 2000);
    const before = accuracy(bc, test.obs, test.labels);
    let chunks = 0;
    for (let pass = 0; pass < 12; pass++) {
      const p = new OMTrainingPass(om, [file], { numTrajToTrain: 4, chunkLength: 50, revision: "init", explorationSteps: 100, trainOnOneHot: false, rng });
      while (!p.done) p.trainNext();
      chunks += p.chunks;
    }
    assert.equal(bc.steps, chunks, "one step per OM chunk");
    const after = accuracy(bc, test.obs, test.labels);
    // the next row's action (what INIT's OM is trained on) says nothing of o_t: trained on it the
    // baseline would stay near chance
    assert.ok(before < 0.45, `untrained: ${before}`);
    assert.ok(after > 0.8, `trained: ${after}`);
    fs.rmSync(dir, { recursive: true, force: true });
    agent.dispose();
  });

  it("trains on the real steps of LeMOL-EP's padded periods only (episodes of varying length)", () => {
    const agent = makeLeMOL(0, { lstmHiddenDim: 8, revision: "head", blockProcessing: { embeddingDim: 4 } }, { agentUpdateFreq: 5 });
    const om = agent.om;
    assert.equal(om.period, 5, "periods of the episode length (5 in the test trainer)");
    // episodes of 5 steps through exploration (rows 0-9), then of 2, 5, 3, 4, 1 steps
    const lengths = [5, 5, 2, 5, 3, 4, 1];
    const T = lengths.reduce((a, b) => a + b, 0);
    const terminals = new Float64Array(T);
    lengths.reduce((end, l) => ((terminals[end + l - 1] = 1), end + l), 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-bc-ep-"));
    const file = path.join(dir, "0.npz");
    const rng = new Rng(4);
    const randoms = (n: number) => Float64Array.from({ length: n }, () => rng.uniform());
    saveNpz(file, {
      observations: { data: randoms(T * O), shape: [T, O] },
      actions: { data: randoms(T * 5), shape: [T, 5] },
      rewards: { data: randoms(T), shape: [T] },
      terminals: { data: terminals, shape: [T] },
      opponent_actions: { data: randoms(T * P), shape: [T, P] },
    });
    const rows: number[] = [];
    const bc = om.baseline!;
    const step = bc.trainStep.bind(bc);
    bc.trainStep = (obs, targets, n) => (rows.push(n), step(obs, targets, n));
    const p = new OMTrainingPass(om, [file], {
      numTrajToTrain: 2,
      chunkLength: 2,
      revision: "head",
      explorationSteps: 10,
      trainOnOneHot: false,
      rng,
      episodicPeriods: true,
    });
    while (!p.done) p.trainNext();
    // two files (the same one drawn twice) x the chunk's two episodes' real steps: (2 + 5), (3 + 4)
    assert.deepEqual(rows, [2 * 7, 2 * 7]);
    fs.rmSync(dir, { recursive: true, force: true });
    agent.dispose();
  });

  it("learns from its own stream: a second baseline on the same seed starts identical, and the OM's numbers do not depend on it", () => {
    const a = new BehaviourCloningBaseline(O, P, 16, 1e-3, Rng.stream(3, "bc"));
    const b = new BehaviourCloningBaseline(O, P, 16, 1e-3, Rng.stream(3, "bc"));
    const { obs } = labelled(new Rng(1), 50);
    for (let t = 0; t < 50; t++) assert.equal(a.predict(obs, t * O), b.predict(obs, t * O));
    // the OM's weights are drawn before and independently of the baseline's
    const withBc = makeLeMOL(0, { lstmHiddenDim: 8 }).om.predictor.params[0].dataSync();
    const again = makeLeMOL(0, { lstmHiddenDim: 8 }).om.predictor.params[0].dataSync();
    assert.deepEqual(Array.from(withBc), Array.from(again));
    a.dispose();
    b.dispose();
  });

  it("is saved with the OM and put back (weights, Adam state, steps); a checkpoint without it leaves it fresh", () => {
    const a = new BehaviourCloningBaseline(O, P, 16, 1e-2, Rng.stream(3, "bc"));
    const { obs, labels } = labelled(new Rng(2), 256);
    const targets = new Float32Array(256 * P);
    labels.forEach((l, t) => (targets[t * P + l] = 1));
    for (let k = 0; k < 5; k++) a.trainStep(obs, targets, 256);
    a.syncPlain();
    const w = new CheckpointWriter();
    a.saveTo(w, "x/bc");
    const r = new CheckpointReader({ values: w.values } as never, new Map(w.arrays.map((x) => [x.name, x])), "test");
    const b = new BehaviourCloningBaseline(O, P, 16, 1e-2, Rng.stream(4, "other"));
    assert.equal(b.loadFrom(r, "x/bc"), true);
    assert.equal(b.steps, 5);
    for (let t = 0; t < 256; t++) assert.equal(b.predict(obs, t * O), a.predict(obs, t * O));
    // the next step is the same: Adam's moments came back too
    a.trainStep(obs, targets, 256);
    b.trainStep(obs, targets, 256);
    assert.deepEqual(Array.from(b.mlp.params[0].dataSync()), Array.from(a.mlp.params[0].dataSync()));
    const fresh = new BehaviourCloningBaseline(O, P, 16, 1e-2, Rng.stream(4, "other"));
    assert.equal(fresh.loadFrom(new CheckpointReader({ values: {} } as never, new Map(), "old"), "x/bc"), false);
    assert.equal(fresh.steps, 0);
    const n = tf.memory().numTensors;
    fresh.trainStep(obs, targets, 256);
    assert.equal(tf.memory().numTensors, n, "a step leaves no tensor behind");
    for (const x of [a, b, fresh]) x.dispose();
  });
});
