/**
 * Child process for the OM's ISA test: the native LSTM's forward and backward pass over a chunk
 * (om_lstm.cc alone; hashed) and the ISA the addon chose. H = 64 (the default): with H not a
 * multiple of 16 the AVX-512 and AVX2 variants round om_lstm.cc's scalar tails differently
 * (measured at H = 20, before and after the move to the shared ISA choice).
 */
import { createHash } from "node:crypto";
import { initBackend } from "../../src/nn/backend.js";
import { NativeLSTMRun } from "../../src/nn/lstm.js";
import { nativeStatus } from "../../src/nn/native-kernels.js";
import { Rng } from "../../src/util/rng.js";

await initBackend();
const D = 7,
  H = 64,
  B = 3,
  T = 5;
const rng = new Rng(8);
const normal = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
const run = new NativeLSTMRun(D, H, B, T, "hard_sigmoid");
const w = [normal(D * 4 * H, 0.3), normal(H * 4 * H, 0.3), normal(4 * H, 0.3)];
const xs = normal(B * T * D);
const h0 = normal(B * H, 0.5);
const c0 = normal(B * H, 0.5);
run.forward(w, xs, h0, c0);
run.backward(w, xs, h0, c0, normal(B * T * H));
const hash = createHash("sha256");
for (const a of [run.hs, run.c, run.dK, run.dR, run.db, run.dh0, run.dc0]) hash.update(Buffer.from(Float32Array.from(a).buffer));
console.log(JSON.stringify({ isa: nativeStatus().isa, hash: hash.digest("hex") }));
