/** What every plot shares: the colour cycle, the common options, the chance line. */
import type { Trace } from "./plotly.js";

/** plotly.js's default colour cycle (kept explicit so raw and smoothed traces can share a colour). */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export interface PlotOptions {
  /** Show the figure now (default true). */
  show?: boolean;
  title?: string;
  /** Pixel height. */
  height?: number;
}

/** The accuracy plots' chance line: a dashed grey level at `chance` across the range of `xs`. */
export function chanceTrace(chance: number, xs: number[]): Trace {
  return {
    type: "scatter",
    mode: "lines",
    name: `chance (${chance.toFixed(2)})`,
    x: [Math.min(...xs), Math.max(...xs)],
    y: [chance, chance],
    line: { color: "#555", dash: "dash", width: 1 },
  };
}
