/**
 * `node --import tsx --import ./bench/built-library.mjs bench/run.ts`: benchmarks import lemol's
 * source (for types and for the editor) but run the built library, dist/, which is what notebooks
 * and the `lemol` command load. Running from source costs ~15% of training speed: tsx compiles
 * with esbuild's keepNames, which wraps every inner function in a `__name(...)` call made on each
 * evaluation, in the hot paths too. A resolve hook sends every src/*.ts module to its dist/*.js.
 */
import * as fs from "node:fs";
import { register } from "node:module";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";

const SRC = new URL("../src/", import.meta.url).href;
const DIST = new URL("../dist/", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(SRC) || !resolved.url.endsWith(".ts")) return resolved;
  const built = DIST + resolved.url.slice(SRC.length, -".ts".length) + ".js";
  if (!fs.existsSync(fileURLToPath(built))) throw new Error(`${built} is missing: run \`npm run build\` before the benchmarks`);
  return { url: built, format: "module", shortCircuit: true };
}

// registered from the main thread (the hooks thread loads this file too, as the hooks module)
if (isMainThread) register(import.meta.url);
