#!/usr/bin/env node
// Bundles tfjs-core's gradient definitions (its opt-in `register_all_gradients` module, which
// Node cannot import from the package itself: its ES modules import without file extensions) into
// dist/nn/tfjs-gradients.js, which `enableAutodiff()` (src/nn/gradients.ts) loads. Run by
// `npm run build`.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  entryPoints: [`${root}/node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js`],
  bundle: true,
  format: "esm",
  platform: "node",
  outfile: `${root}/dist/nn/tfjs-gradients.js`,
  logLevel: "warning",
  legalComments: "none",
});
