/**
 * lemol: multi-agent reinforcement learning with opponent modelling, in TypeScript.
 *
 * This entry point is the public API; everything a notebook or a script needs is exported here.
 */
export * from "./envs/index.js";
export { checkGolden, checkGoldenFile, goldenFiles, describeMismatch, DEFAULT_TOLERANCE } from "./envs/conformance.js";
export type { ConformanceResult, ConformanceMismatch } from "./envs/conformance.js";
export { randomAction } from "./agents/random.js";
export type { RandomDiscreteKind } from "./agents/random.js";
export { Rng } from "./util/rng.js";
export type { RngState } from "./util/rng.js";
export { writeFileAtomic } from "./util/fs.js";
