/**
 * Where an update round's time goes beyond its GEMM bound (docs/development.md, "Where the AVX-512
 * round's time goes"): one MADDPG round of simple_push at batch 1,024 against its own GEMMs
 * replayed three ways —
 *
 *   sequence, own buffers     the round's GEMMs (shapes in order, from the kernels' own log), each
 *                             on buffers of its own, as the round's activations are
 *   sequence, shared buffers  the same sequence on one set of buffers (a working set that stays in L2)
 *   each repeated hot         every GEMM timed alone, repeated on hot buffers, summed (what the
 *                             bound's per-shape rates measure)
 *
 * The round minus the first is the glue (gathers, noise, soft-max, Adam, copies); the first minus
 * the third is what running the GEMMs one after another on whole-batch buffers costs. Best of
 * blocks, in alternating passes (this VM's speed drifts). Prints; writes nothing.
 *
 *   npm run experiment:gemm-sequence [-- --passes 3]     (LEMOL_NATIVE_ISA=avx2 for the AVX2 kernels)
 */
import { initBackend } from "../../src/nn/backend.js";
import { GemmCall, nativeGemm, nativeGemmLog, nativeStatus } from "../../src/nn/native-kernels.js";
import { updateRound } from "../update-round.js";

const at = process.argv.indexOf("--passes");
const PASSES = at > 0 ? Number(process.argv[at + 1]) : 3;
if (!Number.isInteger(PASSES) || PASSES < 1) {
  console.error(`--passes: a positive integer expected (got ${JSON.stringify(process.argv[at + 1])})`);
  process.exit(2);
}

await initBackend();
const status = nativeStatus();
if (!status.available) throw new Error(`the native kernels are needed (${status.reason})`);
const { round } = updateRound();
nativeGemmLog(true);
round();
const calls = nativeGemmLog(false)!;

interface Operands {
  A: Float32Array;
  B: Float32Array;
  C: Float32Array;
}
const filled = (n: number) => Float32Array.from({ length: n }, (_, j) => ((j * 7919) % 1000) / 1000 - 0.5);
const call = (g: GemmCall, o: Operands) => (g.tn ? nativeGemm(o.A, o.B, o.C, g.k, g.m, g.n, true) : nativeGemm(o.A, o.B, o.C, g.m, g.k, g.n));
const own = calls.map((g) => ({ A: filled(g.m * g.k), B: filled(g.k * g.n), C: new Float32Array(g.m * g.n) }));
const largest = (f: (g: GemmCall) => number) => Math.max(...calls.map(f));
const shared = { A: filled(largest((g) => g.m * g.k)), B: filled(largest((g) => g.k * g.n)), C: new Float32Array(largest((g) => g.m * g.n)) };

/** The best mean time of `reps` calls over `blocks` blocks, in ms. */
function best(f: () => void, reps: number, blocks: number): number {
  let b = Infinity;
  for (let j = 0; j < blocks; j++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    b = Math.min(b, (performance.now() - t0) / reps);
  }
  return b;
}

const results = { round: Infinity, ownBuffers: Infinity, sharedBuffers: Infinity, eachHot: Infinity };
for (let pass = 0; pass < PASSES; pass++) {
  results.round = Math.min(results.round, best(round, 10, 30));
  results.ownBuffers = Math.min(
    results.ownBuffers,
    best(() => calls.forEach((g, i) => call(g, own[i])), 10, 30),
  );
  results.sharedBuffers = Math.min(
    results.sharedBuffers,
    best(() => calls.forEach((g) => call(g, shared)), 10, 30),
  );
  results.eachHot = Math.min(
    results.eachHot,
    calls.reduce((sum, g, i) => sum + best(() => call(g, own[i]), 20, 10), 0),
  );
}
console.log(`${status.isa}: ${calls.length} GEMMs a round (best of ${PASSES} passes, ms)`);
console.log(`  update round                   ${results.round.toFixed(3)}`);
console.log(`  GEMM sequence, own buffers     ${results.ownBuffers.toFixed(3)}`);
console.log(`  GEMM sequence, shared buffers  ${results.sharedBuffers.toFixed(3)}`);
console.log(`  each GEMM repeated hot, summed ${results.eachHot.toFixed(3)}`);
