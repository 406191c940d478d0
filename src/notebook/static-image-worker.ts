/**
 * The worker thread behind static-image.ts: one headless Chromium (Debian's, through
 * puppeteer-core) with plotly.js loaded in one page, kept between figures and closed after a
 * minute unused. Each request renders a figure with plotly's own `toImage`, posts the image on the
 * reply port and wakes the waiting main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";

interface Request {
  figure: { data: unknown[]; layout: Record<string, unknown> };
  width: number;
  height: number;
  format: "png" | "webp" | "svg" | "pdf";
}
interface Page {
  evaluate<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R>;
  setContent(html: string): Promise<void>;
  addScriptTag(tag: { content: string }): Promise<unknown>;
  pdf(options: object): Promise<Uint8Array>;
  close(): Promise<void>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
  process(): { pid?: number } | null;
}

const { signal, port, chromium, args, plotly, profile, chromiumPid } = workerData as {
  signal: SharedArrayBuffer;
  /** Where the main thread finds Chromium's pid, to end it when the process exits. */
  chromiumPid: SharedArrayBuffer;
  port: MessagePort;
  chromium: string;
  args: string[];
  plotly: string;
  /** Chromium's profile directory, made and removed by static-image.ts (puppeteer's own would outlive a killed kernel). */
  profile: string;
};
const flag = new Int32Array(signal);
let page: Promise<Page> | null = null;
let browser: Browser | null = null;
let idle: NodeJS.Timeout | null = null;
const IDLE_MS = 60_000;

async function open(): Promise<Page> {
  const puppeteer = (await import("puppeteer-core" as string)).default as { launch(o: object): Promise<Browser> };
  // no signal handlers: SIGINT is the notebook kernel's interrupt, not a reason to close
  browser = await puppeteer.launch({
    executablePath: chromium,
    args,
    headless: true,
    pipe: true,
    userDataDir: profile,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  Atomics.store(new Int32Array(chromiumPid), 0, browser.process()?.pid ?? 0);
  const p = await browser.newPage();
  await p.setContent("<!doctype html><html><body></body></html>");
  await p.addScriptTag({ content: plotly });
  return p;
}

/** The image as base64 (SVG: its markup as UTF-8; PDF: the SVG printed on a page of the figure's size). */
async function render(req: Request): Promise<string> {
  page ??= open();
  const p = await page;
  const format = req.format === "pdf" ? "svg" : req.format;
  const url: string = await p.evaluate(
    (f: Request["figure"], w: number, h: number, format: string) =>
      (globalThis as unknown as { Plotly: { toImage(fig: object, o: object): Promise<string> } }).Plotly.toImage(
        { data: f.data, layout: { ...f.layout, width: w, height: h } },
        { format, width: w, height: h },
      ),
    req.figure,
    req.width,
    req.height,
    format,
  );
  if (format !== "svg") return url.replace(/^data:image\/\w+;base64,/, "");
  const svg = decodeURIComponent(url.replace(/^data:image\/svg\+xml,/, ""));
  if (req.format === "svg") return Buffer.from(svg, "utf8").toString("base64");
  const sheet = await browser!.newPage();
  try {
    await sheet.setContent(`<!doctype html><html><head><style>@page{margin:0}html,body{margin:0}</style></head><body>${svg}</body></html>`);
    const pdf = await sheet.pdf({ width: `${req.width}px`, height: `${req.height}px`, printBackground: true, pageRanges: "1" });
    return Buffer.from(pdf).toString("base64");
  } finally {
    await sheet.close();
  }
}

function reply(message: { png?: string; error?: string }): void {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

parentPort!.on("message", (req: Request) => {
  if (idle) clearTimeout(idle);
  render(req)
    .then((png) => reply({ png }))
    .catch((err: Error) => {
      page = null;
      reply({ error: err.message });
    })
    .finally(() => {
      idle = setTimeout(() => {
        const b = browser;
        browser = null;
        page = null;
        void b?.close();
      }, IDLE_MS);
    });
});
