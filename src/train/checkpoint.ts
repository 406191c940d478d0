/**
 * Checkpoints: a directory with `header.json` (format version, versions, config, counters, and an
 * index of named float32 arrays) and `weights.bin` (the arrays back to back, little-endian). A
 * checkpoint is written to a temporary directory and renamed into place, so a crash leaves the
 * previous complete checkpoint.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const CHECKPOINT_FORMAT = 1;

export interface CheckpointTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointHeader {
  format: number;
  label: string;
  created: string;
  [key: string]: unknown;
}

interface IndexEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/** Writes a checkpoint `label` under `dir` (replacing an older one of the same label). */
export function saveCheckpoint(dir: string, label: string, header: Record<string, unknown>, tensors: readonly CheckpointTensor[]): string {
  if (!/^[\w.-]+$/.test(label)) throw new Error(`checkpoint label must be letters, digits, '.', '_' or '-', got "${label}"`);
  fs.mkdirSync(dir, { recursive: true });
  const final = path.join(dir, label);
  const tmp = path.join(dir, `.${label}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const index: IndexEntry[] = [];
  let bytes = 0;
  for (const t of tensors) {
    index.push({ name: t.name, shape: t.shape, offset: bytes, length: t.data.length });
    bytes += t.data.length * 4;
  }
  const bin = Buffer.alloc(bytes);
  for (let i = 0; i < tensors.length; i++) {
    const d = tensors[i].data;
    for (let k = 0; k < d.length; k++) bin.writeFloatLE(d[k], index[i].offset + 4 * k);
  }
  fs.writeFileSync(path.join(tmp, "weights.bin"), bin);
  const full: CheckpointHeader = { format: CHECKPOINT_FORMAT, label, created: new Date().toISOString(), ...header, tensors: index };
  fs.writeFileSync(path.join(tmp, "header.json"), JSON.stringify(full, null, 2) + "\n");
  // swap in: move the old one aside, rename the new one, then delete the old one
  const old = path.join(dir, `.${label}.old-${process.pid}`);
  if (fs.existsSync(final)) fs.renameSync(final, old);
  fs.renameSync(tmp, final);
  fs.rmSync(old, { recursive: true, force: true });
  return final;
}

/** Reads a checkpoint directory; throws naming the problem for a missing, truncated or corrupt one. */
export function loadCheckpoint(dir: string): { header: CheckpointHeader; tensors: Map<string, CheckpointTensor> } {
  const hfile = path.join(dir, "header.json");
  const bfile = path.join(dir, "weights.bin");
  if (!fs.existsSync(hfile)) throw new Error(`${dir}: not a checkpoint (no header.json)`);
  let header: CheckpointHeader & { tensors?: IndexEntry[] };
  try {
    header = JSON.parse(fs.readFileSync(hfile, "utf8"));
  } catch (err) {
    throw new Error(`${hfile}: unreadable (${(err as Error).message})`);
  }
  if (header.format !== CHECKPOINT_FORMAT) throw new Error(`${hfile}: checkpoint format ${header.format}, this lemol reads ${CHECKPOINT_FORMAT}`);
  if (!Array.isArray(header.tensors)) throw new Error(`${hfile}: no tensor index`);
  if (!fs.existsSync(bfile)) throw new Error(`${dir}: weights.bin is missing`);
  const bin = fs.readFileSync(bfile);
  const tensors = new Map<string, CheckpointTensor>();
  for (const e of header.tensors) {
    if (e.offset + 4 * e.length > bin.length) throw new Error(`${bfile}: truncated (tensor "${e.name}" ends past ${bin.length} bytes)`);
    const data = new Float32Array(e.length);
    for (let k = 0; k < e.length; k++) data[k] = bin.readFloatLE(e.offset + 4 * k);
    tensors.set(e.name, { name: e.name, shape: e.shape, data });
  }
  return { header, tensors };
}
