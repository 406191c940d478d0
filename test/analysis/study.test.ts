// The pre-registered study's sweep files (docs/study.md): valid, the five conditions at one size,
// seeds 1-5 then 6-10 under the same run names.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { scheduledCycles } from "../../src/train/build.js";
import { resolveConfig } from "../../src/train/config.js";
import { expandSweep, loadSweepSpec } from "../../src/train/sweep.js";
import { REPO } from "../helpers/golden.js";
import { pythonWithNumpy, runPython } from "../helpers/python.js";

describe("the study's sweep files", () => {
  const [first, second] = ["sweep-1.json", "sweep-2.json"].map((f) => loadSweepSpec(path.join(REPO, "bench/study", f)));

  it("run the five conditions of docs/study.md at the same size, on the later release's defaults", () => {
    const jobs = expandSweep(first);
    assert.deepEqual([...new Set(jobs.map((j) => j.options.exp_name))], ["maddpg", "lemol-ep", "lemol-ep-ablated", "lemol-ep-oracle", "lemol-init"]);
    for (const j of jobs) {
      assert.equal(j.options.scenario, "simple_push");
      assert.equal(j.options.n_opp_cycles, 4, "the stated cut: 4 cycles of 10, every condition");
      assert.equal(j.options.revision, j.options.exp_name === "lemol-init" ? "init" : "head");
      assert.equal(j.options.bad_policy, j.options.exp_name === "maddpg" ? "maddpg" : "lemol");
    }
    // the control plays a LeMOL run's cycles and trajectories (--cycles_without_lemol): 4 x 3 each
    for (const j of jobs) {
      const cfg = resolveConfig(j.options);
      assert.equal(scheduledCycles(cfg) * cfg.traj_per_iter, 12, `${String(j.options.exp_name)}: trajectories per run`);
    }
    const ep = jobs.filter((j) => String(j.options.exp_name).startsWith("lemol-ep"));
    assert.ok(ep.every((j) => j.options.block_processing === true));
    assert.equal(jobs.find((j) => j.options.exp_name === "lemol-ep-ablated")!.options.ablate_lemol_lstm, true);
    assert.equal(jobs.find((j) => j.options.exp_name === "lemol-ep-oracle")!.options.feed_lemol_true_action, true);
  });

  it("take seeds 1-5, then 6-10, into one results directory with the same configurations", () => {
    assert.deepEqual(first.seeds, [1, 2, 3, 4, 5]);
    assert.deepEqual(second.seeds, [6, 7, 8, 9, 10]);
    assert.equal(first.results, second.results);
    assert.deepEqual({ ...first, seeds: [] }, { ...second, seeds: [] });
  });
});

describe("the study's power calculation (docs/study.md)", () => {
  it(
    "its variance estimates are what the committed results give, and its table is (t.975 + t.8) sqrt(2) sigma / sqrt(n)",
    { skip: pythonWithNumpy() ? false : "no python3 with numpy on this machine" },
    () => {
      const doc = fs.readFileSync(path.join(REPO, "docs/study.md"), "utf8");
      const rows = [...doc.matchAll(/^\| (\d+) \| ([\d.]+) \| ([\d.]+) \/ ([\d.]+) \/ ([\d.]+) \|$/gm)].map((m) => m.slice(1).map(Number));
      assert.deepEqual(
        rows.map((r) => r[0]),
        [5, 8, 10, 15],
      );
      const r = runPython(`
import json, numpy as np
from scipy import stats
learning = json.load(open(${JSON.stringify(path.join(REPO, "bench/results/learning.json"))}))
bad = []
for run in learning["runs"]:
    if run["scenario"] == "simple_push" and run["policy"] == "maddpg" and not run["bootstrap_time_limit"]:
        k = [i for i, a in enumerate(run["agents"]) if "bad" in a][0]
        bad.append(np.mean(run["agent_reward_blocks"][k][-2:]))  # the last 1,000 of 10,000 episodes (blocks of 500)
head = json.load(open(${JSON.stringify(path.join(REPO, "bench/results/full-head.json"))}))
cycles = {}
for f in head["final_rewards"]:
    if "bad" in f["agent"]: cycles.setdefault(f["cycle"], []).append(f["final_reward"])
pooled = float(np.sqrt(np.mean([np.var(v, ddof=1) for v in cycles.values()])))
mde = lambda sigma, n: (stats.t.ppf(0.975, n - 1) + stats.t.ppf(0.8, n - 1)) * np.sqrt(2) * sigma / np.sqrt(n)
table = [[n, mde(0.04, n), mde(0.35, n), mde(0.5, n), mde(0.67, n)] for n in ${JSON.stringify(rows.map((x) => x[0]))}]
print(json.dumps({"seeds": len(bad), "sd_seeds": float(np.std(bad, ddof=1)), "sd_traj": pooled, "table": table}))
`);
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { seeds: number; sd_seeds: number; sd_traj: number; table: number[][] };
      assert.equal(got.seeds, 5);
      assert.match(doc, new RegExp(`\\| defender reward, across seeds \\| ${got.sd_seeds.toFixed(2)} \\|`));
      assert.match(doc, new RegExp(`pooled within-cycle SD ${got.sd_traj.toFixed(2)}`));
      rows.forEach((row, i) =>
        row.slice(1).forEach((v, j) => assert.equal(v.toFixed(j === 0 ? 3 : 2), got.table[i][j + 1].toFixed(j === 0 ? 3 : 2), `n=${row[0]}, column ${j + 1}`)),
      );
    },
  );
});
