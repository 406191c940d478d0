/**
 * Worker processes for `--parallel_trajectories`: forks up to `workers` copies of
 * trajectory-worker, hands each the next trajectory when it finishes one (so the fastest take
 * more), relays their progress, and stops them all on an error or a stop request. Each process
 * has its own tfjs backend; results do not depend on which worker plays which trajectory.
 */
import { ChildProcess, fork } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkerReply, WorkerRunMessage } from "./trajectory-worker.js";

export interface TrajectoryWorkersOptions {
  workers: number;
  jobs: WorkerRunMessage[];
  onProgress?: (worker: number, m: Extract<WorkerReply, { type: "progress" }>) => void;
  /** Polled while the workers run: true stops them (their partial work is discarded). */
  stopRequested?: () => boolean;
}

/**
 * Node flags for a lemol child process started from `moduleUrl`'s code: from source, the
 * TypeScript loader must come along (nothing else of the parent's flags); and with every core
 * running a worker, V8's GC helper threads would only compete with the other workers.
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
  execArgv.push("--single-threaded-gc");
  return execArgv;
}

/** The worker script next to this module (.ts when run from source with tsx, .js when built). */
function workerScript(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  return { file: path.join(path.dirname(here), `trajectory-worker${path.extname(here)}`), execArgv: childExecArgv(import.meta.url) };
}

/** Runs every job on the workers; "stopped" when a stop was requested before they all finished. */
export function runTrajectoryWorkers(o: TrajectoryWorkersOptions): Promise<"done" | "stopped"> {
  const { file, execArgv } = workerScript();
  const pending = [...o.jobs];
  let remaining = o.jobs.length;
  const children: ChildProcess[] = [];
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, outcome: "done" | "stopped" = "done") => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
      if (err) reject(err);
      else resolve(outcome);
    };
    const poll = setInterval(() => {
      if (o.stopRequested?.()) finish(null, "stopped");
    }, 50);
    const next = (child: ChildProcess) => {
      const job = pending.shift();
      if (job) child.send(job);
      else child.disconnect();
    };
    const count = Math.max(1, Math.min(o.workers, o.jobs.length));
    if (o.jobs.length === 0) return finish(null);
    for (let w = 0; w < count; w++) {
      const child = fork(file, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
      children.push(child);
      child.on("message", (m: WorkerReply) => {
        if (m.type === "progress") o.onProgress?.(w, m);
        else if (m.type === "error") finish(new Error(`trajectory ${m.index} failed in worker ${w}: ${m.message}`));
        else if (m.type === "done") {
          if (--remaining === 0) finish(null);
          else next(child);
        }
      });
      child.on("exit", (code, signal) => {
        if (!settled && remaining > 0 && child.connected === false && (code !== 0 || signal)) finish(new Error(`worker ${w} exited (${signal ?? `code ${code}`}) with ${remaining} trajectories left`));
      });
      next(child);
    }
  });
}
