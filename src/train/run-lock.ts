/**
 * One process at a time per run directory: `<run_dir>/.lock` names its holder (host, pid, the
 * process's start time) and is refreshed while the run goes on (its time touched every 10 s). A
 * lock whose holder is gone — a process of this host that no longer runs (or whose pid now
 * belongs to another process), or a holder on another host whose lock has not changed for
 * {@link STALE_MS} — is taken over, so a killed run never leaves its directory stuck. Two
 * processes that find the same stale lock race for a second file (`.lock.takeover`) first, so
 * only one of them takes it over.
 *
 * Staleness never compares two hosts' clocks: the time a remote holder writes into the lock is
 * only compared with the time it wrote before (changed: alive). How long the lock has stayed the
 * same is measured on this host's clock, from when this host first saw it so
 * (`.lock.seen-<host>`, written by this host only). So a live holder whose clock is behind is
 * never taken over, and one ahead blocks the directory no longer than one that is not; the price
 * is that a remote holder's lock is taken over only by an attempt made {@link STALE_MS} after an
 * earlier attempt of this host first saw it unchanged (the first attempt is refused, saying so).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { displayPath, fileError } from "../util/fs.js";

/** A lock seen unchanged for this long (on this host's clock) is stale when its holder is on another host. */
export const STALE_MS = 120_000;
/** The holder refreshes its lock at most this often (at episode ends and OM training chunks). */
const HEARTBEAT_MS = 10_000;

/** The run directory is held by another process (or by another Experiment of this one). */
export class RunDirInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirInUseError";
  }
}

interface Holder {
  host: string;
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid. */
  procStart: number | null;
  since: string;
  token: string;
}

/** This process's start time from /proc (null where there is no /proc). */
function processStart(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name (which may hold spaces), from ") "
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const held = new Set<RunLock>();
let exitHook = false;

export class RunLock {
  readonly file: string;
  private readonly holder: Holder;
  private lastBeat = Date.now();
  private released_ = false;

  private constructor(file: string, holder: Holder) {
    this.file = file;
    this.holder = holder;
  }

  /** Takes the lock of run directory `dir` (which must exist), or throws {@link RunDirInUseError}. */
  static acquire(dir: string): RunLock {
    const file = path.join(dir, ".lock");
    const me: Holder = {
      host: os.hostname(),
      pid: process.pid,
      procStart: processStart(process.pid),
      since: new Date().toISOString(),
      token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    };
    for (let attempt = 0; ; attempt++) {
      if (RunLock.tryCreate(file, me)) {
        fs.rmSync(RunLock.seenFile(file), { force: true }); // what this host saw of an earlier holder
        return RunLock.register(new RunLock(file, me));
      }
      const current = RunLock.read(file);
      const why = current ? RunLock.heldBy(current, file) : null;
      if (why)
        throw new RunDirInUseError(
          `run directory ${displayPath(dir)} is in use by ${why}; wait for it to finish or stop it (a killed holder's lock is taken over automatically)`,
        );
      if (attempt >= 20) throw new RunDirInUseError(`run directory ${dir}: could not take over its stale lock (${file}); another process keeps taking it`);
      RunLock.takeOver(file, current);
    }
  }

  /**
   * Who holds run directory `dir`'s lock, or null when nobody does (no lock, or its holder is a
   * process of this host that is gone). Only reads: a holder on another host counts as holding it
   * (whether it is alive shows only over {@link STALE_MS}, which {@link acquire} measures).
   */
  static holderOf(dir: string): string | null {
    const file = path.join(dir, ".lock");
    const h = RunLock.read(file);
    if (!h) return null;
    if (h.pid === -1) return `a process that is writing it (${file})`;
    if (h.host !== os.hostname()) return `process ${h.pid} on host ${h.host} (since ${h.since})`;
    return RunLock.localHolder(h);
  }

  /** A description of a holder on this host if it still runs, else null. */
  private static localHolder(h: Holder): string | null {
    if (h.pid === process.pid)
      return [...held].some((l) => l.holder.token === h.token) ? "another Experiment of this process (close() or dispose() it first)" : null;
    if (!alive(h.pid)) return null;
    const start = processStart(h.pid);
    if (h.procStart !== null && start !== null && start !== h.procStart) return null; // the pid was reused
    return `process ${h.pid} (since ${h.since})`;
  }

  /** Creates the lock file if there is none; false if there is one. */
  private static tryCreate(file: string, me: Holder): boolean {
    let fd: number;
    try {
      fd = fs.openSync(file, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw fileError(err, file, "the run directory's lock");
    }
    try {
      fs.writeSync(fd, JSON.stringify(me) + "\n");
    } finally {
      fs.closeSync(fd);
    }
    return true;
  }

  private static read(file: string): (Holder & { mtimeMs: number }) | null {
    try {
      const st = fs.statSync(file);
      const text = fs.readFileSync(file, "utf8");
      // a lock being written this very moment reads empty: held until seen unchanged for a while
      if (text.trim() === "") return { host: os.hostname(), pid: -1, procStart: null, since: "", token: "", mtimeMs: st.mtimeMs };
      return { ...(JSON.parse(text) as Holder), mtimeMs: st.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      // unreadable: held until seen unchanged for a while, like a lock being written
      return { host: "?", pid: -1, procStart: null, since: "", token: "", mtimeMs: fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0 };
    }
  }

  /** A description of the live holder, or null when the lock is stale. */
  private static heldBy(h: Holder & { mtimeMs: number }, file: string): string | null {
    if (h.pid === -1 || h.host !== os.hostname()) {
      // a lock left empty or unreadable (its writer killed at once) goes sooner than a silent holder's
      const limit = h.pid === -1 ? 5_000 : STALE_MS;
      const unchanged = RunLock.unchangedFor(h, file);
      if (unchanged >= limit) return null;
      const who = h.pid === -1 ? `a process that is writing it (${file})` : `process ${h.pid} on host ${h.host} (since ${h.since})`;
      return `${who}; its lock has stayed the same for ${Math.round(unchanged / 1000)} s as seen from this host (taken over after ${limit / 1000} s without a change)`;
    }
    return RunLock.localHolder(h);
  }

  /**
   * How long (ms, on this host's clock) the lock has been seen unchanged — the same holder and the
   * same refresh time — by this host: 0 when it is seen for the first time or changed since.
   */
  private static unchangedFor(h: Holder & { mtimeMs: number }, file: string): number {
    const seenFile = RunLock.seenFile(file);
    const key = `${h.token}@${h.mtimeMs}`;
    const now = Date.now();
    try {
      const seen = JSON.parse(fs.readFileSync(seenFile, "utf8")) as { key?: unknown; since?: unknown };
      if (seen.key === key && typeof seen.since === "number") return Math.max(0, now - seen.since);
    } catch {
      // not seen before
    }
    try {
      fs.writeFileSync(seenFile, JSON.stringify({ key, since: now }) + "\n");
    } catch {
      // a directory this host cannot write: every attempt counts as the first
    }
    return 0;
  }

  /** This host's record of a lock it found held elsewhere. */
  private static seenFile(file: string): string {
    return `${file}.seen-${os.hostname().replace(/[^A-Za-z0-9._-]/g, "_")}`;
  }

  /** Removes a stale lock, one process at a time. */
  private static takeOver(file: string, stale: (Holder & { mtimeMs: number }) | null): void {
    const guard = `${file}.takeover`;
    let fd: number;
    try {
      fd = fs.openSync(guard, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw fileError(err, guard, "the run directory's lock");
      // someone else is taking it over; a guard left by a killed process goes after a while
      if (Date.now() - (fs.statSync(guard, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000) fs.rmSync(guard, { force: true });
      sleep(20);
      return;
    }
    fs.closeSync(fd);
    try {
      const now = RunLock.read(file);
      // still the same stale lock (not a fresh one taken meanwhile): remove it
      if (now && stale && now.token === stale.token && now.mtimeMs === stale.mtimeMs) fs.rmSync(file, { force: true });
    } finally {
      fs.rmSync(guard, { force: true });
    }
  }

  private static register(lock: RunLock): RunLock {
    held.add(lock);
    if (!exitHook) {
      exitHook = true;
      process.on("exit", () => {
        for (const l of held) l.release();
      });
    }
    return lock;
  }

  /** Whether {@link release} was called. */
  get released(): boolean {
    return this.released_;
  }

  /** Refreshes the lock's time (at most every 10 s): holders on other hosts see it is alive. */
  heartbeat(): void {
    const now = Date.now();
    if (this.released_ || now - this.lastBeat < HEARTBEAT_MS) return;
    this.lastBeat = now;
    try {
      fs.utimesSync(this.file, now / 1000, now / 1000);
    } catch {
      // the next beat tries again; a full disk does not stop a utimes
    }
  }

  /** Gives the lock up (only if it is still ours). */
  release(): void {
    if (this.released_) return;
    this.released_ = true;
    held.delete(this);
    try {
      const h = JSON.parse(fs.readFileSync(this.file, "utf8")) as Holder;
      if (h.token === this.holder.token) fs.rmSync(this.file, { force: true });
    } catch {
      // gone already
    }
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
