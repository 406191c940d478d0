/**
 * Observation and action space descriptors, mirroring the gym spaces the original env builds
 * (mpe-spec §3), plus action decoding (`MultiAgentEnv._set_action`).
 */
import { DIM_P, Layout, World } from "./world.js";

/** A continuous box. Bounds may be infinite. */
export interface BoxSpace {
  readonly kind: "box";
  readonly low: number;
  readonly high: number;
  readonly shape: readonly [number];
}

/** `n` choices: a probability/one-hot vector of length n, or one integer with `discreteActionInput`. */
export interface DiscreteSpace {
  readonly kind: "discrete";
  readonly n: number;
}

/** Several discrete sub-actions, concatenated (movement first, then comm). */
export interface MultiDiscreteSpace {
  readonly kind: "multi_discrete";
  readonly nvec: readonly number[];
}

/** Several sub-spaces of mixed kinds (continuous movement + comm). */
export interface TupleSpace {
  readonly kind: "tuple";
  readonly spaces: readonly (BoxSpace | DiscreteSpace)[];
}

export type ActionSpace = BoxSpace | DiscreteSpace | MultiDiscreteSpace | TupleSpace;

/** How actions are read; the three flags of the original `MultiAgentEnv`. */
export interface ActionMode {
  /** Movement is a 5-vector `[noop, +x, -x, +y, -y]` (probabilities allowed). Default true. */
  readonly discreteActionSpace: boolean;
  /** Each sub-action is a single integer (movement 1=-x, 2=+x, 3=-y, 4=+y; comm index). Default false. */
  readonly discreteActionInput: boolean;
  /** Movement vectors are replaced by the one-hot of their arg-max. Default: the world's `discrete_action`. */
  readonly forceDiscreteAction: boolean;
}

/** Number of movement choices in discrete mode: no-op and ± each axis. */
export const MOVE_CHOICES = 2 * DIM_P + 1;

/** The action space of agent `a` (gym semantics: MultiDiscrete when both sub-spaces are discrete). */
export function actionSpace(layout: Layout, a: number, mode: ActionMode): ActionSpace {
  const subs: (BoxSpace | DiscreteSpace)[] = [];
  if (layout.movable[a]) {
    subs.push(mode.discreteActionSpace ? { kind: "discrete", n: MOVE_CHOICES } : { kind: "box", low: -1, high: 1, shape: [DIM_P] });
  }
  if (!layout.silent[a]) {
    subs.push(mode.discreteActionSpace ? { kind: "discrete", n: layout.dimC } : { kind: "box", low: 0, high: 1, shape: [layout.dimC] });
  }
  if (subs.length === 0) throw new Error(`agent ${a} is neither movable nor able to speak, so it has no action space`);
  if (subs.length === 1) return subs[0];
  if (subs.every((s) => s.kind === "discrete")) return { kind: "multi_discrete", nvec: subs.map((s) => (s as DiscreteSpace).n) };
  return { kind: "tuple", spaces: subs };
}

/** Length of the flat action vector agent `a` must send. */
export function actionLength(layout: Layout, a: number, mode: ActionMode): number {
  let len = 0;
  if (layout.movable[a]) len += mode.discreteActionInput ? 1 : mode.discreteActionSpace ? MOVE_CHOICES : DIM_P;
  if (!layout.silent[a]) len += mode.discreteActionInput ? 1 : layout.dimC;
  return len;
}

/** Thrown when an action vector has the wrong length or a value that cannot be used. */
export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ActionError";
  }
}

function describe(v: number): string {
  return Number.isNaN(v) ? "NaN" : String(v);
}

/**
 * Decodes agent `a`'s action, `len` numbers of `src` from `off`, into `w.actU` / `w.actC` for
 * environment `e`, exactly as `_set_action` does. The caller has already checked `len`. Throws an
 * {@link ActionError} naming the agent and index for a non-finite value or an invalid integer.
 * Unlike the original, never modifies `src`.
 */
export function decodeAction(w: World, e: number, a: number, src: ArrayLike<number>, off: number, len: number, mode: ActionMode): void {
  const L = w.layout;
  for (let i = 0; i < len; i++) {
    const v = src[off + i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ActionError(`action of agent ${a}: element ${i} is ${typeof v === "number" ? describe(v) : typeof v}; every element must be a finite number`);
    }
  }
  const ia = e * w.nAgents + a;
  const u = ia * DIM_P;
  let k = off;
  if (L.movable[a]) {
    const accel = w.accel[e * w.nEntities + a];
    const sensitivity = accel === accel ? accel : 5.0; // None -> 5.0
    let ux = 0;
    let uy = 0;
    if (mode.discreteActionInput) {
      const m = src[k++];
      if (!Number.isInteger(m) || m < 0 || m >= MOVE_CHOICES) {
        throw new ActionError(`action of agent ${a}: movement must be an integer in [0, ${MOVE_CHOICES - 1}], got ${m}`);
      }
      // the integer map differs from the vector map: 1 = -x, 2 = +x, 3 = -y, 4 = +y
      if (m === 1) ux = -1.0;
      else if (m === 2) ux = +1.0;
      else if (m === 3) uy = -1.0;
      else if (m === 4) uy = +1.0;
    } else if (mode.discreteActionSpace) {
      if (mode.forceDiscreteAction) {
        const d = argmax(src, k, MOVE_CHOICES);
        ux = (d === 1 ? 1 : 0) - (d === 2 ? 1 : 0);
        uy = (d === 3 ? 1 : 0) - (d === 4 ? 1 : 0);
      } else {
        ux = src[k + 1] - src[k + 2];
        uy = src[k + 3] - src[k + 4];
      }
      k += MOVE_CHOICES;
    } else {
      if (mode.forceDiscreteAction) {
        const d = argmax(src, k, DIM_P);
        ux = d === 0 ? 1 : 0;
        uy = d === 1 ? 1 : 0;
      } else {
        ux = src[k];
        uy = src[k + 1];
      }
      k += DIM_P;
    }
    w.actU[u] = ux * sensitivity;
    w.actU[u + 1] = uy * sensitivity;
  } else {
    w.actU[u] = 0;
    w.actU[u + 1] = 0;
  }
  const dc = w.dimC;
  const c = ia * dc;
  if (!L.silent[a]) {
    if (mode.discreteActionInput) {
      const m = src[k++];
      if (!Number.isInteger(m) || m < 0 || m >= dc) {
        throw new ActionError(`action of agent ${a}: comm must be an integer in [0, ${dc - 1}], got ${m}`);
      }
      w.actC.fill(0, c, c + dc);
      w.actC[c + m] = 1.0;
    } else {
      for (let d = 0; d < dc; d++) w.actC[c + d] = src[k + d];
    }
  } else if (dc > 0) {
    w.actC.fill(0, c, c + dc);
  }
}

/** Index of the first maximum of `n` values of `src` from `off` (numpy's argmax). */
function argmax(src: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (src[off + i] > src[off + best]) best = i;
  return best;
}
