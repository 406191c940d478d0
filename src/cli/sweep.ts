/**
 * `lemol sweep <sweep.json>` and `lemol worker`: many runs of the experiment (configurations ×
 * seeds; see src/train/sweep.ts for the file), on this machine's cores or across machines.
 *
 *   lemol sweep sweep.json                       run every run here, on --workers processes
 *   lemol sweep sweep.json --redis redis://h:p   queue them on a BullMQ queue (or REDIS_URL)
 *   lemol worker --redis redis://h:p             on any machine that sees the results directory
 *   lemol sweep sweep.json --status [--redis …]  queued / running / done / failed
 *
 * Run here, a sweep forwards Ctrl-C, SIGTERM and SIGHUP to its runs (each stops at its next step,
 * checkpointed, its manifest "stopped"), starts no more, waits for them and exits 130 / 143 / 129;
 * the same command again continues every run.
 */
import { ChildProcess, fork } from "node:child_process";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { redisUrl, shownUrl, startSweepWorker, submitSweep, sweepStatus, waitForSweep } from "../train/queue.js";
import { SweepJob, claimSweepResults, expandSweep, listSweepRuns, loadSweepSpec, runSweepJob } from "../train/sweep.js";
import { WORKER_V8_FLAGS, childExecArgv } from "../train/workers.js";
import { ExperimentStopped, type Experiment } from "../train/experiment.js";
import { OptionSpec, UsageError, formatHelp, parseArgs } from "./args.js";
import { onStopSignals, STOP_SIGNALS } from "./signals.js";

const SWEEP_SPECS: Record<string, OptionSpec> = {
  redis: { type: "string", help: "Redis address redis://host:port: queue the runs for `lemol worker`s (default: REDIS_URL; without either, run here)" },
  workers: { type: "int", min: 1, help: "without Redis: processes that run the sweep's runs here (default: the number of cores)" },
  status: { type: "boolean", default: false, help: "show the runs' states instead of submitting" },
  wait: { type: "boolean", default: false, help: "with --redis: wait until every run is done, showing progress" },
  redis_timeout: { type: "int", min: 1, default: 10, help: "seconds to wait for Redis before giving up" },
  run: { type: "string", help: "run this one run of the sweep here (what the local worker processes do)" },
  help: { type: "boolean", default: false, help: "show this help" },
};

const WORKER_SPECS: Record<string, OptionSpec> = {
  redis: { type: "string", help: "Redis address redis://host:port (default: REDIS_URL)" },
  lock_ms: { type: "int", min: 100, default: 30000, help: "a job whose worker is silent this long is handed to another worker" },
  redis_timeout: { type: "int", min: 1, default: 60, help: "seconds to wait for Redis, at start and through an outage, before giving up (exit 3)" },
  help: { type: "boolean", default: false, help: "show this help" },
};

export async function sweep(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { options, positionals } = parseArgs(argv, SWEEP_SPECS, 1);
  if (options.help) {
    out(
      formatHelp(
        "lemol sweep <sweep.json> [options]",
        "Runs a sweep: every configuration of the file's grid or list, once per seed. Results: one run directory per run under the sweep's results directory.",
        SWEEP_SPECS,
      ),
    );
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("lemol sweep: give one sweep file");
  const spec = loadSweepSpec(positionals[0]);
  const jobs = expandSweep(spec);
  const url = typeof options.redis === "string" || process.env.REDIS_URL ? redisUrl(options.redis as string | undefined) : null;
  const timeoutMs = (options.redis_timeout as number) * 1000;

  if (typeof options.run === "string") {
    const job = jobs.find((j) => j.run === options.run);
    if (!job) throw new UsageError(`sweep ${spec.name} has no run "${options.run}"`);
    // one run of a local sweep: a stopping signal checkpoints it at its next step
    let current: Experiment | null = null;
    const signals = onStopSignals(() => current?.requestStop());
    try {
      const r = await runSweepJob(job, undefined, (exp) => {
        current = exp;
        if (signals.signal) exp.requestStop(); // the signal came while the run was being opened
      });
      out(JSON.stringify(r));
      return 0;
    } catch (err) {
      if (!(err instanceof ExperimentStopped)) throw err;
      out(`stopped (checkpointed in ${job.runDir})`);
      return signals.exitCode;
    } finally {
      signals.dispose();
    }
  }
  if (options.status) {
    if (url) {
      const { counts, jobs: st } = await sweepStatus(spec.name, url, timeoutMs);
      out(
        `sweep ${spec.name} on ${shownUrl(url)}: ${Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}`,
      );
      for (const j of st)
        out(
          `  ${j.run}  ${j.state.padEnd(9)} ${j.state === "active" ? JSON.stringify(j.progress) : j.state === "failed" ? (j.failedReason ?? "") : j.result ? JSON.stringify(j.result.summary) : ""}`,
        );
    } else {
      const runs = new Map(listSweepRuns(spec.results).map((r) => [r.run, r.status]));
      out(`sweep ${spec.name} in ${spec.results}:`);
      const shown = (status: string | undefined) =>
        status === "interrupted" ? "interrupted (its process is gone; run the sweep again to continue it)" : (status ?? "not started");
      for (const j of jobs) out(`  ${j.run}  ${shown(runs.get(j.run))}  ${JSON.stringify(j.varied)}`);
    }
    return 0;
  }
  claimSweepResults(spec);
  if (url) {
    const { added, present } = await submitSweep(spec, url, timeoutMs);
    out(
      `sweep ${spec.name}: ${added.length} runs queued${present.length ? `, ${present.length} already queued` : ""} on ${shownUrl(url)}; results in ${spec.results}`,
    );
    if (!options.wait) return 0;
    let shown = "";
    const { counts } = await waitForSweep(
      spec.name,
      url,
      ({ counts: c, jobs: st }) => {
        const line = `  ${c.completed}/${st.length} done, ${c.active} running, ${c.waiting} waiting, ${c.failed} failed`;
        if (line !== shown) out((shown = line));
      },
      5000,
      timeoutMs,
    );
    return counts.failed > 0 ? 1 : 0;
  }
  return runLocally(jobs, positionals[0], typeof options.workers === "number" ? options.workers : os.availableParallelism(), out);
}

/** Runs the jobs on `workers` child processes (`lemol sweep <file> --run <run>`), a job each at a time. */
async function runLocally(jobs: SweepJob[], file: string, workers: number, out: (line: string) => void): Promise<number> {
  const main = fileURLToPath(new URL(`./main${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));
  const execArgv = childExecArgv(import.meta.url);
  const pending = [...jobs];
  let failed = 0;
  const children = new Set<ChildProcess>();
  let stopped = 0;
  // each signal goes to every run (a second one makes them quit at once); no run starts after the first
  const signals = onStopSignals(
    (signal) => {
      pending.length = 0;
      out(`${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping every run at its next step (each is checkpointed; run the sweep again to continue)`);
      for (const c of children) c.kill(signal);
    },
    (signal) => {
      for (const c of children) c.kill(signal);
    },
  );
  const stopCodes = new Set<number>(Object.values(STOP_SIGNALS));
  const lane = async () => {
    for (let job = pending.shift(); job; job = pending.shift()) {
      const j = job;
      const code = await new Promise<number>((resolve) => {
        // its own process group: a terminal's Ctrl-C reaches the runs once, through this process
        const child = fork(main, ["sweep", file, "--run", j.run], { execArgv, stdio: ["ignore", "pipe", "inherit", "ipc"], detached: true });
        children.add(child);
        let text = "";
        child.stdout!.on("data", (d) => (text += d));
        child.on("exit", (c, signal) => {
          children.delete(child);
          const last = text.trim().split("\n").pop() ?? "";
          const stoppedCleanly = signals.signal !== null && c !== null && stopCodes.has(c);
          if (stoppedCleanly) stopped++;
          out(
            `  ${j.run} ${c === 0 ? last : stoppedCleanly ? `stopped, resumable (${last})` : `failed (${c === null ? `killed by ${signal}` : `exit ${c}`})`}`,
          );
          resolve(c ?? 1);
        });
      });
      if (code !== 0 && !(signals.signal && stopCodes.has(code))) failed++;
    }
  };
  out(`sweep: ${jobs.length} runs on ${Math.min(workers, jobs.length)} processes`);
  try {
    await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, lane));
  } finally {
    signals.dispose();
  }
  if (signals.signal) {
    out(`stopped: ${stopped} runs checkpointed${failed ? `, ${failed} failed` : ""}; run the sweep again to continue`);
    return signals.exitCode;
  }
  out(failed ? `${failed} runs failed` : "all runs done");
  return failed ? 1 : 0;
}

export async function worker(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { options } = parseArgs(argv, WORKER_SPECS, 0);
  if (options.help) {
    out(
      formatHelp(
        "lemol worker [options]",
        "Runs sweep jobs from the queue, one at a time, until stopped (Ctrl-C or SIGTERM checkpoint the run under way and give its job back to the queue).",
        WORKER_SPECS,
      ),
    );
    return 0;
  }
  const url = redisUrl(options.redis as string | undefined);
  const w = await startSweepWorker(url, { lockMs: options.lock_ms as number, redisTimeoutMs: (options.redis_timeout as number) * 1000, log: out });
  out(`worker ${os.hostname()}:${process.pid} waiting for jobs on ${shownUrl(url)}`);
  if (!WORKER_V8_FLAGS.every((f) => process.execArgv.includes(f))) {
    out(
      `(with a worker on every core, start them as \`node ${WORKER_V8_FLAGS.join(" ")} "$(command -v lemol)" worker ...\`: V8's GC helper threads would compete with the other workers)`,
    );
  }
  const stop = () => void w.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await w.closed;
  return 0;
}
