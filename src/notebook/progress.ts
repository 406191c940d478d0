/**
 * Live progress of an experiment's run calls in a notebook cell: one output, replaced in place at
 * most every `intervalMs`, showing where the schedule is, speed, ETA and the latest opponent-model
 * accuracy; it ends with how the call ended (done, interrupted, failed).
 */
import type { RunCall } from "../train/events.js";
import type { ProgressReporter, ProgressSubject } from "../train/hooks.js";
import { DisplayHandle, escapeHtml, MimeBundle } from "./display.js";

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
}

/** The notebook's {@link ProgressReporter}: an updating output in the calling cell. */
export class LiveProgress implements ProgressReporter {
  private readonly intervalMs: number;
  private handle: DisplayHandle | null = null;
  private state: State | null = null;
  private unsubscribe: (() => void)[] = [];
  private lastDraw = 0;

  constructor(options: LiveProgressOptions = {}) {
    this.intervalMs = options.intervalMs ?? 250;
  }

  begin(exp: ProgressSubject, call: { call: RunCall; plannedEpisodes: number }): void {
    this.handle = new DisplayHandle();
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
    };
    this.state = st;
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
        st.episodesDone++;
        st.om = null;
        const elapsed = (Date.now() - st.started) / 1000;
        const eta = st.planned > 0 ? (elapsed / st.episodesDone) * Math.max(0, st.planned - st.episodesDone) : NaN;
        // a call that ends with OM training (runCycle, run) is not done when its episodes are
        const cap = st.call === "runCycle" || st.call === "run" ? 0.99 : 1;
        st.fraction = st.planned > 0 ? Math.min(cap, st.episodesDone / st.planned) : null;
        // cycles and trajectories by their ids (from 0, as in metrics, tables and plots), with the count in all
        st.line =
          `cycle ${p.cycle} (of ${exp.cycles}) · trajectory ${p.trajectory} (of ${p.trajectoriesTotal}, ${p.pair}) · ` +
          `episode ${p.episode}/${p.episodes} · ${elapsed > 0 ? Math.round(st.steps / elapsed).toLocaleString("en-US") : "–"} steps/s` +
          (st.planned > 1 ? ` · ETA ${formatDuration(eta)}` : "");
        this.draw(false);
      }),
      exp.on("om_window", (w) => {
        st.accuracy = w.accuracy;
      }),
      exp.on("om_chunk", (c) => {
        const done = c.pass * c.chunks + c.chunk + 1;
        // the bar shows the OM training's own progress while it runs (it is not part of the episodes)
        st.fraction = done / (c.passes * c.chunks);
        st.om = `opponent-model training of cycle ${c.cycle} · pass ${c.pass + 1}/${c.passes} · chunk ${c.chunk + 1}/${c.chunks} · loss ${c.loss.toFixed(3)} · accuracy ${c.accuracy.toFixed(3)}`;
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
  const head = outcome ? "" : `<b>${escapeHtml(st.call)}</b> ${pct !== null ? `${pct}% ` : ""}· `;
  return {
    "text/html": `<div class="lemol-progress" style="font-family:monospace;font-size:12px;white-space:pre-line">${bar}${head}${escapeHtml(text + acc)}</div>`,
    "text/plain": `${outcome ? "" : `${st.call} ${pct !== null ? `${pct}% ` : ""}· `}${text}${acc}`,
  };
}
