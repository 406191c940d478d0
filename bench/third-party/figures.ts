/**
 * docs/img/learning-third-party-<scenario>.png: lemol's MADDPG (--bootstrap_time_limit), the
 * variants named by THIRD_PARTY_FIGURE_VARIANTS (comma-separated; default normalise_rewards,pytorch_update,pytorch_all,pytorch_all_input_batchnorm) on that
 * scenario (bench/results/learning-lemol-variants.json) and maddpg-pytorch
 * (bench/results/learning-third-party.json), mean per 500 episodes with worst-to-best seed bands.
 *
 *   node --import tsx --import ./bench/built-library.mjs bench/third-party/figures.ts SCENARIO...
 *
 * Needs Debian's chromium and puppeteer-core (as notebooks' static images do).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { loadLearningBenchmark, loadThirdPartyBenchmark, plotLearningBenchmark, renderPng, thirdPartyCurves } from "../../src/index.js";
import type { CurveGroup, LearningRun } from "../../src/index.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const results = (name: string) => path.join(REPO, "bench/results", name);

const bench = loadLearningBenchmark(results("learning.json"));
const thirdParty = loadThirdPartyBenchmark(results("learning-third-party.json"));
const variantsFile = results("learning-lemol-variants.json");
const variants = fs.existsSync(variantsFile)
  ? (JSON.parse(fs.readFileSync(variantsFile, "utf8")) as { runs: Record<string, Record<string, { runs: LearningRun[] }>> })
  : { runs: {} };

const shown = (process.env.THIRD_PARTY_FIGURE_VARIANTS ?? "normalise_rewards,pytorch_update,pytorch_all,pytorch_all_input_batchnorm").split(",");
const scenarios = process.argv.slice(2);
if (scenarios.length === 0) {
  console.error("usage: figures.ts SCENARIO...");
  process.exit(2);
}
for (const scenario of scenarios) {
  const twoSided = thirdParty.runs.some((r) => r.scenario === scenario && r.sides.includes("bad") && r.sides.includes("good"));
  if (twoSided) throw new Error(`${scenario}: two-sided scenarios are drawn per side in notebook 06; this script draws one-sided ones`);
  const extra: CurveGroup[] = [
    ...Object.entries(variants.runs[scenario] ?? {})
      .filter(([name]) => shown.includes(name))
      .map(([name, v]) => ({
        label: `lemol --bootstrap_time_limit, ${name}`,
        runs: v.runs.map((r) => r.summed_reward_blocks),
        dash: "dot" as const,
      })),
    ...thirdPartyCurves(thirdParty, scenario),
  ];
  const fig = plotLearningBenchmark(
    { ...bench, runs: bench.runs.filter((r) => r.policy === "maddpg" && r.bootstrap_time_limit) },
    { scenario, extra, height: 520, show: false },
  );
  const file = path.join(REPO, "docs/img", `learning-third-party-${scenario}.png`);
  fs.writeFileSync(file, Buffer.from(await renderPng(fig, { width: 900 }), "base64"));
  console.log(`wrote ${path.relative(REPO, file)}`);
}
