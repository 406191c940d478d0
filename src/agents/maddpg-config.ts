/**
 * The MADDPG family's options and the config they make (MADDPG, DDPG, M3DDPG, and LeMOL's
 * actor-critic): each option names the `MADDPGConfig` field it sets (`key`), so the config type,
 * its defaults, `lemol train --help` and the experiment's mapping (`keyedConfig`) all come from
 * this list. Adding a hyperparameter is one `opt(...)` here (then read `this.config.<key>`).
 */
import { KeyedConfigOf, keyedConfig, opt } from "../util/options.js";

// options more than one algorithm reads (PPO too); listed by --help where the experiment puts them
export const MAX_EPISODE_LEN = opt("max_episode_len", "int", 25, "steps per episode", { min: 1, key: "maxEpisodeLen" });
export const NUM_ADVERSARIES = opt("num_adversaries", "int", 1, "number of adversaries (used for M3DDPG's sides)", { min: 0, key: "numAdversaries" });
export const GAMMA = opt("gamma", "number", 0.95, "discount factor", { min: 0, max: 1, key: "gamma" });
export const NUM_UNITS = opt("num_units", "int", 64, "units per hidden layer of every MLP", { min: 1, key: "numUnits" });
export const AGENT_UPDATE_FREQ = opt(
  "agent_update_freq",
  "int",
  1,
  "update every this many steps; also LeMOL's period F for the slow LSTM; 25 with --revision head",
  { min: 1, key: "agentUpdateFreq" },
);
export const REPLAY_BUFFER_CAPACITY = opt("replay_buffer_capacity", "int", 1_000_000, "replay buffer capacity", { min: 1, key: "replayBufferCapacity" });

/** The training options of `--help` (all the MADDPG family's), in their order there. */
export const MADDPG_OPTIONS = [
  opt("lr", "number", 1e-2, "learning rate of actors and critics", { exclusiveMin: 0, key: "lr" }),
  GAMMA,
  // exploration lasts batchSize × maxEpisodeLen steps
  opt("batch_size", "int", 1024, "minibatch size; exploration lasts batch_size x max_episode_len steps", { min: 1, key: "batchSize" }),
  NUM_UNITS,
  opt("adv_eps", "number", 1e-3, "M3DDPG perturbation size for competitors", { min: 0, key: "advEps" }),
  // used only by the paper-style actor (m3ddpg_adversarial_actor)
  opt("adv_eps_s", "number", 1e-5, "M3DDPG perturbation size for collaborators", { min: 0, key: "advEpsS" }),
  AGENT_UPDATE_FREQ,
  // θ' ← (1 − polyak)θ' + polyak·θ
  opt("polyak", "number", 1e-4, "target network update step", { min: 0, max: 1, key: "polyak" }),
  REPLAY_BUFFER_CAPACITY,
  opt(
    "grad_clip_global",
    "boolean",
    false,
    "MADDPG/DDPG/M3DDPG: clip the gradient norm (0.5) over all of a network's parameters, as maddpg-pytorch does, instead of each variable's, as openai/maddpg does",
    { key: "gradClipGlobal" },
  ),
  opt(
    "learning_starts",
    "int",
    null,
    "MADDPG/DDPG/M3DDPG update once the buffer holds this many transitions (default: --batch_size x --max_episode_len, as openai/maddpg; maddpg-pytorch starts at --batch_size)",
    { min: 1, key: "learningStarts" },
  ),
  // standardiseRewards in maddpg-maths.ts; the update's reported `reward` is then the normalised batch's mean
  opt(
    "normalise_rewards",
    "boolean",
    false,
    "MADDPG, DDPG, M3DDPG and LeMOL: standardise each sampled batch's rewards by the mean and standard deviation of the agent's whole replay buffer, as maddpg-pytorch does (norm_rews); openai/maddpg uses the raw rewards",
    { key: "normaliseRewards" },
  ),
  opt(
    "argmax_update_actions",
    "boolean",
    false,
    "MADDPG/DDPG/M3DDPG, as maddpg-pytorch: target actions and the other agents' actions in the actor's loss are the policies' arg-max one-hots, the agent's own a straight-through hard Gumbel-softmax sample (openai/maddpg: Gumbel samples and the buffer's actions); runs the update on tfjs ops",
    { key: "argmaxUpdateActions" },
  ),
  // MLP init "pytorch" (nn/mlp.ts); the targets then start as copies, as maddpg-pytorch's hard_update
  opt(
    "pytorch_init",
    "boolean",
    false,
    "MADDPG, DDPG, M3DDPG and LeMOL's actor-critic: start every actor and critic layer as PyTorch's nn.Linear does (weight and bias uniform in +-1/sqrt(fan_in)) and the target networks as copies of them, as maddpg-pytorch; by default Glorot-uniform kernels, zero biases and independently drawn targets, as openai/maddpg",
    { key: "pytorchInit" },
  ),
  // ReplayBuffer.makeDistinctIndex; needs the buffer to hold at least --batch_size transitions
  opt(
    "sample_without_replacement",
    "boolean",
    false,
    "MADDPG, DDPG, M3DDPG and LeMOL: draw each batch's transitions without replacement (distinct indices), as maddpg-pytorch's np.random.choice(replace=False); openai/maddpg draws with replacement",
    { key: "sampleWithoutReplacement" },
  ),
  // MLP inputNorm (nn/input-batchnorm.ts); the fused native update has none, so the update runs on tfjs ops
  opt(
    "input_batchnorm",
    "boolean",
    false,
    "MADDPG/DDPG/M3DDPG, as maddpg-pytorch: a batch norm (torch's BatchNorm1d: trained scale and shift, momentum 0.1) on every actor's and critic's input, with the batch's statistics in updates and the running ones when acting; runs the update on tfjs ops",
    { key: "inputBatchnorm" },
  ),
  // timeLimitTerminal: reaching the time limit is stored as done, so the TD target does not
  // bootstrap there (LeMOL's code). MPE observations carry no clock, so the critic must then fit
  // y = r at the last step and y = r + γQ' at same-looking states before it; on simple_spread that
  // aliasing grows with |Q| to ~90% of the critic loss and stalls learning (docs/learning.md)
  opt(
    "bootstrap_time_limit",
    "boolean",
    false,
    "store only the environment's done, so TD targets bootstrap through the time limit (openai/maddpg); by default the time limit counts as terminal, as LeMOL's code does. Learns far better on simple_spread: see docs/learning.md",
    { key: "timeLimitTerminal", toConfig: (bootstrap: boolean) => !bootstrap },
  ),
  // the original computes the perturbed actor input but never uses it
  opt("m3ddpg_adversarial_actor", "boolean", false, "M3DDPG: also perturb the actor's critic input, as the paper intends (the original's code does not)", {
    key: "adversarialActor",
  }),
] as const;

/** Every option the MADDPG family's config reads: two of the environment's, and its own. */
export const MADDPG_FLAGS = [MAX_EPISODE_LEN, NUM_ADVERSARIES, ...MADDPG_OPTIONS] as const;

/**
 * Hyperparameters of the MADDPG family: one field per option of {@link MADDPG_FLAGS} (named by the
 * option's `key`; its help says what it does), and the per-variable gradient-norm clip, which has
 * no option. `learningStarts` null: `batchSize × maxEpisodeLen`, openai/maddpg's.
 */
export type MADDPGConfig = KeyedConfigOf<typeof MADDPG_FLAGS> & {
  /** Per-variable gradient-norm clip for actor and critic (the original's 0.5; no option). */
  gradClip: number;
};

/** The options' defaults as a config. */
export const MADDPG_DEFAULTS: Readonly<MADDPGConfig> = { ...keyedConfig(MADDPG_FLAGS), gradClip: 0.5 };
