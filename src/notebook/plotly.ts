/**
 * Plotly figures in notebooks, live where scripts run and as images where they do not.
 *
 * A figure is ONE output: `text/html` (a static image of the figure (WebP), then a div that a script draws
 * the live plot into, hiding the image once drawn) and `text/plain`. The figure's data is stored
 * once (in the script), the image is the fallback for readers that run no scripts (an untrusted
 * copy, GitHub, an HTML export with JavaScript off; see static-image.ts), and element ids are a
 * hash of the figure, so re-running a notebook gives the same bytes.
 *
 * plotly.js itself (1.2 MB) is never stored in the notebook: the first figure of each cell is
 * first shown as an output carrying the bundle (the page runs it), then that same output is
 * replaced by the figure, so the saved notebook keeps only the figure. A notebook reopened
 * without running shows the static images until its cells run again; an HTML export gets the
 * bundle at export (`scripts/export_html.py`).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { inspect } from "node:util";
import { currentCell, display, DisplayHandle, escapeHtml, scriptSafe, MimeBundle } from "./display.js";
import { staticImage } from "./static-image.js";
import { displayPath } from "../util/fs.js";

const nodeRequire = createRequire(import.meta.url);

/** `basic`: scatter, bar and pie, 1.2 MB (default). `full`: every trace type, 4.7 MB. */
export type PlotlyFlavor = "basic" | "full";

const BUNDLES: Record<PlotlyFlavor, string> = {
  basic: "plotly.js-basic-dist-min/plotly-basic.min.js",
  full: "plotly.js-dist-min/plotly.min.js",
};

/** A trace: plotly's own trace object (`{ type: "scatter", x, y, ... }`). */
export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;

/** The flavour figures load; the cell that last got the bundle. */
let flavor: PlotlyFlavor = "basic";
let loadedInCell: unknown = undefined;

/** The plotly.js source of a flavour (read from node_modules, never from the network). */
export function plotlySource(which: PlotlyFlavor = "basic"): string {
  const spec = BUNDLES[which];
  if (!spec) throw new RangeError(`unknown plotly flavour ${JSON.stringify(which)} (use "basic" or "full")`);
  return fs.readFileSync(nodeRequire.resolve(spec), "utf8");
}

/**
 * Chooses the plotly.js bundle figures load in the page: `basic` (default) or `full` (every trace
 * type, e.g. heatmaps). The bundle goes to the page with the next figure shown and is never stored
 * in the notebook.
 */
export function plotlyInit(which: PlotlyFlavor = "basic"): void {
  plotlySource(which); // checks the name and that the bundle is installed
  if (which !== flavor) loadedInCell = undefined;
  flavor = which;
}

/** Sends the bundle again with the next figure (e.g. after reloading the page). */
export function resetPlotlyInit(): void {
  loadedInCell = undefined;
}

/** The output that loads plotly.js into the page (once a page has it, running it again does nothing). */
function loaderBundle(): MimeBundle {
  const src = plotlySource(flavor);
  return {
    "text/html": `<script type="text/javascript">if(!window.Plotly||window.Plotly.__lemolFlavor!=="${flavor}"&&"${flavor}"==="full"){${scriptSafe(src)}
window.Plotly.__lemolFlavor="${flavor}";}</script>`,
    "text/plain": `[loading plotly.js (${flavor})]`,
  };
}

export interface FigureOptions {
  /** Pixel height (default 400). */
  height?: number;
}

/** Width of the static image, in pixels (about a notebook's output area). */
const STATIC_WIDTH = 900;

/** A plotly figure: data + layout, shown inline, exportable as standalone HTML. */
export class Figure {
  readonly data: Trace[];
  readonly layout: Layout;
  readonly config: Record<string, unknown>;

  constructor(data: Trace[], layout: Layout = {}, config: Record<string, unknown> = {}) {
    this.data = data;
    this.layout = { height: 400, margin: { t: 72, r: 24, b: 48, l: 64 }, ...layout };
    this.config = { responsive: true, displaylogo: false, ...config };
  }

  /** The figure as plotly JSON (`{ data, layout, config }`). */
  toJSON(): { data: Trace[]; layout: Layout; config: Record<string, unknown> } {
    // hover labels round y to 4 significant digits (plotly shows every stored digit otherwise); a figure's own format wins
    const yaxis = { hoverformat: ".4~r", ...((this.layout.yaxis as Record<string, unknown> | undefined) ?? {}) };
    return { data: this.data, layout: { ...this.layout, yaxis }, config: this.config };
  }

  /** A key of the figure's content (its element ids): the same figure, the same key. */
  key(): string {
    return createHash("sha256").update(JSON.stringify(this.toJSON())).digest("hex").slice(0, 16);
  }

  /**
   * The notebook output: HTML (static image when given, the live plot's div and script) and plain
   * text. Every element holding this figure is drawn, so an id shared by two outputs is harmless.
   */
  bundle(staticImage?: string | null): MimeBundle {
    const key = this.key();
    // numbers to 6 significant digits: the plot looks the same, the notebook is far smaller
    const fig = JSON.stringify(this.toJSON(), (_k, v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Number(v.toPrecision(6)) : v));
    const height = Number(this.layout.height) || 400;
    const img = staticImage
      ? `<img class="lemol-plot-static" alt="${escapeHtml(this.describe())}" style="max-width:100%" src="data:image/webp;base64,${staticImage}"/>`
      : "";
    // The script draws every not-yet-drawn element of this figure once window.Plotly exists (the
    // loader may render after it), hiding the static image; without plotly the image stays.
    const html =
      `<div class="lemol-figure" data-lemol-figure="${key}"${flavor === "full" ? ' data-lemol-plotly="full"' : ""}>${img}<div class="lemol-plot" style="width:100%;height:${staticImage ? 0 : height}px;"></div></div>` +
      `<script type="text/javascript">(function(){var fig=${scriptSafe(fig)},k=0;function draw(){` +
      `var roots=document.querySelectorAll('div[data-lemol-figure="${key}"]:not([data-drawn])');if(!roots.length)return;` +
      `if(!window.Plotly){if(k++<200)setTimeout(draw,50);else for(var i=0;i<roots.length;i++){if(!roots[i].querySelector("img")){var d=roots[i].querySelector(".lemol-plot");d.style.height="auto";d.textContent="plotly.js is not loaded in this page: run the cell again to draw the plot.";}}return;}` +
      `for(var j=0;j<roots.length;j++){var r=roots[j],el=r.querySelector(".lemol-plot"),im=r.querySelector("img");r.setAttribute("data-drawn","1");` +
      `el.style.height="${height}px";if(im)im.style.display="none";window.Plotly.newPlot(el,fig.data,fig.layout,fig.config);}}draw();})();</script>`;
    return { "text/html": html, "text/plain": this.describe() };
  }

  /**
   * Shows the figure in the current cell, with a static image when Chromium is at hand (see
   * static-image.ts). The first figure of a cell brings plotly.js to the page (not to the notebook).
   */
  show(): void {
    const png = staticImage(this.toJSON(), { width: STATIC_WIDTH, height: Number(this.layout.height) || 400 }, STATIC_ENV);
    const cell = currentCell();
    if (cell !== undefined && cell !== loadedInCell) {
      // one output: the bundle first (the page runs it), then the figure in its place
      const handle = new DisplayHandle();
      handle.update(loaderBundle());
      handle.update(this.bundle(png));
      loadedInCell = cell;
      return;
    }
    display(this.bundle(png));
  }

  /** A standalone HTML page with the plotly bundle inlined (works offline). */
  toHTML(which: PlotlyFlavor = "basic"): string {
    const b = this.bundle();
    return (
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(this.title() ?? "lemol figure")}</title>` +
      `<script type="text/javascript">${scriptSafe(plotlySource(which))}</script></head><body>${b["text/html"] as string}</body></html>`
    );
  }

  /** The title as plain text (markup such as the run-name line removed). */
  private title(): string | null {
    const t = this.layout.title as { text?: string } | string | undefined;
    const text = typeof t === "string" ? t : (t?.text ?? null);
    return text === null
      ? null
      : text
          .replace(/<br>/g, " — ")
          .replace(/<[^>]+>/g, "")
          .replace(/&amp;/g, "&")
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">");
  }

  /** One line: title and trace names. */
  describe(): string {
    const names = this.data.map((t) => String(t.name ?? t.type ?? "trace"));
    const shown = names.length > 6 ? [...names.slice(0, 6), `… ${names.length - 6} more`] : names;
    return `<Figure${this.title() ? ` "${this.title()}"` : ""}: ${this.data.length} trace(s)${names.length ? ` [${shown.join(", ")}]` : ""}>`;
  }

  [inspect.custom](): string {
    return this.describe();
  }
}

/** Where Chromium is: $LEMOL_CHROMIUM, else Debian's and other usual paths. */
export function chromiumPath(): string | null {
  const candidates = [process.env.LEMOL_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  return null;
}

/** Chromium flags for a machine with no outside network (no background connections). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Where static images come from: Chromium, its flags, the plotly bundle that draws them. */
const STATIC_ENV = { chromium: chromiumPath, args: CHROMIUM_ARGS, plotly: () => plotlySource("full") };

/**
 * Renders a figure to a base64 PNG in headless Chromium (Debian's chromium and the npm package
 * puppeteer-core); throws when that is not possible here.
 */
/** The image formats {@link saveFigure} writes, by file extension. */
const SAVE_FORMATS = { ".svg": "svg", ".pdf": "pdf", ".png": "png" } as const;

/**
 * Writes the figure to `file` for a paper or a slide: `.svg` (vector), `.pdf` (vector, one page of
 * the figure's size) or `.png`, by the extension; drawn by plotly in the headless Chromium of the
 * static images (Debian's chromium and puppeteer-core). Size: `width` (default 800) and the
 * figure's `layout.height` (default 400). Returns the path written, as {@link displayPath} shows it.
 */
export async function saveFigure(fig: Figure, file: string, options: { width?: number; height?: number } = {}): Promise<string> {
  const ext = path.extname(file).toLowerCase();
  const format = SAVE_FORMATS[ext as keyof typeof SAVE_FORMATS];
  if (!format) throw new Error(`saveFigure: ${JSON.stringify(file)} must end in .svg, .pdf or .png (the format is taken from it)`);
  const size = { width: options.width ?? 800, height: options.height ?? (Number(fig.layout.height) || 400), format };
  const data = staticImage(fig.toJSON(), size, STATIC_ENV, { evenIfOff: true });
  if (data === null) throw new Error("saveFigure: no image could be drawn: see the message printed above (Chromium and puppeteer-core are needed)");
  fs.writeFileSync(file, Buffer.from(data, "base64"));
  return displayPath(path.resolve(file));
}

export async function renderPng(fig: Figure, options: { width?: number } = {}): Promise<string> {
  const png = staticImage(fig.toJSON(), { width: options.width ?? 800, height: Number(fig.layout.height) || 400, format: "png" }, STATIC_ENV, {
    evenIfOff: true,
  });
  if (png === null) throw new Error("no static image: see the message printed above (Chromium and puppeteer-core are needed)");
  return png;
}
