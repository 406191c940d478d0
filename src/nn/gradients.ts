/**
 * Autodiff in Node. tfjs-core ships the gradients of its kernels as an opt-in registration
 * (`register_all_gradients`), which its Node build does not load; `npm run build` bundles it into
 * dist/nn/tfjs-gradients.js and {@link enableAutodiff} loads it, after which `tf.grads` and
 * `tf.variableGrads` work, through lemol's native kernels too (native-kernels.ts registers theirs). lemol's
 * training keeps its explicit backward passes (the fast path); autodiff is for what a researcher
 * writes in a notebook cell, e.g. another opponent-model loss (`OpponentModel.setLoss`).
 */
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";

// src/nn/gradients.ts and dist/nn/gradients.js both sit two levels below the package root
const BUNDLE = new URL("../../dist/nn/tfjs-gradients.js", import.meta.url);

let loaded: Promise<void> | null = null;

/** Registers tfjs's gradients (once); resolves when `tf.grads` works. */
export function enableAutodiff(): Promise<void> {
  loaded ??= (async () => {
    if (!fs.existsSync(fileURLToPath(BUNDLE)))
      throw new Error(`${fileURLToPath(BUNDLE)} is missing: run \`npm run build\` (it bundles tfjs-core's gradient definitions)`);
    await import(BUNDLE.href);
  })();
  return loaded;
}
