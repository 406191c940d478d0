/** What every plot shares: the colour cycle and the common options. */

/** plotly.js's default colour cycle (kept explicit so raw and smoothed traces can share a colour). */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export interface PlotOptions {
  /** Show the figure now (default true). */
  show?: boolean;
  title?: string;
  /** Pixel height. */
  height?: number;
}
