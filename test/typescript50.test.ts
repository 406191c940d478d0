// Library source must compile with TypeScript 5.0 (bundled by the tslab notebook kernel), non-strict.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "./helpers/golden.js";

describe("TypeScript 5.0 compatibility", () => {
  it("type-checks src/ with TypeScript 5.0.4", () => {
    const tsc = path.join(REPO, "node_modules/typescript50/bin/tsc");
    const version = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/typescript50/package.json"), "utf8")).version;
    assert.equal(version, "5.0.4");
    const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.ts50.json"], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.status, 0, `tsc 5.0 failed:\n${r.stdout}${r.stderr}`);
  });
});
