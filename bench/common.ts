/** Shared benchmark plumbing: machine description, medians, result files. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** The committed results (bench/results/), rewritten only with `--record`. */
export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
/** Where every run writes its results (ignored by git): a bench run leaves the checkout clean. */
export const TMP_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "tmp");
/** `--record` on the command line: also update the committed bench/results/<name>.json. */
export const RECORD = process.argv.includes("--record");

export function machine(): { cpu: string; cores: number; memory_gib: number; platform: string } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `fn` (which does `units` units of work) `runs` times after one warm-up; returns units per second per run. */
export function rates(fn: () => void, units: number, runs = 5): number[] {
  fn();
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    out.push(units / dt);
  }
  return out;
}

/** Writes bench/tmp/<name>.json, and with `--record` bench/results/<name>.json too; returns where it wrote. */
export function writeResult(name: string, data: object): string {
  const text = JSON.stringify({ ...data, written: new Date().toISOString() }, null, 2) + "\n";
  const dirs = RECORD ? [TMP_DIR, RESULTS_DIR] : [TMP_DIR];
  for (const dir of dirs) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.json`), text);
  }
  return dirs.map((dir) => path.join(dir, `${name}.json`)).join(" and ");
}
