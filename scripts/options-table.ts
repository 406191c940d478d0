/** `npm run docs:options`: rewrites the option table in docs/options.md from the option schema. */
import * as fs from "node:fs";
import { optionsMarkdownTable } from "../src/train/config.js";

const file = new URL("../docs/options.md", import.meta.url);
const doc = fs.readFileSync(file, "utf8");
const begin = "<!-- options:begin -->";
const end = "<!-- options:end -->";
const i = doc.indexOf(begin);
const j = doc.indexOf(end);
if (i < 0 || j < i) throw new Error(`docs/options.md has no ${begin} ... ${end} block`);
fs.writeFileSync(file, doc.slice(0, i + begin.length) + "\n" + optionsMarkdownTable() + "\n" + doc.slice(j));
console.log("docs/options.md: option table rewritten");
