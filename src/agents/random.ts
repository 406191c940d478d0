/** A random policy over any MPE action space: the baseline every learner must beat. */
import type { ActionMode, ActionSpace } from "../envs/spaces.js";
import type { Rng } from "../util/rng.js";

/** How a random discrete sub-action is drawn. */
export type RandomDiscreteKind = "onehot" | "prob";

/**
 * Writes a random action for `space` into `out` from `off`, and returns the number of values
 * written. Discrete sub-actions are uniform one-hot vectors (`onehot`), softmax-of-normal
 * probability vectors (`prob`, as MADDPG's early outputs look), or integers with
 * `discreteActionInput`; boxes are uniform in their bounds.
 */
export function randomAction(
  space: ActionSpace,
  mode: ActionMode,
  rng: Rng,
  out: Float64Array | number[],
  off = 0,
  kind: RandomDiscreteKind = "onehot",
): number {
  switch (space.kind) {
    case "discrete": {
      if (mode.discreteActionInput) {
        out[off] = rng.int(space.n);
        return 1;
      }
      if (kind === "onehot") {
        const k = rng.int(space.n);
        for (let i = 0; i < space.n; i++) out[off + i] = i === k ? 1 : 0;
      } else {
        let sum = 0;
        for (let i = 0; i < space.n; i++) sum += out[off + i] = Math.exp(rng.normal());
        for (let i = 0; i < space.n; i++) out[off + i] /= sum;
      }
      return space.n;
    }
    case "box": {
      for (let i = 0; i < space.shape[0]; i++) out[off + i] = rng.uniformRange(space.low, space.high);
      return space.shape[0];
    }
    case "multi_discrete": {
      let k = 0;
      for (const n of space.nvec) k += randomAction({ kind: "discrete", n }, mode, rng, out, off + k, kind);
      return k;
    }
    case "tuple": {
      let k = 0;
      for (const s of space.spaces) k += randomAction(s, mode, rng, out, off + k, kind);
      return k;
    }
  }
}
