// The parity criterion of bench/learning-summary.ts (lemol against bench/third-party's runs), on
// hand-made runs whose verdicts are worked out by hand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareWithThirdParty, scenarioVerdicts } from "../../bench/learning-summary.js";
import type { LearningRun, ThirdPartyRun } from "../../bench/learning-summary.js";

const BLOCK = 500;

/** A cooperative run: two agents sharing the reward; first block `start`, then `last` (so the last 1,000 episodes' mean is `last`). */
function lemolRun(seed: number, start: number, last: number, scenario = "coop"): LearningRun {
  const agent = [start / 2, last / 2, last / 2];
  return {
    scenario,
    policy: "maddpg",
    bootstrap_time_limit: true,
    seed,
    agents: ["maddpg-good_agent_0", "maddpg-good_agent_1"],
    summed_reward_blocks: [start, last, last],
    agent_reward_blocks: [agent, agent],
    q_loss_blocks: [[], []],
  };
}

function referenceRun(seed: number, start: number, last: number, scenario = "coop"): ThirdPartyRun {
  const agent = [start / 2, last / 2, last / 2];
  return {
    scenario,
    policy: "maddpg",
    seed,
    agents: ["agent 0", "agent 1"],
    sides: ["good", "good"],
    summed_reward_blocks: [start, last, last],
    agent_reward_blocks: [agent, agent],
  };
}

describe("parity with third-party runs", () => {
  // references end at -40 .. -30 from a start of -140: range 10, progress |-35 - -140| = 105
  // -> margin max(10, 10.5) = 10.5, accepted -50.5 .. -19.5
  const refs = [-40, -38, -35, -32, -30].map((last, i) => referenceRun(i + 1, -140, last));

  it("widens the references' range by max(the range, 10% of their progress) and sorts lemol's seeds into below / inside / above", () => {
    const lemol = [-45, -50.4, -60, -20, -19].map((last, i) => lemolRun(i + 1, -140, last));
    const [row] = compareWithThirdParty(lemol, refs, BLOCK);
    assert.equal(row.margin, 10.5);
    assert.deepEqual(row.accepted, [-50.5, -19.5]);
    assert.deepEqual(row.below_seeds, [3]);
    assert.deepEqual(row.above_seeds, [5]);
    assert.equal(row.verdict, "below and above");
    assert.deepEqual(row.reference_last_1000, [-40, -38, -35, -32, -30]);
  });

  it("uses the range when the references disagree more than 10% of their progress", () => {
    const wide = [-80, -60, -40, -35, -30].map((last, i) => referenceRun(i + 1, -140, last)); // range 50, progress 91
    const [row] = compareWithThirdParty([lemolRun(1, -140, -131)], wide, BLOCK);
    assert.equal(row.margin, 50);
    assert.equal(row.verdict, "below", "-131 < -80 - 50");
    assert.equal(compareWithThirdParty([lemolRun(1, -140, -129)], wide, BLOCK)[0].verdict, "matches");
  });

  it("takes the range over the references' seeds 1-5 when more have run (the margin is calibrated for 5)", () => {
    // seeds 6-10 spread wider (-60 .. -20): over all ten the window would be -100.5 .. 20, and -60 would match
    const ten = [...refs, ...[-60, -25, -45, -20, -50].map((last, i) => referenceRun(i + 6, -140, last))];
    const [row] = compareWithThirdParty([lemolRun(1, -140, -60)], [...ten].reverse(), BLOCK);
    assert.deepEqual(row.reference_seeds, [1, 2, 3, 4, 5]);
    assert.deepEqual(row.accepted, [-50.5, -19.5]);
    assert.equal(row.verdict, "below");
  });

  it("judges each side of a two-sided game and calls a scenario a match only if every side matches", () => {
    const agentBlocks = (bad: number, good: number) => [
      [0, bad, bad],
      [0, good, good],
    ];
    const refTwoSided = (seed: number, bad: number, good: number): ThirdPartyRun => ({
      ...referenceRun(seed, 0, bad + good, "duel"),
      agents: ["adversary 0", "agent 0"],
      sides: ["bad", "good"],
      agent_reward_blocks: agentBlocks(bad, good),
    });
    const lemolTwoSided = (seed: number, bad: number, good: number): LearningRun => ({
      ...lemolRun(seed, 0, bad + good, "duel"),
      agents: ["maddpg-bad_agent_0", "maddpg-good_agent_1"],
      agent_reward_blocks: agentBlocks(bad, good),
    });
    const refs2 = [1, 2, 3].map((s) => refTwoSided(s, 10 + s, -10 - s));
    const ours = [1, 2, 3].map((s) => lemolTwoSided(s, 12, s === 2 ? -30 : -12));
    const rows = compareWithThirdParty(ours, refs2, BLOCK);
    assert.deepEqual(
      rows.map((r) => [r.measure, r.verdict]),
      [
        ["bad", "matches"],
        ["good", "below"],
      ],
    );
    assert.deepEqual(scenarioVerdicts(rows), [{ scenario: "duel", verdict: "below (good side)", reference_seeds: 3 }]);
  });

  it("leaves out scenarios without reference runs", () => {
    assert.deepEqual(compareWithThirdParty([lemolRun(1, -140, -35, "other")], refs, BLOCK), []);
  });
});
