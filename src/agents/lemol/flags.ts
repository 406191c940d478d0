/**
 * LeMOL's options (the LeMOL group of `lemol train --help`, in its order) and what they make: the
 * options that set a field of {@link LeMOLOptions} name it (`key`) and reach the agent by the
 * generic mapping (`keyedConfig`); the others either combine into a structured field here
 * (`lemolOptionsOf`: the oracle, LeMOL-EP, the triplet loss, ...) or are read by the experiment
 * (cycles, OM training, experience files). Adding a plain LeMOL hyperparameter is one `opt(...)`
 * with a `key` here (then read `options.<key>` in the agent: it is optional there).
 */
import { KeyedConfigOf, ConfigOf, keyedConfig, opt } from "../../util/options.js";
import type { TripletOptions } from "./triplet.js";

/** LeMOL's options, in `--help` order. */
export const LEMOL_OPTIONS = [
  opt("omlr", "number", 1e-3, "opponent-model learning rate", { exclusiveMin: 0, key: "omlr" }),
  opt("lstm_hidden_dim", "int", 64, "units of the opponent model's slow LSTM", { min: 1, key: "lstmHiddenDim" }),
  opt("lstm_gate_activation", "string", "hard_sigmoid", "gate activation of the OM's LSTM: hard_sigmoid (TF1 CPU) or sigmoid (CuDNN)", {
    choices: ["hard_sigmoid", "sigmoid"],
    key: "recurrentActivation",
  }),
  opt("lemol_save_path", "string", null, "directory for experience files (default: <run_dir>/experience)"),
  opt("chunk_length", "int", 64, "truncated-BPTT chunk length of OM training (steps)", { min: 1 }),
  opt("num_traj_to_train", "int", 8, "experience files sampled (with replacement) per OM training pass", { min: 1 }),
  opt("traj_per_iter", "int", 3, "trajectories per opponent per OM cycle", { min: 1 }),
  opt("om_training_iters", "int", 5, "OM training passes after each cycle", { min: 0 }),
  opt("n_opp_cycles", "int", 10, "OM cycles (play, then train the OM)", { min: 1 }),
  opt(
    "cycles_without_lemol",
    "boolean",
    false,
    "with no LeMOL agent, play --n_opp_cycles cycles of --traj_per_iter trajectories per opponent (no OM training) instead of the original's one: a control with the trajectories of a LeMOL run (a fresh opponent each, Adam state carried over, the same streams per trajectory)",
  ),
  opt("lemol_in_play_perf_log_freq", "int", 100, "log in-play OM accuracy every this many steps", { min: 1, key: "inPlayLogFreq" }),
  opt("train_lemol_om_on_oh", "boolean", false, "train the OM on one-hot targets"),
  opt("feed_lemol_true_action", "boolean", false, "oracle: feed LeMOL the opponent's true action instead of the OM's prediction"),
  opt("lemol_true_action_feed_proportion", "number", 1.0, "oracle: probability of feeding the truth", { min: 0, max: 1 }),
  opt("feed_lemol_true_action_before", "int", 25, "oracle: feed the truth at episode steps before this"),
  opt("feed_lemol_true_action_after", "int", -1, "oracle: ... or after this"),
  opt("lemol_oracle_baseline_acc", "number", 0.55, "oracle (later release, --revision head): also feed the truth with this probability outside the window", {
    min: 0,
    max: 1,
  }),
  opt(
    "block_processing",
    "boolean",
    false,
    "LeMOL-EP: summarise each period of agent_update_freq steps with a bidirectional LSTM; the slow LSTM steps once per period; chunk_length counts periods",
  ),
  opt("episode_embedding_dim", "int", 128, "LeMOL-EP period summary size (even: half per direction)", { min: 2 }),
  opt(
    "recurrent_om_prediction",
    "boolean",
    false,
    "in-episode LSTM over LeMOL's observations for the OM prediction, reset each episode (needs --block_processing)",
  ),
  opt("in_ep_lstm_dim", "int", 32, "units of the in-episode LSTM", { min: 1 }),
  opt("ablate_lemol_lstm", "boolean", false, "ablation: the OM predicts from the observation only (no learning feature; the slow LSTM is not trained)", {
    key: "ablate",
  }),
  opt("use_triplet_representation_loss", "boolean", false, "add the triplet representation loss on the slow LSTM's states to OM training"),
  opt("rep_loss_pos_dist", "int", 3, "triplet loss: maximum distance of a positive", { min: 1 }),
  opt("rep_loss_neg_dist", "int", 40, "triplet loss: distance of a negative (plus up to rep_loss_pos_dist)", { min: 1 }),
  opt("representation_loss_weight", "number", 0.1, "triplet loss weight", { min: 0 }),
  opt("representation_loss_decay_base", "number", 15, "triplet loss weight decay: weight x base / (base + chunk)", { exclusiveMin: 0 }),
  opt("decentralise_lemol_obs", "boolean", false, "LeMOL's critic sees only its own observation (and both actions)"),
  opt(
    "fully_decentralise_lemol",
    "boolean",
    false,
    "LeMOL uses no centralised information: the OM's predictions replace the opponent's target action and stored action in its update (implies --decentralise_lemol_obs)",
  ),
  opt(
    "use_alternative_lstm",
    "boolean",
    false,
    "the original's experimental slow-LSTM cell: an MLP on [opponent action ‖ h] feeds a learning feature into each step (per-step model only; the first release's --use_standard_lstm off)",
  ),
  opt("learning_feature_dim", "int", 64, "learning-feature size of the alternative cell", { min: 1 }),
  opt("skip_to_om_training", "boolean", false, "skip play in every cycle and train the OM on the experience files already in --lemol_save_path"),
  opt("skip_to_om_training_first_cycle", "boolean", false, "skip play in cycle 0 only"),
  opt("log_om_influence", "boolean", false, "log the OM's influence on LeMOL's policy, mean((d logits / d m)^2)"),
  opt("log_om_influence_freq", "int", 5, "... every this many steps", { min: 1 }),
  opt(
    "revision",
    "string",
    "init",
    "which release to follow: its OM alignment and its cadence defaults. init (the seed): 10000 episodes, an update every step; head (the later release): 11024 episodes (1024 of exploration), an update every 25 steps. Given --num_episodes / --agent_update_freq win",
    { choices: ["init", "head"], key: "revision" },
  ),
] as const;

/** The fields of {@link LeMOLOptions} that options set one to one (by their `key`). */
export type LeMOLKeyedOptions = KeyedConfigOf<typeof LEMOL_OPTIONS>;

/** What every LeMOL agent is given; the other keyed fields fall back to their options' defaults. */
type RequiredKeyed = "lstmHiddenDim" | "omlr" | "revision" | "recurrentActivation";

/**
 * LeMOL's options as the agent takes them: the keyed options (help in {@link LEMOL_OPTIONS}), and
 * the structured ones below.
 */
export interface LeMOLOptions extends Pick<LeMOLKeyedOptions, RequiredKeyed>, Partial<Omit<LeMOLKeyedOptions, RequiredKeyed>> {
  /** `--discrete_actions`: the env plays one-hot actions, and m is the one-hot of the prediction. */
  discreteActions: boolean;
  /**
   * `--feed_lemol_true_action` and its options: the oracle baseline. `baselineAccuracy`
   * (`--lemol_oracle_baseline_acc`, later release only) also feeds the truth with that probability
   * outside the window.
   */
  oracle: { enabled: boolean; proportion: number; before: number; after: number; baselineAccuracy?: number };
  /** LeMOL-EP (`--block_processing`) with its summary size (`--episode_embedding_dim`). */
  blockProcessing?: { embeddingDim: number } | null;
  /** `--recurrent_om_prediction`: the in-episode LSTM's units (`--in_ep_lstm_dim`). */
  inEpisodeUnits?: number | null;
  /** `--use_triplet_representation_loss` with its options. */
  triplet?: TripletOptions | null;
  /**
   * Periods follow episodes (episodes that end early: the UAV grid world): the slow LSTM advances
   * at each episode's start over the previous episode's events, and LeMOL-EP's periods are
   * episodes of up to `max_episode_len` steps. Otherwise periods are `agent_update_freq` steps.
   */
  episodicPeriods?: boolean;
  /** `--use_alternative_lstm` with `--learning_feature_dim`. */
  alternativeCell?: { learningFeatureDim: number } | null;
  /** `--decentralise_lemol_obs` ("obs"), `--fully_decentralise_lemol` ("full"). */
  decentralise?: "none" | "obs" | "full";
  /** `--log_om_influence`: log the OM's influence on the policy every this many steps (`--log_om_influence_freq`); null: never. */
  influenceLogFreq?: number | null;
}

/** LeMOL's option values by option name (what an experiment's configuration holds of them). */
export type LeMOLOptionValues = ConfigOf<typeof LEMOL_OPTIONS>;

/**
 * LeMOL's options from the experiment's: the keyed ones as they are, the structured ones built
 * from the options they combine. `discrete`: the env plays arg-max actions (`oneHotRule`);
 * `episodicPeriods`: episodes end early (the UAV grid world).
 */
export function lemolOptionsOf(cfg: LeMOLOptionValues, discrete: boolean, episodicPeriods: boolean): LeMOLOptions {
  return {
    ...keyedConfig(LEMOL_OPTIONS, cfg),
    discreteActions: discrete,
    oracle: {
      enabled: cfg.feed_lemol_true_action,
      proportion: cfg.lemol_true_action_feed_proportion,
      before: cfg.feed_lemol_true_action_before,
      after: cfg.feed_lemol_true_action_after,
      baselineAccuracy: cfg.lemol_oracle_baseline_acc,
    },
    blockProcessing: cfg.block_processing ? { embeddingDim: cfg.episode_embedding_dim } : null,
    inEpisodeUnits: cfg.recurrent_om_prediction ? cfg.in_ep_lstm_dim : null,
    triplet: cfg.use_triplet_representation_loss
      ? {
          positiveDistance: cfg.rep_loss_pos_dist,
          negativeDistance: cfg.rep_loss_neg_dist,
          weight: cfg.representation_loss_weight,
          decayBase: cfg.representation_loss_decay_base,
        }
      : null,
    decentralise: cfg.fully_decentralise_lemol ? "full" : cfg.decentralise_lemol_obs ? "obs" : "none",
    alternativeCell: cfg.use_alternative_lstm ? { learningFeatureDim: cfg.learning_feature_dim } : null,
    episodicPeriods,
    influenceLogFreq: cfg.log_om_influence ? cfg.log_om_influence_freq : null,
  };
}
