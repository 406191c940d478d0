/**
 * Records data/example-run: a small LeMOL vs MADDPG run on simple_push with a fixed seed, made by
 * the library itself, so notebooks can plot real opponent-model accuracy before training anything.
 *
 *   npm run data:example               regenerate data/example-run
 *   npm run data:example -- --out DIR  write it elsewhere (the reproduction test does this)
 *
 * Same machine type, same library, same seed → the same metrics.csv and experience files, byte
 * for byte (test/train/data-example.test.ts checks it). The manifest records when and where it ran.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Experiment, ExperimentOptions } from "../src/train/experiment.js";
import { EXAMPLE_RUN_SETTINGS } from "../src/train/presets.js";

/** The recorded run's options (everything else is the `lemol train` default). */
export const EXAMPLE_OPTIONS: ExperimentOptions = {
  exp_name: "example-lemol-vs-maddpg",
  scenario: "simple_push",
  bad_policy: "lemol",
  good_policy: "maddpg",
  seed: 71,
  ...EXAMPLE_RUN_SETTINGS,
  num_units: 64,
  save_rate: 120,
  lemol_in_play_perf_log_freq: 100,
};

/** The experience files kept (the first trajectory of cycle 0 and the last of cycle 2): "a few", to keep the repository small. */
export const SHIPPED_EXPERIENCE = ["lemol_vs_maddpg/OM0/0.npz", "lemol_vs_maddpg/OM2/1.npz"];

export async function recordExample(out: string, options: { print?: (line: string) => void } = {}): Promise<Experiment> {
  const root = path.resolve(out);
  fs.rmSync(root, { recursive: true, force: true });
  // checkpoints are not shipped: write them to a scratch directory
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-example-"));
  try {
    const exp = await Experiment.create({ ...EXAMPLE_OPTIONS, run_dir: root, save_dir: path.join(scratch, "checkpoints") }, { print: options.print ?? null });
    await exp.run();
    exp.dispose();
    for (const f of exp.runDir.experienceFiles()) {
      const rel = path.relative(exp.runDir.experienceDir, f).split(path.sep).join("/");
      if (!SHIPPED_EXPERIENCE.includes(rel)) fs.rmSync(f);
    }
    return exp;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const i = process.argv.indexOf("--out");
  const out = i >= 0 ? process.argv[i + 1] : path.join(path.dirname(new URL(import.meta.url).pathname), "..", "data", "example-run");
  const t0 = Date.now();
  const exp = await recordExample(out, {
    print: (l) => {
      if (/steps: \d+, episodes/.test(l) || /Opponent Model Training Complete/.test(l)) console.log(l);
    },
  });
  const acc = exp.metrics.select("om_accuracy_in_play");
  for (let c = 0; c < exp.cycles; c++) {
    const v = acc.filter((r) => r.cycle === c).map((r) => r.value);
    console.log(`cycle ${c}: in-play OM accuracy ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} over ${v.length} windows`);
  }
  console.log(`recorded ${path.resolve(out)} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${exp.metrics.length} metric rows, backend ${exp.backend.name})`);
}
