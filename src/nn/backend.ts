/**
 * The TensorFlow.js backend, chosen once per process by measurement, not by name: where lemol's
 * native kernels are built, the WebAssembly backend with them (for lemol's network sizes they
 * beat tfjs-node's TensorFlow, whose per-op overhead dominates at these sizes), unless a training
 * benchmark run on this machine (`npm run bench -- train`) found `@tensorflow/tfjs-node` faster;
 * otherwise tfjs-node when it loads (an optional dependency whose installer needs a download),
 * then WebAssembly (SIMD, offline from node_modules), then the plain-JS cpu backend.
 * `LEMOL_BACKEND=node|wasm|cpu` or the `backend` option forces one; the choice is reported (and
 * recorded in every run manifest).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { activateNative, nativeAvailable, nativeStatus } from "./native-kernels.js";
import { useHeapViewSlicing } from "./wasm-slice.js";

export { tf };

/** The backends lemol knows how to choose between, in order of preference. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** What was chosen and why. */
export interface BackendInfo {
  /** tfjs's name for the active backend: `tensorflow` (tfjs-node), `wasm` or `cpu`. */
  name: BackendName;
  /** Versions of the tfjs packages in use. */
  tfjsVersion: string;
  /** WebAssembly features, when the wasm backend is active. */
  wasmSimd?: boolean;
  wasmThreads?: boolean;
  /** Backends tried before this one, with the reason each was skipped. */
  skipped: { name: BackendName; reason: string }[];
  /** `auto`, or where a forced choice came from (`option` or `LEMOL_BACKEND`). */
  requested: string;
  /** lemol's kernels for the hot paths: `native` (with its instruction set) or tfjs `composite`. */
  kernels: string;
  /** Why the native kernels are not in use, when they are not. */
  nativeReason?: string;
}

const ALIASES: Record<string, BackendName> = { node: "tensorflow", tensorflow: "tensorflow", "tfjs-node": "tensorflow", wasm: "wasm", cpu: "cpu" };

let chosen: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** Thrown when a forced backend cannot be used. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendError";
  }
}

function loadTfjsNode(): string | null {
  try {
    // tfjs-node registers the "tensorflow" backend when required; absent or without its binary, this throws
    createRequire(import.meta.url)("@tensorflow/tfjs-node");
    return null;
  } catch (err) {
    return (err as Error).message.split("\n")[0];
  }
}

/**
 * tfjs-backend-wasm's Emscripten runtime installs process handlers that rethrow every uncaught
 * exception from inside its minified source, so Node prints ~30 KB of it with any error. They
 * do nothing else; remove them so errors read normally.
 */
function removeEmscriptenHandlers(): void {
  for (const l of process.listeners("uncaughtException")) if (String(l).includes("ExitStatus")) process.removeListener("uncaughtException", l);
  for (const l of process.listeners("unhandledRejection")) if (/throw\s+reason/.test(String(l))) process.removeListener("unhandledRejection", l);
}

async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === "tensorflow") {
    const problem = loadTfjsNode();
    if (problem) return `@tensorflow/tfjs-node is not loadable (${problem})`;
  }
  try {
    const ok = await tf.setBackend(name);
    if (name === "wasm") {
      removeEmscriptenHandlers();
      useHeapViewSlicing();
    }
    return ok ? null : `tf.setBackend("${name}") failed`;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Chooses and initialises the backend (once; later calls return the same choice). `preferred`
 * (or `LEMOL_BACKEND`) forces one and makes failure an error instead of a fallback.
 */
export function initBackend(preferred?: string): Promise<BackendInfo> {
  // an unknown name is refused whether or not a backend is already chosen, and never cached
  const want = preferred ?? process.env.LEMOL_BACKEND;
  if (want !== undefined && want !== "auto" && want !== "" && !ALIASES[want])
    return Promise.reject(new BackendError(`unknown backend "${want}" (${preferred !== undefined ? "option" : "LEMOL_BACKEND"}); expected node, wasm or cpu`));
  if (chosen) {
    if (want && want !== "auto" && ALIASES[want] !== chosen.name) {
      return Promise.reject(new BackendError(`backend already initialised as "${chosen.name}"; cannot switch to "${want}" in the same process`));
    }
    return Promise.resolve(chosen);
  }
  // a failed choice is not kept: a later call tries again
  pending ??= choose(preferred).catch((err: unknown) => {
    pending = null;
    throw err;
  });
  return pending;
}

/** Update rounds (ms) measured on this machine by the training benchmark, per path. */
export interface MeasuredSpeed {
  native?: number;
  node?: number;
}

/**
 * The update-round times `npm run bench -- train` recorded in `file` (default: this checkout's
 * bench/results/train.json), when they were measured on a machine like this one (same CPU model
 * and core count); null otherwise.
 */
export function measuredHere(file = fileURLToPath(new URL("../../bench/results/train.json", import.meta.url))): MeasuredSpeed | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8")) as {
      machine?: { cpu?: string; cores?: number };
      rows?: { backend: string; kernels: string; name: string; value: number }[];
    };
    const cpus = os.cpus();
    if (r.machine?.cpu !== cpus[0]?.model || r.machine?.cores !== cpus.length) return null;
    const round = (backend: string, kernels?: string) =>
      r.rows?.find((x) => x.backend === backend && (!kernels || x.kernels === kernels) && x.name === "update_round_ms")?.value;
    return { native: round("wasm", "native"), node: round("tensorflow") };
  } catch {
    return null;
  }
}

/**
 * The automatic order: lemol's native kernels (on wasm) first where they are built, unless this
 * machine's measurement found tfjs-node faster; tfjs-node first otherwise; cpu last.
 */
export function autoOrder(nativeBuilt: boolean, measured: MeasuredSpeed | null): BackendName[] {
  const nodeFaster = measured?.node !== undefined && measured.native !== undefined && measured.node < measured.native;
  return nativeBuilt && !nodeFaster ? ["wasm", "tensorflow", "cpu"] : ["tensorflow", "wasm", "cpu"];
}

async function choose(preferred?: string): Promise<BackendInfo> {
  tf.env().set("PROD", true); // no debug checks, no "install tfjs-node" banner
  const fromOption = preferred !== undefined;
  const request = preferred ?? process.env.LEMOL_BACKEND ?? "auto";
  const skipped: BackendInfo["skipped"] = [];
  let order: BackendName[];
  if (request === "auto" || request === "") order = autoOrder(nativeAvailable(), measuredHere());
  else {
    const name = ALIASES[request];
    if (!name) {
      pending = null;
      throw new BackendError(`unknown backend "${request}" (${fromOption ? "option" : "LEMOL_BACKEND"}); expected node, wasm or cpu`);
    }
    order = [name];
  }
  for (const name of order) {
    const problem = await tryBackend(name);
    if (problem === null) {
      activateNative();
      const native = nativeStatus();
      chosen = {
        name,
        tfjsVersion: tf.version_core,
        ...(name === "wasm" ? { wasmSimd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), wasmThreads: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") } : {}),
        skipped,
        requested: request === "auto" || request === "" ? "auto" : fromOption ? `option:${request}` : `LEMOL_BACKEND=${request}`,
        kernels: native.active ? `native (${native.isa})` : "composite",
        ...(native.active ? {} : { nativeReason: native.reason }),
      };
      return chosen;
    }
    skipped.push({ name, reason: problem });
  }
  pending = null;
  throw new BackendError(`no usable tfjs backend: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
}

/**
 * The memory (GiB) a backend's tensors can use in all, where it is less than the machine's: the
 * wasm backend's heap is a 32-bit WebAssembly memory, at most 4 GiB, and grows by copying itself,
 * so lemol counts half of it as usable for the networks' weights and their optimiser state.
 * Null for the backends whose tensors live in the process's own memory.
 */
export function usableHeapGiB(info: BackendInfo): number | null {
  return info.name === "wasm" ? 2 : null;
}

/** The backend chosen so far, or null before {@link initBackend} has finished. */
export function backendInfo(): BackendInfo | null {
  return chosen;
}

/** Throws unless {@link initBackend} has completed (tensor work before it would use an arbitrary backend). */
export function requireBackend(): BackendInfo {
  if (!chosen) throw new BackendError("call `await initBackend()` before creating networks or training");
  return chosen;
}
