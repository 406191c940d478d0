/**
 * Slicing on tfjs-backend-wasm without copying the whole input each time.
 *
 * The wasm backend's Slice reads its input with `readSync`, which copies the entire tensor out of
 * the wasm heap (`HEAPU8.slice`) before taking the slice, and its Unpack and SplitV slice once per
 * output: unstacking a [B, T, D] sequence along time copies it T times (an LSTM's forward and
 * backward pass do this for every chunk: a fifth of opponent-model training's time went there,
 * and more in the garbage collector). These kernels read the input through a view of the heap and
 * copy only what the outputs hold. Pure data movement: the numbers are the same.
 *
 * Registered for the wasm backend by `initBackend` (`useHeapViewSlicing`); strings keep tfjs's
 * kernels.
 */
import * as tf from "@tensorflow/tfjs-core";

/** The slice of tfjs-backend-wasm's backend object used here. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Numeric = Float32Array | Int32Array | Uint8Array;

/**
 * Copies x[begin : begin + size] (x of `shape`, row-major) into `out`. Trailing axes taken whole
 * are merged into one contiguous run, so each run is one `set` (or a short loop).
 */
export function copySlice(x: Numeric, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Numeric): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  // the innermost axis at which the slice stops being contiguous
  let inner = rank - 1;
  let run = size[rank - 1];
  while (inner > 0 && begin[inner] === 0 && size[inner] === shape[inner]) {
    inner--;
    run *= size[inner];
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  // offsets of the runs: every index over the axes before `inner`, then begin[inner]
  const outer = size.slice(0, inner);
  const runs = outer.reduce((n, s) => n * s, 1);
  const index = new Array<number>(inner).fill(0);
  let o = 0;
  for (let r = 0; r < runs; r++) {
    let off = begin[inner] * strides[inner];
    for (let a = 0; a < inner; a++) off += (begin[a] + index[a]) * strides[a];
    if (run >= 64) out.set(x.subarray(off, off + run), o);
    else for (let k = 0; k < run; k++) out[o + k] = x[off + k];
    o += run;
    for (let a = inner - 1; a >= 0; a--) {
      if (++index[a] < outer[a]) break;
      index[a] = 0;
    }
  }
}

/** Consecutive slices of x along `axis`, `sizes[i]` wide (Unpack: each 1 wide, its axis dropped). */
function alongAxis(x: tf.TensorInfo, be: WasmBackend, axis: number, sizes: readonly number[], dropAxis: boolean): tf.TensorInfo[] {
  const shapeOf = (s: number) => x.shape.map((n, k) => (k === axis ? s : n));
  // outputs are made first: allocating may grow the wasm memory and detach views taken before
  const outs = sizes.map((s) => be.makeOutput(dropAxis ? x.shape.filter((_, k) => k !== axis) : shapeOf(s), x.dtype));
  const xs = be.typedArrayFromHeap(x);
  const begin = new Array<number>(x.shape.length).fill(0);
  outs.forEach((out, i) => {
    copySlice(xs, x.shape, begin, shapeOf(sizes[i]), be.typedArrayFromHeap(out));
    begin[axis] += sizes[i];
  });
  return outs;
}

let registered = false;

/** Replaces the wasm backend's Slice, Unpack and SplitV kernels with ones reading heap views (idempotent). */
export function useHeapViewSlicing(): void {
  if (registered) return;
  registered = true;
  const original = new Map<string, tf.KernelFunc>();
  for (const name of [tf.Slice, tf.Unpack, tf.SplitV]) {
    const k = tf.getKernel(name, "wasm");
    if (!k) continue;
    original.set(name, k.kernelFunc);
    tf.unregisterKernel(name, "wasm");
  }
  // (only kernels tfjs-wasm has are replaced: strings fall back to the original)
  const register = (name: string, body: (x: tf.TensorInfo, be: WasmBackend, attrs: tf.NamedAttrMap) => tf.TensorInfo | tf.TensorInfo[]) =>
    original.has(name) &&
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc: (args) => {
        const x = (args.inputs.x ?? args.inputs.value) as tf.TensorInfo;
        if (x.dtype === "string") return original.get(name)!(args);
        return body(x, args.backend as unknown as WasmBackend, args.attrs ?? {});
      },
    });

  // (the output is made before the views are taken: see alongAxis)
  register(tf.Slice, (x, be, attrs) => {
    const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    const out = be.makeOutput(s, x.dtype);
    copySlice(be.typedArrayFromHeap(x), x.shape, b, s, be.typedArrayFromHeap(out));
    return out;
  });
  register(tf.Unpack, (x, be, attrs) => {
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    return alongAxis(x, be, axis, new Array<number>(x.shape[axis]).fill(1), true);
  });
  register(tf.SplitV, (x, be, attrs) => {
    const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const a = tf.util.parseAxisParam(axis, x.shape)[0];
    return alongAxis(x, be, a, tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a), false);
  });
}
