/**
 * Worker processes for `--parallel_trajectories`: a pool of trajectory-worker processes, kept
 * across an experiment's cycles, each handed the next trajectory when it finishes one; their
 * progress is relayed, and a stop or an error ends them all. Each process has its own tfjs
 * backend; results do not depend on which worker plays which trajectory.
 */
import { ChildProcess, fork } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkerReply, WorkerRunMessage } from "./worker-protocol.js";

export interface TrajectoryWorkersOptions {
  workers: number;
  jobs: WorkerRunMessage[];
  onProgress?: (worker: number, m: Extract<WorkerReply, { type: "progress" }>) => void;
  /** Polled while the workers run: true stops them (their partial work is discarded). */
  stopRequested?: () => boolean;
}

/**
 * Node flags for a lemol child process started from `moduleUrl`'s code: from source, the
 * TypeScript loader must come along (nothing else of the parent's flags). With every core running
 * a worker, V8's GC helper threads would only compete with the other workers, so collection stays
 * on the worker's thread; a 32 MB young generation then keeps it cheap (training allocates many
 * short-lived tensor handles). Measured on 1,500 episodes, alternating, 4 runs each: 14.5 s mean
 * against 15.6 s with Node's defaults and 17.2 s single-threaded with the default young generation.
 */
export function childExecArgv(moduleUrl: string): string[] {
  const execArgv: string[] = [];
  if (path.extname(fileURLToPath(moduleUrl)) === ".ts") {
    const argv = process.execArgv;
    for (let i = 0; i < argv.length; i++) {
      if ((argv[i] === "--import" || argv[i] === "--loader") && /tsx/.test(argv[i + 1] ?? "")) execArgv.push(argv[i], argv[++i]);
      else if (/^--(import|loader)=.*tsx/.test(argv[i])) execArgv.push(argv[i]);
    }
    if (execArgv.length === 0) execArgv.push("--import", "tsx");
  }
  execArgv.push(...WORKER_V8_FLAGS);
  return execArgv;
}

/** V8 flags of lemol's worker processes (see {@link childExecArgv}). */
export const WORKER_V8_FLAGS: readonly string[] = ["--single-threaded-gc", "--max-semi-space-size=32"];

/** The worker script next to this module (.ts when run from source with tsx, .js when built). */
function workerScript(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  return { file: path.join(path.dirname(here), `trajectory-worker${path.extname(here)}`), execArgv: childExecArgv(import.meta.url) };
}

/**
 * A `--parallel_trajectories` worker process died (killed, or out of memory) while it had the
 * cycle's trajectories: the machine's doing, not the run's, so `lemol train` says it in one line
 * (exit 3) with how to continue the run from its last checkpoint.
 */
export class WorkerProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerProcessError";
  }
}

interface PoolWorker {
  process: ChildProcess;
  /** Removes this run's listeners (set while the worker has a run's jobs). */
  detach: (() => void) | null;
}

/**
 * Worker processes for `--parallel_trajectories`, kept for the whole experiment: they are forked
 * at the first parallel cycle and play every later cycle's trajectories too, so a run pays their
 * start-up (loading lemol and its tfjs backend, ~1-2 s) once rather than once per cycle, and
 * their compiled code stays warm. Idle workers hold nothing open: a script that never closes its
 * experiment still exits, and the workers with it (they exit when the parent goes away).
 */
export class TrajectoryWorkerPool {
  private readonly workers: PoolWorker[] = [];

  /** Process ids of the worker processes alive now. */
  get pids(): number[] {
    return this.workers.map((w) => w.process.pid!);
  }

  /**
   * Runs every job on up to `o.workers` processes, each taking the next job when it finishes one
   * (so the fastest take more); "stopped" when a stop was requested before they all finished.
   * A stop or an error ends every worker process (their partial work is discarded); the next
   * call forks new ones.
   */
  run(o: TrajectoryWorkersOptions): Promise<"done" | "stopped"> {
    if (o.jobs.length === 0) return Promise.resolve("done");
    const count = Math.max(1, Math.min(o.workers, o.jobs.length));
    while (this.workers.length < count) this.workers.push(this.fork());
    const lanes = this.workers.slice(0, count);
    const pending = [...o.jobs];
    let remaining = o.jobs.length;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, outcome: "done" | "stopped" = "done") => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        for (const w of lanes) {
          w.detach?.();
          w.detach = null;
        }
        if (err || outcome === "stopped") this.close();
        else for (const w of lanes) idle(w.process, true);
        if (err) reject(err);
        else resolve(outcome);
      };
      const poll = setInterval(() => {
        if (o.stopRequested?.()) finish(null, "stopped");
      }, 50);
      lanes.forEach((w, lane) => {
        const child = w.process;
        const next = () => {
          const job = pending.shift();
          if (job) child.send(job);
        };
        const onMessage = (m: WorkerReply) => {
          if (m.type === "progress") o.onProgress?.(lane, m);
          else if (m.type === "error") finish(new Error(`trajectory ${m.index} failed in worker ${lane}: ${m.message}`));
          else if (m.type === "done") {
            if (--remaining === 0) finish(null);
            else next();
          }
        };
        // (fork's own exit listener drops it from the pool)
        const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          finish(
            new WorkerProcessError(
              `worker process ${lane} (pid ${child.pid}) of --parallel_trajectories ${how} with ${remaining} trajectories of the cycle left`,
            ),
          );
        };
        // a process that never started has no 'exit' to report it
        const onError = (err: Error) => {
          if (child.pid === undefined) finish(new WorkerProcessError(`worker process ${lane} of --parallel_trajectories could not be started: ${err.message}`));
        };
        child.on("message", onMessage);
        child.on("exit", onExit);
        child.on("error", onError);
        w.detach = () => {
          child.off("message", onMessage);
          child.off("exit", onExit);
          child.off("error", onError);
        };
        idle(child, false);
        next();
      });
    });
  }

  /** Ends every worker process (they hold nothing but the cycle's discarded work). */
  close(): void {
    for (const w of this.workers.splice(0)) {
      w.detach?.();
      if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill("SIGTERM");
    }
  }

  private fork(): PoolWorker {
    const { file, execArgv } = workerScript();
    const w: PoolWorker = { process: fork(file, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] }), detach: null };
    // a job sent to a worker that has just died fails (EPIPE) as an 'error' event: its 'exit' event
    // reports the death (run()'s WorkerProcessError), so the failed send itself is not thrown
    w.process.on("error", () => {});
    // a dead worker leaves the pool (one that died idle is replaced at the next run)
    w.process.once("exit", () => {
      const i = this.workers.indexOf(w);
      if (i >= 0) this.workers.splice(i, 1);
    });
    return w;
  }
}

/** An idle worker does not keep the parent's event loop alive; a busy one does. */
function idle(child: ChildProcess, yes: boolean): void {
  const channel = (child as ChildProcess & { channel?: { ref(): void; unref(): void } | null }).channel;
  if (yes) {
    child.unref();
    channel?.unref();
  } else {
    child.ref();
    channel?.ref();
  }
}
