/**
 * data/example-run is reproducible: `npm run data:example` (scripts/data-example.ts) run again
 * gives the shipped metrics.csv and experience files byte for byte. Numbers are reproducible for
 * the same backend and kernel family (native AVX-512 and AVX2 are one: see the native tests).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { recordExample, SHIPPED_EXPERIENCE, EXAMPLE_OPTIONS } from "../../scripts/data-example.js";
import { initBackend } from "../../src/nn/backend.js";
import { loadRun } from "../../src/train/run-dir.js";
import { REPO } from "../helpers/golden.js";

const shipped = path.join(REPO, "data", "example-run");
const family = (kernels: string | undefined) => (kernels && /^native \((avx512|avx2)\)$/.test(kernels) ? "native-fma" : (kernels ?? "unknown"));

describe("data/example-run", () => {
  it("holds a LeMOL vs MADDPG run with its manifest, metrics and a few experience files", () => {
    const run = loadRun(shipped);
    assert.equal(run.manifest.status, "finished");
    assert.equal(run.manifest.seed, 71);
    assert.equal(run.manifest.config.bad_policy, "lemol");
    for (const [k, v] of Object.entries(EXAMPLE_OPTIONS)) assert.equal((run.manifest.config as unknown as Record<string, unknown>)[k], v, k);
    assert.deepEqual(
      run.experienceFiles.map((f) => path.relative(path.join(shipped, "experience"), f)),
      SHIPPED_EXPERIENCE,
    );
    assert.ok(run.metrics.select("om_accuracy_in_play").length > 100);
  });

  it("is reproduced exactly by npm run data:example", async (t) => {
    const manifest = loadRun(shipped).manifest;
    const info = await initBackend();
    if (info.name !== manifest.backend.name || family(info.kernels) !== family(manifest.backend.kernels)) {
      t.skip(`recorded with ${manifest.backend.name} / ${manifest.backend.kernels}; this machine runs ${info.name} / ${info.kernels}, whose rounding differs`);
      return;
    }
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lemol-example-")), "example-run");
    await recordExample(out);
    assert.equal(fs.readFileSync(path.join(out, "metrics.csv"), "utf8"), fs.readFileSync(path.join(shipped, "metrics.csv"), "utf8"));
    for (const rel of SHIPPED_EXPERIENCE) {
      assert.ok(fs.readFileSync(path.join(out, "experience", rel)).equals(fs.readFileSync(path.join(shipped, "experience", rel))), rel);
    }
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });
});
