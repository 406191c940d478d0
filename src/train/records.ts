/**
 * What a trajectory records as it goes (lemol-spec §2.5, §2.7): each episode's rewards per agent,
 * each learner's update statistics summed over the episode (logged as episode means), the
 * original's summary lines every `save_rate` episodes with the averaged rewards, and the speed in
 * env steps per second. The rows go to the experiment's metrics table through `row`.
 */
import type { Learner } from "../agents/learner.js";
import type { CheckpointReader, CheckpointWriter } from "../storage/checkpoint.js";
import type { MetricRow } from "./metrics.js";

type Row = (partial: Partial<MetricRow> & { metric: string; value: number }) => void;

export class TrajectoryRecords {
  /** Per finished episode of the trajectory, per agent: the summed reward. */
  episodeRewards: number[][] = [];
  /** Per agent: the three logged values' sums over the episode's updates, and their count. */
  private updateSums: Float64Array[] = [];
  private lastSummaryTime = Date.now();
  private rateSteps = 0;
  private rateTime = Date.now();
  /** Env steps per second over the last second or more. */
  stepsPerSecond = 0;

  /** A trajectory of `n` agents starts. */
  begin(n: number): void {
    this.episodeRewards = [];
    this.updateSums = Array.from({ length: n }, () => new Float64Array(4));
    this.lastSummaryTime = Date.now();
  }

  /** One update's three logged values. */
  addUpdate(agent: number, logged: readonly [number, number, number]): void {
    const s = this.updateSums[agent];
    s[0] += logged[0];
    s[1] += logged[1];
    s[2] += logged[2];
    s[3] += 1;
  }

  /** An env step was played (for the speed). */
  countStep(): void {
    this.rateSteps++;
  }

  /** An episode ended: its reward row and each learner's update means; returns the rewards. */
  endEpisode(learners: readonly Learner[], episode: number, rewards: Float64Array, trainStep: number, row: Row): number[] {
    const r = Array.from(rewards);
    this.episodeRewards.push(r);
    learners.forEach((a, i) => {
      row({ episode, train_step: trainStep, agent: a.name, metric: "episode_reward", value: r[i] });
      const s = this.updateSums[i];
      if (s[3] > 0) {
        for (let k = 0; k < 3; k++) row({ episode, train_step: trainStep, agent: a.name, metric: a.updateMetrics[k], value: s[k] / s[3] });
        s.fill(0);
      }
    });
    const now = Date.now();
    if (now - this.rateTime >= 1000) {
      this.stepsPerSecond = (this.rateSteps * 1000) / (now - this.rateTime);
      this.rateSteps = 0;
      this.rateTime = now;
    }
    return r;
  }

  /** Every save_rate episodes: the averaged rewards' rows and the original's two summary lines. */
  summary(learners: readonly Learner[], saveRate: number, episodesCompleted: number, trainStep: number, maxEpisodeLen: number, row: Row): string[] {
    const last = this.episodeRewards.slice(-saveRate);
    const perAgent = learners.map((_, i) => last.reduce((s, r) => s + r[i], 0) / last.length);
    const mean = perAgent.reduce((a, b) => a + b, 0);
    const now = Date.now();
    const elapsed = ((now - this.lastSummaryTime) / 1000).toFixed(3);
    this.lastSummaryTime = now;
    learners.forEach((a, i) => row({ episode: episodesCompleted - 1, train_step: trainStep, agent: a.name, metric: "averaged_reward", value: perAgent[i] }));
    const names = learners.map((a) => a.name);
    return [
      `${names[0]} vs ${names[names.length - 1]} steps: ${trainStep}, episodes: ${episodesCompleted}, mean episode reward: ${mean.toFixed(3)}, agent episode reward: [${perAgent.map((v) => v.toFixed(3)).join(", ")}], mean episode length: ${maxEpisodeLen}, time: ${elapsed}`,
      `agent advance score (good_rew - bad_rew): ${(perAgent[perAgent.length - 1] - perAgent[0]).toFixed(3)}`,
    ];
  }

  saveTo(w: CheckpointWriter, n: number): void {
    w.array("experiment/episode_rewards", Float64Array.from(this.episodeRewards.flat()), [this.episodeRewards.length, n]);
    w.array("experiment/update_sums", Float64Array.from(this.updateSums.flatMap((u) => Array.from(u))), [this.updateSums.length, 4]);
  }

  /** Reads what {@link saveTo} wrote (the update sums only when a trajectory is under way). */
  loadFrom(r: CheckpointReader, n: number, inTrajectory: boolean): void {
    const rewards = r.f64("experiment/episode_rewards");
    this.episodeRewards = Array.from({ length: rewards.length / n }, (_, e) => Array.from(rewards.subarray(e * n, (e + 1) * n)));
    if (inTrajectory) {
      const sums = r.f64("experiment/update_sums", n * 4);
      this.updateSums = Array.from({ length: n }, (_, i) => Float64Array.from(sums.subarray(i * 4, i * 4 + 4)));
    }
  }
}
