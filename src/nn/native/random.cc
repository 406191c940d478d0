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

std::vector<double> gumbelU;

// The stream in 8 lanes. xoshiro128**'s step is linear over GF(2) on its 128 state bits, so the
// state 2·M draws ahead is a fixed 128×128 bit matrix times the state: lane l starts at the state
// of draw l·M and draws M, all lanes step together (the sequential stream's numbers, in its order:
// lane l's t-th draw is draw l·M + t), and the last lane ends where the sequential stream would.
// The stream is one chain of dependent integer operations; 8 chains run side by side.
const int LANES = 8;
const int MIN_LOG_M = 4, MAX_LOG_M = 9;  // lanes of M = 16 ... 512 draws

// A jump as tables: nibble[q][x] is the state that nibble q of the state, of value x, becomes
// alone (the matrix's columns for those 4 bits, XORed): a jump is 32 lookups.
struct Jump {
  uint32_t nibble[32][16][4];
};

static void jumpState(const Jump& j, const uint32_t* s, uint32_t* out) {
  uint32_t r[4] = {0, 0, 0, 0};
  for (int q = 0; q < 32; q++) {
    const uint32_t* x = j.nibble[q][(s[q >> 3] >> (4 * (q & 7))) & 15];
    for (int w = 0; w < 4; w++) r[w] ^= x[w];
  }
  std::memcpy(out, r, sizeof r);
}

// The tables from the images of the 128 single bits (`bit[b]`).
static void tabulate(const uint32_t (*bit)[4], Jump* j) {
  for (int q = 0; q < 32; q++)
    for (int x = 0; x < 16; x++)
      for (int w = 0; w < 4; w++) {
        uint32_t r = 0;
        for (int k = 0; k < 4; k++)
          if (x >> k & 1) r ^= bit[4 * q + k][w];
        j->nibble[q][x][w] = r;
      }
}

// jumps[k]: 2·2^(MIN_LOG_M + k) steps ahead (2 steps a draw); the first by stepping each state
// bit, each next one the previous applied twice. Built once, on first use (~0.1 ms).
static const std::vector<Jump>& jumps() {
  static const std::vector<Jump> js = [] {
    std::vector<Jump> v(MAX_LOG_M - MIN_LOG_M + 1);
    uint32_t bit[128][4];
    for (int b = 0; b < 128; b++) {
      uint32_t* x = bit[b];
      x[0] = x[1] = x[2] = x[3] = 0;
      x[b >> 5] = 1u << (b & 31);
      for (int k = 0; k < 2 << MIN_LOG_M; k++) next27(x);
    }
    tabulate(bit, &v[0]);
    for (size_t k = 1; k < v.size(); k++) {
      for (int b = 0; b < 128; b++) jumpState(v[k - 1], bit[b], bit[b]);
      tabulate(bit, &v[k]);
    }
    return v;
  }();
  return js;
}

typedef uint32_t U32x8 __attribute__((vector_size(32)));
typedef int32_t I32x8 __attribute__((vector_size(32)));
typedef double Dx8 __attribute__((vector_size(64)));

// next27 on 8 lanes (the multiplications by 5 and 9 as shifts and adds: the same integers)
static inline __attribute__((always_inline)) U32x8 next27Lanes(U32x8* s) {
  const U32x8 s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
  const U32x8 m = (s1 << 2) + s1;
  const U32x8 r = (m << 7) | (m >> 25);
  const U32x8 result = (r << 3) + r;
  const U32x8 t = s1 << 9;
  const U32x8 n2 = s2 ^ s0;
  const U32x8 n3 = s3 ^ s1;
  s[1] = s1 ^ n2;
  s[0] = s0 ^ n3;
  s[2] = n2 ^ t;
  s[3] = (n3 << 11) | (n3 >> 21);
  return result >> 5;
}

// Rng.uniform()'s u from two 27-bit draws, clamped to >= 1e-20 (exact: 53 bits, a power-of-two scale)
static inline double uniformOf(uint64_t hi, uint64_t lo) {
  const double x = (double)(int64_t)((hi << 26) | lo) / 9007199254740992.0;
  return x < 1e-20 ? 1e-20 : x;
}

// u[0, m) from the stream s4 (advanced past them), in lanes where m allows: u[i] is the i-th draw
// either way. Cloned for AVX2 (8 lanes in one register; integer operations and exact double
// ones: the same numbers on every ISA).
__attribute__((target_clones("avx2", "default"))) static void uniforms(uint32_t* s4, double* u, int m) {
  int i = 0;
  for (int k = MAX_LOG_M; k >= MIN_LOG_M; k--) {
    const int M = 1 << k;
    const Jump& j = jumps()[k - MIN_LOG_M];
    for (; m - i >= LANES * M; i += LANES * M) {
      uint32_t start[LANES][4];
      std::memcpy(start[0], s4, sizeof start[0]);
      for (int l = 1; l < LANES; l++) jumpState(j, start[l - 1], start[l]);
      U32x8 s[4];
      for (int w = 0; w < 4; w++)
        for (int l = 0; l < LANES; l++) s[w][l] = start[l][w];
      double* ui = u + i;
      for (int t = 0; t < M; t++) {
        const U32x8 hi = next27Lanes(s);
        const U32x8 lo = next27Lanes(s) >> 1;
        const Dx8 x = (__builtin_convertvector((I32x8)hi, Dx8) * 0x1p26 + __builtin_convertvector((I32x8)lo, Dx8)) * 0x1p-53;  // exact, as uniformOf
        const Dx8 uv = x < 1e-20 ? Dx8{} + 1e-20 : x;
        for (int l = 0; l < LANES; l++) ui[l * M + t] = uv[l];
      }
      for (int w = 0; w < 4; w++) s4[w] = s[w][LANES - 1];  // the last lane ends 2·8·M steps on
    }
  }
  for (; i < m; i++) {
    const uint64_t hi = next27(s4);
    u[i] = uniformOf(hi, next27(s4) >> 1);
  }
}

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
  // in chunks, so that the uniforms stay in L1 between the passes
  const int CHUNK = LANES << MAX_LOG_M;
  double* u = growd(gumbelU, CHUNK);
  uint32_t s4[4] = {st[0], st[1], st[2], st[3]};  // the stream in registers (a local copy)
  for (int c0 = 0; c0 < n; c0 += CHUNK) {
    const int m = n - c0 < CHUNK ? n - c0 : CHUNK;
    uniforms(s4, u, m);
    float* o = out.data + c0;
    if (exact)  // glibc's log alone: the reference the tests hold the fast path to
      for (int i = 0; i < m; i++) o[i] = (float)(-std::log(-std::log(u[i])));
    else
      kernels.gumbel(u, o, m);
  }
  std::memcpy(st, s4, sizeof s4);
  return nullptr;
}

}  // namespace lemol
