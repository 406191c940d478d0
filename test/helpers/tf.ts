/** Test helpers for tensor code: backend set-up, float64 reference maths, numeric gradients. */
import { initBackend, tf } from "../../src/nn/backend.js";

export { tf };

/** Initialises the default backend (wasm here; LEMOL_BACKEND overrides). */
export const ready = () => initBackend();

/** A tensor's values as float64 numbers. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Central-difference derivative of f at x[i] (x is modified and restored). */
export function numericDerivative(f: () => number, x: Float64Array, i: number, eps = 1e-5): number {
  const keep = x[i];
  x[i] = keep + eps;
  const up = f();
  x[i] = keep - eps;
  const down = f();
  x[i] = keep;
  return (up - down) / (2 * eps);
}

/** Asserts |a - b| <= tol * max(1, scale) elementwise, with a readable message. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, scale = 1): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, scale))) {
      throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (tolerance ${tol * Math.max(1, scale)})`);
    }
  }
}

/** How many times `fn` calls `target[method]` (counted through a wrapper, removed afterwards). */
export function callsDuring(target: object, method: string, fn: () => void): number {
  const t = target as Record<string, (...a: unknown[]) => unknown>;
  const original = t[method];
  let n = 0;
  t[method] = function (this: unknown, ...a: unknown[]) {
    n++;
    return original.apply(this, a);
  };
  try {
    fn();
  } finally {
    t[method] = original;
  }
  return n;
}
