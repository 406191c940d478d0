// MLP passes over row blocks: forward (bias and ReLU in the GEMM's epilogue), backward (weight and
// bias gradients, the input's gradient), written once for mlpForward/mlpBackward and the fused
// update's steps (fused_update.cc).
#include <cstring>
#include <vector>
#include "kernels.h"

namespace lemol {

Scratch scratchA, scratchB, scratchT;
Scratch paramsFirst, paramsSecond;
Scratch scratchIn, scratchIn2;

// Copies of a network's parameters, each from a cache line, taken once per pass: the weights'
// views of the wasm heap sit at any multiple of 8 bytes, and a GEMM's vector loads from them split
// across two lines (a critic or actor step ran ~3 % slower on them than on aligned copies; a copy
// of a network is ~1 µs).
std::vector<F32> alignedParams(const std::vector<F32>& params, Scratch& store) {
  size_t size = 0;
  for (const F32& q : params) size += (q.length + 15) / 16 * 16;
  float* p = grow(store, size);
  std::vector<F32> out(params.size());
  for (size_t i = 0; i < params.size(); i++) {
    std::memcpy(p, params[i].data, params[i].length * sizeof(float));
    out[i].data = p, out[i].length = params[i].length;
    p += (params[i].length + 15) / 16 * 16;
  }
  return out;
}

// MLP passes over one row block (see ROW_BLOCK), written once for mlpForward/mlpBackward and the
// fused update steps. n: layer sizes; a block's layer l has rows × n[l] floats, rows contiguous.

// outs[l] = layer l's output for the block (ReLU on hidden layers, the last linear)
void forwardBlock(const std::vector<F32>& params, const std::vector<int>& n, const float* in, int rows, float* const* outs) {
  const size_t L = n.size() - 1;
  for (size_t l = 0; l < L; l++) {
    const int m = n[l + 1];
    Epilogue e;
    e.bias = params[2 * l + 1].data;  // starts from the bias, as a copy of it into the output would
    e.relu = l + 1 < L;               // hidden layers
    gemm_nn_unlogged(in, n[l], params[2 * l].data, m, outs[l], m, rows, n[l], m, false, e);
    in = outs[l];
  }
}

// A block's dz (the output layer's gradient) down the layers through two scratch buffers: the
// weight and bias gradients summed into grads (acc: continuing earlier blocks' sums, each element
// the same chain over the rows in order as over the whole batch), dx = the input's gradient.
// acts: the block's hidden outputs; wts: the kernels' transposes (transposes()).
void backwardBlock(const std::vector<int>& n, const float* x, int rows, const float* const* acts, const float* dz, std::vector<F32>* grads, bool acc, float* dx,
                   const std::vector<float*>& wts, float* const bufs[2]) {
  const size_t L = n.size() - 1;
  int next = 0;
  for (size_t li = L; li-- > 0;) {
    const int nin = n[li], nout = n[li + 1];
    const float* in = li == 0 ? x : acts[li - 1];
    if (grads) {
      gemm_tn_unlogged(in, nin, dz, nout, (*grads)[2 * li].data, nout, rows, nin, nout, acc);
      columnSums(dz, rows, nout, (*grads)[2 * li + 1].data, acc);
    }
    if (li > 0 || dx) {
      float* dIn = li == 0 ? dx : bufs[next];
      Epilogue e;
      if (li > 0) e.mask = in;  // ReLU'(h), h = this layer's input
      gemm_nn_unlogged(dz, nout, wts[li], nin, dIn, nin, rows, nout, nin, false, e);
      if (li > 0) {
        dz = dIn;
        next ^= 1;
      }
    }
  }
}

// The kernels' transposes, once per pass (dIn = dz·Wᵀ reads Wᵀ as a row-major matrix), into
// `store`; the first layer's only when the input's gradient is wanted.
std::vector<float*> transposes(const std::vector<F32>& params, const std::vector<int>& n, bool wantDx, Scratch& store) {
  const size_t L = n.size() - 1;
  size_t size = 0;
  for (size_t li = wantDx ? 0 : 1; li < L; li++) size += (size_t)n[li] * n[li + 1];
  float* WT = grow(store, size);
  std::vector<float*> wts(L, nullptr);
  for (size_t li = wantDx ? 0 : 1, at = 0; li < L; li++) {
    const int nin = n[li], nout = n[li + 1];
    const float* W = params[2 * li].data;
    wts[li] = WT + at;
    kernels.transpose(W, nin, nout, wts[li]);
    at += (size_t)nin * nout;
  }
  return wts;
}

// The widest of a network's layers.
int widest(const std::vector<int>& n) {
  int w = 0;
  for (int s : n) w = s > w ? s : w;
  return w;
}

// Two scratch buffers for a block's layer outputs (`width`: the widest layer; the largest block).
void blockBuffers(int width, float* bufs[2]) {
  bufs[0] = grow(scratchA, (size_t)2 * ROW_BLOCK * width);
  bufs[1] = grow(scratchB, (size_t)2 * ROW_BLOCK * width);
}

// The GEMMs of a whole-batch forward and backward pass, for gemmLog (as mlpForward/mlpBackward log them).
void logForward(int B, const std::vector<int>& n) {
  for (size_t l = 0; l + 1 < n.size(); l++) logGemm(B, n[l], n[l + 1], false);
}
void logBackward(int B, const std::vector<int>& n, bool wantGrads, bool wantDx) {
  for (size_t li = n.size() - 1; li-- > 0;) {
    if (wantGrads) logGemm(B, n[li], n[li + 1], true);
    if (li > 0 || wantDx) logGemm(B, n[li + 1], n[li], false);
  }
}

// mlpForward(x, B, params[], outs[]): outs = [h_1, ..., h_{L-1}, out], or [out]; x whole or as column parts
napi_value MlpForward(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!args(env, info, a, 4)) return nullptr;
  Columns x;
  int B;
  std::vector<F32> params, outs;
  std::vector<int> n;
  if (!getInt(env, a[1], &B, "B") || !getColumns(env, a[0], B, &x, "x") || !getF32List(env, a[2], &params, "params") || !getF32List(env, a[3], &outs, "outs"))
    return nullptr;
  if (!layerSizes(env, params, &n)) return nullptr;
  size_t L = n.size() - 1;
  // [out] alone: the hidden layers go through two block-sized scratch buffers that stay in L1
  // (a pass with no backward after it need not store them: 0.5 MB of writes at batch 1024)
  const bool outOnly = outs.size() == 1 && L > 1;
  if (outs.size() != L && !outOnly) return fail(env, "outs: one array per layer, or the output's alone, expected"), nullptr;
  if (x.width != n[0]) return fail(env, "x: wrong size"), nullptr;
  for (size_t l = outOnly ? L - 1 : 0; l < L; l++)
    if (outs[outOnly ? 0 : l].length != (size_t)B * n[l + 1]) return fail(env, "outs: wrong size"), nullptr;
  logForward(B, n);
  float* bufs[2] = {nullptr, nullptr};
  if (outOnly) blockBuffers(widest(n), bufs);
  const std::vector<F32> aligned = alignedParams(params, paramsFirst);
  float* in = grow(scratchIn, (size_t)2 * ROW_BLOCK * n[0]);
  std::vector<float*> o(L);
  for (int i0 = 0; i0 < B;) {
    const int rows = blockRows(i0, B);
    for (size_t l = 0; l < L; l++) o[l] = !outOnly ? outs[l].data + (size_t)i0 * n[l + 1] : l + 1 < L ? bufs[l % 2] : outs[0].data + (size_t)i0 * n[L];
    forwardBlock(aligned, n, x.rows(i0, rows, in), rows, o.data());
    i0 += rows;
  }
  return nullptr;
}

// mlpBackward(x, B, acts[], dOut, params[], grads[] | null, dx | null)
// acts = [h_1, ..., h_{L-1}] (ReLU outputs); grads = [dW_0, db_0, ...]
napi_value MlpBackward(napi_env env, napi_callback_info info) {
  napi_value a[7];
  if (!args(env, info, a, 7)) return nullptr;
  F32 x, dOut, dx;
  int B;
  std::vector<F32> acts, params, grads;
  std::vector<int> n;
  if (!getF32(env, a[0], &x, "x") || !getInt(env, a[1], &B, "B") || !getF32List(env, a[2], &acts, "acts") || !getF32(env, a[3], &dOut, "dOut") ||
      !getF32List(env, a[4], &params, "params"))
    return nullptr;
  bool wantGrads = !isNull(env, a[5]);
  bool wantDx = !isNull(env, a[6]);
  if (wantGrads && !getF32List(env, a[5], &grads, "grads")) return nullptr;
  if (wantDx && !getF32(env, a[6], &dx, "dx")) return nullptr;
  if (!layerSizes(env, params, &n)) return nullptr;
  size_t L = n.size() - 1;
  if (acts.size() != L - 1) return fail(env, "acts: one array per hidden layer expected"), nullptr;
  for (size_t l = 0; l + 1 < L; l++)
    if (acts[l].length != (size_t)B * n[l + 1]) return fail(env, "acts: wrong size"), nullptr;
  if (wantGrads && grads.size() != params.size()) return fail(env, "grads: one array per parameter expected"), nullptr;
  if (dOut.length != (size_t)B * n[L]) return fail(env, "dOut: wrong size"), nullptr;
  if (wantDx && dx.length != (size_t)B * n[0]) return fail(env, "dx: wrong size"), nullptr;
  const std::vector<float*> wts = transposes(params, n, wantDx, scratchT);
  logBackward(B, n, wantGrads, wantDx);
  if (B == 0 && wantGrads)  // no rows: zero gradients (the block loop below writes nothing)
    for (auto& g : grads) std::memset(g.data, 0, g.length * sizeof(float));
  // row blocks (see ROW_BLOCK): the weight and bias gradients continue their sums block after block
  float* bufs[2];
  blockBuffers(widest(n), bufs);
  std::vector<const float*> h(L);
  for (int i0 = 0; i0 < B;) {
    const int rows = blockRows(i0, B);
    for (size_t l = 0; l + 1 < L; l++) h[l] = acts[l].data + (size_t)i0 * n[l + 1];
    backwardBlock(n, x.data + (size_t)i0 * n[0], rows, h.data(), dOut.data + (size_t)i0 * n[L], wantGrads ? &grads : nullptr, i0 > 0,
                  wantDx ? dx.data + (size_t)i0 * n[0] : nullptr, wts, bufs);
    i0 += rows;
  }
  return nullptr;
}

}  // namespace lemol
