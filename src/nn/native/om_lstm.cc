// The opponent model's LSTM passes over a training chunk: the forward pass over a batch of
// sequences and its backward pass through time, in Keras LSTMCell semantics (gates i, f, c~, o;
// hard_sigmoid or sigmoid recurrent activation), as src/nn/lstm.ts's tfjs path computes them. The
// JavaScript side is src/nn/lstm.ts (NativeLSTMRun) and src/agents/lemol/om-native.ts; the
// exports (lstmForward, lstmBackward) are in kernels.h's LEMOL_EXPORTS.
//
// Shapes (all float32, row-major): xs [B, T, D] batch-major (row b*T + t), kernel K [D, 4H],
// recurrent kernel R [H, 4H], bias [4H], state h0, c0 [B, H]. The forward pass keeps, per step
// t, the gates after their activations and the activations' derivatives ([T, B, 4H] each), the
// cell state and its tanh ([T, B, H] each) for the backward pass.
//
// The products are small (B = 8 sequences, H = 64 units: a step's recurrent product is 8 x 64 x
// 256) and sequential in t, so they are written as loops whose inner loop runs along the 4H (or
// H) contiguous outputs, one vector lane per output: each output's sum is taken in the same order
// (k = 0, 1, ...) at any vector width. They are compiled for AVX-512, AVX2+FMA and the baseline
// (the one choose_isa picked for the addon's GEMM: LEMOL_NATIVE_ISA=avx2|generic, else the
// CPU's best), so this file needs none of the addon's GEMM. Both vector variants contract a·b + c
// into one rounding (FMA) and take every sum in the same order: they give the same bits.
#include "kernels.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace lemol {
namespace {

#define OM_BODY static inline __attribute__((always_inline))

// C[M, N] (+)= A[M, K] (row stride lda) · B[K, N] (row stride N); C's row stride ldc. Blocks of
// up to 8 rows × 16 outputs held in registers over the whole k loop (a loaded piece of B serves 8
// rows); every output's sum is taken in the order k = 0, 1, ... whatever the blocking.
typedef float V16 __attribute__((vector_size(64), aligned(4)));
typedef float V8 __attribute__((vector_size(32), aligned(4)));

// A's element (r, k): A[r·lda + k], or with TRANS (A given transposed, [K, M]) A[k·lda + r]
template <bool TRANS>
static inline __attribute__((always_inline)) float elementA(const float* __restrict A, int lda, int r, int k) {
  return TRANS ? A[(size_t)k * lda + r] : A[(size_t)r * lda + k];
}

// MB rows × (one vector V of) outputs j0.. held in registers over the whole k loop
template <int MB, typename V, bool TRANS>
static inline __attribute__((always_inline)) void gemmBlock(const float* __restrict A, int lda, const float* __restrict Bm, int N, float* __restrict C, int ldc,
                                                            int K, int j0, bool acc) {
  V s[MB];
  for (int r = 0; r < MB; r++) {
    if (acc)
      std::memcpy(&s[r], C + (size_t)r * ldc + j0, sizeof(V));
    else
      s[r] = V{};
  }
  for (int k = 0; k < K; k++) {
    V b;
    std::memcpy(&b, Bm + (size_t)k * N + j0, sizeof(V));
    for (int r = 0; r < MB; r++) s[r] += elementA<TRANS>(A, lda, r, k) * b;
  }
  for (int r = 0; r < MB; r++) std::memcpy(C + (size_t)r * ldc + j0, &s[r], sizeof(V));
}

// ROWS × V: the block (8 rows × 16 with AVX-512's 32 registers; 4 × 8 with AVX2's 16, where wider
// would spill). Any blocking takes each output's sum in the order k = 0, 1, ...: the same bits.
// TRANS: A is given transposed ([K, M], row stride lda), as the weight gradients' xs and h rows
// are, so that no transpose is copied (the same products in the same order).
template <int ROWS, typename V, bool TRANS>
OM_BODY void gemmRowsPanel(const float* __restrict A, int lda, const float* __restrict Bm, int N, float* __restrict C, int ldc, int M, int K, bool acc) {
  constexpr int JB = sizeof(V) / sizeof(float);
  const int nFull = N - N % JB;
  // the first row of block i: A + i·lda, or A + i with TRANS
  auto rowsFrom = [&](int i) { return TRANS ? A + i : A + (size_t)i * lda; };
  int i = 0;
  if (ROWS == 8)
    for (; i + 8 <= M; i += 8)
      for (int j0 = 0; j0 < nFull; j0 += JB) gemmBlock<8, V, TRANS>(rowsFrom(i), lda, Bm, N, C + (size_t)i * ldc, ldc, K, j0, acc);
  for (; i + 4 <= M; i += 4)
    for (int j0 = 0; j0 < nFull; j0 += JB) gemmBlock<4, V, TRANS>(rowsFrom(i), lda, Bm, N, C + (size_t)i * ldc, ldc, K, j0, acc);
  if (i + 2 <= M) {
    for (int j0 = 0; j0 < nFull; j0 += JB) gemmBlock<2, V, TRANS>(rowsFrom(i), lda, Bm, N, C + (size_t)i * ldc, ldc, K, j0, acc);
    i += 2;
  }
  for (; i < M; i++)
    for (int j0 = 0; j0 < nFull; j0 += JB) gemmBlock<1, V, TRANS>(rowsFrom(i), lda, Bm, N, C + (size_t)i * ldc, ldc, K, j0, acc);
  for (int r = 0; r < M; r++) {
    float* c = C + (size_t)r * ldc;
    for (int j = nFull; j < N; j++) {
      float v = acc ? c[j] : 0.f;
      for (int k = 0; k < K; k++) v += elementA<TRANS>(A, lda, r, k) * Bm[(size_t)k * N + j];
      c[j] = v;
    }
  }
}

// gemmRowsPanel over panels of KB rows of B (and columns of A): a weight gradient's K is the
// chunk's B·T rows (12,800 for LeMOL-EP's summariser), and each pass over a 16-column strip of B
// would otherwise stream all of B from memory. Each output's chain continues panel after panel
// (stored and reloaded as float32, which rounds nothing): the same bits.
template <int ROWS, typename V, bool TRANS>
OM_BODY void gemmRows_body(const float* __restrict A, int lda, const float* __restrict Bm, int N, float* __restrict C, int ldc, int M, int K, bool acc) {
  constexpr int KB = 256;
  if (K == 0) gemmRowsPanel<ROWS, V, TRANS>(A, lda, Bm, N, C, ldc, M, 0, acc);  // C = 0 (or kept)
  for (int k0 = 0; k0 < K; k0 += KB) {
    const int kn = K - k0 < KB ? K - k0 : KB;
    gemmRowsPanel<ROWS, V, TRANS>(TRANS ? A + (size_t)k0 * lda : A + k0, lda, Bm + (size_t)k0 * N, N, C, ldc, M, kn, acc || k0 > 0);
  }
}

// exp(x) for x <= 0 (the tanh below), vectorisable: x = n·ln2 + r, |r| <= ln2/2, e^r by its
// degree-6 Taylor polynomial (relative error < 2e-8 on that range), 2^n put in the exponent
OM_BODY float expNonPositive(float x) {
  x = x < -87.f ? -87.f : x;
  // round to nearest by adding and taking away 1.5·2^23 (|x·log2 e| < 2^22; a libm call would not vectorise)
  const float n = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
  const float r = (x - n * 0.693145751953125f) - n * 1.42860682030941723e-6f;
  float p = 1.f / 720;
  p = p * r + 1.f / 120;
  p = p * r + 1.f / 24;
  p = p * r + 1.f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  int bits;
  std::memcpy(&bits, &p, 4);
  bits += (int)n << 23;
  std::memcpy(&p, &bits, 4);
  return p;
}

// tanh x = sign(x)·(1 − e)/(1 + e), e = exp(−2|x|): absolute error ~1e-7 (float rounding)
OM_BODY float tanhFast(float x) {
  const float e = expNonPositive(-2.f * std::fabs(x));
  const float t = (1.f - e) / (1.f + e);
  return std::copysign(t, x);
}

void transpose(const float* A, int rows, int cols, float* T) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) T[(size_t)c * rows + r] = A[(size_t)r * cols + c];
}

OM_BODY float hardSigmoid(float z) {
  const float s = z * 0.2f + 0.5f;
  return s < 0.f ? 0.f : s > 1.f ? 1.f : s;
}

// One step's gates from z [B, 4H] (in place: z becomes the activated gates), their derivatives,
// the new cell state and its tanh, and h.
OM_BODY void stepGates_body(float* z, float* deriv, const float* cPrev, float* c, float* tanhC, float* h, int hStride, int B, int H, bool hard) {
  const int G = 4 * H;
  for (int b = 0; b < B; b++) {
    float* zb = z + (size_t)b * G;
    float* db = deriv + (size_t)b * G;
    for (int q = 0; q < 4; q++) {
      float* zq = zb + q * H;
      float* dq = db + q * H;
      if (q == 2) {  // candidate: tanh
        for (int k = 0; k < H; k++) {
          const float g = tanhFast(zq[k]);
          zq[k] = g;
          dq[k] = 1.f - g * g;
        }
      } else if (hard) {  // 0.2 inside the linear region, 0 where clipped (as lstm.ts: -2.5 < z < 2.5)
        for (int k = 0; k < H; k++) {
          const float v = zq[k];
          dq[k] = v > -2.5f && v < 2.5f ? 0.2f : 0.f;
          zq[k] = hardSigmoid(v);
        }
      } else {
        for (int k = 0; k < H; k++) {
          const float s = 1.f / (1.f + std::exp(-zq[k]));
          zq[k] = s;
          dq[k] = s * (1.f - s);
        }
      }
    }
    // restrict: distinct buffers, so that the loop is vectorised (the same operations per element)
    const float* __restrict i = zb;
    const float* __restrict f = zb + H;
    const float* __restrict g = zb + 2 * H;
    const float* __restrict o = zb + 3 * H;
    const float* __restrict cp = cPrev + (size_t)b * H;
    float* __restrict cb = c + (size_t)b * H;
    float* __restrict tb = tanhC + (size_t)b * H;
    float* __restrict hb = h + (size_t)b * hStride;
    // three loops, each vectorised (GCC does not if-convert tanhFast inside the one loop); the same
    // operations per element
    for (int k = 0; k < H; k++) cb[k] = f[k] * cp[k] + i[k] * g[k];
    for (int k = 0; k < H; k++) tb[k] = tanhFast(cb[k]);
    for (int k = 0; k < H; k++) hb[k] = o[k] * tb[k];
  }
}

std::vector<float> omScratch;   // the transposes of R and K
std::vector<float> omScratchT;  // the h_{t-1} rows

// db = Σ rows of dz [M, N], rows in order
OM_BODY void columnSums_body(const float* __restrict dz, int M, int N, float* __restrict db) {
  std::memset(db, 0, sizeof(float) * N);
  for (int r = 0; r < M; r++)
    for (int j = 0; j < N; j++) db[j] += dz[(size_t)r * N + j];
}  // the per-step z before it is spread into the cache, the transposes

// One sequence's row of a step back (restrict parameters: GCC vectorises this loop only so, not
// with restrict locals): from d/dh (dh + the row of dHs) and d/dc, the gates' pre-activation
// gradients; dc becomes d/dc of the step before.
OM_BODY void rowBackward(const float* __restrict i, const float* __restrict f, const float* __restrict g, const float* __restrict o, const float* __restrict dI,
                         const float* __restrict dF, const float* __restrict dG, const float* __restrict dOut, const float* __restrict dh,
                         const float* __restrict dHs, const float* __restrict tc, const float* __restrict cp, float* __restrict dc, float* __restrict dzI,
                         float* __restrict dzF, float* __restrict dzG, float* __restrict dzO, int H) {
  for (int k = 0; k < H; k++) {
    const float dhk = dh[k] + dHs[k];
    const float dO = dhk * tc[k];
    const float dck = dc[k] + (dhk * o[k]) * (1.f - tc[k] * tc[k]);
    dzI[k] = (dck * g[k]) * dI[k];
    dzF[k] = (dck * cp[k]) * dF[k];
    dzG[k] = (dck * i[k]) * dG[k];
    dzO[k] = dO * dOut[k];
    dc[k] = dck * f[k];
  }
}

// One step back: from d/dh (dh, plus dHs's rows at stride hsStride) and d/dc, the gates'
// pre-activation gradients into dz's rows (stride dzStride); dc becomes d/dc of the step before.
OM_BODY void stepBackward_body(const float* gt, const float* dt, const float* tc, const float* cPrev, const float* dHsT, int hsStride, const float* dh,
                               float* dc, float* dzT, int dzStride, int B, int H) {
  const size_t G = 4 * (size_t)H;
  for (int b = 0; b < B; b++) {
    const float* i = gt + (size_t)b * G;  // gates i, f, c~, o
    const float* d = dt + (size_t)b * G;  // their activations' derivatives
    float* dz = dzT + (size_t)b * dzStride;
    rowBackward(i, i + H, i + 2 * H, i + 3 * H, d, d + H, d + 2 * H, d + 3 * H, dh + (size_t)b * H, dHsT + (size_t)b * hsStride, tc + (size_t)b * H,
                cPrev + (size_t)b * H, dc + (size_t)b * H, dz, dz + H, dz + 2 * H, dz + 3 * H, H);
  }
}

// the variants, and the ones in use (useChosenIsa)
#define OM_VARIANTS(SUFFIX, ATTR, ROWS, VEC)                                                                                                               \
  ATTR void gemmRows_##SUFFIX(const float* A, int lda, const float* Bm, int N, float* C, int ldc, int M, int K, bool acc) {                                \
    gemmRows_body<ROWS, VEC, false>(A, lda, Bm, N, C, ldc, M, K, acc);                                                                                     \
  }                                                                                                                                                        \
  ATTR void gemmRowsT_##SUFFIX(const float* A, int lda, const float* Bm, int N, float* C, int ldc, int M, int K, bool acc) {                               \
    gemmRows_body<ROWS, VEC, true>(A, lda, Bm, N, C, ldc, M, K, acc);                                                                                      \
  }                                                                                                                                                        \
  ATTR void stepGates_##SUFFIX(float* z, float* deriv, const float* cPrev, float* c, float* tanhC, float* h, int hStride, int B, int H, bool hard) {       \
    stepGates_body(z, deriv, cPrev, c, tanhC, h, hStride, B, H, hard);                                                                                     \
  }                                                                                                                                                        \
  ATTR void columnSums_##SUFFIX(const float* dz, int M, int N, float* db) { columnSums_body(dz, M, N, db); }                                               \
  ATTR void stepBackward_##SUFFIX(const float* gt, const float* dt, const float* tc, const float* cPrev, const float* dHsT, int hsStride, const float* dh, \
                                  float* dc, float* dzT, int dzStride, int B, int H) {                                                                     \
    stepBackward_body(gt, dt, tc, cPrev, dHsT, hsStride, dh, dc, dzT, dzStride, B, H);                                                                     \
  }
OM_VARIANTS(avx512, __attribute__((target("avx512f"))), 8, V16)
OM_VARIANTS(avx2, __attribute__((target("avx2,fma"))), 4, V8)
OM_VARIANTS(generic, , 4, V8)

void (*gemmRows)(const float*, int, const float*, int, float*, int, int, int, bool);
void (*gemmRowsT)(const float*, int, const float*, int, float*, int, int, int, bool);  // A given transposed
void (*stepGates)(float*, float*, const float*, float*, float*, float*, int, int, int, bool);
void (*sumColumns)(const float*, int, int, float*);
void (*stepBackward)(const float*, const float*, const float*, const float*, const float*, int, const float*, float*, float*, int, int, int);

// this family's variants for the ISA choose_isa picked (isaVariant), set on the first call
void useChosenIsa() {
  static const bool chosen = [] {
    gemmRows = isaVariant(gemmRows_avx512, gemmRows_avx2, gemmRows_generic);
    gemmRowsT = isaVariant(gemmRowsT_avx512, gemmRowsT_avx2, gemmRowsT_generic);
    stepGates = isaVariant(stepGates_avx512, stepGates_avx2, stepGates_generic);
    sumColumns = isaVariant(columnSums_avx512, columnSums_avx2, columnSums_generic);
    stepBackward = isaVariant(stepBackward_avx512, stepBackward_avx2, stepBackward_generic);
    return true;
  }();
  (void)chosen;
}

}  // namespace

// lstmForward(xs, B, T, D, H, kernel, recurrent, bias, h0, c0, hard, hs, gates, deriv, cs, tanhCs)
napi_value LstmForward(napi_env env, napi_callback_info info) {
  napi_value a[16];
  useChosenIsa();
  if (!args(env, info, a, sizeof a / sizeof a[0])) return nullptr;
  int B, T, D, H;
  if (!getCount(env, a[1], &B, "B") || !getCount(env, a[2], &T, "T") || !getCount(env, a[3], &D, "D") || !getCount(env, a[4], &H, "H")) return nullptr;
  const size_t G = 4 * (size_t)H;
  F32 xs, K, R, bias, h0, c0, hs, gates, deriv, cs, tanhCs;
  bool hard = false;
  napi_get_value_bool(env, a[10], &hard);
  if (!getF32(env, a[0], &xs, "xs", (size_t)B * T * D) || !getF32(env, a[5], &K, "kernel", D * G) || !getF32(env, a[6], &R, "recurrent", H * G) ||
      !getF32(env, a[7], &bias, "bias", G) || !getF32(env, a[8], &h0, "h0", (size_t)B * H) || !getF32(env, a[9], &c0, "c0", (size_t)B * H) ||
      !getF32(env, a[11], &hs, "hs", (size_t)B * T * H) || !getF32(env, a[12], &gates, "gates", (size_t)T * B * G) ||
      !getF32(env, a[13], &deriv, "deriv", (size_t)T * B * G) || !getF32(env, a[14], &cs, "cs", (size_t)T * B * H) ||
      !getF32(env, a[15], &tanhCs, "tanhCs", (size_t)T * B * H))
    return nullptr;
  // input projections of every step at once into the gate cache ([T, B, 4H]: step t's rows together)
  for (int t = 0; t < T; t++) {
    float* z = gates.data + (size_t)t * B * G;
    for (int b = 0; b < B; b++) std::memcpy(z + b * G, bias.data, sizeof(float) * G);
    // rows b*T + t of xs, stride T*D
    gemmRows(xs.data + (size_t)t * D, T * D, K.data, (int)G, z, (int)G, B, D, true);
  }
  for (int t = 0; t < T; t++) {
    float* z = gates.data + (size_t)t * B * G;
    const float* hPrev = t == 0 ? h0.data : hs.data + (size_t)(t - 1) * H;
    const int hStride = t == 0 ? H : T * H;
    gemmRows(hPrev, hStride, R.data, (int)G, z, (int)G, B, H, true);
    const float* cPrev = t == 0 ? c0.data : cs.data + (size_t)(t - 1) * B * H;
    stepGates(z, deriv.data + (size_t)t * B * G, cPrev, cs.data + (size_t)t * B * H, tanhCs.data + (size_t)t * B * H, hs.data + (size_t)t * H, T * H, B, H,
              hard);
  }
  return nullptr;
}

// lstmBackward(xs, B, T, D, H, kernel, recurrent, h0, c0, hs, gates, deriv, cs, tanhCs, dHs,
//              dK, dR, db, dh0, dc0, dz, dxs | null)
// dz [B*T, 4H] is omScratch the caller owns (batch-major rows, as xs).
napi_value LstmBackward(napi_env env, napi_callback_info info) {
  napi_value a[22];
  useChosenIsa();
  if (!args(env, info, a, sizeof a / sizeof a[0])) return nullptr;
  int B, T, D, H;
  if (!getCount(env, a[1], &B, "B") || !getCount(env, a[2], &T, "T") || !getCount(env, a[3], &D, "D") || !getCount(env, a[4], &H, "H")) return nullptr;
  const size_t G = 4 * (size_t)H;
  const size_t BH = (size_t)B * H;
  F32 xs, K, R, h0, c0, hs, gates, deriv, cs, tanhCs, dHs, dK, dR, db, dh0, dc0, dz, dxs;
  if (!getF32(env, a[0], &xs, "xs", (size_t)B * T * D) || !getF32(env, a[5], &K, "kernel", D * G) || !getF32(env, a[6], &R, "recurrent", H * G) ||
      !getF32(env, a[7], &h0, "h0", BH) || !getF32(env, a[8], &c0, "c0", BH) || !getF32(env, a[9], &hs, "hs", (size_t)B * T * H) ||
      !getF32(env, a[10], &gates, "gates", (size_t)T * B * G) || !getF32(env, a[11], &deriv, "deriv", (size_t)T * B * G) ||
      !getF32(env, a[12], &cs, "cs", (size_t)T * BH) || !getF32(env, a[13], &tanhCs, "tanhCs", (size_t)T * BH) ||
      !getF32(env, a[14], &dHs, "dHs", (size_t)B * T * H) || !getF32(env, a[15], &dK, "dK", D * G) || !getF32(env, a[16], &dR, "dR", H * G) ||
      !getF32(env, a[17], &db, "db", G) || !getF32(env, a[18], &dh0, "dh0", BH) || !getF32(env, a[19], &dc0, "dc0", BH) ||
      !getF32(env, a[20], &dz, "dz", (size_t)B * T * G))
    return nullptr;
  const bool wantDx = !isNull(env, a[21]);
  if (wantDx && !getF32(env, a[21], &dxs, "dxs", (size_t)B * T * D)) return nullptr;
  omScratch.resize(G * (size_t)H + G * (size_t)D);
  float* RT = omScratch.data();    // [4H, H]
  float* KT = RT + G * (size_t)H;  // [4H, D]
  transpose(R.data, H, (int)G, RT);
  float* dh = dh0.data;  // the running d/dh and d/dc end as the initial state's gradients
  float* dc = dc0.data;
  std::memset(dh, 0, sizeof(float) * BH);
  std::memset(dc, 0, sizeof(float) * BH);
  for (int t = T - 1; t >= 0; t--) {
    const float* gt = gates.data + (size_t)t * B * G;
    const float* dt = deriv.data + (size_t)t * B * G;
    const float* tc = tanhCs.data + (size_t)t * BH;
    const float* cPrev = t == 0 ? c0.data : cs.data + (size_t)(t - 1) * BH;
    stepBackward(gt, dt, tc, cPrev, dHs.data + (size_t)t * H, T * H, dh, dc, dz.data + (size_t)t * G, T * (int)G, B, H);
    // dh = dz_t · Rᵀ (rows b*T + t of dz)
    gemmRows(dz.data + (size_t)t * G, T * (int)G, RT, H, dh, H, B, (int)G, false);
  }
  // parameter gradients over all B*T rows: dK = xsᵀ dz, dR = hPrevᵀ dz, db = Σ dz (rows in order)
  const size_t BT = (size_t)B * T;
  omScratchT.resize(BT * H);
  float* hPrev = omScratchT.data();
  gemmRowsT(xs.data, D, dz.data, (int)G, dK.data, (int)G, D, (int)BT, false);
  for (int b = 0; b < B; b++) {
    std::memcpy(hPrev + (size_t)b * T * H, h0.data + (size_t)b * H, sizeof(float) * H);
    std::memcpy(hPrev + ((size_t)b * T + 1) * H, hs.data + (size_t)b * T * H, sizeof(float) * (T - 1) * H);
  }
  gemmRowsT(hPrev, H, dz.data, (int)G, dR.data, (int)G, H, (int)BT, false);
  sumColumns(dz.data, (int)BT, (int)G, db.data);
  if (wantDx) {
    transpose(K.data, D, (int)G, KT);
    gemmRows(dz.data, (int)G, KT, D, dxs.data, D, B * T, (int)G, false);
  }
  return nullptr;
}

}  // namespace lemol
