/**
 * Where an experiment stands in its schedule (lemol-spec §2.2), as a small state machine:
 *
 *   for cycle in cycles:                       (n_opp_cycles with LeMOL or --cycles_without_lemol, else 1)
 *     for repeat in traj_per_iter:
 *       for opponent in opponents:             one trajectory each        phase "play"
 *     the cycle's OM training                  (when due)                 phase "om_training"
 *   "done"
 *
 * It knows the pairing's names, what a call would play from here, and how its state goes into a
 * checkpoint (and whether a checkpoint's counters can belong to this run).
 */
import type { ExperimentConfig } from "./config.js";
import type { Phase, RunCall, TrajectoryInfo } from "./events.js";

/** The experiment's counters and schedule as a checkpoint stores them. */
export interface ExperimentState {
  phase: Phase;
  cycle: number;
  repeat: number;
  opponent: number;
  trajectoriesStarted: number;
  inTrajectory: boolean;
  info: TrajectoryInfo | null;
  trainStep: number;
  episodeStep: number;
  episodesCompleted: number;
  metricsRows: number;
  metricsBytes: number;
  experienceFiles: string[];
  replay: boolean;
}

export interface ScheduleShape {
  cycles: number;
  /** Opponents in turn (the varying side's list). */
  opponents: number;
  policies: { bad: string[]; good: string[]; varying: "good" | "bad" | null };
  /** The cycle ends with OM training (a LeMOL agent, not oracle or evaluation mode, passes > 0). */
  omTrainingDue: boolean;
  /** Episodes may end early (UAV): the train step is not episodes × max_episode_len. */
  episodicPeriods: boolean;
}

export class Schedule {
  phase: Phase = "play";
  cycle = 0;
  repeat = 0;
  opponent = 0;
  /** Trajectories started so far (the id of the next one). */
  trajectoriesStarted = 0;
  inTrajectory = false;
  /** The current (or last) trajectory. */
  info: TrajectoryInfo | null = null;

  constructor(
    private readonly config: Readonly<ExperimentConfig>,
    readonly shape: ScheduleShape,
  ) {}

  /** Trajectories in the whole run. */
  get totalTrajectories(): number {
    return this.shape.cycles * this.config.traj_per_iter * this.shape.opponents;
  }

  /** Trajectories per cycle. */
  get perCycle(): number {
    return this.config.traj_per_iter * this.shape.opponents;
  }

  /** `<bad>_vs_<good>` of pairing j, as the original names its directories (the whole list on LeMOL's side). */
  pairName(j: number): string {
    const { bad, good } = this.shape.policies;
    const badName = bad.length > 1 ? bad[j] : bad[0];
    const goodName = good.length > 1 ? good[j] : good[0];
    if (bad.includes("lemol")) return `${this.config.bad_policy}_vs_${goodName}`;
    if (good.includes("lemol")) return `${badName}_vs_${this.config.good_policy}`;
    return `${badName}_vs_${goodName}`;
  }

  /** The opponent policy of the current pairing (the varying side's, or the non-LeMOL side's). */
  opponentName(): string {
    const { bad, good, varying } = this.shape.policies;
    if (varying === "good") return good[this.opponent];
    if (varying === "bad") return bad[this.opponent];
    return bad[0] === "lemol" ? good[0] : bad[0];
  }

  /** `--skip_to_om_training` (every cycle) and `--skip_to_om_training_first_cycle` (cycle 0): no play, OM training on the files there are. */
  skipsPlay(cycle: number): boolean {
    const cfg = this.config;
    return this.shape.omTrainingDue && (cfg.skip_to_om_training || (cfg.skip_to_om_training_first_cycle && cycle === 0));
  }

  /** A trajectory of the current pairing starts; returns its description. */
  startTrajectory(agents: string[]): TrajectoryInfo {
    if (this.phase !== "play")
      throw new Error(this.phase === "done" ? "the experiment is finished" : "this cycle's trajectories are done: call trainOpponentModel() or runCycle()");
    this.info = {
      cycle: this.cycle,
      repeat: this.repeat,
      opponent: this.opponent,
      trajectory: this.trajectoriesStarted,
      agents,
      pair: this.pairName(this.opponent),
    };
    this.trajectoriesStarted++;
    this.inTrajectory = true;
    return this.info;
  }

  /** The trajectory ended: next opponent, next repeat, then the cycle's OM training or its end. Returns whether the cycle ended (without OM training). */
  endTrajectory(): boolean {
    this.inTrajectory = false;
    this.opponent++;
    if (this.opponent < this.shape.opponents) return false;
    this.opponent = 0;
    this.repeat++;
    if (this.repeat < this.config.traj_per_iter) return false;
    this.repeat = 0;
    if (this.shape.omTrainingDue) {
      this.phase = "om_training";
      return false;
    }
    return true;
  }

  /** The cycle is over: the next one (or done). */
  finishCycle(): void {
    this.cycle++;
    this.phase = this.cycle >= this.shape.cycles ? "done" : this.skipsPlay(this.cycle) ? "om_training" : "play";
  }

  /** Episodes a call would play from here (for progress and ETA), given the episodes of the current trajectory done. */
  plannedEpisodes(call: RunCall, episodesCompleted: number): number {
    const E = this.config.num_episodes;
    const leftInTrajectory = this.inTrajectory ? E - episodesCompleted : E;
    if (this.phase !== "play") return 0;
    if (call === "runEpisode") return 1;
    if (call === "runTrajectory") return leftInTrajectory;
    const doneInCycle = this.repeat * this.shape.opponents + this.opponent + (this.inTrajectory ? 1 : 0);
    const restOfCycle = (this.perCycle - doneInCycle) * E + (this.inTrajectory ? leftInTrajectory : 0);
    if (call === "runCycle") return restOfCycle;
    return restOfCycle + (this.shape.cycles - this.cycle - 1) * this.perCycle * E;
  }

  /** Where the schedule stands, in words. */
  where(episodesCompleted: number, trainStep: number): string {
    if (this.phase === "done") return "finished";
    // cycles and trajectories by their ids (from 0, as in metrics, tables and plots), with the count in all
    if (this.phase === "om_training") return `cycle ${this.cycle} (of ${this.shape.cycles}): opponent-model training due`;
    const current = this.inTrajectory ? this.info!.trajectory : this.trajectoriesStarted;
    return (
      `cycle ${this.cycle} (of ${this.shape.cycles}), trajectory ${current} (of ${this.totalTrajectories}` +
      (this.inTrajectory ? `, ${this.info!.pair}), episode ${episodesCompleted}/${this.config.num_episodes}, step ${trainStep}` : ", not started)")
    );
  }

  /** The schedule's part of a checkpoint's state. */
  state(): Pick<ExperimentState, "phase" | "cycle" | "repeat" | "opponent" | "trajectoriesStarted" | "inTrajectory" | "info"> {
    return {
      phase: this.phase,
      cycle: this.cycle,
      repeat: this.repeat,
      opponent: this.opponent,
      trajectoriesStarted: this.trajectoriesStarted,
      inTrajectory: this.inTrajectory,
      info: this.info,
    };
  }

  /** Takes the schedule of a checkpoint's state (checked with {@link check} first). */
  load(s: ExperimentState, parallelMerge = false): void {
    this.phase = s.phase;
    this.cycle = s.cycle;
    this.repeat = s.repeat;
    this.opponent = s.opponent;
    this.trajectoriesStarted = s.trajectoriesStarted;
    if (!parallelMerge) this.inTrajectory = s.inTrajectory;
    this.info = s.info;
  }

  /** Throws `error(what)` when a checkpoint's schedule and counters cannot belong to this run's configuration. */
  check(s: ExperimentState, error: (what: string) => Error): void {
    const cfg = this.config;
    const bad = (what: string) => {
      throw error(what);
    };
    const int = (v: unknown, lo: number, hi: number, what: string) => {
      if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) bad(`${what} is ${JSON.stringify(v)}, outside [${lo}, ${hi}]`);
    };
    if (typeof s !== "object" || s === null) bad("no experiment state");
    if (!["play", "om_training", "done"].includes(s.phase)) bad(`phase is ${JSON.stringify(s.phase)}`);
    int(s.cycle, 0, this.shape.cycles, `cycle (of --n_opp_cycles ${cfg.n_opp_cycles})`);
    if (s.cycle === this.shape.cycles && s.phase !== "done") bad(`cycle ${s.cycle} is past the last one but the run is not done`);
    int(s.repeat, 0, cfg.traj_per_iter - 1, `the repeat (of --traj_per_iter ${cfg.traj_per_iter})`);
    int(s.opponent, 0, this.shape.opponents - 1, "the opponent index");
    int(s.trajectoriesStarted, 0, this.totalTrajectories, "trajectories started");
    int(s.episodesCompleted, 0, cfg.num_episodes, `episodes completed (of --num_episodes ${cfg.num_episodes})`);
    int(s.episodeStep, 0, cfg.max_episode_len - 1, `the episode step (of --max_episode_len ${cfg.max_episode_len})`);
    int(s.trainStep, 0, cfg.num_episodes * cfg.max_episode_len, "the train step");
    // MPE episodes all last max_episode_len steps
    if (!this.shape.episodicPeriods && s.inTrajectory && s.trainStep !== s.episodesCompleted * cfg.max_episode_len + s.episodeStep) {
      bad(`the train step ${s.trainStep} is not ${s.episodesCompleted} episodes of ${cfg.max_episode_len} steps + ${s.episodeStep}`);
    }
  }
}
