/**
 * `npm run bench [-- suite ...] [--record]`: runs benchmark suites and writes bench/tmp/<suite>.json;
 * with `--record`, also the committed bench/results/<suite>.json (docs/perf-log.md says what changed).
 */
import { benchEnv } from "./env.js";
import { benchExperiment } from "./experiment.js";
import { benchLearning } from "./learning.js";
import { benchSoak } from "./soak.js";
import { benchStudy } from "./study/analyse.js";
import { benchScale } from "./scale.js";
import { benchTrain } from "./train.js";
import { benchUpdate } from "./update.js";

const SUITES: Record<string, () => Promise<string>> = {
  env: benchEnv,
  train: benchTrain,
  soak: benchSoak,
  scale: benchScale,
  learning: benchLearning,
  update: benchUpdate,
  experiment: benchExperiment,
  study: benchStudy,
};

const wanted = process.argv.slice(2).filter((a) => a !== "--record");
for (const name of wanted) {
  if (!(name in SUITES)) {
    console.error(`unknown benchmark suite "${name}"; suites are ${Object.keys(SUITES).join(", ")}`);
    process.exit(2);
  }
}
// the soak, scale, learning and experiment runs take minutes to an hour, and the study analyses
// runs made by its sweeps: only when asked for by name
const LONG = ["soak", "scale", "learning", "experiment", "study"];
for (const name of wanted.length ? wanted : Object.keys(SUITES).filter((s) => !LONG.includes(s))) {
  console.log(`# ${name}`);
  const file = await SUITES[name]();
  console.log(`wrote ${file}`);
}
