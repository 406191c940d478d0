/**
 * The docs match the API: every ```ts block of docs/notebooks.md and the README compiles against
 * the built package with TypeScript 5.0 (what the tslab kernel runs; non-strict, as a notebook
 * cell), and docs/notebooks.md's metric table is the one generated from src/train/metric-names.ts,
 * which names every metric a run writes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "../helpers/golden.js";
import { isMetricName, metricsMarkdownTable } from "../../src/train/metric-names.js";
import { Experiment } from "../../src/train/experiment.js";
import { REDUCED, tmpRun } from "../helpers/experiment.js";

const DOCS = ["README.md", "docs/notebooks.md"];

/** The ```ts blocks of a markdown file, with the line each starts on. */
export function tsBlocks(markdown: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```ts") continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && lines[j].trim() !== "```") j++;
    out.push({ line: start + 1, code: lines.slice(start, j).join("\n") });
    i = j;
  }
  return out;
}

describe("the docs match the API", () => {
  it("compiles every TypeScript block of the README and docs/notebooks.md with TypeScript 5.0", () => {
    assert.ok(fs.existsSync(path.join(REPO, "dist/index.d.ts")), "the blocks import the built package: run npm run build first");
    // under the package (so that "lemol" resolves to it, as in notebooks/), in the ignored build/
    const dir = path.join(REPO, "build", "doc-blocks");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const doc of DOCS) {
      const blocks = tsBlocks(fs.readFileSync(path.join(REPO, doc), "utf8"));
      assert.ok(blocks.length > 0, `${doc} has TypeScript blocks`);
      for (const b of blocks) {
        const name = `${doc.replace(/[/.]/g, "_")}_line${b.line}.ts`;
        // each block is a module of its own, as each notebook is
        fs.writeFileSync(path.join(dir, name), `${b.code}\nexport {};\n`);
        files.push(name);
      }
    }
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2022"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: false,
        esModuleInterop: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"],
        typeRoots: [path.join(REPO, "node_modules/@types")],
      },
      files,
    };
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 1));
    const tsc = path.join(REPO, "node_modules/typescript50/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, `a documented block does not compile (file names say the doc and line):\n${r.stdout}${r.stderr}`);
  });

  it("documents every metric in docs/notebooks.md's table, generated from the code (npm run docs:metrics)", () => {
    const doc = fs.readFileSync(path.join(REPO, "docs/notebooks.md"), "utf8");
    const block = doc.slice(doc.indexOf("<!-- metrics:begin -->") + "<!-- metrics:begin -->".length, doc.indexOf("<!-- metrics:end -->")).trim();
    assert.equal(block, metricsMarkdownTable(), "the metric table in docs/notebooks.md is stale: run npm run docs:metrics");
  });

  it("lists every metric name that LeMOL, MADDPG and PPO runs write", async () => {
    const written = new Set<string>();
    for (const policies of [
      { bad_policy: "lemol", good_policy: "maddpg" },
      { bad_policy: "ppo", good_policy: "ppo" },
    ]) {
      const exp = await Experiment.create(
        { ...REDUCED, ...policies, num_episodes: 40, n_opp_cycles: 1, traj_per_iter: 1, save_rate: 20, run_dir: tmpRun() },
        { print: null, progress: null, interrupts: null },
      );
      await exp.run();
      for (const name of exp.metrics.metricNames) written.add(name);
      exp.dispose();
    }
    assert.ok(written.has("om_accuracy_in_play") && written.has("kl"), [...written].join(", "));
    for (const name of written) assert.ok(isMetricName(name), `${name} is written but not in src/train/metric-names.ts`);
  });

  it("refuses a metric name that is neither lemol's nor in the log, naming the real ones", async () => {
    const exp = await Experiment.create(
      { ...REDUCED, num_episodes: 40, n_opp_cycles: 1, traj_per_iter: 1, run_dir: tmpRun() },
      { print: null, progress: null, interrupts: null },
    );
    await exp.runEpisode();
    assert.throws(() => exp.metrics.select("om_accuracy"), /no metric "om_accuracy": lemol writes episode_reward, .*om_accuracy_in_play/);
    assert.deepEqual(exp.metrics.select("om_training_loss"), [], "a known metric not written yet: no rows, no error");
    exp.dispose();
  });
});
