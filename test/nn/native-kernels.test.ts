// lemol's native kernels as a whole (nn/native-kernels.ts, src/nn/native/bindings.cc): in use on the
// wasm backend when built, refusing bad input by name, and switched off on request. The kernel
// families' own tests are in test/nn/native/.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { backendInfo } from "../../src/nn/backend.js";
import { compositeKernels, mlpKernels } from "../../src/nn/mlp.js";
import { activateNative, deactivateNative, nativeActive, nativeKernels } from "../../src/nn/native-kernels.js";
import { nativeSkip } from "../helpers/native.js";
import { ready } from "../helpers/tf.js";

const skip = nativeSkip();

describe("native kernels", { skip }, () => {
  before(async () => {
    await ready();
  });

  it("are active on the wasm backend and reported by initBackend", () => {
    if (backendInfo()!.name !== "wasm") return;
    assert.ok(nativeActive());
    assert.equal(mlpKernels().name, "native");
    assert.match(backendInfo()!.kernels, /^native \((avx512|avx2|generic)\)$/);
  });

  it("refuses fused update steps, Adam and Polyak on arrays of the wrong size, naming what is wrong", () => {
    const k = nativeKernels()!;
    const B = 4;
    const critic = [new Float32Array(6 * 8), new Float32Array(8), new Float32Array(8), new Float32Array(1)];
    const grads = critic.map((p) => new Float32Array(p.length));
    const v = (n: number) => new Float32Array(n);
    const stats = v(6);
    assert.throws(() => k.criticTrain(v(B * 5), B, critic, grads, v(B), v(B), v(B), 0.95, 0.5, v(B), v(B), v(B), stats), /criticTrain: x must be B rows/);
    assert.throws(
      () => k.criticTrain(v(B * 6), B, critic, grads.slice(1), v(B), v(B), v(B), 0.95, 0.5, v(B), v(B), v(B), stats),
      /grads must be one array per parameter/,
    );
    assert.throws(() => k.criticTrain(v(B * 6), B, critic, grads, v(B), v(B - 1), v(B), 0.95, 0.5, v(B), v(B), v(B), stats), /must hold B values/);
    const actor = [v(3 * 8), v(8), v(8 * 2), v(2)];
    const ag = actor.map((p) => v(p.length));
    const call = (column: number, noise = v(B * 2)) =>
      k.actorTrain(v(B * 3), B, actor, ag, noise, v(B * 6), column, critic, -1 / B, 1e-3, 1e-3, v(B * 2), v(B * 2), v(B));
    assert.throws(() => call(5), /action's columns lie outside the critic's input/);
    assert.throws(() => call(0, v(B * 3)), /noise, logits and sample must be B rows/);
    assert.ok(Number.isFinite(call(4)), "a well-formed call returns the actor's loss");
    // an optimiser step and the targets' update take their variables as lists
    const ps = [v(8), v(3)];
    assert.throws(() => k.adamAll(ps, [v(8), v(3)], [v(8)], [v(8), v(3)], 0.01, 0.9, 0.999, 1e-8, 0.5), /adamAll: one m, v and gradient per variable/);
    assert.throws(() => k.adamAll(ps, [v(8), v(3)], [v(8), v(3)], [v(8), v(4)], 0.01, 0.9, 0.999, 1e-8, 0.5), /adamAll: arrays of variable 1 differ in length/);
    assert.throws(() => k.polyak(ps, [v(8)], 0.01), /polyak: as many targets as online variables/);
    assert.throws(() => k.polyak(ps, [v(8), v(2)], 0.01), /polyak: arrays differ in length/);
  });

  it("can be switched off, falling back to the composite kernels", () => {
    deactivateNative();
    assert.equal(mlpKernels(), compositeKernels);
    activateNative();
    assert.equal(mlpKernels().name, backendInfo()!.name === "wasm" ? "native" : "composite");
  });
});
