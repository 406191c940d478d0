/**
 * Errors in a cell's own code point at the cell's line and column (cell-position.ts): cells are
 * compiled by tslab's own converter, run as the kernel runs them (one script per cell, named
 * `lemol-cell-<n>.js`), and the thrown error's frames mapped back; plus the stack trimming of
 * errors.ts (no Node source excerpt, the real error name).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as vm from "node:vm";
import { cellPosition } from "../../src/notebook/cell-position.js";
import { trimStack } from "../../src/notebook/errors.js";

const require = createRequire(import.meta.url);
const { createConverter } = require("tslab/dist/converter.js") as {
  createConverter(o: object): { convert(prev: string, src: string): { output?: string; hasToplevelAwait?: boolean }; close(): void };
};
const converter = createConverter({});
after(() => converter.close());

/** Runs `source` as tslab runs a cell; returns where the thrown error's innermost cell frame (or the `frame`th) maps to, and its text there. */
async function thrownAt(source: string, frame = 0): Promise<{ line: number; column: number; at: string }> {
  const out = converter.convert("", source);
  assert.ok(out.output, "the cell compiles");
  // as tslab's executor wraps it (the script runs in the global scope: require passed through a global)
  (globalThis as Record<string, unknown>).__cellRequire = require;
  const js = `${out.hasToplevelAwait ? "(async function(exports, require) { " : "(function(exports, require) { "}${out.output}\n})({}, __cellRequire)`;
  let error: Error | undefined;
  try {
    await vm.runInThisContext(js, { filename: "lemol-cell-7.js", displayErrors: false });
  } catch (e) {
    error = e as Error;
  }
  assert.ok(error, "the cell throws");
  const m = [...(error.stack ?? "").matchAll(/lemol-cell-7\.js:(\d+):(\d+)/g)][frame];
  assert.ok(m, error.stack);
  const p = cellPosition(source, js, Number(m[1]), Number(m[2]));
  assert.ok(p, `no cell position for ${m[0]}`);
  return { ...p, at: source.split("\n")[p.line - 1].slice(p.column - 1) };
}

describe("errors point at the cell's line", () => {
  it("maps a frame of the compiled cell back to the cell's line and column", async () => {
    const p = await thrownAt(
      'import * as path from "path";\nconst a: any = undefined;\ninterface P { x: number }\nlet y: number = 2;\nconsole.log(path.sep, a.bar);',
    );
    assert.equal(p.line, 5);
    assert.match(p.at, /^\.?bar\);/);
  });

  it("inside a function, with type annotations, top-level await and a repeated statement", async () => {
    const source = [
      "function f(o: { x?: { y: number } }): number {",
      "  const k: number = 1;",
      "  return o.x!.y + k;",
      "}",
      "const ok: number = f({ x: { y: 1 } });",
      "await new Promise((r) => setTimeout(r, 1));",
      "const ok2: number = f({ x: { y: 1 } });",
      "const bad: number = f({});",
    ].join("\n");
    const p = await thrownAt(source);
    assert.equal(p.line, 3, "the innermost frame: inside f");
    assert.match(p.at, /^\.?y \+ k;/);
  });

  it("tells a repeated statement's occurrences apart", async () => {
    const source = ["let n: number = 0;", "function g(): void {", "  if (++n === 2) throw new Error('second');", "}", "g();", "g();", "g();"].join("\n");
    const p = await thrownAt(source, 1);
    assert.equal(p.line, 6, "the second call");
  });

  it("gives no position for a line the cell does not have", () => {
    assert.equal(cellPosition("const a = 1;", "(function(exports, require) { const a = 1;\n})(x, y)", 2, 2), null);
  });
});

describe("trimmed stacks", () => {
  it("drop Node's source excerpt of the throwing file, keeping the error's name and message", () => {
    const stack = [
      "file:///somewhere/lemol/dist/train/run-dir.js:179",
      "        throw new Error(`${root} is not a lemol run directory`);",
      "        ^",
      "",
      "Error: missing is not a lemol run directory",
      "    at loadRun (dist/train/run-dir.js:179:15)",
    ].join("\n");
    assert.equal(trimStack(stack), "Error: missing is not a lemol run directory\n    at loadRun (dist/train/run-dir.js:179:15)");
  });

  it("keep a cell frame with its place when trimmed twice", () => {
    const once = "TypeError: x\n    at f (Cell In[3], line 2, column 14)";
    assert.equal(trimStack(once), once);
  });
});
