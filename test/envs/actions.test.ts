// Action decoding (`_set_action`) and the errors for bad actions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ActionError, MultiAgentEnv } from "../../src/index.js";

/** The decoded movement force of agent a after one step from rest, far from everything: v = u * dt. */
function decodedU(env: MultiAgentEnv, a: number): [number, number] {
  return [env.world.actU[2 * a], env.world.actU[2 * a + 1]];
}

describe("action decoding", () => {
  it("reads [noop, +x, -x, +y, -y] probability vectors as u = (p1 - p2, p3 - p4) * accel", () => {
    const env = new MultiAgentEnv("simple_tag");
    env.step([
      [0.1, 0.5, 0.2, 0.1, 0.1],
      [0, 0, 0, 1, 0],
      [0, 0, 0, 0, 1],
      [0.2, 0.2, 0.2, 0.2, 0.2],
    ]);
    assert.deepEqual(decodedU(env, 0), [(0.5 - 0.2) * 3.0, (0.1 - 0.1) * 3.0]);
    assert.deepEqual(decodedU(env, 1), [0, 3.0]);
    assert.deepEqual(decodedU(env, 2), [0, -3.0]);
    assert.deepEqual(decodedU(env, 3), [0, 0]);
  });

  it("uses accel 5.0 when the agent has none", () => {
    const env = new MultiAgentEnv("simple_push");
    env.step([
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
    ]);
    assert.deepEqual(decodedU(env, 0), [5, 0]);
    assert.deepEqual(decodedU(env, 1), [-5, 0]);
  });

  it("maps integers the other way round with discreteActionInput (1 = -x, 2 = +x, 3 = -y, 4 = +y)", () => {
    const env = new MultiAgentEnv("simple_push", { discreteActionInput: true });
    assert.deepEqual(env.actionSizes, [1, 1]);
    env.step([[1], [4]]);
    assert.deepEqual(decodedU(env, 0), [-5, 0]);
    assert.deepEqual(decodedU(env, 1), [0, 5]);
    env.step([[0], [2]]);
    assert.deepEqual(decodedU(env, 0), [0, 0]);
    assert.deepEqual(decodedU(env, 1), [5, 0]);
  });

  it("turns comm integers into one-hot vectors and copies comm vectors as they are", () => {
    const ints = new MultiAgentEnv("simple_reference", { discreteActionInput: true });
    ints.step([
      [0, 7],
      [3, 0],
    ]);
    const c0 = Array.from(ints.world.comm.subarray(0, 10));
    assert.deepEqual(c0, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    const vecs = new MultiAgentEnv("simple_reference");
    const comm = [0.1, 0.2, 0.3, 0.05, 0.05, 0.1, 0.1, 0.05, 0.03, 0.02];
    vecs.step([
      [1, 0, 0, 0, 0, ...comm],
      [1, 0, 0, 0, 0, ...comm],
    ]);
    assert.deepEqual(Array.from(vecs.world.comm.subarray(0, 10)), comm);
  });

  it("replaces movement by the one-hot of its arg-max with forceDiscreteAction (first maximum wins)", () => {
    const env = new MultiAgentEnv("simple_push", { forceDiscreteAction: true });
    env.step([
      [0.1, 0.3, 0.3, 0.2, 0.1],
      [0.1, 0.1, 0.1, 0.1, 0.6],
    ]);
    assert.deepEqual(decodedU(env, 0), [5, 0]);
    assert.deepEqual(decodedU(env, 1), [0, -5]);
  });

  it("uses continuous actions as the force direction, times accel, without clipping or mutating the input", () => {
    const env = new MultiAgentEnv("simple_tag", { discreteActionSpace: false });
    assert.deepEqual(env.actionSizes, [2, 2, 2, 2]);
    const a0 = [1.5, -0.25];
    env.step([a0, [0, 0], [0, 0], [0.5, 0.5]]);
    assert.deepEqual(decodedU(env, 0), [4.5, -0.75]);
    assert.deepEqual(decodedU(env, 3), [2, 2]);
    assert.deepEqual(a0, [1.5, -0.25], "the caller's array is not scaled in place (unlike the original)");
  });

  it("supports continuous movement plus comm for speaking agents (the original crashes there)", () => {
    const env = new MultiAgentEnv("simple_world_comm", { discreteActionSpace: false });
    assert.deepEqual(env.actionSizes, [6, 2, 2, 2, 2, 2]);
    assert.equal(env.actionSpaces[0].kind, "tuple");
    env.step([
      [1, 0, 0.1, 0.2, 0.3, 0.4],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual(decodedU(env, 0), [3, 0]);
    assert.deepEqual(Array.from(env.world.comm.subarray(0, 4)), [0.1, 0.2, 0.3, 0.4]);
  });

  it("describes each agent's action space as gym does", () => {
    const wc = new MultiAgentEnv("simple_world_comm");
    assert.deepEqual(wc.actionSpaces[0], { kind: "multi_discrete", nvec: [5, 4] });
    assert.deepEqual(wc.actionSpaces[1], { kind: "discrete", n: 5 });
    const sl = new MultiAgentEnv("simple_speaker_listener");
    assert.deepEqual(sl.actionSpaces[0], { kind: "discrete", n: 3 });
    assert.deepEqual(sl.actionSizes, [3, 5]);
    assert.deepEqual(wc.observationSpaces[0], { kind: "box", low: -Infinity, high: Infinity, shape: [34] });
  });
});

describe("bad actions", () => {
  const env = new MultiAgentEnv("simple_push");
  const ok = [1, 0, 0, 0, 0];

  it("rejects a wrong number of agents", () => {
    assert.throws(
      () => env.step([ok]),
      (e: Error) => e instanceof ActionError && /one action per agent \(2\), got 1/.test(e.message),
    );
  });
  it("rejects a wrong-length vector, naming the agent and the expected length", () => {
    assert.throws(
      () => env.step([ok, [1, 0, 0]]),
      (e: Error) => e instanceof ActionError && /agent 1: expected 5 numbers .*got 3/.test(e.message),
    );
  });
  it("rejects NaN and Infinity, naming the agent and the element", () => {
    assert.throws(() => env.step([[1, NaN, 0, 0, 0], ok]), /agent 0: element 1 is NaN/);
    assert.throws(() => env.step([ok, [1, 0, 0, -Infinity, 0]]), /agent 1: element 3 is -Infinity/);
  });
  it("rejects non-numbers and missing actions", () => {
    assert.throws(() => env.step([ok, ["a", 0, 0, 0, 0] as unknown as number[]]), /agent 1: element 0 is string/);
    assert.throws(() => env.step([ok, null as unknown as number[]]), /agent 1: expected an array of 5 numbers, got null/);
  });
  it("rejects integers out of range or fractional with discreteActionInput", () => {
    const ints = new MultiAgentEnv("simple_reference", { discreteActionInput: true });
    assert.throws(
      () =>
        ints.step([
          [5, 0],
          [0, 0],
        ]),
      /agent 0: movement must be an integer in \[0, 4\], got 5/,
    );
    assert.throws(
      () =>
        ints.step([
          [0, 10],
          [0, 0],
        ]),
      /agent 0: comm must be an integer in \[0, 9\], got 10/,
    );
    assert.throws(
      () =>
        ints.step([
          [0, 0],
          [1.5, 0],
        ]),
      /agent 1: movement must be an integer/,
    );
  });
  it("leaves the world unchanged when an action is rejected", () => {
    const before = JSON.stringify(env.saveState());
    assert.throws(() => env.step([ok, [1, 0, NaN, 0, 0]]));
    assert.equal(JSON.stringify(env.saveState()), before);
  });
});
