/**
 * Where in a notebook cell's TypeScript an error happened. tslab runs a cell as JavaScript it
 * compiled (types erased, declarations rewritten as `exports.x = x`, helpers prepended) with no
 * source map, so a stack frame's line and column are the JavaScript's. lemol's kernel keeps each
 * cell's source and JavaScript (kernel.ts) and maps a frame back by matching text: the JavaScript
 * line to the cell line with the most tokens in common (in order), then the text at the column to
 * the same text in that line. Statements keep their order and most of their tokens through the
 * compilation, which is what this relies on; a line it cannot place gets no position.
 */

/** The JavaScript lines tslab adds or rewrites, as the cell's line would read. */
function normalise(js: string): string {
  return js
    .replace(/\bexports\.tsLastExpr = /g, "")
    .replace(/^\s*exports\.[\w$]+ = [\w$]+;\s*$/, "") // re-export of a declaration: no source line of its own
    .replace(/\bexports\.([\w$]+) = /g, "")
    .replace(/\bexports\./g, "");
}

const TOKEN = /[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`|[^\s\w]/g;

const WORD = /^[\w$"'`]/;

function tokens(line: string): string[] {
  return line.match(TOKEN) ?? [];
}

/** Length of the longest common subsequence of two token lists. */
function common(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = up;
    }
  }
  return row[b.length];
}

/** The wrapper tslab puts around a cell's JavaScript, on its first line. */
const WRAPPER = /^\(async function\(exports, require\) \{ |^\(function\(exports, require\) \{ /;

/**
 * The cell position (1-based line and column) of a frame at `line`:`column` (1-based) of the
 * JavaScript `js` that tslab ran for the cell `source`; null when no cell line matches.
 */
export function cellPosition(source: string, js: string, line: number, column: number): { line: number; column: number } | null {
  const jsLines = js.split("\n");
  let target = jsLines[line - 1];
  if (target === undefined) return null;
  let col = column - 1;
  if (line === 1) {
    const wrapper = WRAPPER.exec(target)?.[0] ?? "";
    target = target.slice(wrapper.length);
    col -= wrapper.length;
  }
  // words (names, numbers, strings) say which line it is; punctuation only when a line has no words
  const all = tokens(normalise(target));
  const words = all.filter((t) => WORD.test(t));
  const wanted = words.length > 0 ? words : all;
  if (wanted.length === 0) return null;
  const pick = words.length > 0 ? (text: string) => tokens(text).filter((t) => WORD.test(t)) : tokens;
  const cellLines = source.split("\n");
  let best = 0;
  let candidates: number[] = [];
  let bestShape = 0;
  cellLines.forEach((text, i) => {
    const score = common(wanted, pick(text)) / wanted.length;
    // between lines with the same words, the one closest in every token (`g();` rather than `function g() {`)
    const cell = tokens(text);
    const shape = (2 * common(all, cell)) / (all.length + cell.length || 1);
    if (score > best + 1e-9 || (Math.abs(score - best) <= 1e-9 && shape > bestShape + 1e-9)) {
      best = score;
      bestShape = shape;
      candidates = [i];
    } else if (Math.abs(score - best) <= 1e-9 && Math.abs(shape - bestShape) <= 1e-9 && score > 0) candidates.push(i);
  });
  if (best < 0.5) return null;
  // the same statement twice: the JavaScript line's rank among its equals picks the cell line
  const same = normalise(target).trim();
  const rank = jsLines.slice(0, line - 1).filter((l) => normalise(l).trim() === same).length;
  const at = candidates[Math.min(rank, candidates.length - 1)];
  return { line: at + 1, column: columnIn(cellLines[at], target, col) };
}

/** The column (1-based) in `cellLine` of the text at `col` (0-based) of `jsLine`. */
function columnIn(cellLine: string, jsLine: string, col: number): number {
  const first = cellLine.search(/\S/) + 1 || 1;
  if (col < 0 || col >= jsLine.length) return first;
  const rest = jsLine.slice(col, col + 40);
  for (let n = rest.length; n > 0; n--) {
    const piece = rest.slice(0, n);
    if (piece.trim() === "") break;
    let found = -1;
    let nearest = Infinity;
    const expected = (col / Math.max(jsLine.length, 1)) * cellLine.length;
    for (let i = cellLine.indexOf(piece); i >= 0; i = cellLine.indexOf(piece, i + 1)) {
      if (Math.abs(i - expected) < nearest) {
        nearest = Math.abs(i - expected);
        found = i;
      }
    }
    if (found >= 0) return found + 1;
  }
  return first;
}
