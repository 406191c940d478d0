/**
 * Which numbers of each agent's action are one-hot: the one rule the experiment, the quick-start
 * runner and the learners follow (lemol-spec §2.1; mpe-spec `_set_action`).
 *
 * - An environment that plays the arg-max of each action (MPE with `forceDiscreteAction`, i.e.
 *   `--discrete_actions`; the UAV grid world always) is *discrete*: PPO then acts categorically and
 *   LeMOL's prediction m is a one-hot.
 * - The original MPE env one-hots the movement chunk of the action array in place, so with
 *   `--discrete_actions` the one-hot is what the buffers store. The UAV env reads the arg-max
 *   without touching the action, so its stored actions stay as played.
 * - `--discrete_messages` sends (and stores) the one-hot of a speaking MPE agent's message: the last
 *   `dim_c` numbers of its action.
 */
import { MultiAgentEnv } from "./env.js";
import type { UAVEnv } from "./uav.js";

export interface OneHotRule {
  /** The environment plays the arg-max of every action vector. */
  readonly discrete: boolean;
  /** Per agent: the environment one-hots its movement (the first 5 numbers) in place, so the one-hot is stored. */
  readonly movement: readonly boolean[];
  /** Per agent: the message chunk `[offset, size]` sent and stored as a one-hot, or null. */
  readonly message: readonly (readonly [number, number] | null)[];
}

/** The one-hot rule of `env` (see the file's comment); `discreteMessages`: `--discrete_messages`. */
export function oneHotRule(env: MultiAgentEnv | UAVEnv, options: { discreteMessages?: boolean } = {}): OneHotRule {
  const mode = env.actionMode;
  const discrete = mode.forceDiscreteAction && mode.discreteActionSpace && !mode.discreteActionInput;
  if (!(env instanceof MultiAgentEnv)) return { discrete, movement: env.actionSizes.map(() => false), message: env.actionSizes.map(() => null) };
  const L = env.world.layout;
  return {
    discrete,
    movement: Array.from({ length: env.n }, (_, a) => discrete && L.movable[a] === 1),
    message: Array.from({ length: env.n }, (_, a) =>
      options.discreteMessages && L.silent[a] !== 1 && L.dimC > 0 ? ([env.actionSizes[a] - L.dimC, L.dimC] as const) : null,
    ),
  };
}
