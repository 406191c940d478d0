// The opponent model's LSTM step in play (src/nn/lstm.ts PlainLSTM.step): the gates'
// pre-activations z = b + x·K + h·R in float64 over float32 weights, the products and sums exactly
// as the TypeScript loop takes them (each output's sum in input order, inputs that are 0 skipped,
// every product rounded before it is added: no fused multiply-add), so the numbers are the same
// bit for bit and play's predictions do not move. The gates' tanh and sigmoid stay in TypeScript
// (Math.tanh's bits are V8's own).
#pragma GCC optimize("fp-contract=off")
#include <cstring>
#include <string>

#include "kernels.h"

namespace lemol {
namespace {

static inline __attribute__((always_inline)) void accumulate_body(double* __restrict z, const double* __restrict x, int n, const float* __restrict W, int G) {
  for (int k = 0; k < n; k++) {
    const double v = x[k];
    if (v == 0) continue;
    const float* __restrict w = W + (size_t)k * G;
    for (int j = 0; j < G; j++) z[j] += v * (double)w[j];
  }
}

// the variants (no FMA in any: this file is compiled with fp-contract off), for the ISA choose_isa picked
__attribute__((target("avx512f"))) void accumulate_avx512(double* z, const double* x, int n, const float* W, int G) { accumulate_body(z, x, n, W, G); }
__attribute__((target("avx2,fma"))) void accumulate_avx2(double* z, const double* x, int n, const float* W, int G) { accumulate_body(z, x, n, W, G); }
void accumulate_generic(double* z, const double* x, int n, const float* W, int G) { accumulate_body(z, x, n, W, G); }

}  // namespace

// lstmStepZ(x: Float64Array, xOff, D, kernel, recurrent, bias, h: Float64Array, z: Float64Array)
napi_value LstmStepZ(napi_env env, napi_callback_info info) {
  static const auto accumulate = isaVariant(accumulate_avx512, accumulate_avx2, accumulate_generic);
  napi_value a[8];
  if (!args(env, info, a, 8)) return nullptr;
  double *x, *h, *z;
  F32 K, R, b;
  size_t nx, nh, nz;
  int xOff, D;
  if (!getCount(env, a[1], &xOff, "xOff") || !getCount(env, a[2], &D, "D") || !getF64(env, a[0], &x, &nx, "x") || !getF32(env, a[3], &K, "kernel") ||
      !getF32(env, a[4], &R, "recurrent") || !getF32(env, a[5], &b, "bias") || !getF64(env, a[6], &h, &nh, "h") || !getF64(env, a[7], &z, &nz, "z"))
    return nullptr;
  const size_t nK = K.length, nR = R.length, nb = b.length;
  const int G = (int)nb, H = (int)nh;
  if (G != 4 * H || nz != (size_t)G || nK != (size_t)D * G || nR != (size_t)H * G || (size_t)xOff + D > nx)
    return napi_throw_error(env, "LEMOL_NATIVE", "lstmStepZ: sizes do not fit (x, kernel [D, 4H], recurrent [H, 4H], bias [4H], h [H], z [4H])"), nullptr;
  for (int j = 0; j < G; j++) z[j] = b.data[j];
  accumulate(z, x + xOff, D, K.data, G);
  accumulate(z, h, H, R.data, G);
  return nullptr;
}

}  // namespace lemol
