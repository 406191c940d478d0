/**
 * Sweeps across machines on a BullMQ queue on Redis (`lemol sweep --redis`, `lemol worker`).
 *
 *   submit   every run of a sweep becomes a job whose id is `<sweep>__<run>`: submitting the same
 *            sweep again adds nothing new (a run with the same id but other options is refused)
 *   worker   takes jobs one at a time and runs them with sweep.ts's idempotent runSweepJob into the
 *            sweep's results directory, reporting progress to the queue. Stopped (SIGTERM, Ctrl-C)
 *            it checkpoints and puts its job back in the queue; killed, its job's lock expires and
 *            BullMQ's stalled-job check hands the job to another worker, which continues it from
 *            the run's last checkpoint. A worker that loses its job's lock (it was too slow to renew
 *            it) stops the run, so two workers never write the same run directory. A job whose
 *            worker dies {@link MAX_WORKER_DEATHS} times (one that crashes every worker that takes
 *            it: out of memory, a native abort) is failed rather than handed on again, with a reason
 *            that says so in `lemol sweep --status`.
 *            If Redis loses the queue's data under a running job (FLUSHALL), the worker stops the run
 *            checkpointed and says so; submitting the sweep again continues it.
 *   status   counts per state and each job's state, progress and summary
 */
import * as os from "node:os";
import type { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { ConfigError } from "./config.js";
import { Experiment, ExperimentStopped } from "./experiment.js";
import { SweepJob, SweepJobResult, SweepSpec, expandSweep, jobFingerprint, runSweepJob } from "./sweep.js";

/** The queue every sweep's jobs go to (jobs are named after their sweep). */
export const QUEUE_NAME = "lemol-sweeps";

interface JobData {
  job: SweepJob;
  fingerprint: string;
}

/** Redis could not be reached (or was lost for longer than allowed). */
export class ServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServiceError";
  }
}

/**
 * How many times a job's worker may die while running it before the job is failed: one death is a
 * killed machine and the next worker continues the run; this many in a row is a job that crashes
 * whatever runs it, and handing it on would go on forever.
 */
export const MAX_WORKER_DEATHS = 3;

/** BullMQ's reason for a job failed after too many stalls (its `maxStalledCount`). */
const STALLED_TOO_OFTEN = "job stalled more than allowable limit";

/** A failed job's reason as lemol shows it: BullMQ's stall limit said in the run's terms. */
function failureReason(reason: string | undefined, stalled: number, progress: unknown, runDir: string): string | null {
  if (!reason) return null;
  if (reason !== STALLED_TOO_OFTEN) return reason;
  const last = typeof progress === "object" && progress !== null && "worker" in progress ? ` (last on ${String(progress.worker)})` : "";
  return (
    `its worker died ${stalled} times while running it${last} - killed, or crashed (out of memory?) - so it is not handed on again; ` +
    `see the workers' logs; its run directory ${runDir} keeps the last checkpoint`
  );
}

/** How long a command waits for Redis before it gives up (a worker waits longer: see {@link SweepWorkerOptions}). */
export const REDIS_CONNECT_TIMEOUT_MS = 10_000;

/** The Redis address: the option, else `REDIS_URL`. */
export function redisUrl(given?: string | null): string {
  const url = given ?? process.env.REDIS_URL;
  if (!url) throw new ConfigError("no Redis given: use --redis redis://host:port (or set REDIS_URL)");
  const shown = shownUrl(url);
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError(`--redis: expected redis://host:port, got "${shown}"`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`--redis: "${shown}" is not a valid address (expected redis://host:port, port 1-65535)`);
  }
  if (!parsed.hostname) throw new ConfigError(`--redis: "${shown}" names no host`);
  if (parsed.port !== "" && !(Number(parsed.port) >= 1 && Number(parsed.port) <= 65535))
    throw new ConfigError(`--redis: port ${parsed.port} of "${shown}" is not in 1-65535`);
  if (!/^\/?(\d+)?$/.test(parsed.pathname)) throw new ConfigError(`--redis: the path of "${shown}" must be a database number (redis://host:port/3)`);
  return url;
}

/** The database a Redis address names (its path; 0 without one). */
function redisDb(url: string): number {
  return Number(new URL(url).pathname.slice(1) || 0);
}

/** A Redis address as lemol prints it: its password, if any, replaced by `***`. */
export function shownUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, "$1***@");
}

/** BullMQ and its Redis client, loaded on first use (they add a quarter second to every `import "lemol"`). */
async function load(): Promise<{ bullmq: typeof import("bullmq"); Redis: typeof import("ioredis").Redis }> {
  const [bullmq, ioredis] = await Promise.all([import("bullmq"), import("ioredis")]);
  return { bullmq, Redis: ioredis.Redis };
}

/**
 * A connection to Redis, ready, or a {@link ServiceError} after `timeoutMs` naming the address and
 * the reason (a server that is not there must not make a command hang silently).
 */
async function connect(
  url: string,
  timeoutMs = REDIS_CONNECT_TIMEOUT_MS,
): Promise<{ bullmq: typeof import("bullmq"); connection: Redis; queue: () => Queue<JobData> }> {
  redisUrl(url); // a malformed address fails here, with one line, on every entry point
  const { bullmq, Redis } = await load();
  // BullMQ's blocking calls need retries without a limit; the caller bounds the waiting
  const connection = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    disconnectTimeout: 200,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  });
  await waitReady(connection, url, timeoutMs);
  // a database the server does not have must not silently become database 0
  const db = redisDb(url);
  if (db > 0) {
    try {
      await connection.select(db);
    } catch (err) {
      connection.disconnect();
      throw new ConfigError(`--redis: database ${db} of ${shownUrl(url)}: ${(err as Error).message}`);
    }
  }
  return { bullmq, connection, queue: () => new bullmq.Queue<JobData>(QUEUE_NAME, { connection }) };
}

async function waitReady(connection: Redis, url: string, timeoutMs: number): Promise<void> {
  let lastError = "no answer";
  const onError = (err: Error) => (lastError = (err as NodeJS.ErrnoException).code ?? err.message);
  connection.on("error", onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ServiceError(`cannot reach Redis at ${shownUrl(url)} (${lastError}); is the server running? (gave up after ${Math.round(timeoutMs / 1000)} s)`),
          ),
        timeoutMs,
      );
      connection.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
      connection.connect().catch(onError);
    });
  } catch (err) {
    connection.disconnect();
    throw err;
  } finally {
    connection.off("error", onError);
  }
  connection.on("error", () => {}); // reported by whoever watches the connection, not as an unhandled event
}

/** Puts a sweep's runs on the queue; runs already there (same id, same options) are left alone. */
export async function submitSweep(spec: SweepSpec, url: string, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<{ added: SweepJob[]; present: SweepJob[] }> {
  const { connection, queue: open } = await connect(url, timeoutMs);
  const queue = open();
  try {
    const added: SweepJob[] = [];
    const present: SweepJob[] = [];
    const fresh: { name: string; data: JobData; opts: { jobId: string } }[] = [];
    for (const job of expandSweep(spec)) {
      const fingerprint = jobFingerprint(job);
      const existing = await queue.getJob(job.id);
      if (existing) {
        if (existing.data.fingerprint !== fingerprint)
          throw new ConfigError(`sweep ${spec.name}: run ${job.run} is already queued with other options; give the sweep another name`);
        present.push(job);
        continue;
      }
      fresh.push({ name: spec.name, data: { job, fingerprint }, opts: { jobId: job.id } });
      added.push(job);
    }
    // failed jobs are kept for inspection; a run that fails is a bug to look at, not to retry blindly
    if (fresh.length) await queue.addBulk(fresh.map((f) => ({ ...f, opts: { ...f.opts, attempts: 1, removeOnComplete: false, removeOnFail: false } })));
    return { added, present };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export interface JobStatus {
  run: string;
  state: string;
  progress: unknown;
  result: SweepJobResult | null;
  failedReason: string | null;
  attempts: number;
  stalled: number;
}

/** A sweep's jobs on the queue: counts per state (waiting, active, completed, failed) and each job's state. */
export interface SweepStatus {
  counts: Record<string, number>;
  jobs: JobStatus[];
}

/** The state of every job of a sweep (by name), and counts per state. */
export async function sweepStatus(name: string, url: string, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<SweepStatus> {
  const { connection, queue: open } = await connect(url, timeoutMs);
  const queue = open();
  try {
    return await statusOf(queue, name);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

async function statusOf(queue: Queue<JobData>, name: string): Promise<SweepStatus> {
  // one query per state (a job's state is the list it is found in)
  const listed: [string, Job<JobData>][] = [];
  for (const state of ["waiting", "prioritized", "delayed", "paused", "active", "completed", "failed"] as const) {
    for (const j of await queue.getJobs([state], 0, -1)) if (j && j.name === name) listed.push([state, j]);
  }
  const jobs: JobStatus[] = [];
  for (const [state, j] of listed) {
    const stalled = j.stalledCounter ?? 0;
    jobs.push({
      run: j.data.job.run,
      state,
      progress: j.progress,
      result: (j.returnvalue as SweepJobResult | undefined) ?? null,
      failedReason: failureReason(j.failedReason, stalled, j.progress, j.data.job.runDir),
      attempts: j.attemptsMade,
      stalled,
    });
  }
  jobs.sort((a, b) => a.run.localeCompare(b.run));
  const counts: Record<string, number> = { waiting: 0, active: 0, completed: 0, failed: 0 };
  for (const j of jobs) counts[j.state === "prioritized" || j.state === "delayed" || j.state === "paused" ? "waiting" : j.state] = (counts[j.state] ?? 0) + 1;
  return { counts, jobs };
}

/**
 * Waits until none of sweep `name`'s jobs is waiting or running, and returns their final status;
 * `onStatus` sees the status at the start and after every change. It follows the queue's event
 * stream (BullMQ QueueEvents) rather than polling every job, with a re-check every `recheckMs`
 * in case an event went by unseen (as while the stream is being opened).
 */
export async function waitForSweep(
  name: string,
  url: string,
  onStatus?: (s: SweepStatus) => void,
  recheckMs = 5000,
  timeoutMs = REDIS_CONNECT_TIMEOUT_MS,
): Promise<SweepStatus> {
  if (!(recheckMs > 0)) throw new ConfigError(`waitForSweep: recheckMs must be positive, got ${recheckMs}`);
  const { bullmq, connection, queue: open } = await connect(url, timeoutMs);
  const queue = open();
  const events = new bullmq.QueueEvents(QUEUE_NAME, { connection });
  let changed = false;
  let wake: (() => void) | null = null;
  const onEvent = (e: { jobId: string }) => {
    if (!e.jobId.startsWith(`${name}__`)) return;
    changed = true;
    wake?.();
  };
  for (const event of ["waiting", "active", "completed", "failed", "stalled"] as const) events.on(event, onEvent);
  try {
    await events.waitUntilReady();
    for (;;) {
      changed = false;
      const status = await statusOf(queue, name);
      // nothing to wait for would return at once, which hides a misspelt or unsubmitted sweep
      if (status.jobs.length === 0)
        throw new ConfigError(`sweep "${name}" has no jobs on the queue at ${shownUrl(url)}: submit it first (lemol sweep <file> --redis ${shownUrl(url)})`);
      onStatus?.(status);
      if (status.counts.waiting + status.counts.active === 0) return status;
      if (!changed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, recheckMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    }
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
  }
}

export interface SweepWorkerOptions {
  /** How long a job's lock lasts without renewal (ms); also the stalled-job check interval. */
  lockMs?: number;
  /** How long the worker waits for Redis, at start and through an outage, before it gives up (ms; default 60 s). */
  redisTimeoutMs?: number;
  /** Where the worker's lines go. */
  log?: (line: string) => void;
}

/** A running `lemol worker`. */
export interface SweepWorker {
  /** Stops taking jobs; a run under way is checkpointed and its job put back in the queue. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped; rejects with a {@link ServiceError} when it gave up on Redis. */
  readonly closed: Promise<void>;
}

/**
 * Whether a worker's progress is worth posting to the queue: at most one update every `intervalMs`,
 * but a new trajectory at once (a short one could otherwise start and end between two updates and
 * never show in `lemol sweep --status`).
 */
export function progressGate(intervalMs: number, now: () => number = Date.now): (trajectory: number) => boolean {
  let last = -Infinity;
  let lastTrajectory = -1;
  return (trajectory) => {
    const t = now();
    if (t - last < intervalMs && trajectory === lastTrajectory) return false;
    last = t;
    lastTrajectory = trajectory;
    return true;
  };
}

/** Starts a worker that runs sweep jobs from the queue, one at a time. */
export async function startSweepWorker(url: string, o: SweepWorkerOptions = {}): Promise<SweepWorker> {
  const log = o.log ?? (() => {});
  const lockMs = o.lockMs ?? 30_000;
  const redisTimeoutMs = o.redisTimeoutMs ?? 60_000;
  const { bullmq, connection } = await connect(url, redisTimeoutMs);
  const { Worker, WaitingError } = bullmq;
  const running = new Map<string, Experiment>();
  let stopping = false;
  const me = `${os.hostname()}:${process.pid}`;
  const worker = new Worker<JobData, SweepJobResult>(
    QUEUE_NAME,
    async (job: Job<JobData, SweepJobResult>, token?: string) => {
      const { job: sweepJob } = job.data;
      log(`${me}: ${sweepJob.id} started (attempt ${job.attemptsMade + 1})`);
      // who holds the job, at once: a job whose workers keep dying names the last one
      await job.updateProgress({ worker: me }).catch(() => {});
      const due = progressGate(1000);
      try {
        const result = await runSweepJob(sweepJob, { print: null, progress: null, interrupts: null }, (exp) => {
          running.set(job.id!, exp);
          if (stopping) exp.requestStop();
          exp.on("progress", (p) => {
            if (!due(p.trajectory)) return;
            void job
              .updateProgress({ worker: me, trajectory: p.trajectory + 1, trajectories: p.trajectoriesTotal, episode: p.episode, episodes: p.episodes })
              .catch(() => {});
          });
        });
        log(`${me}: ${sweepJob.id} ${result.how === "already-finished" ? "was already finished" : "finished"}`);
        return result;
      } catch (err) {
        if (err instanceof ExperimentStopped) {
          // stopped (and checkpointed): give the job back to the queue
          if (stopping) {
            await job.moveToWait(token);
            log(`${me}: ${sweepJob.id} checkpointed and put back in the queue`);
            throw new WaitingError();
          }
          // a lock is lost when this worker was too slow to renew it (the job is handed on) or when
          // Redis lost the queue's data (FLUSHALL, a restart without persistence): then nobody has it
          if (!(await connection.exists(`${job.queueQualifiedName}:${job.id}`).catch(() => 1))) {
            log(
              `${me}: ${sweepJob.id}: the queue's record of it is gone (Redis lost its data: FLUSHALL, or a restart without persistence); ` +
                `the run is stopped and checkpointed in ${sweepJob.runDir}: submit the sweep again to continue it`,
            );
            // nothing on the queue to fail: end the job here, quietly
            throw new WaitingError();
          }
          log(`${me}: ${sweepJob.id} lost its lock; stopped (another worker continues it)`);
        }
        throw err;
      } finally {
        running.delete(job.id!);
      }
    },
    { connection, concurrency: 1, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: MAX_WORKER_DEATHS - 1, autorun: true },
  );
  // a worker that cannot renew its lock may find the job running elsewhere soon: stop writing to it
  worker.on("lockRenewalFailed", (ids: string[]) => {
    for (const id of ids) running.get(id)?.requestStop();
  });
  // an outage is said once, a reconnection too; past redisTimeoutMs the worker gives up
  let downSince: number | null = null;
  let lastError = "";
  let giveUp: ((err: Error) => void) | null = null;
  const lost = () => {
    if (downSince !== null || stopping) return;
    downSince = Date.now();
    log(`${me}: lost the connection to Redis at ${shownUrl(url)}; reconnecting (giving up after ${Math.round(redisTimeoutMs / 1000)} s)`);
  };
  connection.on("close", lost);
  connection.on("error", (err: Error) => (lastError = (err as NodeJS.ErrnoException).code ?? err.message));
  connection.on("ready", () => {
    if (downSince === null) return;
    log(`${me}: reconnected to Redis after ${((Date.now() - downSince) / 1000).toFixed(1)} s`);
    downSince = null;
  });
  worker.on("error", (err) => {
    if (downSince === null && !/ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection is closed/.test(err.message)) log(`${me}: ${err.message}`);
  });
  worker.on("failed", (job, err) => {
    if (job && !(err instanceof ExperimentStopped) && err?.name !== "WaitingError")
      log(`${me}: ${job.id} failed: ${failureReason(err.message, job.stalledCounter ?? 0, job.progress, job.data.job.runDir)}`);
  });
  const watchdog = setInterval(() => {
    if (downSince !== null && Date.now() - downSince > redisTimeoutMs)
      giveUp?.(
        new ServiceError(
          `Redis at ${shownUrl(url)} unreachable for ${Math.round((Date.now() - downSince) / 1000)} s (${lastError || "no answer"}); the worker gives up`,
        ),
      );
  }, 500);
  let resolveClosed!: () => void;
  let rejectClosed!: (err: Error) => void;
  const closed = new Promise<void>((resolve, reject) => ((resolveClosed = resolve), (rejectClosed = reject)));
  const shutdown = async (failure: Error | null) => {
    if (stopping) return closed.catch(() => {});
    stopping = true;
    clearInterval(watchdog);
    for (const exp of running.values()) exp.requestStop();
    // without Redis a graceful close would wait for it: force it
    await worker.close(failure !== null).catch(() => {});
    connection.disconnect();
    if (failure) rejectClosed(failure);
    else resolveClosed();
    return closed.catch(() => {});
  };
  giveUp = (err) => {
    log(`${me}: ${err.message}`);
    void shutdown(err);
  };
  return {
    closed,
    async stop() {
      await shutdown(null);
    },
  };
}
