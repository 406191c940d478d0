// Random draws as lemol's xoshiro128** stream (util/rng.ts) makes them: replay indices and Gumbel
// noise, advancing the stream's state exactly as the TypeScript would.
#include <cmath>
#include <cstring>
#include <vector>
#include "kernels.h"

namespace lemol {

// fillGumbel(state: Uint32Array(4), out: Float32Array, n, exact?): n Gumbel(0, 1) numbers -log(-log u) from
// lemol's xoshiro128** stream, advancing `state` exactly as Rng.uniform() would (two 27-bit draws
// per 53-bit uniform, u clamped to >= 1e-20).
static inline uint32_t next27(uint32_t* s) {
  const uint32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
  const uint32_t m = s1 * 5u;
  const uint32_t result = ((m << 7) | (m >> 25)) * 9u;
  const uint32_t t = s1 << 9;
  const uint32_t n2 = s2 ^ s0;
  const uint32_t n3 = s3 ^ s1;
  s[1] = s1 ^ n2;
  s[0] = s0 ^ n3;
  s[2] = n2 ^ t;
  s[3] = (n3 << 11) | (n3 >> 21);
  return result >> 5;
}

// fillIndex(state: Uint32Array(4), n, out: Int32Array): out.length integers uniform in [0, n),
// drawn as Rng.int(n) draws them (53-bit integers, rejection above the largest multiple of n),
// advancing `state` alike: a batch's replay index without a JavaScript loop.
napi_value FillIndex(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!args(env, info, a, 3)) return nullptr;
  uint32_t* st = nullptr;
  int32_t* out = nullptr;
  size_t outLen = 0;
  for (int which : {0, 2}) {
    bool is = false;
    napi_is_typedarray(env, a[which], &is);
    napi_typedarray_type type;
    void* data;
    napi_value ab;
    size_t off, l;
    if (is) napi_get_typedarray_info(env, a[which], &type, &l, &data, &ab, &off);
    if (which == 0) {
      if (!is || type != napi_uint32_array || l != 4) return fail(env, "fillIndex: state must be a Uint32Array of 4"), nullptr;
      st = static_cast<uint32_t*>(data);
    } else {
      if (!is || type != napi_int32_array) return fail(env, "fillIndex: out must be an Int32Array"), nullptr;
      out = static_cast<int32_t*>(data), outLen = l;
    }
  }
  double nd;
  if (!getDouble(env, a[1], &nd, "n")) return nullptr;
  if (!(nd >= 1 && nd <= 2147483647.0) || nd != std::floor(nd)) return fail(env, "fillIndex: n must be an integer in [1, 2^31)"), nullptr;
  const uint64_t n = (uint64_t)nd, limit = (1ULL << 53) - (1ULL << 53) % n;
  uint32_t s4[4] = {st[0], st[1], st[2], st[3]};
  for (size_t b = 0; b < outLen; b++) {
    for (;;) {
      const uint64_t hi = next27(s4);
      const uint64_t x = (hi << 26) | (next27(s4) >> 1);
      if (x < limit) {
        out[b] = (int32_t)(x % n);
        break;
      }
    }
  }
  std::memcpy(st, s4, sizeof s4);
  return nullptr;
}

std::vector<double> gumbelU, gumbelY;

napi_value FillGumbel(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!args(env, info, a, 3)) return nullptr;
  bool is = false;
  napi_is_typedarray(env, a[0], &is);
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value ab;
  size_t off;
  if (is) napi_get_typedarray_info(env, a[0], &type, &len, &data, &ab, &off);
  if (!is || type != napi_uint32_array || len != 4) return fail(env, "fillGumbel: state must be a Uint32Array of 4"), nullptr;
  uint32_t* st = static_cast<uint32_t*>(data);
  F32 out;
  int n;
  if (!getF32(env, a[1], &out, "out") || !getInt(env, a[2], &n, "n")) return nullptr;
  if ((size_t)n > out.length) return fail(env, "fillGumbel: n exceeds the output length"), nullptr;
  bool exact = false;
  napi_get_value_bool(env, a[3], &exact);  // (undefined: false)
  // in chunks, so that the uniforms and the logs' scratch stay in L1 between the passes
  const int CHUNK = 1024;
  double* u = growd(gumbelU, CHUNK);
  double* y = growd(gumbelY, CHUNK);
  uint32_t s4[4] = {st[0], st[1], st[2], st[3]};  // the stream in registers (a local copy)
  for (int c0 = 0; c0 < n; c0 += CHUNK) {
    const int m = n - c0 < CHUNK ? n - c0 : CHUNK;
    for (int i = 0; i < m; i++) {
      const uint64_t hi = next27(s4);
      const uint64_t lo = next27(s4) >> 1;
      const double x = (double)(int64_t)((hi << 26) | lo) / 9007199254740992.0;  // exact: 53 bits, a power-of-two divisor
      u[i] = x < 1e-20 ? 1e-20 : x;
    }
    float* o = out.data + c0;
    if (exact)  // glibc's log alone: the reference the tests hold the fast path to
      for (int i = 0; i < m; i++) o[i] = (float)(-std::log(-std::log(u[i])));
    else
      kernels.gumbel(u, o, y, m);
  }
  std::memcpy(st, s4, sizeof s4);
  return nullptr;
}

}  // namespace lemol
