/**
 * Native kernels for the wasm backend (the default): lemol's own C++ (`src/nn/native/`, built by
 * node-gyp at install) doing the hot arithmetic of training — fused MLP forward and backward
 * passes, Adam with per-variable clipping, polyak averaging, column concatenation — directly on
 * the tensors' memory in the wasm heap. They are registered as tfjs kernels, so tensors, tidy
 * and `tf.memory()` behave as usual. When the addon is missing (no compiler at install),
 * `LEMOL_NATIVE=0` is set, or another backend is active, the composite tfjs kernels are used.
 *
 * Why: tfjs-wasm computes a transposed matMul (every weight gradient) ~12x slower than a plain
 * one and concatenation in JavaScript; the native GEMM runs at ~85 GFLOP/s with AVX-512.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import type { Rng } from "../util/rng.js";
import type { MLPCache, MLPGrads, MLPKernels } from "./mlp-kernels.js";

/** The addon's kernels on plain float32 arrays (any memory: the JS heap or views of the wasm heap). */
export interface NativeKernels {
  isa(): string;
  /** How Adam computes blocks holding a subnormal (the same bits either way): whichever was faster when the addon loaded, or `$LEMOL_NATIVE_ADAM`. */
  adamVariant(): "integer" | "converted";
  gemm(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number, transA: boolean, acc: boolean): void;
  /**
   * `x`: the input, or its column parts (B rows each, side by side: each block's rows are put
   * together in scratch, the concatenation is never stored). `outs`: every layer's output (for a
   * backward pass), or `[out]` alone (the hidden layers then stay in cache-sized scratch).
   */
  mlpForward(x: Float32Array | Float32Array[], B: number, params: Float32Array[], outs: Float32Array[]): void;
  mlpBackward(
    x: Float32Array,
    B: number,
    acts: Float32Array[],
    dOut: Float32Array,
    params: Float32Array[],
    grads: Float32Array[] | null,
    dx: Float32Array | null,
  ): void;
  adam(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, lrT: number, b1: number, b2: number, eps: number, clip: number): void;
  /** `adam` on each variable of an optimiser step in turn (the clip norms' sums computed side by side first). */
  adamAll(
    p: Float32Array[],
    m: Float32Array[],
    v: Float32Array[],
    g: readonly Float32Array[],
    lrT: number,
    b1: number,
    b2: number,
    eps: number,
    clip: number,
  ): void;
  /** target = (1 − tau)·target + tau·online in place, for each pair (a network's variables in one call). */
  polyak(targets: Float32Array[], onlines: Float32Array[], tau: number): void;
  concatColumns(inputs: Float32Array[], B: number, out: Float32Array): void;
  fillGumbel(state: Uint32Array, out: Float32Array, n: number, exact?: boolean): void;
  fillIndex(state: Uint32Array, n: number, out: Int32Array): void;
  /** `exact`: glibc's expf element by element instead of the vectorised one that defers to it (tests). */
  softmaxRows(x: Float32Array, noise: Float32Array | null, B: number, out: Float32Array, exact?: boolean): void;
  /** out = x's columns [start, start + width); `into`: the other way, x's columns = out. */
  sliceColumns(x: Float32Array, B: number, start: number, out: Float32Array, into?: boolean): void;
  gatherRows(data: Float32Array, stride: number, size: number, index: Int32Array, segments: Int32Array, outs: Float32Array[]): void;
  prefetchRows(data: Float32Array, stride: number, size: number, index: Int32Array): void;
  gemmLog(on: boolean): Int32Array;
  /**
   * The fused update's critic step as one pass over row blocks (x whole or as column parts, as in
   * mlpForward): q = Q(x), then the TD target y,
   * grad and stats, then the critic's backward pass for `grad` (weight gradients into `grads`).
   * The tfjs path's numbers bit for bit.
   */
  criticTrain(
    x: Float32Array | Float32Array[],
    B: number,
    params: Float32Array[],
    grads: Float32Array[],
    rew: Float32Array,
    done: Float32Array,
    qNext: Float32Array,
    gamma: number,
    twoOverB: number,
    q: Float32Array,
    y: Float32Array,
    grad: Float32Array,
    stats: Float32Array,
  ): void;
  /**
   * The fused update's actor step as one pass over row blocks: logits = π(actorIn), sample =
   * softmax(logits + noise) in place of criticIn's columns [column, column + P) (criticIn is not
   * changed; both inputs whole or as column parts), qs = Q(criticIn),
   * the critic's input gradient for dQ = dq, the Gumbel-softmax backward into the logits' gradient, the actor's backward pass
   * (weight gradients into `actorGrads`). Returns the actor's loss; the tfjs path's numbers bit for bit.
   */
  actorTrain(
    actorIn: Float32Array | Float32Array[],
    B: number,
    actorParams: Float32Array[],
    actorGrads: Float32Array[],
    noise: Float32Array,
    criticIn: Float32Array | Float32Array[],
    column: number,
    criticParams: Float32Array[],
    dq: number,
    reg: number,
    regGrad: number,
    logits: Float32Array,
    sample: Float32Array,
    qs: Float32Array,
  ): number;
  /**
   * criticTrain's float32 glue alone over B rows: y = r + γ(1 − done)·Q', grad = (Q − y)·twoOverB,
   * stats = [mean (Q − y)², mean Q, mean y, std y, mean r, mean Q'] (checked against
   * agents/maddpg-maths.ts before the fused update is used).
   */
  criticGlue(
    rew: Float32Array,
    done: Float32Array,
    qNext: Float32Array,
    q: Float32Array,
    gamma: number,
    twoOverB: number,
    y: Float32Array,
    grad: Float32Array,
    stats: Float32Array,
  ): void;
  /**
   * actorTrain's float32 glue alone over B rows of P: dLogits = s ⊙ (dSample − Σ_row dSample ⊙ s)
   * + regGrad·logits; returns −mean qs + reg·mean(logits²) (checked against agents/maddpg-maths.ts).
   */
  actorGlue(logits: Float32Array, sample: Float32Array, dSample: Float32Array, qs: Float32Array, reg: number, regGrad: number, dLogits: Float32Array): number;
  /** A zero-filled Float32Array of n floats in transparent huge pages (replay buffers: fewer TLB misses); null where the mapping fails. */
  hugeFloats(n: number): Float32Array | null;
}

/** The slice of tfjs-backend-wasm's backend object the kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  /** The wasm module: its heap's buffer (replaced when the heap grows). */
  wasm: { HEAPU8: Uint8Array };
}

export interface NativeStatus {
  /** The addon is built and loadable. */
  available: boolean;
  /** The kernels are in use (addon available, wasm backend active, not disabled). */
  active: boolean;
  /** GEMM variant: `avx512`, `avx2` or `generic`. */
  isa?: string;
  /** Why the kernels are not in use. */
  reason?: string;
}

let addon: NativeKernels | null = null;
let loadProblem: string | null = null;
let active = false;
let registered = false;

function load(): NativeKernels | null {
  if (addon || loadProblem) return addon;
  if (process.env.LEMOL_NATIVE === "0") {
    loadProblem = "disabled by LEMOL_NATIVE=0";
    return null;
  }
  try {
    // src/nn/native-kernels.ts and dist/nn/native-kernels.js both sit two levels below the package root
    addon = createRequire(import.meta.url)("../../build/Release/lemol_native.node") as NativeKernels;
  } catch (err) {
    loadProblem = `addon not built (${(err as Error).message.split("\n")[0]}); run \`node scripts/build-native.mjs\``;
  }
  return addon;
}

/** Whether the addon is built and loads (whatever the backend). */
export function nativeAvailable(): boolean {
  return load() !== null;
}

/** Whether the native kernels are in use now. */
export function nativeActive(): boolean {
  return active;
}

export function nativeStatus(): NativeStatus {
  const a = load();
  if (!a) return { available: false, active: false, reason: loadProblem ?? "unavailable" };
  return {
    available: true,
    active,
    isa: a.isa(),
    ...(active ? {} : { reason: tf.getBackend() === "wasm" ? "not activated" : `backend "${tf.getBackend()}" is not wasm` }),
  };
}

/**
 * Turns the native kernels on for the current backend if possible (called by `initBackend`).
 * Returns whether they are active.
 */
export function activateNative(): boolean {
  active = false;
  const a = load();
  if (!a || tf.getBackend() !== "wasm") return false;
  if (!registered) {
    registerKernels(a);
    registerSmallKernels(a);
    registerGradients();
    registered = true;
  }
  active = true;
  return true;
}

/** Turns the native kernels off (the composite kernels take over); for comparisons and tests. */
export function deactivateNative(): void {
  active = false;
}

const FORWARD = "LemolMLPForward";
const BACKWARD = "LemolMLPBackward";
const CONCAT = "LemolConcatColumns";
const SOFTMAX = "LemolSoftmaxRows";
const SLICE = "LemolSliceColumns";
const MATMUL = "LemolMatMul";

/** Registers a wasm-backend kernel whose body gets the backend as {@link WasmBackend}. */
function wasmKernel(name: string, body: (inputs: tf.NamedTensorInfoMap, be: WasmBackend, attrs: tf.NamedAttrMap) => tf.TensorInfo | tf.TensorInfo[]): void {
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => body(inputs, backend as unknown as WasmBackend, attrs ?? {}),
  });
}

function registerKernels(a: NativeKernels): void {
  wasmKernel(FORWARD, (inputs, be, attrs) => {
    const L = (attrs as { layers: number }).layers;
    const x = inputs.x as tf.TensorInfo;
    const params = Array.from({ length: 2 * L }, (_, k) => inputs[`p${k}`] as tf.TensorInfo);
    const B = x.shape[0];
    // allocate first: allocation may grow the wasm memory and detach earlier views
    const outs = params.filter((_, k) => k % 2 === 1).map((b) => be.makeOutput([B, b.shape[0]], "float32"));
    a.mlpForward(
      be.typedArrayFromHeap(x),
      B,
      params.map((p) => be.typedArrayFromHeap(p)),
      outs.map((o) => be.typedArrayFromHeap(o)),
    );
    return outs;
  });
  wasmKernel(BACKWARD, (inputs, be, attrs) => {
    const { layers: L, grads: wantGrads, dx: wantDx } = attrs as { layers: number; grads: boolean; dx: boolean };
    const x = inputs.x as tf.TensorInfo;
    const dOut = inputs.dOut as tf.TensorInfo;
    const acts = Array.from({ length: L - 1 }, (_, k) => inputs[`a${k}`] as tf.TensorInfo);
    const params = Array.from({ length: 2 * L }, (_, k) => inputs[`p${k}`] as tf.TensorInfo);
    const B = x.shape[0];
    const grads = wantGrads ? params.map((p) => be.makeOutput([...p.shape], "float32")) : [];
    const dx = wantDx ? be.makeOutput([B, x.shape[1]], "float32") : null;
    const view = (t: tf.TensorInfo) => be.typedArrayFromHeap(t);
    a.mlpBackward(view(x), B, acts.map(view), view(dOut), params.map(view), wantGrads ? grads.map(view) : null, dx ? view(dx) : null);
    return dx ? [...grads, dx] : grads;
  });
  wasmKernel(CONCAT, (inputs, be, attrs) => {
    const n = (attrs as { n: number }).n;
    const ins = Array.from({ length: n }, (_, k) => inputs[`t${k}`] as tf.TensorInfo);
    const B = ins[0].shape[0];
    const out = be.makeOutput([B, ins.reduce((s, t) => s + t.shape[1], 0)], "float32");
    a.concatColumns(
      ins.map((t) => be.typedArrayFromHeap(t)),
      B,
      be.typedArrayFromHeap(out),
    );
    return out;
  });
}

function registerSmallKernels(a: NativeKernels): void {
  wasmKernel(SOFTMAX, (inputs, be) => {
    const x = inputs.x as tf.TensorInfo;
    const noise = (inputs.noise as tf.TensorInfo | undefined) ?? null;
    const out = be.makeOutput([...x.shape], "float32");
    a.softmaxRows(be.typedArrayFromHeap(x), noise ? be.typedArrayFromHeap(noise) : null, x.shape[0], be.typedArrayFromHeap(out));
    return out;
  });
  wasmKernel(MATMUL, (inputs, be) => {
    const x = inputs.x as tf.TensorInfo;
    const w = inputs.w as tf.TensorInfo;
    const [M, K] = x.shape;
    const N = w.shape[1];
    if (w.shape[0] !== K) throw new Error(`matMul: inner sizes differ ([${x.shape}] · [${w.shape}])`);
    const out = be.makeOutput([M, N], "float32");
    a.gemm(be.typedArrayFromHeap(x), be.typedArrayFromHeap(w), be.typedArrayFromHeap(out), M, K, N, false, false);
    return out;
  });
  wasmKernel(SLICE, (inputs, be, attrs) => {
    const { start, width } = attrs as { start: number; width: number };
    const x = inputs.x as tf.TensorInfo;
    const out = be.makeOutput([x.shape[0], width], "float32");
    a.sliceColumns(be.typedArrayFromHeap(x), x.shape[0], start, be.typedArrayFromHeap(out));
    return out;
  });
}

/**
 * Gradients of the native kernels, so that `tf.grads` and `tf.variableGrads` go through them
 * (the MLP's passes have theirs in {@link mlpForwardDifferentiable}). Products with weights use
 * the native GEMM on a fresh transposed tensor: tfjs-wasm caches a packed copy of a matMul's
 * second operand per tensor id, and weights change in place.
 */
function registerGradients(): void {
  tf.registerGradient({
    kernelName: MATMUL,
    inputsToSave: ["x", "w"],
    gradFunc: (dy, saved) => {
      const [x, w] = saved as tf.Tensor2D[];
      return { x: () => nativeMatMul(dy as tf.Tensor2D, tf.transpose(w)), w: () => nativeMatMul(tf.transpose(x), dy as tf.Tensor2D) };
    },
  });
  tf.registerGradient({
    kernelName: SLICE,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const { start, width } = attrs as unknown as { start: number; width: number };
      const cols = saved[0].shape[1]!;
      return {
        x: () =>
          tf.pad(dy as tf.Tensor2D, [
            [0, 0],
            [start, cols - start - width],
          ]),
      };
    },
  });
  tf.registerGradient({
    kernelName: CONCAT,
    gradFunc: (dy, _saved, attrs) => {
      const widths = (attrs as unknown as { widths: number[] }).widths;
      const grads: Record<string, () => tf.Tensor> = {};
      let off = 0;
      widths.forEach((w, k) => {
        const start = off;
        grads[`t${k}`] = () => nativeSliceColumns(dy as tf.Tensor2D, start, w);
        off += w;
      });
      return grads;
    },
  });
  tf.registerGradient({
    kernelName: SOFTMAX,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      // y = softmax(x + noise): dx = dnoise = y ⊙ (dy − Σ dy ⊙ y)
      const y = saved[0] as tf.Tensor2D;
      const d = () => tf.mul(y, tf.sub(dy as tf.Tensor2D, tf.sum(tf.mul(dy as tf.Tensor2D, y), 1, true)));
      return { x: d, noise: d };
    },
  });
}

/** a [M, K] · b [K, N], as one native kernel (reads w's memory on every call; see ops.matMulWeights). */
export function nativeMatMul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return tf.engine().runKernel(MATMUL, { x, w }, {}) as tf.Tensor2D;
}

/** softmax(x + noise) per row (noise optional), as one native kernel. */
export function nativeSoftmaxRows(x: tf.Tensor2D, noise?: tf.Tensor2D): tf.Tensor2D {
  return tf.engine().runKernel(SOFTMAX, noise ? { x, noise } : { x }, {}) as tf.Tensor2D;
}

/** Columns [start, start + width) of x, as one native kernel. */
export function nativeSliceColumns(x: tf.Tensor2D, start: number, width: number): tf.Tensor2D {
  return tf.engine().runKernel(SLICE, { x }, { start, width } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

function paramMap(params: readonly tf.Tensor[], into: tf.NamedTensorMap): tf.NamedTensorMap {
  params.forEach((p, k) => (into[`p${k}`] = p));
  return into;
}

function backward(cache: MLPCache, dOut: tf.Tensor2D, params: readonly tf.Tensor[], grads: boolean, dx: boolean): MLPGrads {
  const L = params.length / 2;
  const inputs: tf.NamedTensorMap = { x: cache.activations[0], dOut };
  for (let k = 1; k < cache.activations.length; k++) inputs[`a${k - 1}`] = cache.activations[k];
  const out = tf.engine().runKernel(BACKWARD, paramMap(params, inputs), { layers: L, grads, dx } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { params: grads ? out.slice(0, 2 * L) : [], input: dx ? (out[out.length - 1] as tf.Tensor2D) : null };
}

function mlpForward(x: tf.Tensor2D, params: readonly tf.Tensor[]): MLPCache {
  const L = params.length / 2;
  const outs = tf.engine().runKernel(FORWARD, paramMap(params, { x }), { layers: L } as unknown as tf.NamedAttrMap) as tf.Tensor2D[];
  return { activations: [x, ...outs.slice(0, L - 1)], out: outs[L - 1] };
}

/** Whether tfjs is recording operations for a gradient (inside `tf.grads`, `tf.variableGrads`). */
function recording(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}

/**
 * The forward pass under autodiff: the same kernel, its gradient the native backward pass (a
 * custom gradient, as the kernel's inputs vary in number). Only `out` is differentiable.
 */
function mlpForwardDifferentiable(x: tf.Tensor2D, params: readonly tf.Tensor[]): MLPCache {
  let activations: tf.Tensor2D[] = [];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [xi, ...ps] = args as tf.Tensor[];
    const cache = mlpForward(xi as tf.Tensor2D, ps);
    activations = cache.activations;
    save([xi, ...ps, ...cache.activations.slice(1)]);
    return {
      value: cache.out,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const n = ps.length;
        const g = backward(
          { activations: [saved[0] as tf.Tensor2D, ...(saved.slice(n + 1) as tf.Tensor2D[])], out: cache.out },
          dy as tf.Tensor2D,
          saved.slice(1, n + 1),
          true,
          true,
        );
        return [g.input!, ...g.params];
      },
    };
  });
  const out = f(x, ...params) as tf.Tensor2D;
  return { activations, out };
}

/** MLP kernels backed by the addon (valid while {@link nativeActive}). */
export const nativeMLPKernels: MLPKernels = {
  name: "native",
  forward: (x, params) => (recording() ? mlpForwardDifferentiable(x, params) : mlpForward(x, params)),
  backward: (cache, dOut, params, inputGrad) => backward(cache, dOut, params, true, inputGrad),
  inputGrad: (cache, dOut, params) => backward(cache, dOut, params, false, true).input!,
};

/**
 * A tensor's float32 data as a view of the wasm heap, kept per tensor: a view stays valid while
 * the tensor keeps its data (a variable's assign gives it new data) and the heap keeps its buffer
 * (a grown heap has a new one). The update takes ~200 views a round; making each anew cost ~15 µs.
 */
const heapCache = new WeakMap<tf.Tensor, { dataId: object; view: Float32Array }>();
function heap(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as WasmBackend;
  const cached = heapCache.get(t);
  if (cached && cached.dataId === t.dataId && cached.view.buffer === backend.wasm.HEAPU8.buffer) return cached.view;
  const view = backend.typedArrayFromHeap(t);
  heapCache.set(t, { dataId: t.dataId, view });
  return view;
}

/** The addon's kernels while they are active (for updates written over plain arrays), else null. */
export function nativeKernels(): NativeKernels | null {
  return active ? addon : null;
}

/**
 * Views of the tensors' memory in the wasm heap, written to in place by the native kernels. Valid
 * until the wasm memory next grows (any tfjs allocation may grow it): take them fresh per use.
 */
export function heapViews(ts: readonly tf.Tensor[], into: Float32Array[] = []): Float32Array[] {
  into.length = ts.length;
  for (let k = 0; k < ts.length; k++) into[k] = heap(ts[k]);
  return into;
}

/** TF1 Adam with clip_by_norm, in place on the variables' memory (clip <= 0: none). */
export function nativeAdam(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, lrT: number, b1: number, b2: number, eps: number, clip: number): void {
  addon!.adam(heap(p), heap(m), heap(v), heap(g), lrT, b1, b2, eps, clip);
}

const adamViews = { p: [] as Float32Array[], m: [] as Float32Array[], v: [] as Float32Array[] };

/** One Adam step's constants: the bias-corrected rate, the moments' decays, epsilon and the clip norm (0: none). */
export interface AdamStep {
  lrT: number;
  b1: number;
  b2: number;
  eps: number;
  clip: number;
}

/** {@link nativeAdam} on every variable of an optimiser step, the gradients in plain arrays (one native call). */
export function nativeAdamArrays(
  p: readonly tf.Variable[],
  m: readonly tf.Variable[],
  v: readonly tf.Variable[],
  g: readonly Float32Array[],
  k: AdamStep,
): void {
  addon!.adamAll(heapViews(p, adamViews.p), heapViews(m, adamViews.m), heapViews(v, adamViews.v), g, k.lrT, k.b1, k.b2, k.eps, k.clip);
}

const polyakViews = { target: [] as Float32Array[], online: [] as Float32Array[] };

/** target ← (1 − tau)·target + tau·online, in place, for each pair of variables (one native call). */
export function nativePolyak(target: readonly tf.Variable[], online: readonly tf.Variable[], tau: number): void {
  addon!.polyak(heapViews(target, polyakViews.target), heapViews(online, polyakViews.online), tau);
}

/** [B, n1] ‖ [B, n2] ‖ ... as one native kernel. */
export function nativeConcatColumns(ts: readonly tf.Tensor2D[]): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = {};
  ts.forEach((t, k) => (inputs[`t${k}`] = t));
  return tf.engine().runKernel(CONCAT, inputs, { n: ts.length, widths: ts.map((t) => t.shape[1]) } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

const rngState = new Uint32Array(4);

/**
 * Fills `n` Gumbel(0, 1) numbers from `rng` natively (the same integer draws as the JS path;
 * `-log(-log u)` rounded to float32, as glibc's log gives it). `exact`: with glibc's log alone, not
 * the vectorised log that defers to it near a rounding boundary (the tests' reference). Returns
 * false when the addon is not loaded.
 */
export function nativeFillGumbel(rng: Rng, out: Float32Array, n: number, exact = false): boolean {
  if (!active) return false;
  rng.stateInto(rngState);
  addon!.fillGumbel(rngState, out, n, exact);
  rng.stateFrom(rngState);
  return true;
}

/**
 * Fills `out` with integers uniform in [0, n) drawn from `rng` natively, as `rng.int(n)` would draw
 * them one by one (same numbers, same stream state after). Returns false when the addon is not
 * active or n is 2^31 or more.
 */
export function nativeFillIndex(rng: Rng, n: number, out: Int32Array): boolean {
  if (!active || n >= 2 ** 31) return false;
  rng.stateInto(rngState);
  addon!.fillIndex(rngState, n, out);
  rng.stateFrom(rngState);
  return true;
}

/** The addon's GEMM on plain arrays (used by tests and benchmarks). */
export function nativeGemm(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number, transA = false, acc = false): void {
  const a = load();
  if (!a) throw new Error(`native kernels unavailable: ${loadProblem}`);
  a.gemm(A, B, C, M, K, N, transA, acc);
}

/**
 * Copies segments of the rows at `index` (rows of `stride` floats in `data`, `size` of them in
 * use) into `outs`: segment s is `segments[2s]` (offset) and `segments[2s + 1]` (width). An exact
 * copy, prefetching rows ahead (replay sampling is memory-latency bound). Returns false without
 * the addon (the caller copies in TypeScript); works on any backend.
 */
/** Smaller arrays are plain (a huge page is 2 MB; the addon rounds the mapping up to whole pages). */
const HUGE_PAGE_FLOATS = (2 << 20) / 4;

/**
 * A zero-filled Float32Array of `n` floats for a large buffer read at random rows (a replay
 * buffer): in transparent huge pages when the addon is built, so that a row costs a cache miss
 * but not also a TLB miss; a plain array otherwise. Same contents either way.
 */
export function largeFloat32Array(n: number): Float32Array {
  return (n >= HUGE_PAGE_FLOATS && load()?.hugeFloats(n)) || new Float32Array(n);
}

/** Prefetches the rows at `index` of a replay buffer's data (see prefetchRows in the addon); false without the addon. */
export function nativePrefetchRows(data: Float32Array, stride: number, size: number, index: Int32Array): boolean {
  if (!active) return false;
  addon!.prefetchRows(data, stride, size, index);
  return true;
}

export function nativeGatherRows(data: Float32Array, stride: number, size: number, index: Int32Array, segments: Int32Array, outs: Float32Array[]): boolean {
  const a = load();
  if (!a) return false;
  a.gatherRows(data, stride, size, index, segments, outs);
  return true;
}

/** A GEMM the native kernels ran: C[m×n] = op(A)·B with inner dimension k; `tn`: A transposed (weight gradients). */
export interface GemmCall {
  m: number;
  k: number;
  n: number;
  tn: boolean;
}

/**
 * Records the GEMMs the native kernels run from now on (`on`), or stops; returns those recorded
 * since the last call (null without the addon). For checking a count of FLOPs against the kernels.
 */
export function nativeGemmLog(on: boolean): GemmCall[] | null {
  const a = load();
  if (!a) return null;
  const raw = a.gemmLog(on);
  const calls: GemmCall[] = [];
  // the addon's transposed call takes (rows of A, columns of A, N): C is columns × N
  for (let i = 0; i < raw.length; i += 4)
    calls.push(raw[i + 3] ? { m: raw[i + 1], k: raw[i], n: raw[i + 2], tn: true } : { m: raw[i], k: raw[i + 1], n: raw[i + 2], tn: false });
  return calls;
}
