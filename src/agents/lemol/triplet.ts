/**
 * The triplet representation loss (lemol-spec §4.7, the later release's `build_triplet_loss`):
 * slow-LSTM states close in time should be close, states far apart should be far.
 *
 * On the chunk's state sequence A = [h_0 … h_K] ([B, K+1, H]: per step, or per period for EP),
 * index vectors of shape (B,) are drawn (P = `rep_loss_pos_dist`, N = `rep_loss_neg_dist`):
 *   early  positive p ~ U{0 … K−N−P}, reference p + U{1..P}, negative p + N + U{1..P}
 *   late   positive p ~ U{N+P … K},   reference p − U{1..P}, negative p − N − U{1..P}
 * Gathering along time with a (B,) index gives (B, B, H) — every sequence paired with all B
 * offsets — the original's quirk, reproduced. For each set the squared distance to the reference,
 * summed over (offset, feature) and averaged over the batch, gives l_pos and l_neg, and
 *   L = (1 + exp((l_neg_early + l_neg_late) − (l_pos_early + l_pos_late)))^−2  = sigmoid(−D)².
 * In chunk i of a training pass the loss is weighted by `weight · base / (base + i)`.
 *
 * The gradient with respect to A is written out (the explicit path, om-backward.ts): dL/dD = −2·sigmoid(−D)²·sigmoid(D), and d l_x/dA[b,t] = (2/B)·Σ_b' (A[b,ref_b'] −
 * A[b,x_b'])·(1[t = ref_b'] − 1[t = x_b']).
 */
import type { Rng } from "../../util/rng.js";

export interface TripletOptions {
  /** `--rep_loss_pos_dist` (3). */
  positiveDistance: number;
  /** `--rep_loss_neg_dist` (40). */
  negativeDistance: number;
  /** `--representation_loss_weight` (0.1). */
  weight: number;
  /** `--representation_loss_decay_base` (15). */
  decayBase: number;
}

/** The index vectors of one draw: [reference, positive, negative] for the early and late sets. */
export interface TripletIndices {
  early: { ref: Int32Array; pos: Int32Array; neg: Int32Array };
  late: { ref: Int32Array; pos: Int32Array; neg: Int32Array };
}

/** The fewest states (K + 1) a chunk needs for the draws: K ≥ N + P. */
export function tripletMinStates(o: TripletOptions): number {
  return o.negativeDistance + o.positiveDistance + 1;
}

/** Draws the index vectors for a sequence of K + 1 states and batch B. */
export function drawTripletIndices(K: number, B: number, o: TripletOptions, rng: Rng): TripletIndices {
  const P = o.positiveDistance;
  const N = o.negativeDistance;
  if (K < N + P) throw new RangeError(`triplet loss: a chunk of ${K + 1} states is too short for --rep_loss_neg_dist ${N} + --rep_loss_pos_dist ${P}`);
  const set = () => ({ ref: new Int32Array(B), pos: new Int32Array(B), neg: new Int32Array(B) });
  const early = set();
  const late = set();
  const u = (lo: number, hi: number) => lo + rng.int(hi - lo + 1); // U{lo … hi}
  for (let b = 0; b < B; b++) early.pos[b] = u(0, K - N - P);
  for (let b = 0; b < B; b++) early.ref[b] = early.pos[b] + u(1, P);
  for (let b = 0; b < B; b++) early.neg[b] = early.pos[b] + N + u(1, P);
  for (let b = 0; b < B; b++) late.pos[b] = u(N + P, K);
  for (let b = 0; b < B; b++) late.ref[b] = late.pos[b] - u(1, P);
  for (let b = 0; b < B; b++) late.neg[b] = late.pos[b] - N - u(1, P);
  return { early, late };
}

/** Batch-mean of Σ_{b',h} (A[b,ref_b'] − A[b,x_b'])², and (if `grad`) its gradient added with factor `scale`. */
function pairDistance(A: Float32Array, B: number, S: number, H: number, ref: Int32Array, x: Int32Array, grad: Float32Array | null, scale: number): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    const base = b * S * H;
    for (let q = 0; q < B; q++) {
      const r = base + ref[q] * H;
      const s = base + x[q] * H;
      for (let h = 0; h < H; h++) {
        const d = A[r + h] - A[s + h];
        total += d * d;
        if (grad) {
          const g = (2 * scale * d) / B;
          grad[r + h] += g;
          grad[s + h] -= g;
        }
      }
    }
  }
  return total / B;
}

/**
 * The loss on states A [B, S = K+1, H] for the drawn indices; when `grad` is given, adds
 * `scale · dL/dA` to it.
 */
export function tripletLoss(A: Float32Array, B: number, S: number, H: number, idx: TripletIndices, grad: Float32Array | null = null, scale = 1): number {
  const d = (x: Int32Array, set: TripletIndices["early"]) => pairDistance(A, B, S, H, set.ref, x, null, 0);
  const D = d(idx.early.neg, idx.early) + d(idx.late.neg, idx.late) - (d(idx.early.pos, idx.early) + d(idx.late.pos, idx.late));
  const sNeg = 1 / (1 + Math.exp(D)); // sigmoid(−D), stable for large |D|
  const loss = sNeg * sNeg;
  if (grad) {
    const dD = -2 * sNeg * sNeg * (1 - sNeg) * scale;
    if (dD !== 0) {
      pairDistance(A, B, S, H, idx.early.ref, idx.early.neg, grad, dD);
      pairDistance(A, B, S, H, idx.late.ref, idx.late.neg, grad, dD);
      pairDistance(A, B, S, H, idx.early.ref, idx.early.pos, grad, -dD);
      pairDistance(A, B, S, H, idx.late.ref, idx.late.pos, grad, -dD);
    }
  }
  return loss;
}

/** The weight of chunk i of a pass: `weight · base / (base + i)`. */
export function tripletWeight(o: TripletOptions, chunk: number): number {
  return (o.weight * o.decayBase) / (o.decayBase + chunk);
}
