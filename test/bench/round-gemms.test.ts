// The update benchmark's GEMM bound rests on its list of a round's GEMMs (bench/update.ts
// roundGemms): this checks the list against the GEMMs lemol's native kernels actually run in one
// MADDPG update round of both agents.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { roundGemms } from "../../bench/update.js";
import { createTrainers } from "../../src/agents/policies.js";
import { MultiAgentEnv } from "../../src/envs/env.js";
import { initBackend } from "../../src/nn/backend.js";
import { GemmCall, nativeAvailable, nativeGemmLog } from "../../src/nn/native-kernels.js";
import { TrainingRunner } from "../../src/train/runner.js";

const key = (g: GemmCall) => `${g.m}x${g.k}x${g.n}${g.tn ? "t" : ""}`;

describe("the update benchmark's GEMMs", { skip: nativeAvailable() ? false : "native kernels not built" }, () => {
  it("are exactly those one MADDPG update round runs (so its FLOPs and GEMM bound are right)", async () => {
    const info = await initBackend("wasm");
    assert.match(info.kernels, /^native/);
    const batch = 64;
    const env = new MultiAgentEnv("simple_push", { seed: 0 });
    const trainers = createTrainers(env, { badPolicy: "maddpg", goodPolicy: "maddpg", seed: 0, config: { batchSize: batch, agentUpdateFreq: 1 } });
    const run = new TrainingRunner(env, trainers, { learn: false });
    while (trainers[0].replay.length < batch * 25) run.step();
    nativeGemmLog(true);
    for (const tr of trainers) tr.preupdate();
    for (const tr of trainers) assert.ok(tr.update(trainers, 0), "an update ran");
    const ran = nativeGemmLog(false)!.map(key).sort();
    const listed = roundGemms(env.obsSizes, env.actionSizes, 64, batch).map(key).sort();
    assert.equal(ran.length, 62);
    assert.deepEqual(listed, ran);
    trainers.forEach((t) => t.dispose());
  });
});
