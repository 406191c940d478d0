/**
 * Figures for papers (`saveFigure(fig, "x.svg" | "x.pdf" | "x.png")`, drawn by the static images'
 * headless Chromium) and Chromium's profiles: lemol's own directory per process, removed when the
 * process ends and, for a process that died, at the next start.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromiumPath, Figure, saveFigure } from "../../src/notebook/plotly.js";
import { removeStaleProfiles } from "../../src/notebook/static-image.js";
import { REPO } from "../helpers/golden.js";

const skip = chromiumPath() ? false : "no Chromium installed";

function profilesOf(pid: number): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`lemol-chromium-${pid}-`));
}

describe("saveFigure", () => {
  it("writes SVG, PDF and PNG by the file's extension", { skip }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-save-"));
    const fig = new Figure([{ type: "scatter", x: [1, 2, 3], y: [3, 1, 2], name: "curve-name-17" }], { title: { text: "a title" }, height: 300 });
    await saveFigure(fig, path.join(dir, "f.svg"));
    const svg = fs.readFileSync(path.join(dir, "f.svg"), "utf8");
    assert.match(svg, /^<svg [^>]*width="800" height="300"/);
    assert.match(svg, /a title/);
    assert.equal((svg.match(/class="point"/g) ?? []).length, 3, "the three points, as vectors");
    await saveFigure(fig, path.join(dir, "f.pdf"));
    const pdf = fs.readFileSync(path.join(dir, "f.pdf"));
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    assert.equal((pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length, 1, "one page");
    await saveFigure(fig, path.join(dir, "f.png"), { width: 400 });
    const png = fs.readFileSync(path.join(dir, "f.png"));
    assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    assert.equal(png.readUInt32BE(16), 400, "its width");
    await assert.rejects(() => saveFigure(fig, path.join(dir, "f.jpg")), /must end in \.svg, \.pdf or \.png/);
    assert.equal(profilesOf(process.pid).length, 1, "Chromium runs in lemol's profile directory for this process");
  });

  it("leaves no Chromium profile behind when the process ends", { skip }, () => {
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-save-")), "draw.mts");
    const plotly = path.join(REPO, "src/notebook/plotly.ts");
    fs.writeFileSync(
      script,
      `import { Figure, saveFigure } from ${JSON.stringify(plotly)};\n` +
        `await saveFigure(new Figure([{ type: "bar", x: [1], y: [2] }]), ${JSON.stringify(script.replace(/\.mts$/, ".png"))});\n` +
        "console.log(process.pid);\nprocess.exit(0);\n",
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(r.stdout.trim());
    assert.ok(pid > 0 && fs.existsSync(script.replace(/\.mts$/, ".png")));
    assert.deepEqual(profilesOf(pid), [], "its profile was removed on exit");
  });
});

describe("stale Chromium profiles", () => {
  it("are removed for processes that are gone; a live process's and others' stay", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-profiles-"));
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!; // exited: its pid is free
    for (const name of [`lemol-chromium-${dead}-abc123`, `lemol-chromium-${process.pid}-def456`, "puppeteer_dev_chrome_profile-XYZ"]) {
      fs.mkdirSync(path.join(tmp, name, "Default"), { recursive: true });
      fs.writeFileSync(path.join(tmp, name, "Default", "Preferences"), "{}");
    }
    assert.deepEqual(removeStaleProfiles(tmp), [`lemol-chromium-${dead}-abc123`]);
    assert.deepEqual(fs.readdirSync(tmp).sort(), [`lemol-chromium-${process.pid}-def456`, "puppeteer_dev_chrome_profile-XYZ"]);
  });
});
