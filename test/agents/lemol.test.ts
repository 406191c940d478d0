// The LeMOL agent and its opponent model: dimensions (spec §9.2 item 1), the "xent" definitions
// (item 8), truncated BPTT hand-off (item 10), the revisions' prediction rules, file validation.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { xentHead, xentInit } from "../../src/agents/lemol/agent.js";
import { InPlayScore } from "../../src/agents/lemol/in-play.js";
import { chunkPlan, readTrajectory } from "../../src/agents/lemol/om-training.js";
import { saveNpz } from "../../src/storage/npz.js";
import { Rng } from "../../src/util/rng.js";
import { assertClose, ready } from "../helpers/tf.js";
import { makeLeMOL } from "../helpers/lemol.js";

/** One step's numbers for the play-state tests: LeMOL's observation and action, the opponent's action. */
const PLAY = { obs: new Float64Array(8).fill(0.3), act: [0, 1, 0, 0, 0], opp: [0, 0, 1, 0, 0] };

function lemol(agentIndex: number, hidden: number, revision: "init" | "head" = "init", extra: object = {}) {
  return makeLeMOL(agentIndex, { lstmHiddenDim: hidden, revision }, extra);
}

describe("LeMOL", () => {
  before(ready);

  it("has the dimensions of lemol-spec §1 on simple_push, as adversary and as good agent", () => {
    const bad = lemol(0, 64);
    assert.equal(bad.om.eventSize, 20, "event [a_opp 5 | obs 8 | a 5 | r | done]");
    assert.equal(bad.actor.sizes[0], 13, "actor on obs ‖ m");
    assert.equal(bad.critic.sizes[0], 37, "centralised critic");
    assert.equal(bad.om.predictor.sizes[0], 72, "predictor on obs ‖ LF, H = 64 (head)");
    assert.equal(lemol(0, 32).om.predictor.sizes[0], 40, "H = 32 (init code)");
    const good = lemol(1, 64);
    assert.deepEqual([good.om.eventSize, good.actor.sizes[0], good.critic.sizes[0], good.om.predictor.sizes[0]], [31, 24, 37, 19 + 64]);
  });

  it("defines the original's xent: with one-hot m, x = accuracy - 1.9048 (spec §9.2 item 8)", () => {
    const hit = [0, 0, 1, 0, 0],
      miss = [1, 0, 0, 0, 0];
    assert.ok(Math.abs(xentHead(hit, hit, 5) - (1 - 1.9048)) < 1e-4);
    assert.ok(Math.abs(xentHead(hit, miss, 5) - (0 - 1.9048)) < 1e-4);
    // INIT's broken softmax gives the predicted class probability 0: x = -23.03 on a hit, -1.386 on a miss
    assert.ok(Math.abs(xentInit(hit, hit, 5) - -23.0259) < 1e-3);
    assert.ok(Math.abs(xentInit(hit, miss, 5) - -1.3863) < 1e-3);
  });

  it("hands the LSTM state from chunk to chunk: two chunks give the logits of one long pass (item 10)", () => {
    for (const revision of ["init", "head"] as const) {
      const om = lemol(0, 8, revision).om;
      const B = 3,
        C = 12,
        E = om.eventSize,
        O = om.obsSize;
      const rng = new Rng(2);
      const inputs = Float32Array.from({ length: B * 2 * C * E }, () => rng.normal());
      const obs = Float32Array.from({ length: B * 2 * C * O }, () => rng.normal());
      const whole = om.chunkLogits({
        inputs,
        obs,
        B,
        C: 2 * C,
        state: { h: new Float32Array(B * 8), c: new Float32Array(B * 8), useInit: true },
        revision,
      }).logits;
      const half = (x: Float32Array, w: number, part: number) => {
        const out = new Float32Array(B * C * w);
        for (let b = 0; b < B; b++) out.set(x.subarray((b * 2 * C + part * C) * w, (b * 2 * C + part * C + C) * w), b * C * w);
        return out;
      };
      const first = om.chunkLogits({
        inputs: half(inputs, E, 0),
        obs: half(obs, O, 0),
        B,
        C,
        state: { h: new Float32Array(B * 8), c: new Float32Array(B * 8), useInit: true },
        revision,
      });
      const second = om.chunkLogits({ inputs: half(inputs, E, 1), obs: half(obs, O, 1), B, C, state: { h: first.h, c: first.c, useInit: false }, revision });
      const A = om.oppActionSize;
      for (let b = 0; b < B; b++) {
        assertClose(
          first.logits.subarray(b * C * A, (b + 1) * C * A),
          whole.subarray(b * 2 * C * A, (b * 2 * C + C) * A),
          1e-5,
          `${revision} first half row ${b}`,
        );
        assertClose(
          second.logits.subarray(b * C * A, (b + 1) * C * A),
          whole.subarray((b * 2 * C + C) * A, (b + 1) * 2 * C * A),
          1e-5,
          `${revision} second half row ${b}`,
        );
      }
    }
  });

  it("predicts per revision: init feeds the true action during exploration, head the OM from its initial state", () => {
    const opp = [0.1, 0.6, 0.1, 0.1, 0.1];
    const obs = Array.from({ length: 8 }, (_, k) => k / 8);
    const m = new Float64Array(5);
    const init = lemol(0, 8, "init");
    init.predict(obs, opp, false, 0, m);
    assert.deepEqual(Array.from(m), opp);
    const head = lemol(0, 8, "head");
    head.predict(obs, opp, false, 0, m);
    assert.notDeepEqual(Array.from(m), opp);
    assert.ok(Math.abs(m.reduce((a, b) => a + b) - 1) < 1e-12, "a distribution");
    const expected = new Float64Array(5);
    head.om.predict(obs, head.h, true, expected);
    assert.deepEqual(Array.from(m), Array.from(expected));
  });

  it("advances the slow LSTM only past exploration, from its learned initial state, on the last F events", () => {
    const a = lemol(0, 8, "head", { agentUpdateFreq: 2 });
    const { obs, act, opp } = PLAY;
    for (let t = 0; t < 21; t++) a.experience(obs, act, 0, obs, false, false, opp, opp); // past exploration: more than 4 x 5
    a.recordEvent(0, opp, obs, act, 0.5, false);
    a.recordEvent(1, opp, obs, act, -0.5, true);
    const m = new Float64Array(5);
    a.predict(obs, opp, true, 3, m);
    assert.equal(a.useInitialState, false);
    // the same two events through the plain LSTM from the initial state
    const h = new Float64Array(8),
      c = new Float64Array(8);
    const events = new Float64Array(2 * a.om.eventSize);
    const ev = (r: number, d: number) => [...opp, ...obs, ...act, r, d];
    events.set(ev(0.5, 0), 0);
    events.set(ev(-0.5, 1), a.om.eventSize);
    a.om.advance(events, 2, h, c, true);
    assert.deepEqual(Array.from(a.h), Array.from(h));
  });

  it("does not advance the slow LSTM during exploration (spec §5.1): its state stays the initial one", () => {
    const a = lemol(0, 8, "head", { agentUpdateFreq: 2 });
    const { obs, act, opp } = PLAY;
    for (let t = 0; t < 19; t++) a.experience(obs, act, 0, obs, false, false, opp, opp); // still exploring: fewer than 4 x 5
    const before = { h: Array.from(a.h), c: Array.from(a.c) };
    a.recordEvent(0, opp, obs, act, 0.5, false);
    a.recordEvent(1, opp, obs, act, -0.5, true);
    const m = new Float64Array(5);
    a.predict(obs, opp, true, 3, m);
    assert.equal(a.useInitialState, true, "still on the initial state");
    assert.deepEqual({ h: Array.from(a.h), c: Array.from(a.c) }, before, "h and c untouched");
  });

  it("INIT: does not score the step at exploration's end that is still fed the truth (its first window read 1.0)", () => {
    const a = lemol(0, 8, "init"); // exploration: batch 4 x 5 steps = 20 transitions
    const { obs, act, opp } = PLAY;
    const m = new Float64Array(5);
    const step = () => {
      a.predict(obs, opp, false, 0, m);
      a.experience(obs, act, 0, obs, false, false, m, opp);
    };
    for (let t = 0; t < 20; t++) step();
    a.tracking = true; // the first update has come (onFirstUpdate)
    step(); // the buffer held exactly 20 at predict: still exploring, m is the truth
    assert.deepEqual(Array.from(m), opp, "fed the truth");
    assert.equal(a.takeInPlayWindow(), null, "nothing scored");
    step(); // past exploration: the OM's prediction, scored
    assert.equal(a.takeInPlayWindow()?.count, 1);
  });

  it("scores the persistence, window-majority and behaviour-cloning baselines (offline on o_t and on [o_t, a_t-1], online) on the same steps as the OM", () => {
    // stand-in baselines: the BC-MLP predicts the action its observation's entry 0 names, the
    // [o_t, a_t-1] one entry 1's, the online one entry 2's; the online one records what it is taught
    const taught: [number, number, number][] = [];
    let resets = 0;
    const online = {
      predict: (obs: ArrayLike<number>) => obs[2],
      observe: (obs: ArrayLike<number>, previous: number, a: ArrayLike<number>) => void taught.push([obs[0], previous, Array.from(a).indexOf(1)]),
      reset: () => void resets++,
    };
    const previousSeen: number[] = [];
    const cloning = {
      predict: (obs: ArrayLike<number>) => obs[0],
      predictWithPrevious: (obs: ArrayLike<number>, previous: number) => (previousSeen.push(previous), obs[1]),
    };
    const score = new InPlayScore(3, "head", cloning, online);
    const oneHot = (k: number) => [0, 1, 2].map((j) => (j === k ? 1 : 0));
    score.noteAction(oneHot(2), [9, 9, 9]); // an unscored step before: its action is the first "previous" one
    // the opponent plays 2, 2, 0, 0, 0; the OM predicts 2, 0, 0, 1, 0; the BC-MLP 1, 2, 0, 1, 1;
    // the BC on [o_t, a_t-1] 2, 2, 2, 0, 0; the online BC 0, 0, 0, 0, 0
    const played = [2, 2, 0, 0, 0],
      predicted = [2, 0, 0, 1, 0],
      cloned = [1, 2, 0, 1, 1],
      clonedPrevious = [2, 2, 2, 0, 0],
      onlinePredicted = [0, 0, 0, 0, 0];
    played.forEach((a, k) => {
      const obs = [cloned[k], clonedPrevious[k], onlinePredicted[k]];
      score.score(oneHot(predicted[k]), oneHot(a), obs);
      score.noteAction(oneHot(a), obs);
    });
    const w = score.take()!;
    assert.equal(w.count, 5);
    assert.equal(w.accuracy, 3 / 5);
    assert.equal(w.persistence, 4 / 5, "repeats: 2->2, 2->2, 0->0, 0->0; 2->0 misses");
    assert.equal(w.windowMajority, 3 / 5, "action 0, three of five");
    assert.equal(w.behaviourCloning, 2 / 5, "the BC-MLP hits steps 2 and 3");
    assert.equal(w.behaviourCloningPrevious, 4 / 5, "the [o_t, a_t-1] BC hits steps 0, 1, 3, 4");
    assert.deepEqual(previousSeen, [2, 2, 2, 0, 0], "it is given the opponent's previous action");
    assert.equal(w.onlineCloning, 3 / 5, "the online BC hits steps 2, 3, 4");
    // the online BC is taught every step after it was scored, with the previous action of that step
    assert.deepEqual(taught, [
      [9, -1, 2],
      [1, 2, 2],
      [2, 2, 2],
      [0, 2, 0],
      [1, 0, 0],
      [1, 0, 0],
    ]);
    score.newTrajectory();
    assert.equal(resets, 1, "a new opponent: the online BC starts afresh");
    score.score(oneHot(0), oneHot(0), [0, 1, 0]);
    const next = score.take()!;
    assert.equal(next.persistence, 0, "no previous action at a trajectory's start");
    assert.equal(next.behaviourCloning, 1, "a fresh window");
    assert.equal(next.behaviourCloningPrevious, 0);
    assert.equal(previousSeen.at(-1), -1, "no previous action for the [o_t, a_t-1] BC either");
    assert.equal(next.onlineCloning, 1);
  });

  it("checks experience files: missing keys and wrong shapes are named", () => {
    const a = lemol(0, 8);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-traj-"));
    const f = path.join(dir, "0.npz");
    const T = 10;
    const mat = (w: number) => ({ data: new Float64Array(T * w), shape: [T, w] });
    const vec = () => ({ data: new Float64Array(T), shape: [T] });
    saveNpz(f, { observations: mat(8), actions: mat(5), rewards: vec(), terminals: vec() });
    assert.throws(() => readTrajectory(f, a.om, false), /missing key "opponent_actions"/);
    saveNpz(f, { observations: mat(7), actions: mat(5), rewards: vec(), terminals: vec(), opponent_actions: mat(5) });
    assert.throws(() => readTrajectory(f, a.om, false), /"observations" has shape \(10,7\), expected \(10, 8\)/);
  });

  it("plans the chunk counts of lemol-spec §9.2 item 4", () => {
    assert.equal(chunkPlan(275_600, 25_600, 64, "head").chunks, 3906);
    assert.equal(chunkPlan(250_000, 25_600, 64, "init").chunks, 3507);
    assert.deepEqual(chunkPlan(250_000, 25_600, 64, "init"), { length: 224_399, chunks: 3507 });
    assert.equal(chunkPlan(1000, 1600, 16, "head").chunks, 0);
  });
});
