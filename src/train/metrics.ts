/**
 * The metrics of a run as one long-format table (one row per value): what `metrics.csv` holds and
 * what the notebook plots read. Trajectories carry an explicit id so their curves never share an
 * x-axis the way the original's tensorboard logs do (lemol-spec §8 item 14).
 */
import * as fs from "node:fs";
import { inspect } from "node:util";
import { appendFile, writeFileAtomic } from "../util/fs.js";
import * as aq from "arquero";
import { isMetricName, METRICS } from "./metric-names.js";

export const METRIC_COLUMNS = ["cycle", "trajectory", "opponent", "episode", "train_step", "om_iter", "agent", "metric", "value"] as const;

/** One value. Fields that do not apply are null (empty in the CSV). */
export interface MetricRow {
  cycle: number | null;
  trajectory: number | null;
  opponent: string | null;
  episode: number | null;
  train_step: number | null;
  om_iter: number | null;
  agent: string | null;
  metric: string;
  value: number;
}

/** The metric names lemol writes. */
export type MetricName =
  | "episode_reward"
  | "averaged_reward"
  | "q_loss"
  | "p_loss"
  | "q_value"
  | "om_accuracy_in_play"
  | "om_baseline_persistence_in_play"
  | "om_baseline_window_majority_in_play"
  | "om_baseline_bc_in_play"
  | "om_baseline_bc_previous_action_in_play"
  | "om_baseline_online_bc_in_play"
  | "om_cross_entropy_in_play"
  | "om_xent_original"
  | "om_training_accuracy"
  | "om_training_loss"
  | "v_loss"
  | "kl";

/**
 * The baselines scored in play on exactly the OM's scored steps (agents/lemol/in-play.ts): the
 * metric, a label for legends, and the column name tables use.
 */
export const IN_PLAY_BASELINES = [
  { metric: "om_baseline_persistence_in_play", label: "persistence (previous action)", column: "persistence" },
  { metric: "om_baseline_window_majority_in_play", label: "window majority (hindsight)", column: "window_majority" },
  { metric: "om_baseline_bc_in_play", label: "behaviour cloning (MLP on o_t)", column: "behaviour_cloning" },
  { metric: "om_baseline_bc_previous_action_in_play", label: "behaviour cloning (MLP on o_t, a_t-1)", column: "behaviour_cloning_previous_action" },
  { metric: "om_baseline_online_bc_in_play", label: "online behaviour cloning (this opponent's last steps)", column: "online_behaviour_cloning" },
] as const;

/** The in-play accuracy series whose stability {@link inPlayStability} measures: the OM's, then every baseline's. */
export const IN_PLAY_ACCURACY_METRICS: readonly string[] = ["om_accuracy_in_play", ...IN_PLAY_BASELINES.map((b) => b.metric)];

/** The stability of one model's in-play accuracy over one trajectory (docs/experiments.md, "Stability"). */
export interface InPlayStability {
  cycle: number | null;
  trajectory: number | null;
  agent: string | null;
  /** The accuracy series: "om_accuracy_in_play" or a baseline's metric. */
  metric: string;
  /** In-play windows in the trajectory. */
  windows: number;
  /** Mean window accuracy. */
  mean: number;
  /** Standard deviation of the window accuracies around their mean (population; NaN under two windows). */
  sd: number;
  /**
   * The drop after the opponent change that starts the trajectory: the mean window accuracy minus
   * the first window's (positive: worse right after the change; NaN under two windows).
   */
  drop: number;
}

/**
 * Per trajectory (and agent) and per in-play accuracy series, the OM's and every baseline's: the
 * within-trajectory standard deviation of window accuracy and the drop after the opponent change
 * at the trajectory's start. Computed from the logged windows, in order of first appearance.
 */
export function inPlayStability(log: MetricsLog | readonly MetricRow[]): InPlayStability[] {
  const rows = log instanceof MetricsLog ? log.rows : log;
  const groups = new Map<string, { head: MetricRow; values: number[] }>();
  for (const r of rows) {
    if (!IN_PLAY_ACCURACY_METRICS.includes(r.metric)) continue;
    const key = `${r.cycle}|${r.trajectory}|${r.agent}|${r.metric}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { head: r, values: [] }));
    g.values.push(r.value);
  }
  return [...groups.values()].map(({ head, values }) => ({
    cycle: head.cycle,
    trajectory: head.trajectory,
    agent: head.agent,
    metric: head.metric,
    ...stabilityOf(values),
  }));
}

/** One trajectory's window accuracies, in order → their count, mean, standard deviation and drop after the opponent change ({@link InPlayStability}). */
export function stabilityOf(values: readonly number[]): { windows: number; mean: number; sd: number; drop: number } {
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { windows: n, mean, sd: NaN, drop: NaN };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  return { windows: n, mean, sd, drop: mean - values[0] };
}

function cell(v: string | number | null): string {
  if (v === null) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "nan" : String(v);
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A CSV line for a row (numbers in shortest round-trip form, so the file is exact). */
export function csvLine(r: MetricRow): string {
  return METRIC_COLUMNS.map((c) => cell(r[c])).join(",") + "\n";
}

/** A metrics file that cannot be read back (damaged, or not what a checkpoint recorded). */
export class MetricsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetricsFileError";
  }
}

/** A growable typed column. */
class IntColumn {
  data = new Int32Array(1024);
  put(i: number, v: number | null): void {
    if (i >= this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[i] = v === null ? -1 : v;
  }
  get(i: number): number | null {
    const v = this.data[i];
    return v === -1 ? null : v;
  }
}

/** Strings stored as indices into a small dictionary (agents, opponents and metric names repeat). */
class StringColumn {
  readonly ids = new IntColumn();
  readonly dict: string[] = [];
  private readonly index = new Map<string, number>();
  put(i: number, v: string | null): void {
    if (v === null) return this.ids.put(i, null);
    let id = this.index.get(v);
    if (id === undefined) {
      id = this.dict.length;
      this.dict.push(v);
      this.index.set(v, id);
    }
    this.ids.put(i, id);
  }
  get(i: number): string | null {
    const id = this.ids.get(i);
    return id === null ? null : this.dict[id];
  }
}

/**
 * The metrics of a run, stored by column (about 33 bytes a row: a full-size run has millions of
 * rows), appended to `metrics.csv` as whole lines.
 */
export class MetricsLog {
  readonly file: string | null;
  private n = 0;
  private readonly cycle = new IntColumn();
  private readonly trajectory = new IntColumn();
  private readonly opponent = new StringColumn();
  private readonly episode = new IntColumn();
  private readonly trainStep = new IntColumn();
  private readonly omIter = new IntColumn();
  private readonly agent = new StringColumn();
  private readonly metric = new StringColumn();
  private value = new Float64Array(1024);
  private pending = "";
  /** Where the file is to be cut at the next flush (a resumed log). */
  private cutAt: number | null = null;

  /** With `file`, rows are appended to that CSV (created with its header). */
  constructor(file: string | null = null) {
    this.file = file;
    if (file) writeFileAtomic(file, METRIC_COLUMNS.join(",") + "\n");
  }

  /**
   * Continues the log in `file` from its first `bytes` bytes (where a checkpoint left it): those
   * rows are read back, and the file is cut there (dropping rows written after the checkpoint) at
   * the first {@link flush} — not now, so that a restore refused after this leaves the file as it was.
   */
  static resume(file: string, bytes: number): MetricsLog {
    const text = fs.readFileSync(file);
    if (text.length < bytes)
      throw new MetricsFileError(`${file}: ${text.length} bytes, shorter than the ${bytes} the checkpoint recorded (the file was replaced or truncated)`);
    const rows = parseMetricsCsv(text.subarray(0, bytes).toString("utf8"), file);
    const log = new MetricsLog(null);
    for (const r of rows) log.add(r);
    (log as { file: string | null }).file = file;
    log.cutAt = bytes;
    return log;
  }

  /** A log (not writing anywhere) holding `rows`. */
  static fromRows(rows: Iterable<MetricRow>): MetricsLog {
    const log = new MetricsLog(null);
    for (const r of rows) log.add(r);
    return log;
  }

  /**
   * Reads a `metrics.csv` written by a run (to plot or summarise it). A last line without its
   * newline is a write cut short by a crash and is left out: lemol writes whole lines only.
   */
  static load(file: string): MetricsLog {
    const text = fs.readFileSync(file, "utf8");
    const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
    return MetricsLog.fromRows(parseMetricsCsv(complete, file));
  }

  /** The metric names present, in order of first appearance. */
  get metricNames(): string[] {
    const seen = new Set<string>();
    for (let i = 0; i < this.n; i++) seen.add(this.metric.get(i)!);
    return [...seen];
  }

  // a notebook prints a log as one line, not as its columns
  [inspect.custom](): string {
    return `<MetricsLog ${this.n} rows${this.n ? `: ${this.metricNames.join(", ")}` : ""}${this.file ? `; ${this.file}` : ""}>`;
  }

  /** Number of rows. */
  get length(): number {
    return this.n;
  }

  add(row: MetricRow): void {
    const i = this.n++;
    this.cycle.put(i, row.cycle);
    this.trajectory.put(i, row.trajectory);
    this.opponent.put(i, row.opponent);
    this.episode.put(i, row.episode);
    this.trainStep.put(i, row.train_step);
    this.omIter.put(i, row.om_iter);
    this.agent.put(i, row.agent);
    this.metric.put(i, row.metric);
    if (i >= this.value.length) {
      const d = new Float64Array(this.value.length * 2);
      d.set(this.value);
      this.value = d;
    }
    this.value[i] = row.value;
    if (this.file) this.pending += csvLine(row);
  }

  /** Row i as an object. */
  row(i: number): MetricRow {
    return {
      cycle: this.cycle.get(i),
      trajectory: this.trajectory.get(i),
      opponent: this.opponent.get(i),
      episode: this.episode.get(i),
      train_step: this.trainStep.get(i),
      om_iter: this.omIter.get(i),
      agent: this.agent.get(i),
      metric: this.metric.get(i)!,
      value: this.value[i],
    };
  }

  /** Every row as objects (a copy; for large runs prefer {@link table} or {@link select}). */
  get rows(): MetricRow[] {
    return Array.from({ length: this.n }, (_, i) => this.row(i));
  }

  /**
   * The rows of one metric (optionally of one agent), in order. A name lemol never writes, and
   * that this log does not hold either, is an error naming the metrics there are (a guess such as
   * `om_accuracy` would otherwise give an empty table without a word).
   */
  select(metric: string, agent?: string): MetricRow[] {
    const out: MetricRow[] = [];
    for (let i = 0; i < this.n; i++) if (this.metric.get(i) === metric && (agent === undefined || this.agent.get(i) === agent)) out.push(this.row(i));
    if (out.length === 0 && !isMetricName(metric) && !this.metricNames.includes(metric))
      throw new Error(`no metric "${metric}": lemol writes ${METRICS.map((m) => m.name).join(", ")} (docs/notebooks.md, "Metrics")`);
    return out;
  }

  /** Appends pending rows to the CSV (whole lines only). */
  flush(): void {
    if (!this.file) return;
    if (this.cutAt !== null) {
      fs.truncateSync(this.file, this.cutAt);
      this.cutAt = null;
    }
    if (this.pending.length === 0) return;
    appendFile(this.file, this.pending);
    this.pending = "";
  }

  /** The rows as an arquero table (columns as in the CSV; null where a field does not apply). */
  table(): aq.ColumnTable {
    const n = this.n;
    const ints = (c: IntColumn) => Array.from({ length: n }, (_, i) => c.get(i));
    const strs = (c: StringColumn) => Array.from({ length: n }, (_, i) => c.get(i));
    return aq.table({
      cycle: ints(this.cycle),
      trajectory: ints(this.trajectory),
      opponent: strs(this.opponent),
      episode: ints(this.episode),
      train_step: ints(this.trainStep),
      om_iter: ints(this.omIter),
      agent: strs(this.agent),
      metric: strs(this.metric),
      value: Array.from(this.value.subarray(0, n)),
    });
  }
}

/** Rows as an arquero table. */
export function toTable(rows: readonly MetricRow[]): aq.ColumnTable {
  const cols: Record<string, unknown[]> = {};
  for (const c of METRIC_COLUMNS) cols[c] = rows.map((r) => r[c]);
  return aq.table(cols);
}

/** Parses a `metrics.csv` written by {@link MetricsLog}. */
export function parseMetricsCsv(text: string, what = "metrics.csv"): MetricRow[] {
  const lines = text.split("\n");
  if (lines[0].trim() !== METRIC_COLUMNS.join(",")) throw new MetricsFileError(`${what}: unexpected header ${JSON.stringify(lines[0])}`);
  const rows: MetricRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const f = splitCsv(line);
    if (f.length !== METRIC_COLUMNS.length) throw new MetricsFileError(`${what}:${i + 1}: expected ${METRIC_COLUMNS.length} fields, got ${f.length}`);
    const num = (s: string) => (s === "" ? null : s === "nan" ? NaN : Number(s));
    const str = (s: string) => (s === "" ? null : s);
    const value = num(f[8]);
    if (value === null || (Number.isNaN(value) && f[8] !== "nan")) throw new MetricsFileError(`${what}:${i + 1}: bad value ${JSON.stringify(f[8])}`);
    rows.push({
      cycle: num(f[0]),
      trajectory: num(f[1]),
      opponent: str(f[2]),
      episode: num(f[3]),
      train_step: num(f[4]),
      om_iter: num(f[5]),
      agent: str(f[6]),
      metric: f[7],
      value,
    });
  }
  return rows;
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
