/**
 * Every metric name lemol writes into `metrics.csv` (the long format: one row per value, columns
 * `cycle, trajectory, opponent, episode, train_step, om_iter, agent, metric, value`), with when a
 * row is written and what it holds. docs/notebooks.md's metric table is generated from this list
 * (`npm run docs:metrics`), and a test checks that runs write no name missing here.
 */

/** One metric: its name, who writes it and when (which columns are filled), and what the value is. */
export interface MetricDoc {
  name: string;
  rows: string;
  value: string;
}

const PER_EPISODE = "per agent, each episode (cycle, trajectory, opponent, episode, train_step)";
const IN_PLAY = "LeMOL agents, every 100 training steps after exploration (cycle, trajectory, opponent, episode, train_step)";
const OM_CHUNK = "LeMOL agents, each chunk of opponent-model training (cycle, om_iter; no trajectory or episode)";

export const METRICS: readonly MetricDoc[] = [
  { name: "episode_reward", rows: PER_EPISODE, value: "the episode's summed reward of the agent" },
  {
    name: "averaged_reward",
    rows: "per agent, every save_rate episodes (at the last of them)",
    value: "mean episode reward over the last save_rate episodes (the original's printed line)",
  },
  { name: "q_loss", rows: "MADDPG-family agents (LeMOL too), each episode in which they updated", value: "mean critic loss over the episode's updates" },
  { name: "p_loss", rows: "MADDPG-family and PPO agents, each episode in which they updated", value: "mean policy (actor) loss over the episode's updates" },
  { name: "q_value", rows: "MADDPG-family agents, each episode in which they updated", value: "mean Q value of the sampled batch over the episode's updates" },
  { name: "v_loss", rows: "PPO agents, each episode in which they updated", value: "mean value-function loss over the episode's updates" },
  { name: "kl", rows: "PPO agents, each episode in which they updated", value: "mean KL divergence between the old and the updated policy" },
  { name: "om_accuracy_in_play", rows: IN_PLAY, value: "the opponent model's accuracy at predicting the opponent's action over the last window of play" },
  { name: "om_baseline_persistence_in_play", rows: IN_PLAY, value: "baseline on the same window: the opponent repeats its previous action" },
  { name: "om_baseline_window_majority_in_play", rows: IN_PLAY, value: "baseline on the same window: the window's most frequent action" },
  { name: "om_baseline_bc_in_play", rows: IN_PLAY, value: "baseline on the same window: a behaviour-cloning MLP on the observation" },
  {
    name: "om_baseline_bc_previous_action_in_play",
    rows: IN_PLAY,
    value: "baseline on the same window: a behaviour-cloning MLP on the observation and the opponent's previous action, trained like the one above",
  },
  {
    name: "om_baseline_online_bc_in_play",
    rows: IN_PLAY,
    value: "baseline on the same window: an MLP on the observation and previous action fitted during play on this opponent's last 500 steps",
  },
  { name: "om_cross_entropy_in_play", rows: IN_PLAY, value: "cross-entropy of the opponent model's prediction against the actual action on the window" },
  { name: "om_xent_original", rows: IN_PLAY, value: "the same cross-entropy as the original computed it (for comparison with its logs)" },
  { name: "om_training_accuracy", rows: OM_CHUNK, value: "the opponent model's accuracy on the chunk while training" },
  { name: "om_training_loss", rows: OM_CHUNK, value: "the opponent model's training loss on the chunk" },
];

/** Whether lemol writes metric `name`. */
export function isMetricName(name: string): boolean {
  return METRICS.some((m) => m.name === name);
}

/** The table docs/notebooks.md shows (between its `<!-- metrics:begin -->` and `<!-- metrics:end -->`). */
export function metricsMarkdownTable(): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return ["| metric | rows | value |", "|---|---|---|", ...METRICS.map((m) => `| \`${m.name}\` | ${esc(m.rows)} | ${esc(m.value)} |`)].join("\n");
}
