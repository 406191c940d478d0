// --discrete_messages: the one-hot of each sampled message goes to the environment and the buffer
// (maddpg-pytorch's hard actions, bench/third-party); without it the soft sample does.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { oneHotChunk } from "../../src/train/loop.js";
import { experiment } from "../helpers/experiment.js";
import { ready } from "../helpers/tf.js";

/** Every stored (obs or act) row of a trainer's buffer, `width` numbers per row, from `from`. */
function storedRows(t: ActorCriticTrainer, what: "obs" | "act", from: number, width: number): number[][] {
  const r = t.replay;
  const batch = r.newBatch(r.length);
  r.gather(
    Int32Array.from({ length: r.length }, (_, i) => i),
    batch,
  );
  const size = what === "obs" ? r.obsSize : r.actSize;
  return Array.from({ length: r.length }, (_, i) => Array.from(batch[what].subarray(i * size + from, i * size + from + width)));
}

const isOneHot = (row: number[]) => row.filter((x) => x === 1).length === 1 && row.every((x) => x === 0 || x === 1);

describe("--discrete_messages", () => {
  before(ready);

  it("oneHotChunk replaces only the chunk by the one-hot of its first arg-max, and refuses a chunk outside the action", () => {
    const x = Float64Array.from([0.9, 0.1, 0.5, 0.2, 0.5]);
    assert.deepEqual(Array.from(oneHotChunk(x, 2, 3)), [0.9, 0.1, 1, 0, 0]);
    assert.throws(() => oneHotChunk(new Float64Array(5), 3, 3), /chunk \[3, 6\) is outside an action of 5 numbers/);
  });

  it("sends and stores the speaker's one-hot message on simple_speaker_listener; the listener hears it; off, both stay soft", async () => {
    const run = async (discrete: boolean) => {
      const exp = await experiment({
        scenario: "simple_speaker_listener",
        num_adversaries: 0,
        good_policy: "maddpg",
        bad_policy: "maddpg",
        discrete_messages: discrete,
      });
      for (let s = 0; s < 4 * 25; s++) exp.step();
      const [speaker, listener] = exp.pairing as ActorCriticTrainer[];
      // MPE's speaker_listener: agent 0 speaks (its action is a 3-way message), agent 1 moves and
      // observes [velocity 2, landmarks 6, the speaker's message 3]
      const out = {
        speakerActs: storedRows(speaker, "act", 0, 3),
        heard: storedRows(listener, "obs", 8, 3).slice(1), // the first observation precedes any message
        listenerActs: storedRows(listener, "act", 0, 5),
      };
      exp.dispose();
      return out;
    };
    const on = await run(true);
    assert.equal(on.speakerActs.length, 100);
    assert.ok(on.speakerActs.every(isOneHot), "every stored message is a one-hot");
    assert.ok(
      on.heard.filter((_, i) => (i + 1) % 25 !== 0).every(isOneHot),
      "the listener observes one-hot messages (except an episode's first step, which sees the reset's silence)",
    );
    assert.ok(!on.listenerActs.every(isOneHot), "movement is untouched (that is --discrete_actions)");
    const off = await run(false);
    assert.ok(!off.speakerActs.some(isOneHot), "by default the soft message is sent and stored");
  });
});
