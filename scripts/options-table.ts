/** `npm run docs:options`: rewrites the README's option table from the option schema. */
import * as fs from "node:fs";
import { optionsMarkdownTable } from "../src/train/config.js";

const file = new URL("../README.md", import.meta.url);
const readme = fs.readFileSync(file, "utf8");
const begin = "<!-- options:begin -->";
const end = "<!-- options:end -->";
const i = readme.indexOf(begin);
const j = readme.indexOf(end);
if (i < 0 || j < i) throw new Error(`README.md has no ${begin} ... ${end} block`);
fs.writeFileSync(file, readme.slice(0, i + begin.length) + "\n" + optionsMarkdownTable() + "\n" + readme.slice(j));
console.log("README.md: option table rewritten");
