/** `npm run bench [-- suite ...]`: runs benchmark suites and writes bench/results/<suite>.json. */
import { benchEnv } from "./env.js";
import { benchTrain } from "./train.js";

const SUITES: Record<string, () => Promise<string>> = { env: benchEnv, train: benchTrain };

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in SUITES)) {
    console.error(`unknown benchmark suite "${name}"; suites are ${Object.keys(SUITES).join(", ")}`);
    process.exit(2);
  }
}
for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
  console.log(`# ${name}`);
  const file = await SUITES[name]();
  console.log(`wrote ${file}`);
}
