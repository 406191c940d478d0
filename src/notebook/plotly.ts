/**
 * Plotly figures in notebooks, rendered live and in offline HTML exports.
 *
 * Each figure is ONE output holding three representations: `application/vnd.plotly.v1+json` (for
 * front ends with a plotly renderer, e.g. VS Code or JupyterLab with the extension), `text/html`
 * (a div plus a script that draws it with the plotly bundle embedded once per notebook, which is
 * what classic Notebook and nbconvert's HTML show) and `text/plain`. The plotly bundle itself is
 * one output carrying the library as an inline script (no CDN: exports must work offline).
 * Untrusted notebooks strip scripts; {@link Figure.showWithImage} adds a static PNG for them.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { inspect } from "node:util";
import { display, escapeHtml, scriptSafe, uniqueId, MimeBundle } from "./display.js";

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

let embedded: PlotlyFlavor | null = null;

/** The plotly.js source of a flavour (read from node_modules, never from the network). */
export function plotlySource(flavor: PlotlyFlavor = "basic"): string {
  const spec = BUNDLES[flavor];
  if (!spec) throw new RangeError(`unknown plotly flavour ${JSON.stringify(flavor)} (use "basic" or "full")`);
  return fs.readFileSync(nodeRequire.resolve(spec), "utf8");
}

/**
 * Embeds the plotly bundle in the notebook (once per kernel session; later calls do nothing unless
 * `force` or another flavour). Called by the first figure shown; call it yourself in the first cell
 * to choose the full bundle (e.g. for heatmaps).
 */
export function plotlyInit(flavor: PlotlyFlavor = "basic", options: { force?: boolean } = {}): void {
  if (embedded === flavor && !options.force) return;
  if (embedded === "full" && flavor === "basic" && !options.force) return;
  const src = plotlySource(flavor);
  display({
    "text/html": `<script type="text/javascript">${scriptSafe(src)}</script>`,
    "text/plain": `[plotly.js ${flavor} bundle embedded: ${(src.length / 1e6).toFixed(1)} MB]`,
  });
  embedded = flavor;
}

/** Forgets that the bundle was embedded (e.g. after clearing all outputs). */
export function resetPlotlyInit(): void {
  embedded = null;
}

export interface FigureOptions {
  /** Pixel height (default 400). */
  height?: number;
}

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

  /** The figure as plotly JSON (what the `application/vnd.plotly.v1+json` output holds). */
  toJSON(): { data: Trace[]; layout: Layout; config: Record<string, unknown> } {
    return { data: this.data, layout: this.layout, config: this.config };
  }

  /** The notebook output: plotly JSON, HTML that draws it, plain text (and a PNG when given). */
  bundle(staticPng?: string): MimeBundle {
    const id = uniqueId("lemol-plot");
    const fig = JSON.stringify(this.toJSON());
    const height = Number(this.layout.height) || 400;
    const img = staticPng ? `<div id="${id}-static"><img alt="plot" src="data:image/png;base64,${staticPng}"/></div>` : "";
    // The script waits for window.Plotly (the bundle output may render after this one) and says so
    // in the page when the bundle is missing instead of staying blank.
    const html =
      `${img}<div id="${id}" class="lemol-plot" style="width:100%;height:${height}px;"></div>` +
      `<script type="text/javascript">(function(){var fig=${scriptSafe(fig)},k=0;function draw(){var el=document.getElementById("${id}");if(!el)return;` +
      `if(window.Plotly){var s=document.getElementById("${id}-static");if(s)s.style.display="none";window.Plotly.newPlot(el,fig.data,fig.layout,fig.config);}` +
      `else if(k++<200){setTimeout(draw,50);}else if(!document.getElementById("${id}-static")){el.style.height="auto";el.textContent="plotly.js is not loaded in this page: run lemol's plotlyInit() (or any plot) in an earlier cell.";}}draw();})();</script>`;
    const bundle: MimeBundle = {
      "application/vnd.plotly.v1+json": this.toJSON(),
      "text/html": html,
      "text/plain": this.describe(),
    };
    if (staticPng) bundle["image/png"] = staticPng;
    return bundle;
  }

  /** Shows the figure in the current cell (embedding the plotly bundle first if needed). */
  show(): this {
    plotlyInit();
    display(this.bundle());
    return this;
  }

  /**
   * Shows the figure with a static PNG as well, for readers whose viewer runs no scripts
   * (untrusted notebooks, GitHub). Renders with headless Chromium (puppeteer-core + Debian's
   * chromium); see {@link renderPng}.
   */
  async showWithImage(options: { width?: number } = {}): Promise<this> {
    const png = await renderPng(this, options);
    plotlyInit();
    display(this.bundle(png));
    return this;
  }

  /** A standalone HTML page with the plotly bundle inlined (works offline). */
  toHTML(flavor: PlotlyFlavor = "basic"): string {
    const b = this.bundle();
    return (
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(this.title() ?? "lemol figure")}</title>` +
      `<script type="text/javascript">${scriptSafe(plotlySource(flavor))}</script></head><body>${b["text/html"] as string}</body></html>`
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

/** The part of puppeteer-core's browser that renderPng uses (puppeteer-core is optional: no static import). */
interface HeadlessBrowser {
  newPage(): Promise<{
    setContent(html: string): Promise<void>;
    addScriptTag(tag: { content: string }): Promise<unknown>;
    evaluate<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R>;
  }>;
  close(): Promise<void>;
}

/** Renders a figure to a base64 PNG in headless Chromium (needs `puppeteer-core` installed). */
export async function renderPng(fig: Figure, options: { width?: number } = {}): Promise<string> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("no Chromium found: install Debian's chromium or set LEMOL_CHROMIUM to a Chrome/Chromium binary");
  let puppeteer: { launch(o: object): Promise<HeadlessBrowser> };
  try {
    puppeteer = (await import("puppeteer-core" as string)).default;
  } catch {
    throw new Error("static plot images need the npm package puppeteer-core (npm i puppeteer-core)");
  }
  const browser = await puppeteer.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    await page.setContent("<!doctype html><html><body><div id=plot></div></body></html>");
    await page.addScriptTag({ content: plotlySource("basic") });
    const width = options.width ?? 800;
    const height = Number(fig.layout.height) || 400;
    const url: string = await page.evaluate(
      (f: { data: unknown[]; layout: object }, w: number, h: number) =>
        (globalThis as unknown as { Plotly: { toImage(fig: object, o: object): Promise<string> } }).Plotly.toImage(
          { data: f.data, layout: { ...f.layout, width: w, height: h } },
          { format: "png", width: w, height: h },
        ),
      fig.toJSON(),
      width,
      height,
    );
    return url.replace(/^data:image\/png;base64,/, "");
  } finally {
    await browser.close();
  }
}
