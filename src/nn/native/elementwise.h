// Elementwise kernels of the update that must give the float32 results of the plain loops they
// replace, bit for bit, but faster:
//
//   adam     float32 Adam, in float32 lanes where no input is subnormal, else in double lanes.
//            Parameters whose gradient is zero (dead ReLU units) let m and v decay into float32's
//            subnormal range, where an Intel core takes a ~100-cycle assist for every subnormal
//            operand or result: with 12 % of the state subnormal, Adam ran 5x slower. In double
//            those values are normal. Each
//            float32 operation is computed in double and rounded to float32 (`round32`): a
//            product of two floats is exact in double, and a double +, -, *, /, sqrt rounded to
//            float32 is the float32 operation's result (53 >= 2·24 + 2), so nothing changes but
//            the speed. No subnormal float ever reaches the FPU (`load32`, `store32`).
//   gumbel   -log(-log u) in double, rounded to float32, as glibc's log computes it: a polynomial
//            log (relative error ~3e-14) vectorises; where its result is within 2^-36·(1 + |y|)
//            of a float32 rounding boundary (about 1 draw in 2,000) glibc's log decides. So the
//            float32 results are glibc's, faster.
//   expf     glibc's expf on W lanes: its algorithm (exp x = 2^(k/32)·2^(r/32), a 32-entry table
//            and a cubic in r, in double; the FMA variant glibc picks on CPUs with FMA) run in
//            vector lanes; where the double result is within 2^-40 of a float32 rounding boundary
//            (a contraction choice could then decide), or x is outside [-100, 88], glibc's expf
//            decides. Checked against glibc on every float in [-100, 88]
//            (bench/native/expf-exhaustive.cc; test/nn/native.test.ts samples it).
//
// Each is written once and compiled for AVX-512, AVX2 and the baseline (see the wrappers in
// isa.cc); all three give the same bits.
#pragma once

#include <immintrin.h>  // (declares the x86 builtins used below)

#include <cmath>
#include <cstdint>
#include <cstring>

namespace elementwise {

constexpr double kMinNormal32 = 0x1p-126;

/** W lanes of doubles and the matching lanes of floats and integers (GCC vector extensions). */
template <int W>
struct Lanes {
  typedef double d __attribute__((vector_size(W * 8)));
  typedef int64_t i64 __attribute__((vector_size(W * 8)));
  typedef uint64_t u64 __attribute__((vector_size(W * 8)));
  typedef float f __attribute__((vector_size(W * 4)));
  typedef int32_t i32 __attribute__((vector_size(W * 4)));
  typedef uint32_t u32 __attribute__((vector_size(W * 4)));
};

#define LEMOL_LANES                   \
  typedef typename Lanes<W>::d D;     \
  typedef typename Lanes<W>::i64 I64; \
  typedef typename Lanes<W>::u64 U64; \
  typedef typename Lanes<W>::f F;     \
  typedef typename Lanes<W>::i32 I32; \
  typedef typename Lanes<W>::u32 U32

// (GCC builtins, not intrinsics: an intrinsic cannot be inlined into these untargeted templates;
// a builtin is only expanded in the AVX-512 / AVX2 functions that instantiate them)
/** Whether every lane of a 0 / −1 mask is set (movmsk for 8 and 4 lanes, the compiler's reduction otherwise). */
template <class M>
static inline __attribute__((always_inline)) bool allLanes(M m) {
  int all = -1;
  for (unsigned k = 0; k < sizeof m / sizeof m[0]; k++) all &= m[k];
  return all == -1;
}
static inline __attribute__((always_inline)) bool allLanes(Lanes<8>::i32 m) {
  typedef float V __attribute__((vector_size(32)));
  return __builtin_ia32_movmskps256((V)m) == 0xff;
}
static inline __attribute__((always_inline)) bool allLanes(Lanes<4>::i32 m) {
  typedef float V __attribute__((vector_size(16)));
  return __builtin_ia32_movmskps((V)m) == 0xf;
}

/** Whether any lane of a 0 / −1 mask is set (movmsk for 8 and 4 lanes, the compiler's reduction otherwise). */
template <class M>
static inline __attribute__((always_inline)) bool anyLane(M m) {
  int any = 0;
  for (unsigned k = 0; k < sizeof m / sizeof m[0]; k++) any |= m[k];
  return any != 0;
}
static inline __attribute__((always_inline)) bool anyLane(Lanes<8>::i32 m) {
  typedef float V __attribute__((vector_size(32)));
  return __builtin_ia32_movmskps256((V)m) != 0;
}
static inline __attribute__((always_inline)) bool anyLane(Lanes<4>::i32 m) {
  typedef float V __attribute__((vector_size(16)));
  return __builtin_ia32_movmskps((V)m) != 0;
}

constexpr uint64_t kAbs64 = 0x7fffffffffffffffULL, kSign64 = 0x8000000000000000ULL;

/**
 * W float32s as doubles, no subnormal through the FPU: a subnormal ±m·2^-149 is read as the
 * normal float ±(2^23 + m)·2^-149 (its exponent field set to 1), then ±2^-126 is subtracted in
 * double, exactly.
 */
template <int W>
static inline __attribute__((always_inline)) typename Lanes<W>::d load32(const float* p) {
  LEMOL_LANES;
  U32 b;
  std::memcpy(&b, p, sizeof b);
  const U32 sub = (U32)(((b & 0x7f800000u) == 0) & ((b & 0x007fffffu) != 0));
  const F normal = (F)(b | (sub & 0x00800000u));
  const F offset = (F)(sub & ((b & 0x80000000u) | 0x00800000u));  // ±2^-126 or +0
  return __builtin_convertvector(normal, D) - __builtin_convertvector(offset, D);
}

/**
 * x rounded to float32, as doubles (x within float32's range), in double arithmetic: adding and
 * subtracting c = 1.5·2^(e+29), e = max(x's exponent, −126), rounds x to a multiple of 2^(e−23),
 * float32's spacing in x's binade (and its subnormal spacing below 2^-126), ties to even (c is
 * an even multiple of that spacing). The sign is put back for results that round to zero.
 */
template <int W>
static inline __attribute__((always_inline)) typename Lanes<W>::d round32(typename Lanes<W>::d x) {
  LEMOL_LANES;
  const D binade = (D)((U64)x & 0x7ff0000000000000ULL);  // 2^e (0 for zero)
  const D floor = D{} + kMinNormal32;
  const D c = (binade > floor ? binade : floor) * 0x1.8p29;
  const D r = (x + c) - c;
  return (D)((U64)r | ((U64)x & kSign64));
}

/**
 * Stores W float32 values held in doubles, no subnormal through the FPU: a value below 2^-126
 * is stored as the normal float x ± 2^-126 (exact) with its exponent field cleared.
 */
template <int W>
static inline __attribute__((always_inline)) void store32(float* p, typename Lanes<W>::d x) {
  LEMOL_LANES;
  const I64 tiny = (D)((U64)x & kAbs64) < kMinNormal32;
  const uint64_t minNormal = 0x3810000000000000ULL;  // 2^-126 as a double
  const D offset = (D)((U64)tiny & (((U64)x & kSign64) | minNormal));
  const U32 bits = (U32) __builtin_convertvector(x + offset, F);
  // the offset's own float bits, unsigned: 0x00800000 exactly where it was added (all 32-bit lane
  // work: AVX2 has no narrowing of 64-bit masks)
  const U32 added = (U32) __builtin_convertvector(offset, F) & 0x7fffffffu;
  const U32 b = bits - added;
  std::memcpy(p, &b, sizeof b);
}

template <int W>
static inline __attribute__((always_inline)) typename Lanes<W>::d sqrtLanes(typename Lanes<W>::d x) {
  typename Lanes<W>::d r;
  for (int k = 0; k < W; k++) r[k] = __builtin_sqrt(x[k]);
  return r;
}

/** Adam's constants, as floats and as doubles. */
struct AdamConstants {
  float scale, b1, b2, c1, c2, lr, eps;
};

/** Which of the W floats at p are subnormal (a 0 / −1 mask). */
template <int W>
static inline __attribute__((always_inline)) typename Lanes<W>::i32 subnormalLanes(const float* p) {
  typedef typename Lanes<W>::u32 U32;
  typedef typename Lanes<W>::i32 I32;
  U32 b;
  std::memcpy(&b, p, sizeof b);
  return (I32)(((b & 0x7f800000u) == 0) & ((b & 0x007fffffu) != 0));
}

/** Keeps the compiler from fusing a product into the sum it feeds (an FMA rounds once, float32 twice). */
template <class T>
static inline __attribute__((always_inline)) T rounded(T x) {
  asm("" : "+v"(x));
  return x;
}

/** W values of Adam in float32 lanes: for blocks with no subnormal input (the common case). */
template <int W>
static inline __attribute__((always_inline)) void adamBlockFloat(float* p, float* m, float* v, const float* g, const AdamConstants& k) {
  typedef typename Lanes<W>::f F;
  F gv, mv, vv, pv;
  std::memcpy(&gv, g, sizeof gv), std::memcpy(&mv, m, sizeof mv), std::memcpy(&vv, v, sizeof vv), std::memcpy(&pv, p, sizeof pv);
  const F gi = gv * k.scale;
  const F mi = rounded(k.b1 * mv) + rounded(k.c1 * gi);
  const F vi = rounded(k.b2 * vv) + rounded(k.c2 * gi * gi);
  F root;
  for (int q = 0; q < W; q++) root[q] = __builtin_sqrtf(vi[q]);
  const F pn = pv - (k.lr * mi) / (root + k.eps);
  std::memcpy(m, &mi, sizeof mi), std::memcpy(v, &vi, sizeof vi), std::memcpy(p, &pn, sizeof pn);
}

/** W values of Adam in double lanes, each float32 operation rounded (any input may be subnormal). */
template <int W>
static inline __attribute__((always_inline)) void adamBlockDouble(float* p, float* m, float* v, const float* g, const AdamConstants& k) {
  typedef typename Lanes<W>::d D;
  const D gi = round32<W>(load32<W>(g) * (double)k.scale);
  const D mi = round32<W>(round32<W>((double)k.b1 * load32<W>(m)) + round32<W>((double)k.c1 * gi));
  const D vi = round32<W>(round32<W>((double)k.b2 * load32<W>(v)) + round32<W>(round32<W>((double)k.c2 * gi) * gi));
  const D step = round32<W>(round32<W>((double)k.lr * mi) / round32<W>(round32<W>(sqrtLanes<W>(vi)) + (double)k.eps));
  store32<W>(m, mi);
  store32<W>(v, vi);
  store32<W>(p, round32<W>(load32<W>(p) - step));
}

/**
 * adamBlockDouble with the float32 roundings done by conversions (double → float → double) and the
 * loads and stores by conversions too: ~3x fewer instructions, the same bits (a conversion rounds
 * as IEEE says, subnormals included). Only where the CPU converts subnormals without an assist
 * (measured when the addon loads: `adamConversionsFast`), as this project's AVX-512 Xeon does;
 * its float32 multiply of a subnormal takes ~37x longer, so the arithmetic stays in double.
 */
template <int W>
static inline __attribute__((always_inline)) void adamBlockConverted(float* p, float* m, float* v, const float* g, const AdamConstants& k) {
  typedef typename Lanes<W>::d D;
  typedef typename Lanes<W>::f F;
  const auto load = [](const float* x) {
    F f;
    std::memcpy(&f, x, sizeof f);
    return __builtin_convertvector(f, D);
  };
  const auto r32 = [](D x) { return __builtin_convertvector(__builtin_convertvector(x, F), D); };
  const auto store = [](float* x, D d) {
    const F f = __builtin_convertvector(d, F);
    std::memcpy(x, &f, sizeof f);
  };
  const D gi = r32(load(g) * (double)k.scale);
  const D mi = r32(r32((double)k.b1 * load(m)) + r32((double)k.c1 * gi));
  const D vi = r32(r32((double)k.b2 * load(v)) + r32(r32((double)k.c2 * gi) * gi));
  const D step = r32(r32((double)k.lr * mi) / r32(r32(sqrtLanes<W>(vi)) + (double)k.eps));
  store(m, mi);
  store(v, vi);
  store(p, r32(load(p) - step));
}

/** W values of Adam: in float32 lanes unless an input is subnormal; the same bits either way. */
template <int W, bool CONVERTED>
static inline __attribute__((always_inline)) void adamBlock(float* p, float* m, float* v, const float* g, const AdamConstants& k) {
  // (the four masks joined, then one test: a test per mask cost more than the check's own work)
  if (anyLane(subnormalLanes<W>(m) | subnormalLanes<W>(v) | subnormalLanes<W>(g) | subnormalLanes<W>(p))) {
    if (CONVERTED)
      adamBlockConverted<W>(p, m, v, g, k);
    else
      adamBlockDouble<W>(p, m, v, g, k);
  } else {
    adamBlockFloat<W>(p, m, v, g, k);
  }
}

/**
 * TF1 Adam on n values in place, the float32 arithmetic of
 *   g' = g·scale; m = b1·m + (1−b1)·g'; v = b2·v + (1−b2)·g'·g'; p −= lr·m / (sqrt(v) + eps)
 * (each operation rounded to float32, left to right), W values at a time. The tail goes through
 * a small buffer so that every value takes the same vector path.
 */
template <int W, bool CONVERTED = false>
static inline __attribute__((always_inline)) void adam(float* p, float* m, float* v, const float* g, long n, float scale, float b1, float b2, float lr,
                                                       float eps) {
  const AdamConstants k = {scale, b1, b2, 1.f - b1, 1.f - b2, lr, eps};
  long i = 0;
  for (; i + W <= n; i += W) adamBlock<W, CONVERTED>(p + i, m + i, v + i, g + i, k);
  if (i < n) {
    float tp[W] = {}, tm[W] = {}, tv[W] = {}, tg[W] = {};
    const long r = n - i;
    for (long j = 0; j < r; j++) tp[j] = p[i + j], tm[j] = m[i + j], tv[j] = v[i + j], tg[j] = g[i + j];
    adamBlock<W, CONVERTED>(tp, tm, tv, tg, k);
    for (long j = 0; j < r; j++) p[i + j] = tp[j], m[i + j] = tm[j], v[i + j] = tv[j];
  }
}

/** Σ g² in double, in index order (the clip norm's sum), subnormal-safe. */
static inline __attribute__((always_inline)) double sumSquares(const float* g, long n) {
  double ss = 0;
  for (long i = 0; i < n; i++) {
    uint32_t b;
    std::memcpy(&b, g + i, 4);
    const double x = (b & 0x7f800000u) == 0 ? (double)(b & 0x7fffffu) * 0x1p-149 : (double)g[i];  // |g|: the sign squares away
    ss += x * x;
  }
  return ss;
}

/**
 * Σ g² approximately (double lanes, sums in any order; subnormal g counted as 0, so none reaches
 * the FPU): within a relative 1e-9 of `sumSquares` for n < 2^20 (each sum's rounding error is at
 * most n·2^-53 of it; a subnormal's square is below 2^-252). Tells `sumSquares`'s result is below
 * a clip norm without its chain of n dependent adds.
 */
template <int W>
static inline __attribute__((always_inline)) double sumSquaresApprox(const float* g, long n) {
  LEMOL_LANES;
  D acc[4] = {D{}, D{}, D{}, D{}};
  long i = 0;
  for (; i + 4 * W <= n; i += 4 * W)
    for (int u = 0; u < 4; u++) {
      F x;
      std::memcpy(&x, g + i + u * W, sizeof x);
      const I32 normal = ((I32)x & 0x7f800000) != 0;
      const D d = __builtin_convertvector((F)((I32)x & normal), D);
      acc[u] += d * d;
    }
  double s = 0;
  for (int u = 0; u < 4; u++)
    for (int q = 0; q < W; q++) s += acc[u][q];
  for (; i < n; i++) {
    uint32_t b;
    std::memcpy(&b, g + i, 4);
    const double x = (b & 0x7f800000u) == 0 ? 0.0 : (double)g[i];
    s += x * x;
  }
  return s;
}

/** log(x) on W lanes of positive normal doubles, relative error ~3e-14 (not correctly rounded). */
template <int W>
static inline __attribute__((always_inline)) typename Lanes<W>::d polyLog(typename Lanes<W>::d x) {
  LEMOL_LANES;
  // x = 2^e · m with m in [√2/2, √2): then log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172
  const U64 t = (U64)x + (0x3ff0000000000000ULL - 0x3fe6a09e667f3bcdULL);
  const I64 e = (I64)(t >> 52) - 0x3ff;
  const D m = (D)((t & 0x000fffffffffffffULL) + 0x3fe6a09e667f3bcdULL);
  const D f = m - 1.0;
  const D s = f / (2.0 + f);
  const D z = s * s;
  // the series to z^7/15: truncated at ~3e-14 relative (z < 0.0295), 400 times inside the margin
  // `gumbel` allows
  D q = D{} + 1.0 / 15;
  q = q * z + 1.0 / 13;
  q = q * z + 1.0 / 11;
  q = q * z + 1.0 / 9;
  q = q * z + 1.0 / 7;
  q = q * z + 1.0 / 5;
  q = q * z + 1.0 / 3;
  const D logm = 2.0 * s + 2.0 * s * (z * q);
  // e as a double without an int64 conversion (none in AVX2): e + 1.5·2^52 read as a double
  const D ed = (D)(0x4338000000000000ULL + (U64)e) - 0x1.8p52;
  return ed * 0x1.62e42fee00000p-1 + (ed * 0x1.a39ef35793c76p-33 + logm);  // e·ln2 in two parts
}

/**
 * Stores `valid` lanes of y = −log(−log u) (polynomial logs) as float32 at out: where y's rounding
 * to float32 is certain, else (~1 draw in 2,000: y near a float32 rounding boundary) glibc's log's.
 */
template <int W>
static inline __attribute__((always_inline)) void gumbelStore(typename Lanes<W>::d y, const double* u, float* out, long valid) {
  LEMOL_LANES;
  const D eps = 0x1p-36 * (1.0 + (D)((U64)y & kAbs64));
  const F lo = __builtin_convertvector(y - eps, F), hi = __builtin_convertvector(y + eps, F);
  const I32 sure = lo == hi;
  if (valid == W && allLanes(sure)) {
    std::memcpy(out, &lo, sizeof lo);
    return;
  }
  for (long j = 0; j < valid; j++) out[j] = sure[j] ? lo[j] : (float)(-std::log(-std::log(u[j])));
}

/**
 * out[i] = (float)(−log(−log u[i])) with glibc's log, for u in [1e-20, 1): the polynomial log
 * where its rounding to float32 is certain, glibc's elsewhere (decided lane by lane beside the
 * polynomial, so that the common block is stored as it is computed). Two blocks at a time: the
 * logs are one long chain of dependent operations a block.
 */
template <int W>
static inline __attribute__((always_inline)) void gumbel(const double* __restrict u, float* __restrict out, long n) {
  typedef typename Lanes<W>::d D;
  long i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    D x0, x1;
    std::memcpy(&x0, u + i, sizeof x0);
    std::memcpy(&x1, u + i + W, sizeof x1);
    const D y0 = -polyLog<W>(-polyLog<W>(x0)), y1 = -polyLog<W>(-polyLog<W>(x1));
    gumbelStore<W>(y0, u + i, out + i, W);
    gumbelStore<W>(y1, u + i + W, out + i + W, W);
  }
  for (; i < n; i += W) {
    const long valid = n - i < W ? n - i : W;
    D x = D{} + 0.5;  // (the tail through a padded block, so that it takes the same path)
    for (long j = 0; j < valid; j++) x[j] = u[i + j];
    gumbelStore<W>(-polyLog<W>(-polyLog<W>(x)), u + i, out + i, valid);
  }
}

/** glibc's expf table: 2^(i/32) as double bits, less i << 47 (k's exponent is added to it). */
constexpr uint64_t kExpTable[32] = {0x3ff0000000000000ULL, 0x3fefd9b0d3158574ULL, 0x3fefb5586cf9890fULL, 0x3fef9301d0125b51ULL, 0x3fef72b83c7d517bULL,
                                    0x3fef54873168b9aaULL, 0x3fef387a6e756238ULL, 0x3fef1e9df51fdee1ULL, 0x3fef06fe0a31b715ULL, 0x3feef1a7373aa9cbULL,
                                    0x3feedea64c123422ULL, 0x3feece086061892dULL, 0x3feebfdad5362a27ULL, 0x3feeb42b569d4f82ULL, 0x3feeab07dd485429ULL,
                                    0x3feea47eb03a5585ULL, 0x3feea09e667f3bcdULL, 0x3fee9f75e8ec5f74ULL, 0x3feea11473eb0187ULL, 0x3feea589994cce13ULL,
                                    0x3feeace5422aa0dbULL, 0x3feeb737b0cdc5e5ULL, 0x3feec49182a3f090ULL, 0x3feed503b23e255dULL, 0x3feee89f995ad3adULL,
                                    0x3feeff76f2fb5e47ULL, 0x3fef199bdd85529cULL, 0x3fef3720dcef9069ULL, 0x3fef5818dcfba487ULL, 0x3fef7c97337b9b5fULL,
                                    0x3fefa4afa2a490daULL, 0x3fefd0765b6e4540ULL};

// (GCC builtins, not intrinsics: an intrinsic cannot be inlined into these untargeted templates;
// a builtin is only expanded in the AVX-512 / AVX2 functions that instantiate them)
/** kExpTable[i & 31] for 8 lanes: two two-register permutes and a select. */
static inline __attribute__((always_inline)) Lanes<8>::u64 expTableLookup(Lanes<8>::u64 i) {
  typedef Lanes<8>::u64 U;
  U t[4];
  std::memcpy(t, kExpTable, sizeof t);
  const U lo = __builtin_shuffle(t[0], t[1], i), hi = __builtin_shuffle(t[2], t[3], i);  // (index mod 16)
  return (i & 16) ? hi : lo;
}
/** kExpTable[i & 31] for 4 lanes: a gather. */
static inline __attribute__((always_inline)) Lanes<4>::u64 expTableLookup(Lanes<4>::u64 i) {
  typedef long long V __attribute__((vector_size(32)));
  return (Lanes<4>::u64)__builtin_ia32_gatherdiv4di(V{}, (const long long*)kExpTable, (V)(i & 31), V{} - 1, 8);
}
template <int W>
static inline __attribute__((always_inline)) typename Lanes<W>::d fmaLanes(typename Lanes<W>::d a, typename Lanes<W>::d b, typename Lanes<W>::d c) {
  typename Lanes<W>::d r;
  for (int k = 0; k < W; k++) r[k] = __builtin_fma(a[k], b[k], c[k]);
  return r;
}

/**
 * out[i] = expf(x[i]) with glibc's bits (in place allowed), W at a time: 1/ln2·32 = 0x1.71547652b82fep5,
 * shift 1.5·2^52 rounds k to an integer, the cubic's coefficients are glibc's scaled by 32^-j.
 * Only for ISAs with FMA (glibc's FMA variant contracts z·(1/ln2) into both k and r, and the cubic).
 */
template <int W>
static inline __attribute__((always_inline)) void expf32(const float* x, float* out, long n) {
  LEMOL_LANES;
  const D invLn2N = D{} + 0x1.71547652b82fep5, shift = D{} + 0x1.8p52;
  const D c0 = D{} + 0x1.c6af84b912394p-5 / 32 / 32 / 32, c1 = D{} + 0x1.ebfce50fac4f3p-3 / 32 / 32, c2 = D{} + 0x1.62e42ff0c52d6p-1 / 32;
  long i = 0;
  for (; i + W <= n; i += W) {
    F xf;
    std::memcpy(&xf, x + i, sizeof xf);
    const D xd = __builtin_convertvector(xf, D);
    const D kd = fmaLanes<W>(invLn2N, xd, shift);  // k + 1.5·2^52: k in the low bits
    const U64 ki = (U64)kd;
    const D r = fmaLanes<W>(invLn2N, xd, -(kd - shift));
    const D s = (D)(expTableLookup(ki) + (ki << 47));
    const D p = fmaLanes<W>(c0, r, c1);
    const D y = fmaLanes<W>(p, r * r, fmaLanes<W>(c2, r, D{} + 1.0)) * s;
    const D eps = y * 0x1p-40;
    const F lo = __builtin_convertvector(y - eps, F), hi = __builtin_convertvector(y + eps, F);
    const I32 sure = (lo == hi) & (xf >= -100.f) & (xf <= 88.f);
    if (allLanes(sure)) {
      std::memcpy(out + i, &lo, sizeof lo);
    } else {
      for (int q = 0; q < W; q++) out[i + q] = sure[q] ? lo[q] : std::exp(xf[q]);
    }
  }
  for (; i < n; i++) out[i] = std::exp(x[i]);
}

}  // namespace elementwise
