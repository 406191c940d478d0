/**
 * Live progress of an experiment's run calls in a notebook cell: one output per cell however many
 * calls it makes (a loop of 100 `runEpisode()`s updates one bar, counting the calls), replaced in
 * place at most every `intervalMs`, showing where the schedule is, speed, ETA and the latest
 * opponent-model accuracy; it ends with how the call ended (done, interrupted, failed). For `run()`
 * and `runCycle()` the bar and the ETA cover the opponent-model training too: its time per chunk
 * is measured once it has run, and a later cycle's training is estimated to grow with the
 * experience saved (cycle k trains on k+1 cycles' files).
 */
import type { RunCall } from "../train/events.js";
import type { ProgressReporter, ProgressSubject } from "../train/hooks.js";
import { currentCell, DisplayHandle, escapeHtml, MimeBundle } from "./display.js";

interface State {
  call: RunCall;
  planned: number;
  episodesDone: number;
  steps: number;
  started: number;
  line: string;
  om: string | null;
  accuracy: number | null;
  fraction: number | null;
  /** Parallel trajectories: the latest line of each worker. */
  workers: Map<number, string>;
  /** The call's number among the calls of its cell (1 for the first). */
  callInCell: number;
  /** Time of the last event, and the seconds spent playing episodes and training the OM since the call began. */
  lastTick: number;
  playSeconds: number;
  omSeconds: number;
  omChunksDone: number;
  cycle: number;
  /** The OM training under way: chunks done and in all; and chunks per cycle of experience (from the last one seen). */
  omPhase: { cycle: number; done: number; total: number } | null;
  chunksPerCycle: number | null;
}

/** Formats seconds as `1h 02m`, `3m 07s` or `12.3 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${String(Math.round(seconds - m * 60)).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m - h * 60).padStart(2, "0")}m`;
}

export interface LiveProgressOptions {
  /** Least time between two updates of the output (default 250 ms). */
  intervalMs?: number;
  /** The notebook cell running now (default: tslab's); calls in the same cell share one output. */
  cell?: () => unknown;
}

/** The notebook's {@link ProgressReporter}: an updating output in the calling cell. */
export class LiveProgress implements ProgressReporter {
  private readonly intervalMs: number;
  private handle: DisplayHandle | null = null;
  private state: State | null = null;
  private unsubscribe: (() => void)[] = [];
  private lastDraw = 0;
  private readonly cell: () => unknown;
  /** The output of the last call, its cell, and how many calls that cell made. */
  private previous: { handle: DisplayHandle; cell: unknown; calls: number } | null = null;
  /** What the last OM training of this experiment measured, for the next call's estimate. */
  private omRate: { perChunk: number; chunksPerCycle: number } | null = null;

  constructor(options: LiveProgressOptions = {}) {
    this.intervalMs = options.intervalMs ?? 250;
    this.cell = options.cell ?? currentCell;
  }

  begin(exp: ProgressSubject, call: { call: RunCall; plannedEpisodes: number }): void {
    const cell = this.cell();
    const same = cell !== undefined && this.previous?.cell === cell;
    this.handle = same ? this.previous!.handle : new DisplayHandle();
    const calls = same ? this.previous!.calls + 1 : 1;
    this.previous = { handle: this.handle, cell, calls };
    const now = Date.now();
    const st: State = {
      call: call.call,
      planned: call.plannedEpisodes,
      episodesDone: 0,
      steps: 0,
      started: Date.now(),
      line: "starting…",
      om: null,
      accuracy: null,
      fraction: 0,
      workers: new Map(),
      callInCell: calls,
      lastTick: now,
      playSeconds: 0,
      // an earlier call's OM training, as one chunk at its rate, until this call's own is measured
      omSeconds: this.omRate?.perChunk ?? 0,
      omChunksDone: this.omRate ? 1 : 0,
      cycle: 0,
      omPhase: null,
      chunksPerCycle: this.omRate?.chunksPerCycle ?? null,
    };
    this.state = st;
    const tick = (phase: "play" | "om") => {
      const t = Date.now();
      if (phase === "play") st.playSeconds += (t - st.lastTick) / 1000;
      else st.omSeconds += (t - st.lastTick) / 1000;
      st.lastTick = t;
    };
    const overall = st.call === "runCycle" || st.call === "run";
    this.unsubscribe = [
      exp.on("episode_end", (e) => {
        st.steps += e.length;
      }),
      exp.on("progress", (p) => {
        if (p.worker !== undefined) {
          // parallel trajectories: a line per worker
          st.workers.set(
            p.worker,
            `worker ${p.worker}: trajectory ${p.trajectory} (of ${p.trajectoriesTotal}, ${p.pair}) · episode ${p.episode}/${p.episodes} · ${Math.round(p.stepsPerSecond).toLocaleString("en-US")} steps/s`,
          );
          st.line = [...st.workers.entries()]
            .sort(([a], [b]) => a - b)
            .map(([, l]) => l)
            .join("\n");
          this.draw(false);
          return;
        }
        tick("play");
        st.episodesDone++;
        st.om = null;
        st.cycle = p.cycle;
        if (st.omPhase && p.cycle > st.omPhase.cycle) st.omPhase = null;
        const elapsed = (Date.now() - st.started) / 1000;
        const left = remainingSeconds(st, exp);
        const eta = left.seconds;
        // a call that ends with OM training (runCycle, run) is not done when its episodes are
        st.fraction = overall ? forward(st.fraction, elapsed / (elapsed + eta)) : st.planned > 0 ? Math.min(1, st.episodesDone / st.planned) : null;
        // cycles and trajectories by their ids (from 0, as in metrics, tables and plots), with the count in all
        st.line =
          `cycle ${p.cycle} (of ${exp.cycles}) · trajectory ${p.trajectory} (of ${p.trajectoriesTotal}, ${p.pair}) · ` +
          `episode ${p.episode}/${p.episodes} · ${elapsed > 0 ? Math.round(st.steps / elapsed).toLocaleString("en-US") : "–"} steps/s` +
          (st.planned > 1 || overall ? ` · ETA ${formatDuration(eta)}${left.omUntimed ? " + OM training" : ""}` : "");
        this.draw(false);
      }),
      exp.on("om_window", (w) => {
        st.accuracy = w.accuracy;
      }),
      exp.on("om_chunk", (c) => {
        if (st.omPhase?.cycle === c.cycle) {
          tick("om");
          st.omChunksDone++;
        } else st.lastTick = Date.now(); // the first chunk also loaded the experience: not timed as a chunk
        const done = c.pass * c.chunks + c.chunk + 1;
        st.cycle = c.cycle;
        st.omPhase = { cycle: c.cycle, done, total: c.passes * c.chunks };
        st.chunksPerCycle = (c.passes * c.chunks) / (c.cycle + 1);
        if (st.omChunksDone > 0) this.omRate = { perChunk: st.omSeconds / st.omChunksDone, chunksPerCycle: st.chunksPerCycle };
        const elapsed = (Date.now() - st.started) / 1000;
        const eta = remainingSeconds(st, exp).seconds;
        // run() and runCycle(): the whole call's progress; trainOpponentModel(): the training's own
        st.fraction = overall ? forward(st.fraction, elapsed / (elapsed + eta)) : done / (c.passes * c.chunks);
        st.om =
          `opponent-model training of cycle ${c.cycle} · pass ${c.pass + 1}/${c.passes} · chunk ${c.chunk + 1}/${c.chunks} · loss ${c.loss.toFixed(3)} · accuracy ${c.accuracy.toFixed(3)}` +
          (overall || done < c.passes * c.chunks ? ` · ETA ${formatDuration(eta)}` : "");
        this.draw(false);
      }),
    ];
    this.draw(true);
  }

  end(outcome: "done" | "stopped" | "failed", message?: string): void {
    const st = this.state;
    if (!st) return;
    const took = formatDuration((Date.now() - st.started) / 1000);
    const head =
      outcome === "done"
        ? `${st.call}: done in ${took}`
        : outcome === "stopped"
          ? `${st.call}: interrupted after ${took}; the experiment is consistent, call again to continue`
          : `${st.call}: failed after ${took}: ${message ?? "error"}`;
    if (outcome === "done") st.fraction = 1;
    st.line = `${head} · last: ${st.om ?? st.line}`;
    st.om = null;
    this.draw(true, outcome);
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.state = null;
    this.handle = null;
  }

  private draw(force: boolean, outcome?: "done" | "stopped" | "failed"): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    if (this.handle && this.state) this.handle.update(progressBundle(this.state, outcome));
  }
}

/** The bar of run() and runCycle(): never back (a new estimate may be longer), never full before the end; an unknown estimate keeps it. */
function forward(previous: number | null, estimate: number): number {
  return Number.isFinite(estimate) ? Math.min(0.99, Math.max(previous ?? 0, estimate)) : (previous ?? 0);
}

/**
 * Seconds the call still needs: its episodes left at the rate measured so far, and for `run()` and
 * `runCycle()` the OM training left, at the time per chunk measured (`omUntimed` until the first
 * chunk: the estimate then leaves the OM training out). Cycle k's training is taken to have k+1
 * times the chunks per cycle of the last training seen (it reads every cycle's experience so far).
 */
function remainingSeconds(st: State, exp: ProgressSubject): { seconds: number; omUntimed: boolean } {
  const perEpisode = st.episodesDone > 0 ? st.playSeconds / st.episodesDone : NaN;
  let seconds = st.planned > st.episodesDone ? (st.planned - st.episodesDone) * perEpisode : 0;
  if (st.call === "trainOpponentModel") {
    const perChunk = st.omChunksDone > 0 ? st.omSeconds / st.omChunksDone : NaN;
    return { seconds: st.omPhase ? (st.omPhase.total - st.omPhase.done) * perChunk : NaN, omUntimed: false };
  }
  if ((st.call !== "run" && st.call !== "runCycle") || exp.opponentModelled === false) return { seconds, omUntimed: false };
  if (st.chunksPerCycle === null || st.omChunksDone === 0) return { seconds, omUntimed: true };
  const perChunk = st.omSeconds / st.omChunksDone;
  let chunks = st.omPhase ? st.omPhase.total - st.omPhase.done : 0;
  const from = st.omPhase ? st.omPhase.cycle + 1 : st.cycle;
  const to = st.call === "runCycle" ? (st.omPhase ? from - 1 : st.cycle) : exp.cycles - 1;
  for (let k = from; k <= to; k++) chunks += st.chunksPerCycle * (k + 1);
  seconds += chunks * perChunk;
  return { seconds, omUntimed: false };
}

function progressBundle(st: State, outcome?: "done" | "stopped" | "failed"): MimeBundle {
  const text = st.om ?? st.line;
  const acc = st.accuracy !== null ? ` · OM accuracy in play ${st.accuracy.toFixed(3)}` : "";
  const pct = st.fraction !== null ? Math.round(st.fraction * 100) : null;
  const color = outcome === "failed" ? "#c0392b" : outcome === "stopped" ? "#d68910" : "#2e86c1";
  const bar =
    pct !== null
      ? `<div style="display:inline-block;width:160px;height:10px;background:#eee;border-radius:3px;vertical-align:middle;margin-right:8px">` +
        `<div style="width:${pct}%;height:10px;background:${color};border-radius:3px"></div></div>`
      : "";
  const name = st.callInCell > 1 ? `${st.call} (call ${st.callInCell} of this cell)` : st.call;
  const head = outcome ? "" : `<b>${escapeHtml(name)}</b> ${pct !== null ? `${pct}% ` : ""}· `;
  return {
    "text/html": `<div class="lemol-progress" style="font-family:monospace;font-size:12px;white-space:pre-line">${bar}${head}${escapeHtml(text + acc)}</div>`,
    "text/plain": `${outcome ? "" : `${name} ${pct !== null ? `${pct}% ` : ""}· `}${text}${acc}`,
  };
}
