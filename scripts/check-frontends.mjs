#!/usr/bin/env node
// Renders executed notebooks through JupyterLab 4's own output renderers (@jupyterlab/rendermime
// and @jupyterlab/outputarea, bundled by esbuild into a page) in headless Chromium, offline, and
// checks that every output shows: each figure (drawn plot or its static image), table, animation
// frame and error. Three sessions per notebook:
//   untrusted   a notebook received and opened: HTML sanitized, no script runs; figures must show
//               their static images, tables and animation frames their markup, errors their text
//   trusted     the same notebook trusted (reopened after running): scripts run, plotly.js is not in
//               the page (never stored), so figures keep their static images; animations get controls
//   live        trusted, with the plotly.js loader output a live run sends before its first figure
//               (rendered by the same HTML renderer): every figure is drawn by plotly
// Then the nbviewer-like static render: nbconvert's HTML export (scripts/export_html.py, without
// the plotly bundle nbviewer does not have) with JavaScript off: figures' static images, tables,
// animation frames and errors show.
//
//   node scripts/check-frontends.mjs [--screenshots DIR] NOTEBOOK.ipynb ...
//
// Prints one line per notebook and session and exits 1 if any check failed.
import { build } from "esbuild";
import puppeteer from "puppeteer-core";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_ARGS, chromiumPath, plotlySource } from "../dist/notebook/plotly.js";
import { staticFigures } from "./static-figures.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");

/**
 * An output as the Jupyter server hands it to JupyterLab: nbformat stores long strings as lists of
 * lines, and the server's reader (nbformat's rejoin_lines) joins them before sending.
 */
function asServed(output) {
  const join = (v) => (Array.isArray(v) ? v.join("") : v);
  const o = { ...output };
  if (o.data) o.data = Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, k.endsWith("json") ? v : join(v)]));
  if (o.text !== undefined) o.text = join(o.text);
  return o;
}

/** What a notebook's stored outputs hold, by the markers lemol's outputs carry. */
export function expectedOutputs(nb) {
  const cells = nb.cells.filter((c) => c.cell_type === "code").map((c) => (c.outputs ?? []).map(asServed));
  const all = cells.flat();
  const html = (o) => {
    return o.data?.["text/html"] ?? "";
  };
  return {
    cells,
    outputs: all.length,
    figures: all.filter((o) => html(o).includes("data-lemol-figure")).length,
    tables: all.filter((o) => html(o).includes('class="lemol-table"')).length,
    animations: all.filter((o) => html(o).includes("data-lemol-animation")).length,
    errors: all.filter((o) => o.output_type === "error").map((o) => o.ename),
  };
}

/** Bundles the JupyterLab page (scripts/frontends/jupyterlab-page.mjs) into DIR/index.html. */
export async function buildPage(dir) {
  await build({
    entryPoints: [join(ROOT, "scripts/frontends/jupyterlab-page.mjs")],
    bundle: true,
    outdir: dir,
    loader: { ".svg": "dataurl" },
    logLevel: "error",
  });
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="jupyterlab-page.css">
<script src="jupyterlab-page.js"></script></head><body><div id="notebook" style="width:1000px"></div></body></html>`;
  writeFileSync(join(dir, "index.html"), html);
  return join(dir, "index.html");
}

/** A page that records console errors, page errors and any request that is not a local file. */
async function openPage(browser, url, problems, { javascript = true } = {}) {
  const page = await browser.newPage();
  await page.setJavaScriptEnabled(javascript);
  await page.setViewport({ width: 1100, height: 900 });
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const u = req.url();
    if (u.startsWith("file:") || u.startsWith("data:") || u.startsWith("blob:") || u === "about:blank") req.continue();
    else {
      problems.push(`network request blocked: ${u}`);
      req.abort();
    }
  });
  await page.goto(url, { waitUntil: "load", timeout: 60_000 });
  return page;
}

/** Counts, in the page, what each kind of output shows (runs in the browser). */
function shownInPage() {
  const nonEmpty = (el) => el.textContent.trim().length > 0 || el.querySelector("img, svg, table") !== null;
  const outputs = [...document.querySelectorAll(".jp-OutputArea-output")];
  const visible = (el) => {
    const b = el.getBoundingClientRect();
    return b.width > 50 && b.height > 50 && getComputedStyle(el).display !== "none";
  };
  return {
    outputs: outputs.length,
    emptyOutputs: outputs.filter((o) => !nonEmpty(o)).length,
    figures: document.querySelectorAll(".lemol-figure").length,
    drawn: [...document.querySelectorAll(".lemol-figure")].filter((f) => {
      const svg = f.querySelector("svg.main-svg");
      return svg && visible(svg) && f.querySelector(".scatterlayer .trace, .barlayer .trace, .pielayer .trace");
    }).length,
    tables: [...document.querySelectorAll("table.lemol-table")].filter((t) => t.querySelectorAll("tbody tr td").length > 0).length,
    animations: document.querySelectorAll(".lemol-animation").length,
    // a frame shows as inline SVG (the script ran) or as the first frame's image (sanitized, scripts off)
    animationFrames: [...document.querySelectorAll(".lemol-animation .frame")].filter((f) => {
      const el = f.querySelector("svg, img");
      return el && visible(el) && (el.tagName !== "IMG" || (el.complete && el.naturalWidth > 0));
    }).length,
    animationsWithControls: document.querySelectorAll(".lemol-animation[data-ready]").length,
    errors: [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')].map((e) => e.textContent),
  };
}

/** Moves every animation's slider to its second frame, as a reader would; returns how many followed. */
function stepAnimations() {
  let moved = 0;
  for (const root of document.querySelectorAll(".lemol-animation[data-ready]")) {
    const slider = root.querySelector(".slider");
    const before = root.querySelector(".frame").innerHTML;
    slider.value = "1";
    slider.dispatchEvent(new Event("input"));
    if (root.querySelector(".frame").innerHTML !== before && root.querySelector(".label").textContent.startsWith("2 /")) moved++;
  }
  return moved;
}

/** One JupyterLab session over a notebook's outputs; returns the problems found. */
async function jupyterlabSession(browser, pageUrl, expected, session, screenshot) {
  const problems = [];
  const page = await openPage(browser, pageUrl, problems);
  const trusted = session !== "untrusted";
  let cells = expected.cells;
  if (session === "live") {
    // what a live run sends before its first figure: plotly.js in a text/html script output
    const loader = {
      output_type: "display_data",
      metadata: {},
      data: { "text/html": `<script type="text/javascript">${plotlySource("full")}</script>`, "text/plain": "[loading plotly.js]" },
    };
    cells = [[loader], ...cells];
  }
  await page.evaluate((c, t) => window.renderCells(c, t), cells, trusted);
  // JupyterLab's output model merges a stream output into the one before it when both are the same
  // stream (stdout after stdout), so the page shows one output area for the two
  const merged = expected.cells.reduce(
    (n, outs) => n + outs.filter((o, i) => i > 0 && o.output_type === "stream" && outs[i - 1].output_type === "stream" && outs[i - 1].name === o.name).length,
    0,
  );
  const want = expected.outputs - merged + (session === "live" ? 1 : 0);
  const ready = (e, s) => {
    const r = document.querySelectorAll(".jp-OutputArea-output");
    if (r.length < e.outputs) return false;
    const figs = [...document.querySelectorAll(".lemol-figure")];
    const tables = document.querySelectorAll("table.lemol-table").length;
    const frames = [...document.querySelectorAll(".lemol-animation .frame")].filter((f) => f.querySelector("svg") || f.querySelector("img")?.complete).length;
    const figsDone =
      s === "live"
        ? figs.every((f) => f.querySelector("svg.main-svg .trace"))
        : figs.every((f) => {
            const img = f.querySelector("img.lemol-plot-static");
            return !img || img.complete; // a missing image is not waited for (the check reports it)
          });
    return figs.length >= e.figures && tables >= e.tables && frames >= e.animations && figsDone;
  };
  try {
    await page.waitForFunction(ready, { timeout: 30_000 }, { ...expected, cells: undefined, outputs: want }, session);
  } catch {
    problems.push("timed out waiting for the outputs to render");
  }
  const shown = await page.evaluate(shownInPage);
  const statics = await page.evaluate(staticFigures, ".lemol-figure");
  const stepped = session === "untrusted" ? 0 : await page.evaluate(stepAnimations);
  if (shown.outputs !== want) problems.push(`${shown.outputs} of ${want} outputs rendered`);
  if (shown.emptyOutputs) problems.push(`${shown.emptyOutputs} outputs rendered empty`);
  if (shown.figures !== expected.figures) problems.push(`${shown.figures} of ${expected.figures} figures in the page`);
  if (session === "live") {
    if (shown.drawn !== expected.figures) problems.push(`${expected.figures - shown.drawn} of ${expected.figures} figures not drawn by plotly`);
  } else {
    if (statics.shown !== expected.figures) problems.push(`${expected.figures - statics.shown} of ${expected.figures} figures show no static image`);
    if (shown.drawn) problems.push(`${shown.drawn} figures drawn without plotly.js in the page`);
  }
  if (shown.tables !== expected.tables) problems.push(`${shown.tables} of ${expected.tables} tables show rows`);
  if (shown.animations !== expected.animations || shown.animationFrames !== expected.animations)
    problems.push(`${shown.animationFrames} of ${expected.animations} animations show a frame`);
  if (trusted && stepped !== expected.animations) problems.push(`${stepped} of ${expected.animations} animations step when their slider moves`);
  if (!trusted && shown.animationsWithControls) problems.push(`${shown.animationsWithControls} animation scripts ran in an untrusted notebook`);
  if (shown.errors.length !== expected.errors.length || expected.errors.some((name, i) => !shown.errors[i]?.includes(name)))
    problems.push(`errors shown ${JSON.stringify(shown.errors.map((e) => e.split("\n")[0]))}, expected ${JSON.stringify(expected.errors)}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { session, shown: { ...shown, statics: statics.shown }, problems };
}

/** The nbviewer-like static render: nbconvert's HTML (no plotly bundle) with JavaScript off. */
async function staticSession(browser, notebook, expected, dir, screenshot) {
  const problems = [];
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, "scripts"))})
import nbformat
from export_html import to_html
open(sys.argv[2], "w", encoding="utf-8").write(to_html(nbformat.read(sys.argv[1], as_version=4), plotly=False))`;
  const html = join(dir, basename(notebook).replace(/\.ipynb$/, ".static.html"));
  execFileSync("/usr/bin/python3", ["-c", code, notebook, html], { stdio: ["ignore", "ignore", "inherit"] });
  const page = await openPage(browser, "file://" + html, problems, { javascript: false });
  const statics = await page.evaluate(staticFigures, ".lemol-figure");
  const shown = await page.evaluate(() => ({
    tables: [...document.querySelectorAll("table.lemol-table")].filter((t) => t.querySelectorAll("tbody tr td").length > 0).length,
    animationFrames: [...document.querySelectorAll(".lemol-animation .frame")].filter((f) => {
      const el = f.querySelector("svg, img");
      return el && el.getBoundingClientRect().height > 50 && (el.tagName !== "IMG" || (el.complete && el.naturalWidth > 0));
    }).length,
    errors: [...document.querySelectorAll(".output_error, .jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")].map((e) => e.textContent),
  }));
  if (statics.shown !== expected.figures) problems.push(`${expected.figures - statics.shown} of ${expected.figures} figures show no static image`);
  if (shown.tables !== expected.tables) problems.push(`${shown.tables} of ${expected.tables} tables show rows`);
  if (shown.animationFrames !== expected.animations) problems.push(`${shown.animationFrames} of ${expected.animations} animations show a frame`);
  if (shown.errors.length !== expected.errors.length || expected.errors.some((name, i) => !shown.errors[i]?.includes(name)))
    problems.push(`errors shown ${JSON.stringify(shown.errors.map((e) => e.trim().split("\n")[0]))}, expected ${JSON.stringify(expected.errors)}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { session: "static", shown: { ...shown, statics: statics.shown }, problems };
}

/**
 * Checks notebooks in every session; returns one result per notebook and session. Screenshots
 * (NAME.SESSION.png) go to `screenshots` when given.
 */
export async function checkNotebooks(files, { screenshots } = {}) {
  const path = chromiumPath();
  if (!path) throw new Error("no Chromium found (install Debian's chromium or set LEMOL_CHROMIUM)");
  const dir = mkdtempSync(join(tmpdir(), "lemol-frontends-"));
  const browser = await puppeteer.launch({ executablePath: path, args: CHROMIUM_ARGS, headless: true });
  try {
    const pageUrl = "file://" + (await buildPage(dir));
    if (screenshots) mkdirSync(screenshots, { recursive: true });
    const results = [];
    for (const file of files) {
      const expected = expectedOutputs(JSON.parse(readFileSync(file, "utf8")));
      const shot = (s) => (screenshots ? join(screenshots, `${basename(file, ".ipynb")}.${s}.png`) : undefined);
      for (const session of ["untrusted", "trusted", "live"])
        results.push({ file, expected, ...(await jupyterlabSession(browser, pageUrl, expected, session, shot(session))) });
      results.push({ file, expected, ...(await staticSession(browser, file, expected, dir, shot("static"))) });
    }
    return results;
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let screenshots;
  const i = args.indexOf("--screenshots");
  if (i >= 0) [, screenshots] = args.splice(i, 2);
  if (args.length === 0) {
    console.error("usage: node scripts/check-frontends.mjs [--screenshots DIR] NOTEBOOK.ipynb ...");
    process.exit(2);
  }
  const results = await checkNotebooks(args, { screenshots });
  let failed = 0;
  for (const r of results) {
    const e = r.expected;
    const line = `${r.file} [${r.session}]: ${e.outputs} outputs, ${e.figures} figures, ${e.tables} tables, ${e.animations} animations, ${e.errors.length} errors`;
    if (r.problems.length) {
      failed++;
      console.log(`FAIL ${line}`);
      for (const p of r.problems) console.log(`  - ${p}`);
    } else console.log(`PASS ${line}`);
  }
  process.exit(failed ? 1 : 0);
}
