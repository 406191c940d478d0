/**
 * Tables in notebooks: arquero tables (and row objects) as HTML, which renders even in untrusted
 * notebooks (no script), plus a plain-text version; and {@link summarise}, the few numbers one
 * wants first from a run.
 */
import { inspect } from "node:util";
import * as aq from "arquero";
import { MOVE_CHOICES } from "../envs/spaces.js";
import { IN_PLAY_BASELINES, MetricRow, MetricsLog } from "../train/metrics.js";
import { display, escapeHtml } from "./display.js";
import { groupBy, mean, metricsOf, MetricsSource } from "./source.js";

export interface ShowOptions {
  /** Rows shown (default 20; the total is always said). */
  limit?: number;
  /** A caption above the table. */
  title?: string;
  /** Digits after the point for non-integers (default 4). */
  digits?: number;
}

type Tabular = aq.ColumnTable | readonly Record<string, unknown>[] | MetricsLog;

function toTable(t: Tabular): aq.ColumnTable {
  if (t instanceof MetricsLog) return t.table();
  if (Array.isArray(t)) return aq.from(t as Record<string, unknown>[]);
  return t as aq.ColumnTable;
}

function formatCell(v: unknown, digits: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number.isNaN(v) ? "NaN" : v.toFixed(digits);
  return String(v);
}

/** The rows to show (at most `limit`) and what is left out. */
function visible(t: Tabular, options: ShowOptions): { names: string[]; rows: Record<string, unknown>[]; total: number; digits: number } {
  const dt = toTable(t);
  return {
    names: dt.columnNames(),
    rows: dt.objects({ limit: options.limit ?? 20 }) as Record<string, unknown>[],
    total: dt.numRows(),
    digits: options.digits ?? 4,
  };
}

/** The table as fixed-width text (what scripts and plain-text front ends show). */
export function tableText(t: Tabular, options: ShowOptions = {}): string {
  const { names, rows, total, digits } = visible(t, options);
  const cells = [names, ...rows.map((r) => names.map((n) => formatCell(r[n], digits)))];
  const widths = names.map((_, j) => Math.max(...cells.map((row) => row[j].length)));
  // numbers right-aligned, text left-aligned
  const numeric = names.map((n) => rows.every((r) => r[n] === null || r[n] === undefined || typeof r[n] === "number"));
  const lines = cells.map((row) =>
    row
      .map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  if (total > rows.length) lines.push(`… ${total - rows.length} more rows (${total} in all)`);
  return (options.title ? options.title + "\n" : "") + lines.join("\n");
}

/** The table as an HTML fragment (no scripts). */
export function tableHtml(t: Tabular, options: ShowOptions = {}): string {
  const { names, rows, total, digits } = visible(t, options);
  const head = names.map((n) => `<th>${escapeHtml(n)}</th>`).join("");
  const body = rows.map((r) => `<tr>${names.map((n) => `<td>${escapeHtml(formatCell(r[n], digits))}</td>`).join("")}</tr>`).join("");
  const more = total > rows.length ? `<div style="font-size:11px;color:#666">… ${total - rows.length} more rows (${total} in all)</div>` : "";
  const caption = options.title ? `<caption style="text-align:left;font-weight:bold">${escapeHtml(options.title)}</caption>` : "";
  return `<table class="lemol-table">${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${more}`;
}

/** Shows a table (arquero, row objects, or a metrics log) in the cell. */
export function show(t: Tabular, options: ShowOptions = {}): void {
  display({ "text/html": tableHtml(t, options), "text/plain": tableText(t, options) });
}

/** The first numbers of a run (see {@link summarise}). */
export class RunSummary {
  /** Per agent and opponent: trajectories, episodes, mean reward over the last `window` episodes of each trajectory (then averaged). */
  readonly rewards: aq.ColumnTable;
  /** Per cycle: opponent-model accuracy in play (mean, first and last trajectory), chance, and the last OM training accuracy/loss. Empty without LeMOL. */
  readonly accuracy: aq.ColumnTable;
  readonly window: number;

  constructor(rewards: aq.ColumnTable, accuracy: aq.ColumnTable, window: number) {
    this.rewards = rewards;
    this.accuracy = accuracy;
    this.window = window;
  }

  /** Shows both tables. */
  show(): this {
    show(this.rewards, { title: `Final rewards (mean of the last ${this.window} episodes of each trajectory)`, limit: 50 });
    if (this.accuracy.numRows() > 0) show(this.accuracy, { title: "Opponent-model accuracy per cycle", limit: 50 });
    return this;
  }

  [inspect.custom](): string {
    return `${tableText(this.rewards, { title: "final rewards", limit: 50 })}\n\n${this.accuracy.numRows() > 0 ? tableText(this.accuracy, { title: "opponent-model accuracy", limit: 50 }) : "(no opponent model)"}`;
  }
}

export interface SummaryOptions {
  /** Episodes at the end of each trajectory that count as "final" (default 100). */
  window?: number;
  /** Show the tables (default true); with `false` they are returned instead. */
  show?: boolean;
}

/**
 * Summarises a run: final rewards per agent and opponent, and opponent-model accuracy per cycle.
 * Shows the tables, or with `show: false` returns them (a {@link RunSummary}) without showing.
 */
export function summarise(source: MetricsSource, options: SummaryOptions & { show: false }): RunSummary;
export function summarise(source: MetricsSource, options?: SummaryOptions): void;
export function summarise(source: MetricsSource, options: SummaryOptions = {}): RunSummary | void {
  const log = metricsOf(source);
  const window = options.window ?? 100;
  const rewards = log.select("episode_reward");
  const rewardRows: Record<string, unknown>[] = [];
  /** The longest trajectory's episodes: a window longer than that is the whole trajectory (as the title then says). */
  let longest = 0;
  for (const [, list] of groupBy(rewards, (r) => `${r.agent}\u0000${r.opponent}`)) {
    const byTrajectory = groupBy(list, (r) => `${r.cycle}/${r.trajectory}`);
    // By episode number, not row: a binned copy's rows (data/full-*: one row per 100 episodes,
    // labelled with its last) then read as the run's episodes; a full log has a row per episode.
    // Rows without episode numbers, or numbered out of order (logs joined by hand), count one each.
    let episodes = 0;
    let rewardSum = 0;
    const finals = [...byTrajectory.values()].map((rs) => {
      const numbered = rs.every((r, k) => r.episode !== null && r.episode >= 0 && (k === 0 || r.episode > rs[k - 1].episode!));
      if (!numbered) {
        longest = Math.max(longest, rs.length);
        episodes += rs.length;
        for (const r of rs) rewardSum += r.value;
        return mean(rs.slice(-window).map((r) => r.value));
      }
      let previous = -1;
      for (const r of rs) {
        rewardSum += r.value * (r.episode! - previous); // a row stands for the episodes since the previous row
        previous = r.episode!;
      }
      episodes += previous + 1;
      longest = Math.max(longest, previous + 1);
      return mean(rs.filter((r) => r.episode! > previous - window).map((r) => r.value));
    });
    rewardRows.push({
      agent: list[0].agent,
      opponent: list[0].opponent,
      trajectories: byTrajectory.size,
      episodes,
      final_reward: mean(finals),
      mean_reward: rewardSum / episodes,
    });
  }
  const acc = log.select("om_accuracy_in_play");
  const baselineRows = IN_PLAY_BASELINES.map((b) => ({ column: b.column, rows: log.select(b.metric) }));
  const training = log.select("om_training_accuracy");
  const trainingLoss = log.select("om_training_loss");
  const accRows: Record<string, unknown>[] = [];
  for (const [cycle, list] of groupBy(acc, (r) => r.cycle ?? -1)) {
    const perTrajectory = [...groupBy(list, (r) => r.trajectory ?? -1).values()].map((rs) => mean(rs.map((r) => r.value)));
    // OM training at the end of cycle c shapes the predictions of cycle c+1
    const before = training.filter((r) => r.cycle === cycle - 1);
    const beforeLoss = trainingLoss.filter((r) => r.cycle === cycle - 1);
    const accuracy = mean(list.map((r) => r.value));
    const inCycle = (rows: MetricRow[]) => {
      const v = rows.filter((r) => r.cycle === cycle).map((r) => r.value);
      return v.length > 0 ? mean(v) : null;
    };
    const baselineMeans = baselineRows.map((b) => [b.column, inCycle(b.rows)] as const);
    const baselines = baselineMeans.map(([, v]) => v).filter((v): v is number => v !== null);
    accRows.push({
      cycle,
      trajectories: perTrajectory.length,
      accuracy,
      ...Object.fromEntries(baselineMeans),
      // what the OM adds over the better of the baselines scored on the same steps
      om_minus_best_baseline: baselines.length > 0 ? accuracy - Math.max(...baselines) : null,
      first_trajectory: perTrajectory[0],
      last_trajectory: perTrajectory[perTrajectory.length - 1],
      chance: 1 / MOVE_CHOICES,
      om_trained_before: before.length > 0,
      om_train_accuracy: before.length > 0 ? mean(before.slice(-Math.max(1, Math.round(before.length / 10))).map((r) => r.value)) : null,
      om_train_loss: beforeLoss.length > 0 ? mean(beforeLoss.slice(-Math.max(1, Math.round(beforeLoss.length / 10))).map((r) => r.value)) : null,
    });
  }
  const summary = new RunSummary(aq.from(rewardRows), aq.from(accRows), longest > 0 ? Math.min(window, longest) : window);
  if (options.show === false) return summary;
  summary.show();
}
