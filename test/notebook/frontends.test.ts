/**
 * Executed notebooks render in JupyterLab 4's own output renderers (@jupyterlab/rendermime and
 * @jupyterlab/outputarea, bundled into a page in headless Chromium), untrusted, trusted and live,
 * and in an nbviewer-like static render (nbconvert's HTML, JavaScript off): scripts/check-frontends.mjs
 * on test/notebook/fixtures/frontends.ipynb, a small notebook executed with lemol's kernel
 * (regenerate with scripts/frontends-fixture.py). CI also runs the check on the six shipped
 * notebooks after executing them (scripts/notebooks-test.sh). Needs Chromium and Debian's nbconvert
 * (bash scripts/setup.sh --tests) and the built library (npm run build).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const FIXTURE = "test/notebook/fixtures/frontends.ipynb";
const SESSIONS = ["untrusted", "trusted", "live", "static"];

/** Runs the checker; returns its exit status and, per file and session, PASS/FAIL with the problem lines. */
function check(files: string[], screenshots: string): { status: number | null; results: Map<string, { pass: boolean; problems: string[] }>; output: string } {
  const r = spawnSync(process.execPath, ["scripts/check-frontends.mjs", "--screenshots", screenshots, ...files], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  const results = new Map<string, { pass: boolean; problems: string[] }>();
  let last: { pass: boolean; problems: string[] } | undefined;
  for (const line of r.stdout.split("\n")) {
    const m = /^(PASS|FAIL) (\S+) \[(\w+)\]/.exec(line);
    if (m) results.set(`${m[2]} ${m[3]}`, (last = { pass: m[1] === "PASS", problems: [] }));
    else if (line.startsWith("  - ") && last) last.problems.push(line.slice(4));
  }
  return { status: r.status, results, output: r.stdout + r.stderr };
}

describe("notebooks in JupyterLab 4's renderers and a static render", () => {
  it("show every figure, table, animation and error of an executed notebook, untrusted, trusted, live and static; and the check fails when a figure's static image is missing", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-frontends-test-"));
    try {
      const nb = JSON.parse(fs.readFileSync(path.join(ROOT, FIXTURE), "utf8"));
      const outputs = nb.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []);
      const kinds = (marker: string) =>
        outputs.filter((o: { data?: Record<string, string[]> }) => (o.data?.["text/html"] ?? []).join("").includes(marker)).length;
      assert.deepEqual(
        [kinds("data-lemol-figure"), kinds('class="lemol-table"'), kinds("data-lemol-animation")],
        [1, 1, 1],
        "the fixture holds one figure, table and animation",
      );
      assert.equal(outputs.filter((o: { output_type: string }) => o.output_type === "error").length, 1, "and one error");
      // the same notebook with the figure's static image taken out: only the live session draws it
      const broken = path.join(tmp, "no-static-image.ipynb");
      const strip = (html: string[]) => html.map((line) => line.replace(/<img class="lemol-plot-static"[^>]*\/>/, ""));
      for (const o of outputs) if (o.data?.["text/html"]) o.data["text/html"] = strip(o.data["text/html"]);
      fs.writeFileSync(broken, JSON.stringify(nb));

      const { status, results, output } = check([FIXTURE, broken], path.join(ROOT, "build/frontends"));
      for (const s of SESSIONS) {
        const r = results.get(`${FIXTURE} ${s}`);
        assert.ok(r, `no result for the ${s} session:\n${output}`);
        assert.ok(r.pass, `${s}: ${r.problems.join("; ")}`);
      }
      for (const s of ["untrusted", "trusted", "static"]) {
        const r = results.get(`${broken} ${s}`);
        assert.ok(r && !r.pass, `${s} should fail without the static image:\n${output}`);
        assert.ok(r.problems.includes("1 of 1 figures show no static image"), `${s}: ${r.problems.join("; ")}`);
      }
      assert.ok(results.get(`${broken} live`)?.pass, `the live session draws the figure with plotly:\n${output}`);
      assert.equal(status, 1, "the checker exits 1 when a check failed");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
