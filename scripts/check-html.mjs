#!/usr/bin/env node
// Opens exported notebook HTML files in headless Chromium (Debian's, via puppeteer-core) with the
// network cut off, and checks that every plot actually rendered: each lemol plot element holds a
// drawn plotly SVG, every animation shows a frame, and the page logged no errors and asked for
// nothing but local files. Saves a full-page PNG screenshot next to each HTML file. Then opens each
// page again with JavaScript disabled: every figure must show its static image.
//
//   node scripts/check-html.mjs build/notebooks/*.html
//
// Prints one line per file and exits 1 if any check failed.
import puppeteer from "puppeteer-core";
import { CHROMIUM_ARGS, chromiumPath } from "../dist/notebook/plotly.js";
import { resolve } from "node:path";
import { staticFigures } from "./static-figures.mjs";

// the same launch settings as the library's static plot rendering (built to dist/ by the set-up)
function chromium() {
  const path = chromiumPath();
  if (!path) throw new Error("no Chromium found (install Debian's chromium or set LEMOL_CHROMIUM)");
  return path;
}

async function check(browser, file) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const url = req.url();
    if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:") || url === "about:blank") req.continue();
    else {
      problems.push(`network request blocked: ${url}`);
      req.abort();
    }
  });
  await page.goto("file://" + resolve(file), { waitUntil: "load", timeout: 60_000 });
  // plots draw once window.Plotly exists (they poll for it): wait until every plot has its SVG
  const plots = await page.$$eval(".lemol-plot", (els) => els.length);
  try {
    await page.waitForFunction(() => [...document.querySelectorAll(".lemol-plot")].every((el) => el.querySelector("svg.main-svg")), { timeout: 30_000 });
  } catch {
    problems.push("timed out waiting for plots to render");
  }
  const stats = await page.evaluate(() => {
    const plotEls = [...document.querySelectorAll(".lemol-plot")];
    return {
      rendered: plotEls.filter((el) => el.querySelector("svg.main-svg") && el.querySelector(".scatterlayer, .barlayer, .pielayer")).length,
      traces: plotEls.reduce((n, el) => n + el.querySelectorAll(".trace").length, 0),
      animations: document.querySelectorAll(".lemol-animation").length,
      animationFrames: [...document.querySelectorAll(".lemol-animation .frame")].filter((el) => el.querySelector("svg")).length,
      tables: document.querySelectorAll("table.lemol-table").length,
    };
  });
  if (stats.rendered !== plots) problems.push(`${plots - stats.rendered} of ${plots} plots did not render`);
  if (stats.animationFrames !== stats.animations) problems.push(`${stats.animations - stats.animationFrames} animations show no frame`);
  const png = file.replace(/\.html$/, ".png");
  await page.screenshot({ path: png, fullPage: true });
  await page.close();
  const statics = await withoutScripts(browser, file, problems);
  return { plots, ...stats, statics, problems, png };
}

/** The page with JavaScript off (an untrusted notebook, GitHub, a careful reader): each figure's static image must show. */
async function withoutScripts(browser, file, problems) {
  const page = await browser.newPage();
  await page.setJavaScriptEnabled(false);
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto("file://" + resolve(file), { waitUntil: "load", timeout: 60_000 });
  const r = await page.evaluate(staticFigures, ".lemol-figure");
  if (r.shown !== r.all) problems.push(`JavaScript off: ${r.all - r.shown} of ${r.all} figures show no static image`);
  await page.close();
  return r.shown;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/check-html.mjs FILE.html ...");
  process.exit(2);
}
const browser = await puppeteer.launch({ executablePath: chromium(), args: CHROMIUM_ARGS, headless: true });
let failed = 0;
try {
  for (const f of files) {
    const r = await check(browser, f);
    const summary = `${r.rendered}/${r.plots} plots rendered (${r.traces} traces), ${r.statics} static images with JavaScript off, ${r.animations} animations, ${r.tables} tables; screenshot ${r.png}`;
    if (r.problems.length) {
      failed++;
      console.log(`FAIL ${f}: ${summary}`);
      for (const p of r.problems) console.log(`  - ${p}`);
    } else console.log(`PASS ${f}: ${summary}`);
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
