#!/usr/bin/env node
// Builds lemol's optional native kernels (src/nn/native) with node-gyp; runs at `npm install`.
// Never fails the install: without a compiler or headers, lemol uses its tfjs composite kernels.
// LEMOL_NATIVE=0 skips the build.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
if (process.env.LEMOL_NATIVE === "0") {
  console.log("lemol: LEMOL_NATIVE=0, not building native kernels");
  process.exit(0);
}
// node-gyp: the one npm runs lifecycle scripts with, else npm's bundled copy
let gyp = process.env.npm_config_node_gyp;
if (!gyp || !existsSync(gyp)) {
  const npmDir = join(dirname(process.execPath), "..", "lib", "node_modules", "npm");
  try {
    gyp = createRequire(join(npmDir, "package.json")).resolve("node-gyp/bin/node-gyp.js");
  } catch {
    gyp = undefined;
  }
}
if (!gyp) {
  console.log("lemol: node-gyp not found; native kernels not built (the tfjs kernels will be used)");
  process.exit(0);
}
const args = [gyp, "rebuild"];
// build against the local Node headers when npm is configured with them (no download)
const nodedir = process.env.npm_config_nodedir || (existsSync("/usr/include/node/node_api.h") ? "/usr" : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
if (r.status === 0 && existsSync(join(root, "build/Release/lemol_native.node"))) {
  console.log("lemol: native kernels built (build/Release/lemol_native.node)");
} else {
  const lines = `${r.stdout ?? ""}${r.stderr ?? ""}`
    .trim()
    .split("\n")
    .filter((l) => /error/i.test(l))
    .slice(0, 5);
  console.log(`lemol: native kernels not built; the tfjs kernels will be used${lines.length ? `\n  ${lines.join("\n  ")}` : ""}`);
}
