// lemol's native kernels: the hot arithmetic of training small MLPs at batch ~1024, on float32
// arrays handed over from JavaScript (views into the tfjs wasm heap). Built by node-gyp at install;
// when it is absent the TypeScript composite kernels do the same work through tfjs ops.
//
// Exports (all synchronous, no allocation after warm-up):
//   isa()                                    "avx512" | "avx2" | "generic": the GEMM variant in use
//   adamVariant()                            "integer" | "converted": Adam's exact double lanes (fasterAdam)
//   gemm(A, B, C, M, K, N, transA, acc)      C = A·B or Aᵀ·B (+C), row-major
//   mlpForward(x, B, params[], outs[])       h_l = relu(h_{l-1}·W_l + b_l), last layer linear (outs: every
//                                            layer's output, or the last's alone)
//   mlpBackward(x, B, acts[], dOut, params[], grads[] | null, dx | null)
//   adam(param, m, v, grad, lrT, beta1, beta2, eps, clip)   TF1 Adam with clip_by_norm, in place
//   adamAll(params[], m[], v[], grads[], ...)   adam on each variable of an optimiser step
//   polyak(targets[], onlines[], tau)        target = (1 - tau)·target + tau·online, in place, each pair
//   concatColumns(inputs[], B, out)          [B, n1] ‖ [B, n2] ‖ ... → [B, Σn]
//   sliceColumns(x, B, start, out, into?)    out = x's columns [start, start + w) (into: the other way)
//   softmaxRows(x, noise | null, B, out, exact?)  row-wise softmax(x + noise)
//   fillGumbel(state, out, n, exact?)        Gumbel noise from lemol's xoshiro128** stream
//   fillIndex(state, n, out)                 replay indices as Rng.int(n) draws them
//   gatherRows(data, stride, size, index, segments, outs)   a batch's rows from a replay buffer
//   criticTrain(...), actorTrain(...)        the fused MADDPG update's critic and actor steps (maddpg-fused.ts)
//   hugeFloats(n)                            a Float32Array in transparent huge pages (replay buffers)
//   criticGlue(...), actorGlue(...)          the fused update's glue alone (checked against agents/maddpg-maths.ts)
//   gemmLog(on)                              the GEMMs issued since the last call (benchmarks)
//   lstmForward(...), lstmBackward(...)      the opponent model's LSTM over a chunk and back through time (om_lstm.cc)
//   lstmStepZ(x, xOff, D, K, R, b, h, z)     its play-time step's gate pre-activations, TypeScript's bits (om_play.cc)
// One file per kernel family, kernels.h what they share (and the list of exports, LEMOL_EXPORTS);
// this file binds them when the addon loads.
#include <node_api.h>

#include "kernels.h"

namespace lemol {
namespace {

napi_value Init(napi_env env, napi_value exports) {
  choose_isa();
  struct {
    const char* name;
    napi_callback fn;
  } fns[] = {
#define LEMOL_BIND_EXPORT(name, fn) {#name, fn},
      LEMOL_EXPORTS(LEMOL_BIND_EXPORT)
#undef LEMOL_BIND_EXPORT
  };
  for (auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}

}  // namespace
}  // namespace lemol

NAPI_MODULE(NODE_GYP_MODULE_NAME, lemol::Init)
