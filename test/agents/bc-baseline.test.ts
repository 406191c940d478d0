// The behaviour-cloning baseline beside the OM (lemol-spec §9.2 check 11): trained on the OM's own
// chunks with the opponent's action at the same row (INIT's OM targets are the next row's), one
// step per chunk, in checkpoints, and scored in play on the OM's steps.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { BehaviourCloningBaseline, OnlineBehaviourCloning } from "../../src/agents/lemol/bc-baseline.js";
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
    const fit = bc.fit.bind(bc);
    bc.fit = (obs, targets, n, previous) => (rows.push(n), fit(obs, targets, n, previous));
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

  it("fit takes trainStep's Adam step bit for bit, without the reported loss and accuracy (both networks)", () => {
    const a = new BehaviourCloningBaseline(O, P, 16, 1e-2, new Rng(4));
    const b = new BehaviourCloningBaseline(O, P, 16, 1e-2, new Rng(4));
    const rng = new Rng(12);
    const rows = 40;
    const { obs, labels } = labelled(rng, rows);
    const targets = new Float32Array(rows * P);
    labels.forEach((l, t) => (targets[t * P + l] = 1));
    const previous = Int32Array.from(labels, (_, t) => (t === 0 ? -1 : labels[t - 1]));
    for (let i = 0; i < 3; i++) {
      const r = a.trainStep(obs, targets, rows, previous);
      assert.ok(Number.isFinite(r.loss) && r.accuracy >= 0, "trainStep reports its loss and accuracy");
      b.fit(obs, targets, rows, previous);
    }
    assert.equal(b.steps, a.steps);
    for (const [x, y] of [
      [a.mlp, b.mlp],
      [a.withPrevious.mlp, b.withPrevious.mlp],
    ])
      x.params.forEach((p, k) => assert.deepEqual(Array.from(y.params[k].dataSync()), Array.from(p.dataSync()), `${p.name}`));
    a.dispose();
    b.dispose();
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

  it("the BC on [o_t, a_t-1] is trained on each row's previous action in its file: it learns an opponent whose action follows its last one", () => {
    const agent = makeLeMOL(0, { lstmHiddenDim: 8, omlr: 1e-2, revision: "head" });
    const om = agent.om;
    const bc = om.baseline!;
    const rng = new Rng(7);
    const T = 400;
    // the opponent plays (its previous action + 1) mod P; the observations are noise
    const next = (a: number) => (a + 1) % P;
    const actions = new Int32Array(T);
    actions[0] = 3;
    for (let t = 1; t < T; t++) actions[t] = next(actions[t - 1]);
    const oneHot = new Float64Array(T * P);
    actions.forEach((a, t) => (oneHot[t * P + a] = 1));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-bc-prev-"));
    const file = path.join(dir, "0.npz");
    const randoms = (n: number) => Float64Array.from({ length: n }, () => rng.normal());
    saveNpz(file, {
      observations: { data: randoms(T * O), shape: [T, O] },
      actions: { data: randoms(T * 5), shape: [T, 5] },
      rewards: { data: randoms(T), shape: [T] },
      terminals: { data: Float64Array.from({ length: T }, (_, t) => (t % 25 === 24 ? 1 : 0)), shape: [T] },
      opponent_actions: { data: oneHot, shape: [T, P] },
    });
    for (let pass = 0; pass < 8; pass++) {
      const p = new OMTrainingPass(om, [file], { numTrajToTrain: 2, chunkLength: 25, revision: "head", explorationSteps: 50, trainOnOneHot: false, rng });
      while (!p.done) p.trainNext();
    }
    assert.equal(bc.withPrevious.steps, bc.steps, "a step of each network per chunk");
    // scored as in play: the observation at t and the opponent's action at t - 1
    const test = randoms(200 * O);
    let withPrevious = 0,
      observationOnly = 0;
    for (let t = 0; t < 200; t++) {
      const previous = t % P,
        truth = next(previous);
      withPrevious += bc.predictWithPrevious(test, previous, t * O) === truth ? 1 : 0;
      observationOnly += bc.predict(test, t * O) === truth ? 1 : 0;
    }
    assert.ok(withPrevious / 200 > 0.95, `the [o_t, a_t-1] BC: ${withPrevious / 200}`);
    assert.ok(observationOnly / 200 < 0.5, `the o_t BC cannot know: ${observationOnly / 200}`);
    fs.rmSync(dir, { recursive: true, force: true });
    agent.dispose();
  });

  it("the online BC learns the current opponent from its steps (each scored before it is learned), starts afresh for a new one, and resumes exactly", () => {
    const rng = new Rng(8);
    const online = new OnlineBehaviourCloning(O, P, 16, Rng.stream(1, "online"));
    // an opponent playing (previous + shift) mod P; the observations are noise
    const play = (bc: OnlineBehaviourCloning, steps: number, shift: number, previous: number): { hits: number; previous: number } => {
      let hits = 0;
      const obs = new Float64Array(O);
      for (let t = 0; t < steps; t++) {
        for (let k = 0; k < O; k++) obs[k] = rng.normal();
        const a = previous < 0 ? 0 : (previous + shift) % P;
        const action = Array.from({ length: P }, (_, k) => (k === a ? 1 : 0));
        hits += bc.predict(obs, previous) === a ? 1 : 0;
        bc.observe(obs, previous, action);
        previous = a;
      }
      return { hits, previous };
    };
    const first = play(online, 1000, 1, -1);
    assert.equal(online.stepsSeen, 1000);
    assert.equal(online.trainingSteps, 1000 / online.every, "one step every `every` steps");
    const late = play(online, 200, 1, first.previous);
    assert.ok(late.hits / 200 > 0.95, `fitted on the opponent's steps: ${late.hits / 200}`);
    // a new opponent (playing previous + 2): fresh weights, nothing kept of the last one
    online.reset();
    assert.equal(online.stepsSeen, 0);
    assert.equal(online.trainingSteps, 0);
    const early = play(online, 20, 2, 0); // before its first training step
    assert.ok(early.hits / 20 < 0.6, `untrained on the new opponent: ${early.hits / 20}`);
    // saved mid-window and put back into another: the same predictions and the same next steps
    play(online, 130, 2, early.previous);
    const w = new CheckpointWriter();
    online.saveTo(w, "x/online");
    const r = new CheckpointReader({ values: w.values } as never, new Map(w.arrays.map((x) => [x.name, x])), "test");
    const copy = new OnlineBehaviourCloning(O, P, 16, Rng.stream(2, "other"));
    assert.equal(copy.loadFrom(r, "x/online"), true);
    const state = rng.getState();
    const a = play(online, 300, 2, 1);
    rng.setState(state);
    const b = play(copy, 300, 2, 1);
    assert.deepEqual(b, a);
    // and the next reset draws the same fresh weights (the stream came back too)
    online.reset();
    copy.reset();
    rng.setState(state);
    const c = play(online, 30, 3, 1);
    rng.setState(state);
    assert.deepEqual(play(copy, 30, 3, 1), c);
    assert.equal(
      new OnlineBehaviourCloning(O, P, 16, Rng.stream(2, "x")).loadFrom(new CheckpointReader({ values: {} } as never, new Map(), "old"), "x/online"),
      false,
    );
    online.dispose();
    copy.dispose();
  });
});
