#!/usr/bin/env node
// Checks the notebooks as a reader's Jupyter shows them: a real Notebook server (Debian's) driven in
// headless Chromium.
//
//   1. Opening a shipped notebook and saving it without changes leaves the file byte-identical
//      (its metadata is exactly what the kernel reports, so autosave never rewrites tracked files).
//   2. An executed notebook opened UNTRUSTED (what a colleague receives) shows every figure: the
//      static image, since Notebook sanitises the outputs of untrusted notebooks.
//   3. The same notebook trusted, before running it (plotly.js is not stored in the file), still
//      shows every figure: the static image stays until the cell runs again.
//
//   node scripts/check-notebook-server.mjs EXECUTED_DIR       (the shipped notebooks are notebooks/*.ipynb)
//
// Needs the environment of scripts/jupyter-env.sh (the project's Jupyter paths and lemol's kernel).
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { CHROMIUM_ARGS, chromiumPath } from "../dist/notebook/plotly.js";
import { staticFigures } from "./static-figures.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const executedDir = process.argv[2];
if (!executedDir) {
  console.error("usage: node scripts/check-notebook-server.mjs EXECUTED_DIR");
  process.exit(2);
}
const jupyter = process.env.JUPYTER ?? "/usr/bin/jupyter";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-nbserver-"));
const shipped = fs.readdirSync(path.join(root, "notebooks")).filter((f) => /^\d\d-.*\.ipynb$/.test(f));
for (const f of shipped) fs.copyFileSync(path.join(root, "notebooks", f), path.join(work, f));
const executed = fs.readdirSync(executedDir).filter((f) => f.endsWith(".ipynb"));
fs.mkdirSync(path.join(work, "executed"));
fs.mkdirSync(path.join(work, "trusted"));
for (const f of executed) {
  fs.copyFileSync(path.join(executedDir, f), path.join(work, "executed", f));
  fs.copyFileSync(path.join(executedDir, f), path.join(work, "trusted", f));
}
// a trust database of this check's own, so nothing of the user's is touched
const dataDir = path.join(work, ".data");
const env = { ...process.env, JUPYTER_DATA_DIR: dataDir, JUPYTER_RUNTIME_DIR: path.join(work, ".runtime") };
/** Trusts the copies in trusted/ (signatures are by content: done after the untrusted pass). */
function trustCopies() {
  for (const f of executed) {
    // `jupyter trust` (Debian ships the module, not the command)
    const r = spawnSync(process.env.PYTHON ?? "/usr/bin/python3", ["-m", "nbformat.sign", path.join(work, "trusted", f)], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`jupyter trust failed: ${r.stderr}`);
  }
}

const token = "lemol-check";
const port = 20000 + Math.floor(Math.random() * 20000);
const server = spawn(
  jupyter,
  ["notebook", "--no-browser", "--allow-root", `--port=${port}`, "--port-retries=0", `--NotebookApp.token=${token}`, `--notebook-dir=${work}`],
  { env, stdio: ["ignore", "ignore", "pipe"] },
);
let serverLog = "";
server.stderr.on("data", (d) => (serverLog += d));
const base = `http://127.0.0.1:${port}`;

async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${base}/api/status?token=${token}`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the notebook server did not start:\n${serverLog.slice(-2000)}`);
}

async function open(browser, rel) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`${base}/notebooks/${rel}?token=${token}`, { waitUntil: "load", timeout: 60_000 });
  await page.waitForFunction(() => window.Jupyter?.notebook?._fully_loaded, { timeout: 60_000 });
  return page;
}

/** Figures in the page: how many, and how many show a loaded static image. */
async function figures(page) {
  return page.evaluate(staticFigures, ".output_area .lemol-figure");
}

function expectedFigures(file) {
  const nb = JSON.parse(fs.readFileSync(file, "utf8"));
  let n = 0;
  for (const c of nb.cells) for (const o of c.outputs ?? []) n += (JSON.stringify(o.data?.["text/html"] ?? "").match(/class=\\"lemol-figure\\"/g) ?? []).length;
  return n;
}

const problems = [];
await waitForServer();
const browser = await puppeteer.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
try {
  // 1. open, wait for the kernel, save: the file must not change
  for (const f of shipped) {
    const before = fs.readFileSync(path.join(work, f));
    const page = await open(browser, f);
    await page.waitForFunction(() => window.Jupyter.notebook.kernel?.info_reply?.language_info, { timeout: 120_000 });
    await page.evaluate(() => window.Jupyter.notebook.save_notebook());
    await page.waitForFunction(() => !window.Jupyter.notebook.dirty, { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    const after = fs.readFileSync(path.join(work, f));
    const same = before.equals(after);
    console.log(`${same ? "PASS" : "FAIL"} opened and saved unchanged: ${f}`);
    if (!same) {
      const a = before.toString("utf8");
      const b = after.toString("utf8");
      let k = 0;
      while (k < a.length && a[k] === b[k]) k++;
      problems.push(
        `${f} changed when opened and saved, at ...${JSON.stringify(a.slice(Math.max(0, k - 80), k + 80))} -> ${JSON.stringify(b.slice(Math.max(0, k - 80), k + 80))}`,
      );
    }
    await page.evaluate(() => window.Jupyter.notebook.kernel.kill());
    await page.close();
  }
  // 2 and 3. executed notebooks, untrusted and trusted (not run): every figure shows its image
  for (const [dir, label] of [
    ["executed", "untrusted"],
    ["trusted", "trusted, not run again"],
  ]) {
    if (dir === "trusted") trustCopies();
    for (const f of executed) {
      const want = expectedFigures(path.join(work, dir, f));
      if (want === 0) continue;
      const page = await open(browser, `${dir}/${f}`);
      const trusted = await page.evaluate(() => window.Jupyter.notebook.trusted);
      if (trusted !== (dir === "trusted")) problems.push(`${dir}/${f}: opened ${trusted ? "trusted" : "untrusted"}, expected the other`);
      // the live plots' scripts (trusted) wait for plotly.js for 10 s, then leave the image
      await new Promise((r) => setTimeout(r, dir === "trusted" ? 11_000 : 1_000));
      const r = await figures(page);
      const ok = r.all === want && r.shown === want;
      console.log(`${ok ? "PASS" : "FAIL"} ${label}: ${f} shows ${r.shown} of ${want} figures`);
      if (!ok) problems.push(`${label} ${f}: ${r.shown} of ${want} figures show (${r.all} figure elements)`);
      await page.evaluate(() => window.Jupyter.notebook.kernel?.kill());
      await page.close();
    }
  }
} finally {
  await browser.close();
  server.kill("SIGTERM");
  fs.rmSync(work, { recursive: true, force: true });
}
for (const p of problems) console.log(`  - ${p}`);
process.exit(problems.length ? 1 : 0);
