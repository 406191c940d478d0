/**
 * The metrics of a run as one long-format table (one row per value): what `metrics.csv` holds and
 * what the notebook plots read. Trajectories carry an explicit id so their curves never share an
 * x-axis the way the original's tensorboard logs do (lemol-spec §8 item 14).
 */
import * as fs from "node:fs";
import * as aq from "arquero";

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
  | "om_cross_entropy_in_play"
  | "om_xent_original"
  | "om_training_accuracy"
  | "om_training_loss";

function cell(v: string | number | null): string {
  if (v === null) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "nan" : String(v);
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A CSV line for a row (numbers in shortest round-trip form, so the file is exact). */
export function csvLine(r: MetricRow): string {
  return METRIC_COLUMNS.map((c) => cell(r[c])).join(",") + "\n";
}

export class MetricsLog {
  /** Every row so far, in order. */
  readonly rows: MetricRow[] = [];
  readonly file: string | null;
  private pending = "";

  /** With `file`, rows are appended to that CSV (created with its header). */
  constructor(file: string | null = null) {
    this.file = file;
    if (file) fs.writeFileSync(file, METRIC_COLUMNS.join(",") + "\n");
  }

  add(row: MetricRow): void {
    this.rows.push(row);
    if (this.file) this.pending += csvLine(row);
  }

  /** Appends pending rows to the CSV (whole lines only). */
  flush(): void {
    if (!this.file || this.pending.length === 0) return;
    fs.appendFileSync(this.file, this.pending);
    this.pending = "";
  }

  /** The rows as an arquero table (columns as in the CSV). */
  table(): aq.ColumnTable {
    return toTable(this.rows);
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
  if (lines[0].trim() !== METRIC_COLUMNS.join(",")) throw new Error(`${what}: unexpected header ${JSON.stringify(lines[0])}`);
  const rows: MetricRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const f = splitCsv(line);
    if (f.length !== METRIC_COLUMNS.length) throw new Error(`${what}:${i + 1}: expected ${METRIC_COLUMNS.length} fields, got ${f.length}`);
    const num = (s: string) => (s === "" ? null : s === "nan" ? NaN : Number(s));
    const str = (s: string) => (s === "" ? null : s);
    const value = num(f[8]);
    if (value === null || (Number.isNaN(value) && f[8] !== "nan")) throw new Error(`${what}:${i + 1}: bad value ${JSON.stringify(f[8])}`);
    rows.push({ cycle: num(f[0]), trajectory: num(f[1]), opponent: str(f[2]), episode: num(f[3]), train_step: num(f[4]), om_iter: num(f[5]), agent: str(f[6]), metric: f[7], value });
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
