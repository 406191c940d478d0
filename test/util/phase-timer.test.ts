// The phase timer the experiment benchmark reads (src/util/phase-timer.ts): off, it records
// nothing; on, it adds each phase's time and count; reset clears it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PHASE, PHASE_NAMES, PhaseTimer } from "../../src/util/phase-timer.js";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe("PhaseTimer", () => {
  it("records nothing while off", () => {
    const t = new PhaseTimer();
    const t0 = t.start();
    assert.equal(t0, 0);
    busy(2);
    t.stop(PHASE.env, t0);
    assert.deepEqual(Array.from(t.seconds), new Array(PHASE_NAMES.length).fill(0));
    assert.deepEqual(Array.from(t.counts), new Array(PHASE_NAMES.length).fill(0));
  });

  it("adds each phase's time and count while on, and reset clears them", () => {
    const t = new PhaseTimer();
    t.enabled = true;
    for (let i = 0; i < 3; i++) {
      const t0 = t.start();
      busy(2);
      t.stop(PHASE.om_training, t0);
    }
    const r = t.report();
    assert.equal(r.om_training.count, 3);
    assert.ok(r.om_training.seconds >= 0.006, `${r.om_training.seconds} s for three 2 ms phases`);
    assert.equal(r.env.count, 0);
    assert.equal(r.env.seconds, 0);
    t.reset();
    assert.equal(t.report().om_training.count, 0);
    assert.equal(t.report().om_training.seconds, 0);
  });
});
