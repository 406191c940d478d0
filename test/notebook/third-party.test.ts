// The third-party learning results in a notebook: loading them and their curves per side.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { loadThirdPartyBenchmark, thirdPartyCurves } from "../../src/notebook/learning.js";
import type { ThirdPartyBenchmark } from "../../src/notebook/learning.js";

const tp: ThirdPartyBenchmark = {
  about: "test",
  runs: [
    {
      scenario: "duel",
      policy: "maddpg",
      seed: 1,
      agents: ["adversary 0", "agent 0", "agent 1"],
      sides: ["bad", "good", "good"],
      summed_reward_blocks: [1, 2],
      agent_reward_blocks: [
        [5, 6],
        [-1, -2],
        [-3, -2],
      ],
    },
    {
      scenario: "duel",
      policy: "maddpg",
      seed: 2,
      agents: ["adversary 0", "agent 0", "agent 1"],
      sides: ["bad", "good", "good"],
      summed_reward_blocks: [3, 4],
      agent_reward_blocks: [
        [7, 8],
        [-2, -2],
        [-2, -2],
      ],
    },
  ],
};

describe("third-party curves", () => {
  it("sum a side's agents per block, or take the summed reward; nothing for a scenario without runs", () => {
    assert.deepEqual(thirdPartyCurves(tp, "duel", "good")[0].runs, [
      [-4, -4],
      [-4, -4],
    ]);
    assert.deepEqual(thirdPartyCurves(tp, "duel", "bad")[0].runs, [
      [5, 6],
      [7, 8],
    ]);
    const [summed] = thirdPartyCurves(tp, "duel");
    assert.deepEqual(summed.runs, [
      [1, 2],
      [3, 4],
    ]);
    assert.equal(summed.dash, "dash");
    assert.deepEqual(thirdPartyCurves(tp, "other"), []);
  });

  it("load a results file, and refuse one without per-agent sides, naming the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-tp-"));
    const good = path.join(dir, "tp.json");
    fs.writeFileSync(good, JSON.stringify(tp));
    assert.equal(loadThirdPartyBenchmark(good).runs.length, 2);
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ runs: [{ scenario: "x" }] }));
    assert.throws(() => loadThirdPartyBenchmark(bad), new RegExp(`${bad.replace(/[.]/g, "\\.")}: not a third-party learning result`));
    fs.rmSync(dir, { recursive: true });
  });
});
