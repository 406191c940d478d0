// The cycle's OM training as the cycle runner drives it (om-phase.ts says what comes next; the runner checkpoints, stops and emits).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { LeMOLAgentTrainer } from "../../src/agents/lemol/agent.js";
import type { ExperimentConfig } from "../../src/train/config.js";
import { OMPhase } from "../../src/train/om-phase.js";
import { Rng } from "../../src/util/rng.js";
import { experiment } from "../helpers/experiment.js";
import { ready } from "../helpers/tf.js";

describe("the cycle's OM training", () => {
  before(ready);

  it("checkpoints as each pass starts (before its first chunk) and once when it ends; each pass's summary counts its chunks", async () => {
    const exp = await experiment({ n_opp_cycles: 1, traj_per_iter: 1, om_training_iters: 2 });
    await exp.runTrajectory();
    assert.equal(exp.phase, "om_training");
    const seen: string[] = [];
    exp.on("checkpoint", () => seen.push("checkpoint"));
    exp.on("om_chunk", (e) => seen.push(`pass ${e.pass}/${e.passes} chunk ${e.chunk}/${e.chunks}`));
    const passes = await exp.trainOpponentModel();
    assert.equal(passes.length, 2);
    const chunks = (pass: number) => Array.from({ length: passes[pass].chunks }, (_, c) => `pass ${pass}/2 chunk ${c}/${passes[pass].chunks}`);
    assert.ok(passes[0].chunks > 1, `${passes[0].chunks} chunks`);
    assert.deepEqual(seen, ["checkpoint", ...chunks(0), "checkpoint", ...chunks(1), "checkpoint"]);
    assert.equal(exp.phase, "done");
    exp.dispose();
  });

  it("refuses a pass or a chunk that is not due, naming the call to make first", () => {
    const learner = { name: "lemol-x", om: { trainingPath: { path: "native", reason: "" } }, resetPlayState() {} } as unknown as LeMOLAgentTrainer;
    const phase = new OMPhase([learner], { om_training_iters: 1 } as ExperimentConfig, 0, false, new Rng(1));
    const metrics = { add() {}, flush() {} };
    assert.throws(() => phase.trainChunk(0, metrics), /OMPhase.trainChunk: no pass is under way \(call next/);
    assert.throws(() => phase.startPass([]), /OMPhase.startPass: no pass is due \(call next first\)/);
    assert.deepEqual(
      phase.next(() => {}),
      { next: "pass_start" },
    );
    assert.throws(() => phase.trainChunk(0, metrics), /no pass is under way/, "pass_start: startPass comes first");
  });
});
