/**
 * Rendering without a display: a frame is an SVG string (entities as circles in their colours,
 * agents half-transparent as in the original viewer, comm shown as a letter next to each speaking
 * agent), and an episode is an HTML snippet that plays its frames with play/pause and a slider.
 */
import { createHash } from "node:crypto";
import { DIM_P, World } from "./world.js";
import { escapeHtml, scriptSafe } from "../util/html.js";

export interface RenderOptions {
  /** Width and height in pixels. Default 400. */
  size?: number;
  /** Half-width of the world area shown (the original viewer's `cam_range`). Default 1. */
  range?: number;
  /** Show each speaking agent's comm as a letter (arg-max of c; `_` when all zeros). Default true. */
  showComm?: boolean;
  /** Optional caption drawn at the top left (e.g. the step number). */
  caption?: string;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : "0";
}

function rgb(w: World, k: number): string {
  const len = w.colorLen[k];
  if (len === 0) return "rgb(128,128,128)";
  const o = k * w.colorWidth;
  const ch = (d: number) => Math.round(255 * Math.min(1, Math.max(0, d < len ? w.color[o + d] : 0)));
  return `rgb(${ch(0)},${ch(1)},${ch(2)})`;
}

/** Environment `e` of `w` as an SVG document string. */
export function renderSvg(w: World, e: number, options: RenderOptions = {}): string {
  const size = options.size ?? 400;
  const range = options.range ?? 1;
  const showComm = options.showComm ?? true;
  const L = w.layout;
  const scale = size / (2 * range);
  const px = (x: number) => (x + range) * scale;
  const py = (y: number) => (range - y) * scale; // the world's y axis points up
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`,
    `<rect width="${size}" height="${size}" fill="white" stroke="#ccc"/>`,
  ];
  const circle = (i: number, opacity: number) => {
    const k = w.ent(e, i);
    const p = k * DIM_P;
    const name = escapeHtml(L.names[i] ?? `entity ${i}`);
    parts.push(
      `<circle cx="${fmt(px(w.pos[p]))}" cy="${fmt(py(w.pos[p + 1]))}" r="${fmt(Math.max(1, w.size[k] * scale))}" fill="${rgb(w, k)}" fill-opacity="${opacity}" stroke="#333" stroke-opacity="0.4"><title>${name}</title></circle>`,
    );
  };
  // landmarks first so that agents stay visible on top of forests (the original draws agents first)
  for (let i = w.nAgents; i < w.nEntities; i++) circle(i, 1);
  for (let a = 0; a < w.nAgents; a++) circle(a, 0.5);
  if (showComm && w.dimC > 0) {
    for (let a = 0; a < w.nAgents; a++) {
      if (L.silent[a]) continue;
      const c = w.agt(e, a) * w.dimC;
      let best = -1;
      for (let d = 0; d < w.dimC; d++) if (w.comm[c + d] !== 0 && (best < 0 || w.comm[c + d] > w.comm[c + best])) best = d;
      const word = best < 0 ? "_" : ALPHABET[best % ALPHABET.length];
      const p = w.ent(e, a) * DIM_P;
      const r = w.size[w.ent(e, a)] * scale;
      parts.push(
        `<text x="${fmt(px(w.pos[p]) + r + 3)}" y="${fmt(py(w.pos[p + 1]) - r - 3)}" font-family="monospace" font-size="14" fill="#000">${word}</text>`,
      );
    }
  }
  if (options.caption) parts.push(`<text x="6" y="16" font-family="sans-serif" font-size="12" fill="#444">${escapeHtml(options.caption)}</text>`);
  parts.push("</svg>");
  return parts.join("");
}

/**
 * An HTML snippet that plays SVG `frames` (from {@link renderSvg}) at `fps` with play/pause and a
 * frame slider. Self-contained (no external scripts); without JavaScript (or sanitized, untrusted) it
 * shows the first frame as an image.
 */
export function animationHtml(frames: readonly string[], options: { fps?: number } = {}): string {
  if (frames.length === 0) throw new RangeError("animationHtml needs at least one frame");
  const fps = options.fps ?? 10;
  if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
  // the key is a hash of the content: re-running a notebook gives the same bytes, and every
  // element with this key shows the same frames, so the script sets up each one not yet set up
  const key = createHash("sha256")
    .update(JSON.stringify([fps, frames]))
    .digest("hex")
    .slice(0, 16);
  const data = scriptSafe(JSON.stringify(frames));
  // the first frame as an image, not inline SVG: JupyterLab's sanitizer (untrusted notebooks) drops
  // inline SVG but keeps data-URI images; the script swaps in the inline frames where it runs
  const first = `data:image/svg+xml;base64,${Buffer.from(frames[0], "utf8").toString("base64")}`;
  return `<div data-lemol-animation="${key}" class="lemol-animation">
<div class="frame"><img alt="animation, frame 1 of ${frames.length}" src="${first}"/></div>
<div class="controls" style="font-family:sans-serif;font-size:12px">
<button type="button" class="play">play</button>
<input type="range" class="slider" min="0" max="${frames.length - 1}" value="0" style="width:240px;vertical-align:middle"/>
<span class="label">1 / ${frames.length}</span>
</div>
<script type="text/javascript">(function(){
var frames=${data},roots=document.querySelectorAll('div[data-lemol-animation="${key}"]:not([data-ready])');
for(var r=0;r<roots.length;r++)(function(root){root.setAttribute("data-ready","1");
var view=root.querySelector(".frame"),btn=root.querySelector(".play"),slider=root.querySelector(".slider"),label=root.querySelector(".label");
var i=0,timer=null;function show(k){i=k;view.innerHTML=frames[k];slider.value=String(k);label.textContent=(k+1)+" / "+frames.length;}
function stop(){if(timer){clearInterval(timer);timer=null;}btn.textContent="play";}
btn.onclick=function(){if(timer){stop();return;}btn.textContent="pause";timer=setInterval(function(){if(i+1>=frames.length){stop();return;}show(i+1);},${Math.round(1000 / fps)});};
slider.oninput=function(){stop();show(parseInt(slider.value,10));};show(0);
})(roots[r]);
})();</script>
</div>`;
}
