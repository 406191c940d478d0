/**
 * lemol: multi-agent reinforcement learning with opponent modelling, in TypeScript.
 *
 * The public API: everything a notebook or a script needs. The same exports are grouped by
 * concern under subpaths — `lemol/envs`, `lemol/nn`, `lemol/storage`, `lemol/agents`,
 * `lemol/train`, `lemol/analysis`, `lemol/notebook` (docs/design.md says what each holds).
 */
export * from "./envs/index.js";
export * from "./nn/index.js";
export * from "./storage/index.js";
export * from "./agents/index.js";
export * from "./train/index.js";
export * from "./analysis/index.js";
export * from "./notebook/index.js";
export { Rng } from "./util/rng.js";
export type { RngState } from "./util/rng.js";
export { opt, keyedConfig, configOf } from "./util/options.js";
export type { ConfigOf, KeyedConfigOf, KeyedValueOf, Option, OptionExtra, ValueOf, ValueOfType } from "./util/options.js";
export { writeFileAtomic, ensureDir, displayPath, PathError, StorageError } from "./util/fs.js";
