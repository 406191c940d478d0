/**
 * `--parallel_trajectories`: a trajectory depends only on the state at its cycle's start and on
 * its id, so a cycle's trajectories can run in any order, or at once on worker processes.
 *
 *   - At the cycle's first trajectory every learner's optimiser states and exploration flag are
 *     kept; every later trajectory of the cycle starts from them again; each trajectory's random
 *     streams are seeded from (seed, learner, stream, trajectory id). (A deviation from the
 *     original, which carries Adam state from one trajectory to the next.)
 *   - On workers (`workers.ts` forks `trajectory-worker.ts`): the cycle's start is checkpointed,
 *     each worker continues from it in a directory of its own and plays trajectories by index; the
 *     experiment then appends their metrics in schedule order and adopts the state the last
 *     trajectory ended in — exactly as if it had played them one after the other.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Learner } from "../agents/learner.js";
import type { AdamState } from "../nn/optim.js";
import { CheckpointReader, CheckpointWriter, loadCheckpoint } from "../storage/checkpoint.js";
import { Rng } from "../util/rng.js";
import { MetricRow, parseMetricsCsv } from "./metrics.js";
import type { ExperimentEventMap } from "./events.js";
import type { Schedule } from "./schedule.js";
import { TrajectoryWorkerPool } from "./workers.js";
import { ConfigError } from "./config.js";

/** Every learner's optimiser states and exploration flag at the cycle's start. */
export class CycleStart {
  private state: Map<string, { adam: AdamState[]; explored: boolean }> | null = null;

  /**
   * A trajectory starts (before its learners reset): the cycle's first keeps the learners' state,
   * the others take it back; then every learner's streams are seeded for trajectory `id`.
   */
  beginTrajectory(learners: ReadonlyMap<string, Learner>, seed: number, id: number, firstOfCycle: boolean): void {
    if (firstOfCycle) {
      this.state = new Map();
      for (const [key, t] of learners) this.state.set(key, { adam: t.optimisers.map((o) => o.getState()), explored: t.initialExplorationDone });
    } else if (this.state) {
      for (const [key, t] of learners) {
        const s = this.state.get(key)!;
        t.optimisers.forEach((o, k) => o.setState(s.adam[k]));
        t.initialExplorationDone = s.explored;
      }
    }
    for (const [key, t] of learners) {
      for (const [name, rng] of Object.entries(t.playStreams)) rng.setState(Rng.stream(seed, `${key}/${name}/trajectory-${id}`).getState());
    }
  }

  saveTo(w: CheckpointWriter): void {
    if (!this.state) return;
    w.value("cycle_start/explored", Object.fromEntries([...this.state].map(([k, s]) => [k, s.explored])));
    for (const [key, st] of this.state) st.adam.forEach((a, k) => w.adam(`cycle_start/${key}/adam${k}`, a));
  }

  loadFrom(r: CheckpointReader, learners: ReadonlyMap<string, Learner>): void {
    if (!r.has("cycle_start/explored")) return;
    const explored = r.value<Record<string, boolean>>("cycle_start/explored");
    this.state = new Map(
      [...learners].map(([key, t]) => [
        key,
        { explored: explored[key], adam: t.optimisers.map((o, k) => r.adamState(`cycle_start/${key}/adam${k}`, o.getState().m.length)) },
      ]),
    );
  }
}

/**
 * How many worker processes play a cycle of `trajectories` on `cores` when `--workers` is not given:
 * the cores, or one process per trajectory when the trajectories outnumber the cores by less than
 * two to one. Three trajectories on two cores then share both cores to the end instead of leaving
 * one idle while the third plays alone: measured at the initial release's cadence (one cycle of
 * three 1,224-episode trajectories, docs/perf-log.md 2026-12-07), 27.2 s against 33.7 s, 0.79x.
 * Results never depend on the count (each trajectory has its own streams).
 */
export function defaultWorkers(trajectories: number, cores = os.availableParallelism()): number {
  return trajectories > cores && trajectories <= 2 * cores ? trajectories : cores;
}

/**
 * The worker processes of `--parallel_trajectories`: forked at the first parallel cycle and kept
 * until closed; how many a run call uses (its `workers` option, else the config's, else
 * {@link defaultWorkers} for the cycle's trajectories).
 */
export class WorkerProcesses {
  private pool: TrajectoryWorkerPool | null = null;
  private override: number | null = null;

  constructor(
    private readonly configured: number | null,
    /** Trajectories per cycle (the default count follows them). */
    private readonly perCycle: number,
  ) {}

  /** The worker count the run call under way uses. */
  get count(): number {
    return this.override ?? this.configured ?? defaultWorkers(this.perCycle);
  }

  /** Process ids of the workers alive now. */
  get pids(): number[] {
    return this.pool?.pids ?? [];
  }

  /** Runs `body` (a run call) with its own worker count. */
  async with<T>(workers: number | undefined, body: () => Promise<T>): Promise<T> {
    if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) throw new ConfigError(`workers: expected a positive integer, got ${workers}`);
    this.override = workers ?? null;
    try {
      return await body();
    } finally {
      this.override = null;
    }
  }

  /** Plays a cycle on the workers (forking them first if need be): {@link playCycleOnWorkers}. */
  playCycle(c: Omit<WorkerCycle, "pool" | "workers">): ReturnType<typeof playCycleOnWorkers> {
    this.pool ??= new TrajectoryWorkerPool();
    return playCycleOnWorkers({ ...c, pool: this.pool, workers: this.count });
  }

  close(): void {
    this.pool?.close();
    this.pool = null;
  }
}

export interface WorkerCycle {
  pool: TrajectoryWorkerPool;
  workers: number;
  /** The schedule, at the start of the cycle. */
  schedule: Schedule;
  runDir: string;
  /** The checkpoint (label) the workers continue from. */
  checkpoint: string;
  backend: string;
  /** A worker's progress, as the experiment's progress event. */
  progress: (e: ExperimentEventMap["progress"]) => void;
  stopRequested: () => boolean;
}

/** Plays a cycle's trajectories on the workers; returns their metric rows in schedule order and the state the last ended in, or null when stopped (nothing kept). */
export async function playCycleOnWorkers(c: WorkerCycle): Promise<{ rows: MetricRow[]; end: CheckpointReader } | null> {
  const s = c.schedule;
  const T = s.perCycle;
  const opponents = s.shape.opponents;
  const first = s.trajectoriesStarted;
  // the workers' directories, removed once their results are read (or when stopped)
  const base = path.join(c.runDir, "workers", `cycle-${s.cycle}`);
  fs.rmSync(base, { recursive: true, force: true });
  const dirs = Array.from({ length: T }, (_, i) => path.join(base, `trajectory-${i}`));
  const outcome = await c.pool.run({
    workers: Math.min(c.workers, T),
    jobs: dirs.map((dir, index) => ({ type: "run", runDir: c.runDir, checkpoint: c.checkpoint, dir, index, last: index === T - 1, backend: c.backend })),
    onProgress: (worker, m) => {
      const opponent = m.index % opponents;
      c.progress({
        cycle: s.cycle,
        repeat: Math.floor(m.index / opponents),
        opponent,
        trajectory: first + m.index,
        agents: [],
        pair: s.pairName(opponent),
        episode: m.episode,
        episodes: m.episodes,
        trainStep: 0,
        stepsPerSecond: m.stepsPerSecond,
        trajectoriesDone: first,
        trajectoriesTotal: s.totalTrajectories,
        worker,
      });
    },
    stopRequested: c.stopRequested,
  });
  if (outcome === "stopped") {
    fs.rmSync(base, { recursive: true, force: true });
    return null;
  }
  const rows: MetricRow[] = [];
  for (const dir of dirs) {
    const file = path.join(dir, "metrics.csv");
    rows.push(...parseMetricsCsv(fs.readFileSync(file, "utf8"), file));
  }
  const end = loadCheckpoint(path.join(dirs[T - 1], "checkpoints", "end")); // read whole into memory
  fs.rmSync(base, { recursive: true, force: true });
  return { rows, end };
}
