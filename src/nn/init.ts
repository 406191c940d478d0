/**
 * Weight initialisers drawing from lemol's own seeded {@link Rng}, so that initial weights are
 * the same on every backend for a given seed.
 */
import type { Rng } from "../util/rng.js";

/** Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)), row-major [fanIn, fanOut]. */
export function glorotUniform(fanIn: number, fanOut: number, rng: Rng, out = new Float32Array(fanIn * fanOut)): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  rng.fillUniform32(out, 0, fanIn * fanOut, -limit, limit);
  return out;
}

/**
 * Orthogonal initialiser (as Keras's `Orthogonal`, gain 1) for a [rows, cols] matrix: the QR
 * decomposition of a standard normal matrix, with Q's columns sign-corrected by diag(R), and
 * transposed when rows < cols so that the rows are orthonormal.
 */
export function orthogonal(rows: number, cols: number, rng: Rng): Float32Array {
  // work on a tall matrix [n, m] with n >= m, orthonormalise its columns (modified Gram-Schmidt)
  const n = Math.max(rows, cols);
  const m = Math.min(rows, cols);
  const a = new Float64Array(n * m);
  for (let i = 0; i < n * m; i++) a[i] = rng.normal();
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += a[i * m + j] * a[i * m + k];
      for (let i = 0; i < n; i++) a[i * m + j] -= dot * a[i * m + k];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += a[i * m + j] * a[i * m + j];
    norm = Math.sqrt(norm);
    // Gram-Schmidt's R has a positive diagonal, so no sign correction is needed
    for (let i = 0; i < n; i++) a[i * m + j] /= norm;
  }
  const out = new Float32Array(rows * cols);
  if (rows >= cols) out.set(a);
  else for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * cols + i] = a[i * m + j]; // transpose
  return out;
}

/**
 * PyTorch's default for `nn.Linear(fanIn, fanOut)` (`reset_parameters`: `kaiming_uniform_(a=√5)`
 * for the weight, which is U(-1/√fanIn, 1/√fanIn), and the same bound for the bias), drawn from
 * lemol's {@link Rng}: the distribution, not torch's bits. Kernel row-major [fanIn, fanOut] (the
 * transpose of torch's [out, in]; uniform entries, so only the layout differs), then the bias.
 */
export function pytorchLinearUniform(fanIn: number, fanOut: number, rng: Rng): { kernel: Float32Array; bias: Float32Array } {
  const bound = 1 / Math.sqrt(fanIn);
  const kernel = new Float32Array(fanIn * fanOut);
  const bias = new Float32Array(fanOut);
  rng.fillUniform32(kernel, 0, kernel.length, -bound, bound);
  rng.fillUniform32(bias, 0, bias.length, -bound, bound);
  return { kernel, bias };
}
