/** `npm run docs:metrics`: rewrites the metric table in docs/notebooks.md from the list of metrics (src/train/metric-names.ts). */
import * as fs from "node:fs";
import { metricsMarkdownTable } from "../src/train/metric-names.js";

const file = new URL("../docs/notebooks.md", import.meta.url);
const doc = fs.readFileSync(file, "utf8");
const begin = "<!-- metrics:begin -->";
const end = "<!-- metrics:end -->";
const i = doc.indexOf(begin);
const j = doc.indexOf(end);
if (i < 0 || j < i) throw new Error(`docs/notebooks.md has no ${begin} ... ${end} block`);
fs.writeFileSync(file, doc.slice(0, i + begin.length) + "\n" + metricsMarkdownTable() + "\n" + doc.slice(j));
console.log("docs/notebooks.md: metric table rewritten");
