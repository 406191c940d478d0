/**
 * Static images of figures, so that a notebook shows its plots where no script runs: an untrusted
 * copy, GitHub's viewer, an HTML export read with JavaScript off. Rendered by plotly itself in
 * headless Chromium (no network), synchronously: a figure's output must be complete before its
 * cell ends (headless runners drop what arrives later), and `fig.show()` is not awaited. The
 * Chromium lives in a worker thread (static-image-worker.ts); the main thread waits on a shared
 * flag and takes the reply from the port (`receiveMessageOnPort`).
 *
 * Needs Debian's `chromium` (or `LEMOL_CHROMIUM`) and the npm package `puppeteer-core` (an
 * optional dependency of lemol); without them figures have no static image, and lemol says so once.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";

interface Renderer {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

let renderer: Renderer | null = null;
let unavailable: string | null = null;
let enabled = process.env.LEMOL_STATIC_PLOTS !== "0";
let warned = false;

/** Turns static images on or off (default on; `LEMOL_STATIC_PLOTS=0` turns them off). */
export function setStaticImages(on: boolean): void {
  enabled = on;
}

/** Starts the worker through a small bootstrap that reports a failure to start as a reply (the main thread is waiting). */
const BOOTSTRAP = `const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.file);
})().catch((e) => {
  workerData.port.postMessage({ error: "the static-image renderer did not start: " + e.message });
  const flag = new Int32Array(workerData.signal);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});`;

/** Chromium profiles lemol makes: `<tmp>/lemol-chromium-<pid>-<random>`, so that a dead process's can be told and removed. */
const PROFILE_PREFIX = "lemol-chromium-";

/**
 * Removes the profiles of lemol processes that are gone (a kernel killed before its Chromium
 * closed leaves one of ~2.6 MB); a live process's, and anything not named by lemol, stay.
 */
export function removeStaleProfiles(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = new RegExp(`^${PROFILE_PREFIX}(\\d+)-[\\w]+$`).exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function start(chromium: string, args: string[], plotly: string): Renderer {
  removeStaleProfiles();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `${PROFILE_PREFIX}${process.pid}-`));
  const chromiumPid = new SharedArrayBuffer(4);
  // removed when the process ends (a kernel shut down soon after a figure): Chromium first, which
  // would otherwise go on writing its profile for a moment
  process.once("exit", () => {
    const pid = Atomics.load(new Int32Array(chromiumPid), 0);
    if (pid > 0) {
      // puppeteer starts Chromium as the leader of its own process group: its GPU and renderer processes go too
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // ended already
        }
      }
    }
    fs.rmSync(profile, { recursive: true, force: true });
  });
  const signal = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const here = fileURLToPath(import.meta.url);
  const file = path.join(path.dirname(here), `static-image-worker${path.extname(here)}`);
  // from the sources (tests), the worker loads TypeScript through tsx as the main thread does
  const tsx = path.extname(here) === ".ts" ? import.meta.resolve("tsx/esm/api") : null;
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { signal, port: port2, chromium, args, plotly, profile, chromiumPid, file: pathToFileURL(file).href, tsx },
    transferList: [port2],
  });
  worker.unref(); // never keeps the process alive
  port1.unref();
  return { worker, port: port1, flag: new Int32Array(signal) };
}

/**
 * The figure as a base64 image (WebP by default: a quarter of a PNG's size for the same plot, and
 * every current browser shows it), or null when static images are off or cannot be made here
 * (the reason is printed once). The first call starts Chromium (a second or two); later ones take
 * a fraction of that.
 */
export function staticImage(
  figure: { data: unknown[]; layout: Record<string, unknown> },
  size: { width: number; height: number; format?: "png" | "webp" | "svg" | "pdf" },
  env: { chromium: () => string | null; args: string[]; plotly: () => string },
  options: { timeoutMs?: number; evenIfOff?: boolean } = {},
): string | null {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!enabled && !options.evenIfOff) return null;
  if (unavailable === null && !renderer) {
    const chromium = env.chromium();
    if (!chromium) unavailable = "no Chromium found (install Debian's chromium, or set LEMOL_CHROMIUM)";
    else {
      try {
        import.meta.resolve("puppeteer-core");
        renderer = start(chromium, env.args, env.plotly());
      } catch {
        unavailable = "the npm package puppeteer-core is not installed";
      }
    }
  }
  if (!renderer) {
    warnOnce(unavailable!);
    return null;
  }
  Atomics.store(renderer.flag, 0, 0);
  renderer.worker.postMessage({ figure, format: "webp", ...size });
  const woke = Atomics.wait(renderer.flag, 0, 0, timeoutMs);
  const reply = receiveMessageOnPort(renderer.port)?.message as { png?: string; error?: string } | undefined;
  if (woke === "timed-out" || !reply || reply.error) {
    const why = woke === "timed-out" ? `Chromium did not answer within ${timeoutMs / 1000} s` : (reply?.error ?? "no reply from the renderer");
    void renderer.worker.terminate();
    renderer = null;
    unavailable = why;
    warnOnce(why);
    return null;
  }
  return reply.png ?? null;
}

function warnOnce(why: string): void {
  if (warned) return;
  warned = true;
  console.error(`lemol: figures carry no static image (${why}); a saved notebook then shows them only where scripts run`);
}
