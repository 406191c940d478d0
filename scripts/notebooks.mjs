#!/usr/bin/env node
// The notebooks' source of truth is notebooks/source/NN-name.ts in "percent" format (readable
// diffs, reviewable code); this writes notebooks/NN-name.ipynb from them (no outputs).
//
//   node scripts/notebooks.mjs build     write every .ipynb
//   node scripts/notebooks.mjs check     exit 1 if a committed .ipynb differs from its source
//
// Format: a line `// %%` starts a code cell, `// %% [markdown]` a markdown cell (its lines are
// `// ` comments), and `// %% {"timeout": 900}` a code cell with that cell metadata.
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, basename } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const srcDir = join(root, "notebooks", "source");

export function parsePercent(text, stem) {
  const cells = [];
  let cur = null;
  const flush = () => {
    if (!cur) return;
    while (cur.lines.length && cur.lines[cur.lines.length - 1].trim() === "") cur.lines.pop();
    while (cur.lines.length && cur.lines[0].trim() === "") cur.lines.shift();
    if (cur.lines.length) cells.push(cur);
    cur = null;
  };
  for (const line of text.split("\n")) {
    const m = /^\/\/ %%(.*)$/.exec(line);
    if (m) {
      flush();
      const rest = m[1].trim();
      if (rest === "[markdown]") cur = { type: "markdown", lines: [], metadata: {} };
      else cur = { type: "code", lines: [], metadata: rest ? JSON.parse(rest) : {} };
      continue;
    }
    if (!cur) {
      if (line.trim() === "") continue;
      throw new Error(`${stem}: text before the first "// %%" marker: ${JSON.stringify(line)}`);
    }
    if (cur.type === "markdown") {
      if (line !== "" && !line.startsWith("//")) throw new Error(`${stem}: markdown line not commented: ${JSON.stringify(line)}`);
      cur.lines.push(line.replace(/^\/\/ ?/, ""));
    } else cur.lines.push(line);
  }
  flush();
  return cells;
}

export function toNotebook(cells, stem) {
  const source = (lines) => lines.map((l, i) => (i < lines.length - 1 ? l + "\n" : l));
  return {
    cells: cells.map((c, i) =>
      c.type === "markdown"
        ? { cell_type: "markdown", id: `${stem}-${i}`, metadata: {}, source: source(c.lines) }
        : { cell_type: "code", execution_count: null, id: `${stem}-${i}`, metadata: c.metadata, outputs: [], source: source(c.lines) },
    ),
    metadata: {
      kernelspec: { display_name: "TypeScript", language: "typescript", name: "tslab" },
      language_info: {
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
        file_extension: ".ts",
        mimetype: "text/typescript",
        name: "typescript",
        version: "3.7.2", // exactly what tslab reports (Notebook rewrites language_info from the kernel on open)
      },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function build(check) {
  let bad = 0;
  const sources = readdirSync(srcDir)
    .filter((f) => /^\d\d-.*\.ts$/.test(f))
    .sort();
  for (const f of sources) {
    const stem = basename(f, ".ts");
    const nb = JSON.stringify(toNotebook(parsePercent(readFileSync(join(srcDir, f), "utf8"), stem), stem), null, 1) + "\n";
    const out = join(root, "notebooks", `${stem}.ipynb`);
    if (check) {
      if (!existsSync(out) || readFileSync(out, "utf8") !== nb) {
        console.error(`notebooks/${stem}.ipynb is out of date with notebooks/source/${f} (run: node scripts/notebooks.mjs build)`);
        bad++;
      }
    } else writeFileSync(out, nb);
  }
  if (!check) console.log(`wrote ${sources.length} notebooks`);
  return bad === 0;
}

const cmd = process.argv[2];
if (cmd === "build") build(false);
else if (cmd === "check") process.exit(build(true) ? 0 : 1);
else if (cmd) {
  console.error("usage: node scripts/notebooks.mjs build|check");
  process.exit(2);
}
