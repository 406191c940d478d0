// Polyak averaging of target networks.
#include <vector>
#include "kernels.h"

namespace lemol {

// polyak(targets[], onlines[], tau): target = (1 − tau)·target + tau·online in place, for each
// pair (a network's variables in one call)
napi_value Polyak(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!args(env, info, a, 3)) return nullptr;
  std::vector<F32> t, o;
  double tau;
  if (!getF32List(env, a[0], &t, "targets") || !getF32List(env, a[1], &o, "onlines") || !getDouble(env, a[2], &tau, "tau")) return nullptr;
  if (t.size() != o.size()) return fail(env, "polyak: as many targets as online variables expected"), nullptr;
  for (size_t j = 0; j < t.size(); j++)
    if (t[j].length != o[j].length) return fail(env, "polyak: arrays differ in length"), nullptr;
  const float keep = (float)(1.0 - tau), mix = (float)tau;
  for (size_t j = 0; j < t.size(); j++)
    for (size_t i = 0; i < t[j].length; i++) t[j].data[i] = t[j].data[i] * keep + o[j].data[i] * mix;
  return nullptr;
}

}  // namespace lemol
