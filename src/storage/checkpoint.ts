/**
 * Checkpoints: everything needed to continue a run, in a directory
 *
 *   header.json   format, label, time, lemol version, config, the JSON state (counters, flags,
 *                 schedule), an index of the binary arrays (name, dtype, shape, byte offset), the
 *                 SHA-256 of arrays.bin, and last the SHA-256 of the header itself (of its JSON
 *                 without that field), so a corrupted, truncated or edited file is detected
 *
 * Components write themselves through a {@link CheckpointWriter} under a name prefix and read
 * themselves back through a {@link CheckpointReader}, which names whatever is missing or does not
 * fit. A checkpoint is written to a temporary directory and renamed into place, so a crash leaves
 * the previous complete checkpoint.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../nn/backend.js";
import { Adam, AdamState } from "../nn/optim.js";
import { ensureDir, fileError } from "../util/fs.js";
import type { Rng } from "../util/rng.js";

/** 3: the header carries its own checksum (format 2, without it, is still read). */
export const CHECKPOINT_FORMAT = 3;

/** Array element types a checkpoint stores. */
export type CheckpointDtype = "f32" | "f64" | "u32" | "i32";
type TypedArray = Float32Array | Float64Array | Uint32Array | Int32Array;
const CTORS = { f32: Float32Array, f64: Float64Array, u32: Uint32Array, i32: Int32Array } as const;

/** A stored array. */
export interface CheckpointArray {
  name: string;
  dtype: CheckpointDtype;
  shape: number[];
  data: TypedArray;
}

/** Kept for the public API: a float32 array with a shape. */
export interface CheckpointTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointHeader {
  format: number;
  label: string;
  created: string;
  lemol_version?: string;
  config?: Record<string, unknown>;
  /** Named JSON values written with {@link CheckpointWriter.value}. */
  values: Record<string, unknown>;
  arrays: { name: string; dtype: CheckpointDtype; shape: number[]; offset: number; length: number }[];
  sha256: string;
  /** SHA-256 of the header's JSON without this field (format 3). */
  header_sha256?: string;
  [key: string]: unknown;
}

function headerChecksum(body: object): string {
  return createHash("sha256").update(JSON.stringify(body)).digest("hex");
}

/** A checkpoint that cannot be read or does not fit what reads it; the message names the problem. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

function dtypeOf(a: TypedArray): CheckpointDtype {
  if (a instanceof Float32Array) return "f32";
  if (a instanceof Float64Array) return "f64";
  if (a instanceof Uint32Array) return "u32";
  return "i32";
}

/** Collects arrays and JSON values under names (the writer copies nothing until `save`). */
export class CheckpointWriter {
  readonly arrays: CheckpointArray[] = [];
  readonly values: Record<string, unknown> = {};
  private readonly names = new Set<string>();

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`checkpoint: "${name}" written twice`);
    this.names.add(name);
  }

  /** A typed array (stored as its own type; `shape` defaults to its length). */
  array(name: string, data: TypedArray, shape: number[] = [data.length]): void {
    this.claim(name);
    this.arrays.push({ name, dtype: dtypeOf(data), shape, data });
  }

  /** A JSON-able value. */
  value(name: string, v: unknown): void {
    this.claim(name);
    this.values[name] = v;
  }

  /** tfjs variables, as `<prefix>/<k>`. */
  variables(prefix: string, vars: readonly tf.Variable[]): void {
    vars.forEach((v, k) => this.array(`${prefix}/${k}`, Float32Array.from(v.dataSync() as Float32Array), [...v.shape]));
  }

  /** A random stream's state. */
  rng(name: string, rng: Rng): void {
    const s = new Uint32Array(4);
    rng.stateInto(s);
    this.array(name, s);
  }

  /** Adam's moments and step count (of an optimiser, or a state taken from one). */
  adam(prefix: string, adam: Adam | AdamState): void {
    const s = adam instanceof Adam ? adam.getState() : adam;
    s.m.forEach((d, k) => this.array(`${prefix}/m${k}`, d));
    s.v.forEach((d, k) => this.array(`${prefix}/v${k}`, d));
    this.value(`${prefix}/step`, s.step);
  }
}

/** Reads named arrays and values back, checking that each exists and has the expected size. */
export class CheckpointReader {
  readonly header: CheckpointHeader;
  private readonly arrays: Map<string, CheckpointArray>;
  readonly where: string;

  constructor(header: CheckpointHeader, arrays: Map<string, CheckpointArray>, where: string) {
    this.header = header;
    this.arrays = arrays;
    this.where = where;
  }

  has(name: string): boolean {
    return this.arrays.has(name) || name in this.header.values;
  }

  private get(name: string, dtype: CheckpointDtype, length?: number): CheckpointArray {
    const a = this.arrays.get(name);
    if (!a) throw new CheckpointError(`${this.where}: "${name}" is missing (a checkpoint of another configuration or lemol version?)`);
    if (a.dtype !== dtype) throw new CheckpointError(`${this.where}: "${name}" is ${a.dtype}, expected ${dtype}`);
    if (length !== undefined && a.data.length !== length)
      throw new CheckpointError(`${this.where}: "${name}" has ${a.data.length} values, expected ${length} (a checkpoint of another configuration?)`);
    return a;
  }

  f32(name: string, length?: number): Float32Array {
    return this.get(name, "f32", length).data as Float32Array;
  }
  f64(name: string, length?: number): Float64Array {
    return this.get(name, "f64", length).data as Float64Array;
  }
  u32(name: string, length?: number): Uint32Array {
    return this.get(name, "u32", length).data as Uint32Array;
  }
  i32(name: string, length?: number): Int32Array {
    return this.get(name, "i32", length).data as Int32Array;
  }

  value<T = unknown>(name: string): T {
    if (!(name in this.header.values)) throw new CheckpointError(`${this.where}: value "${name}" is missing`);
    return this.header.values[name] as T;
  }

  /** Assigns `<prefix>/<k>` to each variable (shapes must match). */
  variables(prefix: string, vars: readonly tf.Variable[]): void {
    vars.forEach((v, k) => {
      const a = this.get(`${prefix}/${k}`, "f32");
      if (a.shape.join("x") !== v.shape.join("x"))
        throw new CheckpointError(
          `${this.where}: "${prefix}/${k}" has shape [${a.shape}], the network expects [${v.shape}] (a checkpoint of another configuration?)`,
        );
      tf.tidy(() => v.assign(tf.tensor(a.data as Float32Array, v.shape)));
    });
  }

  rng(name: string, rng: Rng): void {
    try {
      rng.setState(Array.from(this.u32(name, 4)));
    } catch (err) {
      throw new CheckpointError(`${this.where}: "${name}": ${(err as Error).message}`);
    }
  }

  adam(prefix: string, adam: Adam): void {
    adam.setState(this.adamState(prefix, adam.getState().m.length));
  }

  /** An Adam state of `n` variables as {@link CheckpointWriter.adam} wrote it. */
  adamState(prefix: string, n: number): AdamState {
    const m = Array.from({ length: n }, (_, k) => this.f32(`${prefix}/m${k}`));
    const v = Array.from({ length: n }, (_, k) => this.f32(`${prefix}/v${k}`));
    return { step: this.value<number>(`${prefix}/step`), m, v };
  }
}

const ALIGN = 8;

/** Writes checkpoint `label` under `dir` (replacing an older one of that label); returns its path. */
export function saveCheckpoint(dir: string, label: string, header: Record<string, unknown>, writer: CheckpointWriter): string {
  if (!/^[\w.-]+$/.test(label)) throw new Error(`checkpoint label must be letters, digits, '.', '_' or '-', got "${label}"`);
  ensureDir(dir, "checkpoints");
  const final = path.join(dir, label);
  const tmp = path.join(dir, `.${label}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.mkdirSync(tmp);
  } catch (err) {
    throw fileError(err, tmp, "a checkpoint");
  }
  const index: CheckpointHeader["arrays"] = [];
  let bytes = 0;
  for (const a of writer.arrays) {
    bytes = Math.ceil(bytes / ALIGN) * ALIGN;
    index.push({ name: a.name, dtype: a.dtype, shape: a.shape, offset: bytes, length: a.data.length });
    bytes += a.data.byteLength;
  }
  const bin = Buffer.alloc(bytes);
  writer.arrays.forEach((a, i) => {
    const src = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    if (isLittleEndian) src.copy(bin, index[i].offset);
    else writeLE(a.data, bin, index[i].offset);
  });
  const sha256 = createHash("sha256").update(bin).digest("hex");
  const body: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    label,
    created: new Date().toISOString(),
    ...header,
    values: writer.values,
    arrays: index,
    sha256,
  };
  try {
    writeDurably(path.join(tmp, "arrays.bin"), bin);
    writeDurably(path.join(tmp, "header.json"), JSON.stringify({ ...body, header_sha256: headerChecksum(body) }, null, 1) + "\n");
  } catch (err) {
    // a full disk: nothing half-written stays behind, the previous checkpoint is untouched
    fs.rmSync(tmp, { recursive: true, force: true });
    throw fileError(err, tmp, "a checkpoint");
  }
  // swap in: move the old one aside, rename the new one, then delete the old one (a process
  // killed between the two renames leaves only the old one aside: loadCheckpoint falls back to it)
  const old = path.join(dir, `.${label}.old-${process.pid}`);
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(final)) fs.renameSync(final, old);
  fs.renameSync(tmp, final);
  // this save's old copy, and leftovers of processes killed while saving
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(`.${label}.old-`) || (name.startsWith(`.${label}.tmp-`) && name !== path.basename(tmp)))
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  return final;
}

/** The checkpoint directory to read for `dir`: itself, or the copy a save interrupted mid-swap left aside. */
function existingCheckpoint(dir: string): string | null {
  if (fs.existsSync(dir)) return dir;
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return null;
  const aside = fs.readdirSync(parent).filter((n) => n.startsWith(`.${path.basename(dir)}.old-`) && fs.existsSync(path.join(parent, n, "header.json")));
  return aside.length > 0 ? path.join(parent, aside[0]) : null;
}

/** Whether checkpoint `dir` exists (or a save interrupted mid-swap left its copy aside). */
export function checkpointExists(dir: string): boolean {
  return existingCheckpoint(dir) !== null;
}

/** The checkpoint in `dir`; throws a {@link CheckpointError} naming the problem for a missing, truncated or corrupted one. */
export function loadCheckpoint(requested: string): CheckpointReader {
  const dir = existingCheckpoint(requested);
  if (!dir) throw new CheckpointError(`${requested}: no such checkpoint`);
  const hfile = path.join(dir, "header.json");
  const bfile = path.join(dir, "arrays.bin");
  if (!fs.existsSync(hfile)) throw new CheckpointError(`${dir}: not a checkpoint (no header.json)`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(fs.readFileSync(hfile, "utf8"));
  } catch (err) {
    throw new CheckpointError(`${hfile}: unreadable (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null) throw new CheckpointError(`${hfile}: not a checkpoint header`);
  if (header.format !== CHECKPOINT_FORMAT && header.format !== 2) {
    throw new CheckpointError(
      `${hfile}: checkpoint format ${JSON.stringify(header.format)}; this lemol reads formats 2 and ${CHECKPOINT_FORMAT}${header.format === 1 ? " (format 1 held weights only and cannot be resumed)" : ""}`,
    );
  }
  // format 3 covers the header too; a format-2 header with a checksum is a damaged format 3
  if (header.format === CHECKPOINT_FORMAT || "header_sha256" in header) {
    const { header_sha256: stored, ...body } = header;
    if (stored !== headerChecksum(body)) throw new CheckpointError(`${hfile}: corrupted or edited (its checksum does not match its contents)`);
  }
  if (!Array.isArray(header.arrays) || typeof header.values !== "object" || header.values === null || typeof header.sha256 !== "string") {
    throw new CheckpointError(`${hfile}: incomplete header (arrays, values and sha256 are required)`);
  }
  if (!fs.existsSync(bfile)) throw new CheckpointError(`${dir}: arrays.bin is missing`);
  const bin = fs.readFileSync(bfile);
  if (createHash("sha256").update(bin).digest("hex") !== header.sha256) {
    throw new CheckpointError(`${bfile}: corrupted or truncated (${bin.length} bytes; its checksum does not match the header)`);
  }
  const arrays = new Map<string, CheckpointArray>();
  for (const e of header.arrays) {
    const ctor = CTORS[e?.dtype as CheckpointDtype];
    if (!ctor || typeof e.name !== "string" || !Number.isInteger(e.offset) || !Number.isInteger(e.length) || !Array.isArray(e.shape)) {
      throw new CheckpointError(`${hfile}: bad array entry ${JSON.stringify(e).slice(0, 120)}`);
    }
    const end = e.offset + e.length * ctor.BYTES_PER_ELEMENT;
    if (e.offset < 0 || end > bin.length) throw new CheckpointError(`${bfile}: "${e.name}" lies outside the file`);
    const data = new ctor(e.length);
    const src = bin.subarray(e.offset, end);
    if (isLittleEndian) Buffer.from(data.buffer).set(src);
    else readLE(src, data);
    arrays.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data });
  }
  return new CheckpointReader(header, arrays, dir);
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function writeLE(a: TypedArray, out: Buffer, off: number): void {
  const dv = new DataView(out.buffer, out.byteOffset + off);
  const n = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(i * n, a[i], true);
    else if (a instanceof Float64Array) dv.setFloat64(i * n, a[i], true);
    else if (a instanceof Uint32Array) dv.setUint32(i * n, a[i], true);
    else dv.setInt32(i * n, a[i], true);
  }
}

function readLE(src: Buffer, a: TypedArray): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const n = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) a[i] = dv.getFloat32(i * n, true);
    else if (a instanceof Float64Array) a[i] = dv.getFloat64(i * n, true);
    else if (a instanceof Uint32Array) a[i] = dv.getUint32(i * n, true);
    else a[i] = dv.getInt32(i * n, true);
  }
}

/** Writes and fsyncs a file (so the rename that follows never exposes an empty one after a power cut). */
function writeDurably(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
