/**
 * NumPy `.npz` files (a zip archive of `.npy` arrays), as the original writes its LeMOL experience
 * with `np.savez` (lemol-spec §2.6): float64 arrays, C order, stored uncompressed. Reading also
 * accepts `np.savez_compressed` archives (deflate) and float32/int arrays. Every problem throws
 * an {@link NpzError} naming the file and what is wrong.
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { writeFileAtomic } from "../util/fs.js";

/** An n-dimensional array: data in C order and its shape. */
export interface NdArray {
  data: Float64Array;
  shape: number[];
}

export class NpzError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NpzError";
  }
}

// --- CRC-32 (the zip checksum) ---

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// --- .npy ---

/** Encodes one float64 array as a version-1.0 `.npy` file (header padded to 64 bytes, as numpy does). */
export function encodeNpy(a: NdArray): Uint8Array {
  const n = a.shape.reduce((x, y) => x * y, 1);
  if (n !== a.data.length) throw new NpzError(`array of shape (${a.shape}) needs ${n} values, has ${a.data.length}`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + a.data.length * 8);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < a.data.length; i++) dv.setFloat64(i * 8, a.data[i], true);
  return out;
}

/** Decodes a `.npy` file (little-endian float64/float32/int32/int64/bool, C order) to float64. */
export function decodeNpy(bytes: Uint8Array, what = "array"): NdArray {
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== "NUMPY") throw new NpzError(`${what}: not a .npy array`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + hlen > bytes.length) throw new NpzError(`${what}: truncated header`);
  const header = String.fromCharCode(...bytes.subarray(start, start + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpzError(`${what}: unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === "True") throw new NpzError(`${what}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NpzError(`${what}: bad shape (${shapeText})`);
  const n = shape.reduce((x, y) => x * y, 1);
  const sizes: Record<string, number> = { "<f8": 8, "<f4": 4, "<i4": 4, "<i8": 8, "|b1": 1, "|u1": 1 };
  const size = sizes[descr];
  if (!size) throw new NpzError(`${what}: unsupported dtype ${descr}`);
  const off = start + hlen;
  if (off + n * size > bytes.length) throw new NpzError(`${what}: truncated data (${bytes.length - off} bytes for ${n} values of ${size})`);
  const data = new Float64Array(n);
  const body = new DataView(bytes.buffer, bytes.byteOffset + off, n * size);
  for (let i = 0; i < n; i++) {
    switch (descr) {
      case "<f8":
        data[i] = body.getFloat64(i * 8, true);
        break;
      case "<f4":
        data[i] = body.getFloat32(i * 4, true);
        break;
      case "<i4":
        data[i] = body.getInt32(i * 4, true);
        break;
      case "<i8":
        data[i] = Number(body.getBigInt64(i * 8, true));
        break;
      default:
        data[i] = body.getUint8(i);
    }
  }
  return { data, shape };
}

// --- .npz (zip, store or deflate) ---

/** The bytes of an `.npz` archive holding `arrays` (keys become `<key>.npy`), stored uncompressed. */
export function encodeNpz(arrays: Record<string, NdArray>): Uint8Array {
  const entries: { name: Uint8Array; data: Uint8Array; crc: number; offset: number }[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [key, a] of Object.entries(arrays)) {
    const name = new TextEncoder().encode(`${key}.npy`);
    const data = encodeNpy(a);
    const crc = crc32(data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(8, 0, true); // stored
    lv.setUint16(10, 0, true); // time
    lv.setUint16(12, 0x21, true); // date 1980-01-01
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    entries.push({ name, data, crc, offset });
    chunks.push(local, data);
    offset += local.length + data.length;
  }
  const cdStart = offset;
  for (const e of entries) {
    const cd = new Uint8Array(46 + e.name.length);
    const v = new DataView(cd.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(6, 20, true);
    v.setUint16(12, 0, true);
    v.setUint16(14, 0x21, true);
    v.setUint32(16, e.crc, true);
    v.setUint32(20, e.data.length, true);
    v.setUint32(24, e.data.length, true);
    v.setUint16(28, e.name.length, true);
    v.setUint32(42, e.offset, true);
    cd.set(e.name, 46);
    chunks.push(cd);
    offset += cd.length;
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, offset - cdStart, true);
  ev.setUint32(16, cdStart, true);
  chunks.push(end);
  const out = new Uint8Array(offset + 22);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Parses an `.npz` archive's bytes into its arrays (keys without `.npy`). */
export function decodeNpz(bytes: Uint8Array, what = "npz"): Record<string, NdArray> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new NpzError(`${what}: not a zip archive (no end of central directory; truncated?)`);
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  const out: Record<string, NdArray> = {};
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== 0x02014b50) throw new NpzError(`${what}: corrupt central directory`);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    const csize = dv.getUint32(p + 20, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nlen));
    p += 46 + nlen + xlen + clen;
    if (local + 30 > bytes.length || dv.getUint32(local, true) !== 0x04034b50) throw new NpzError(`${what}: corrupt entry ${name}`);
    const dataStart = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (dataStart + csize > bytes.length) throw new NpzError(`${what}: entry ${name} is truncated`);
    let data = bytes.subarray(dataStart, dataStart + csize);
    if (method === 8) data = new Uint8Array(zlib.inflateRawSync(data));
    else if (method !== 0) throw new NpzError(`${what}: entry ${name} uses unsupported compression ${method}`);
    if (crc32(data) !== crc) throw new NpzError(`${what}: entry ${name} fails its checksum (corrupted)`);
    out[name.replace(/\.npy$/, "")] = decodeNpy(data, `${what}:${name}`);
  }
  return out;
}

/** Writes arrays to an `.npz` file atomically (temporary name, then rename). */
export function saveNpz(file: string, arrays: Record<string, NdArray>): void {
  writeFileAtomic(file, encodeNpz(arrays));
}

/** Reads an `.npz` file. */
export function loadNpz(file: string): Record<string, NdArray> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new NpzError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return decodeNpz(bytes, file);
}
