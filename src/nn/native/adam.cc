// TF1 Adam with per-variable clip_by_norm, in place, on the ISA's elementwise kernels (elementwise.h).
#include <cmath>
#include <string>
#include <vector>
#include "kernels.h"

namespace lemol {

// One variable's Adam step, its gradient clipped to norm `clip` first (clip <= 0: none)
// (clipping rarely bites: a gradient whose norm is surely below `clip` by a vectorised estimate
// keeps scale 1, as the exact norm would give it, without the exact norm's serial chain of adds)
void adamStep(const F32& p, const F32& m, const F32& v, const F32& g, double lrT, double b1, double b2, double eps, double clip) {
  float scale = 1.f;
  const long n = (long)g.length;
  if (clip > 0 && !(n < (1L << 20) && kernels.sumSquaresApprox(g.data, n) <= clip * clip * (1 - 1e-6))) {
    const double norm = std::sqrt(kernels.sumSquares(g.data, n));
    scale = (float)(clip / (norm > clip ? norm : clip));  // TF's clip_by_norm
  }
  kernels.adam(p.data, m.data, v.data, g.data, (long)p.length, scale, (float)b1, (float)b2, (float)lrT, (float)eps);
}

// adam(param, m, v, grad, lrT, beta1, beta2, eps, clip): clip <= 0 means no clipping
napi_value Adam(napi_env env, napi_callback_info info) {
  napi_value a[9];
  if (!args(env, info, a, 9)) return nullptr;
  F32 p, m, v, g;
  double lrT, b1, b2, eps, clip;
  if (!getF32(env, a[0], &p, "param") || !getF32(env, a[1], &m, "m") || !getF32(env, a[2], &v, "v") || !getF32(env, a[3], &g, "grad")) return nullptr;
  if (!getDouble(env, a[4], &lrT, "lrT") || !getDouble(env, a[5], &b1, "beta1") || !getDouble(env, a[6], &b2, "beta2") || !getDouble(env, a[7], &eps, "eps") ||
      !getDouble(env, a[8], &clip, "clip"))
    return nullptr;
  size_t n = p.length;
  if (m.length != n || v.length != n || g.length != n) return fail(env, "adam: arrays differ in length"), nullptr;
  adamStep(p, m, v, g, lrT, b1, b2, eps, clip);
  return nullptr;
}

// adamAll(params[], m[], v[], grads[], lrT, beta1, beta2, eps, clip): adam on each variable in
// turn (one call per optimiser step)
napi_value AdamAll(napi_env env, napi_callback_info info) {
  napi_value a[9];
  if (!args(env, info, a, 9)) return nullptr;
  std::vector<F32> p, m, v, g;
  double lrT, b1, b2, eps, clip;
  if (!getF32List(env, a[0], &p, "params") || !getF32List(env, a[1], &m, "m") || !getF32List(env, a[2], &v, "v") || !getF32List(env, a[3], &g, "grads"))
    return nullptr;
  if (!getDouble(env, a[4], &lrT, "lrT") || !getDouble(env, a[5], &b1, "beta1") || !getDouble(env, a[6], &b2, "beta2") || !getDouble(env, a[7], &eps, "eps") ||
      !getDouble(env, a[8], &clip, "clip"))
    return nullptr;
  const size_t k = p.size();
  if (m.size() != k || v.size() != k || g.size() != k) return fail(env, "adamAll: one m, v and gradient per variable expected"), nullptr;
  for (size_t j = 0; j < k; j++)
    if (m[j].length != p[j].length || v[j].length != p[j].length || g[j].length != p[j].length)
      return fail(env, "adamAll: arrays of variable " + std::to_string(j) + " differ in length"), nullptr;
  for (size_t j = 0; j < k; j++) adamStep(p[j], m[j], v[j], g[j], lrT, b1, b2, eps, clip);
  return nullptr;
}

}  // namespace lemol
