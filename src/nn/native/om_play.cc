// The opponent model's LSTM step in play (src/nn/lstm.ts PlainLSTM.step): the gates'
// pre-activations z = b + x·K + h·R in float64 over float32 weights, the products and sums exactly
// as the TypeScript loop takes them (each output's sum in input order, inputs that are 0 skipped,
// every product rounded before it is added: no fused multiply-add), so the numbers are the same
// bit for bit and play's predictions do not move. The gates' tanh and sigmoid stay in TypeScript
// (Math.tanh's bits are V8's own).
#pragma GCC optimize("fp-contract=off")
#include "om_lstm.h"

#include <cstring>
#include <string>

namespace lemol_om {
namespace {

static inline __attribute__((always_inline)) void accumulate_body(double* __restrict z, const double* __restrict x, int n, const float* __restrict W, int G) {
  for (int k = 0; k < n; k++) {
    const double v = x[k];
    if (v == 0) continue;
    const float* __restrict w = W + (size_t)k * G;
    for (int j = 0; j < G; j++) z[j] += v * (double)w[j];
  }
}

// the variants (no FMA in any: this file is compiled with fp-contract off), chosen with om_lstm.cc's
__attribute__((target("avx512f"))) void accumulate_avx512(double* z, const double* x, int n, const float* W, int G) { accumulate_body(z, x, n, W, G); }
__attribute__((target("avx2,fma"))) void accumulate_avx2(double* z, const double* x, int n, const float* W, int G) { accumulate_body(z, x, n, W, G); }
void accumulate_generic(double* z, const double* x, int n, const float* W, int G) { accumulate_body(z, x, n, W, G); }
void (*accumulate)(double*, const double*, int, const float*, int) = accumulate_generic;

bool getTyped(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length, const char* what) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (is) napi_get_typedarray_info(env, v, &type, length, data, &ab, &off);
  if (!is || type != want) {
    napi_throw_error(env, "LEMOL_NATIVE",
                     (std::string(what) + (want == napi_float64_array ? ": expected a Float64Array" : ": expected a Float32Array")).c_str());
    return false;
  }
  return true;
}

// lstmStepZ(x: Float64Array, xOff, D, kernel, recurrent, bias, h: Float64Array, z: Float64Array)
napi_value LstmStepZ(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value a[8];
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (argc < 8) return napi_throw_error(env, "LEMOL_NATIVE", "lstmStepZ: expected 8 arguments"), nullptr;
  void *x, *K, *R, *b, *h, *z;
  size_t nx, nK, nR, nb, nh, nz;
  int xOff, D;
  if (napi_get_value_int32(env, a[1], &xOff) != napi_ok || napi_get_value_int32(env, a[2], &D) != napi_ok || xOff < 0 || D < 0)
    return napi_throw_error(env, "LEMOL_NATIVE", "lstmStepZ: xOff and D must be non-negative integers"), nullptr;
  if (!getTyped(env, a[0], napi_float64_array, &x, &nx, "x") || !getTyped(env, a[3], napi_float32_array, &K, &nK, "kernel") ||
      !getTyped(env, a[4], napi_float32_array, &R, &nR, "recurrent") || !getTyped(env, a[5], napi_float32_array, &b, &nb, "bias") ||
      !getTyped(env, a[6], napi_float64_array, &h, &nh, "h") || !getTyped(env, a[7], napi_float64_array, &z, &nz, "z"))
    return nullptr;
  const int G = (int)nb, H = (int)nh;
  if (G != 4 * H || nz != (size_t)G || nK != (size_t)D * G || nR != (size_t)H * G || (size_t)xOff + D > nx)
    return napi_throw_error(env, "LEMOL_NATIVE", "lstmStepZ: sizes do not fit (x, kernel [D, 4H], recurrent [H, 4H], bias [4H], h [H], z [4H])"), nullptr;
  double* zd = static_cast<double*>(z);
  const float* bf = static_cast<const float*>(b);
  for (int j = 0; j < G; j++) zd[j] = bf[j];
  accumulate(zd, static_cast<const double*>(x) + xOff, D, static_cast<const float*>(K), G);
  accumulate(zd, static_cast<const double*>(h), H, static_cast<const float*>(R), G);
  return nullptr;
}

}  // namespace

void registerPlayKernels(napi_env env, napi_value exports, const char* isa) {
  const std::string w = isa;
  accumulate = w == "avx512" ? accumulate_avx512 : w == "avx2" ? accumulate_avx2 : accumulate_generic;
  napi_value v;
  napi_create_function(env, "lstmStepZ", NAPI_AUTO_LENGTH, LstmStepZ, nullptr, &v);
  napi_set_named_property(env, exports, "lstmStepZ", v);
}

}  // namespace lemol_om
