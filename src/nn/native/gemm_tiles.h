// GEMM micro-kernels, templated on the vector type (W floats) and the register tile: written once,
// compiled per ISA by isa.cc (and gemm.cc's padded path uses finish1). Header-only: every function
// is inline, for the ISA of the function that includes it.
#pragma once

#include <cstring>
#include <utility>

#include "kernels.h"

namespace lemol {

// GEMM micro-kernels, templated on the vector type and the register tile (R rows x Q vectors).

template <int W>
struct Vec {
  typedef float type __attribute__((vector_size(W * 4), aligned(4)));
};

template <class V, int W>
static inline __attribute__((always_inline)) V load(const float* p) {
  V v;
  std::memcpy(&v, p, W * 4);
  return v;
}
template <class V, int W>
static inline __attribute__((always_inline)) void store(float* p, V v) {
  std::memcpy(p, &v, W * 4);
}
template <int W>
struct IVec {
  typedef int32_t type __attribute__((vector_size(W * 4)));
};
// x in every lane, broadcast as an integer: a float V{} + x costs an add on the FMA ports before
// the broadcast (x + 0 is not x for −0), an integer broadcast is one load-port instruction
// (vpbroadcastd). The lanes hold x's bits exactly.
template <class V, int W>
static inline __attribute__((always_inline)) V splat(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, 4);
  return (V)(typename IVec<W>::type{} + bits);
}

// An element's starting value (bias, C when accumulating, or 0), and its value on the way out.
template <class V, int W>
static inline __attribute__((always_inline)) V start(const Epilogue& e, bool acc, const float* C, size_t at, int j) {
  return e.bias ? load<V, W>(e.bias + j) : acc ? load<V, W>(C + at) : splat<V, W>(0.f);
}
static inline __attribute__((always_inline)) float start1(const Epilogue& e, bool acc, const float* C, size_t at, int j) {
  return e.bias ? e.bias[j] : acc ? C[at] : 0.f;
}
template <class V, int W>
static inline __attribute__((always_inline)) V finish(V c, const Epilogue& e, size_t at) {
  if (e.relu) c = c > 0 ? c : V{};
  if (e.mask) c = load<V, W>(e.mask + at) > 0 ? c : V{};
  return c;
}
static inline __attribute__((always_inline)) float finish1(float c, const Epilogue& e, size_t at) {
  if (e.relu) c = c > 0.f ? c : 0.f;
  if (e.mask) c = e.mask[at] > 0.f ? c : 0.f;
  return c;
}

// C[M,N] (+)= A[M,K]·B[K,N], with an epilogue
template <class V, int W, int R, int Q>
static inline __attribute__((always_inline)) void gemm_nn_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N,
                                                               bool acc, const Epilogue& e) {
  const int TW = W * Q;
  // rows R at a time up to a multiple of 4, then one at a time (vector FMA chains alike), and the
  // last M % 4 rows scalar: where the rows fall does not depend on R, so neither do the numbers
  const int M4 = M - M % 4;
  int i = 0;
  for (; i + R <= M4; i += R) {
    int j = 0;
    for (; j + TW <= N; j += TW) {
      V c[R][Q];
      for (int r = 0; r < R; r++)
        for (int q = 0; q < Q; q++) c[r][q] = start<V, W>(e, acc, C, (size_t)(i + r) * ldc + j + W * q, j + W * q);
      for (int k = 0; k < K; k++) {
        const float* b = B + (size_t)k * ldb + j;
        V bv[Q];
        for (int q = 0; q < Q; q++) bv[q] = load<V, W>(b + W * q);
        for (int r = 0; r < R; r++) {
          V a = splat<V, W>(A[(size_t)(i + r) * lda + k]);
          for (int q = 0; q < Q; q++) c[r][q] += a * bv[q];
        }
      }
      for (int r = 0; r < R; r++)
        for (int q = 0; q < Q; q++) {
          const size_t at = (size_t)(i + r) * ldc + j + W * q;
          store<V, W>(C + at, finish<V, W>(c[r][q], e, at));
        }
    }
    for (; j + W <= N; j += W) {
      V c[R];
      for (int r = 0; r < R; r++) c[r] = start<V, W>(e, acc, C, (size_t)(i + r) * ldc + j, j);
      for (int k = 0; k < K; k++) {
        V b = load<V, W>(B + (size_t)k * ldb + j);
        for (int r = 0; r < R; r++) c[r] += splat<V, W>(A[(size_t)(i + r) * lda + k]) * b;
      }
      for (int r = 0; r < R; r++) {
        const size_t at = (size_t)(i + r) * ldc + j;
        store<V, W>(C + at, finish<V, W>(c[r], e, at));
      }
    }
    for (; j < N; j++)
      for (int r = 0; r < R; r++) {
        float s = start1(e, acc, C, (size_t)(i + r) * ldc + j, j);
        for (int k = 0; k < K; k++) s += A[(size_t)(i + r) * lda + k] * B[(size_t)k * ldb + j];
        const size_t at = (size_t)(i + r) * ldc + j;
        C[at] = finish1(s, e, at);
      }
  }
  for (; i < M4; i++) {
    int j = 0;
    for (; j + W <= N; j += W) {
      V c = start<V, W>(e, acc, C, (size_t)i * ldc + j, j);
      for (int k = 0; k < K; k++) c += splat<V, W>(A[(size_t)i * lda + k]) * load<V, W>(B + (size_t)k * ldb + j);
      const size_t at = (size_t)i * ldc + j;
      store<V, W>(C + at, finish<V, W>(c, e, at));
    }
    for (; j < N; j++) {
      float s = start1(e, acc, C, (size_t)i * ldc + j, j);
      for (int k = 0; k < K; k++) s += A[(size_t)i * lda + k] * B[(size_t)k * ldb + j];
      const size_t at = (size_t)i * ldc + j;
      C[at] = finish1(s, e, at);
    }
  }
  for (; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = start1(e, acc, C, (size_t)i * ldc + j, j);
      for (int k = 0; k < K; k++) s += A[(size_t)i * lda + k] * B[(size_t)k * ldb + j];
      const size_t at = (size_t)i * ldc + j;
      C[at] = finish1(s, e, at);
    }
}

// A W×W block transposed in registers: log2(W) stages, each swapping the off-diagonal halves of
// every 2h×2h block (element (r, l) moves to (r ^ h, l ^ h) where bit h of r and l differ). The
// shuffle masks are constants (built from index packs), so each shuffle is one or two instructions.
template <int W, int H, int... L>
static inline __attribute__((always_inline)) typename IVec<W>::type lowMask(std::integer_sequence<int, L...>) {
  return typename IVec<W>::type{((L & H) ? W + L - H : L)...};
}
template <int W, int H, int... L>
static inline __attribute__((always_inline)) typename IVec<W>::type highMask(std::integer_sequence<int, L...>) {
  return typename IVec<W>::type{((L & H) ? W + L : L + H)...};
}
template <class V, int W, int H>
static inline __attribute__((always_inline)) void transposeStage(V (&x)[W]) {
  if constexpr (H >= 1) {
    const auto lo = lowMask<W, H>(std::make_integer_sequence<int, W>{});
    const auto hi = highMask<W, H>(std::make_integer_sequence<int, W>{});
    for (int r = 0; r < W; r++) {
      if (r & H) continue;
      const V a = x[r], b = x[r + H];
      x[r] = __builtin_shuffle(a, b, lo);
      x[r + H] = __builtin_shuffle(a, b, hi);
    }
    transposeStage<V, W, H / 2>(x);
  }
}
template <class V, int W>
static inline __attribute__((always_inline)) void transposeBlock(V (&x)[W]) {
  transposeStage<V, W, W / 2>(x);
}

// T = Aᵀ (A: rows × cols, row-major; T: cols × rows): W×W blocks transposed in registers, the
// edges one element at a time (a weight matrix's transpose for a backward pass).
template <class V, int W>
static inline __attribute__((always_inline)) void transpose_impl(const float* A, int rows, int cols, float* T) {
  int r = 0;
  for (; r + W <= rows; r += W) {
    int c = 0;
    for (; c + W <= cols; c += W) {
      V x[W];
      for (int q = 0; q < W; q++) x[q] = load<V, W>(A + (size_t)(r + q) * cols + c);
      transposeBlock<V, W>(x);
      for (int q = 0; q < W; q++) store<V, W>(T + (size_t)(c + q) * rows + r, x[q]);
    }
    for (; c < cols; c++)
      for (int q = 0; q < W; q++) T[(size_t)c * rows + r + q] = A[(size_t)(r + q) * cols + c];
  }
  for (; r < rows; r++)
    for (int c = 0; c < cols; c++) T[(size_t)c * rows + r] = A[(size_t)r * cols + c];
}

// C[M,N] (+)= A[M,K]·B[K,N] for narrow N (< 16: an output layer's forward pass), starting from the
// bias (no activation): vectorised over C's rows, W rows at a time, A's W×W blocks transposed in
// registers, instead of zero-padding N to 16 columns; the last rows as a zero-filled block. Each
// element is the same FMA chain over k (from its bias, C or 0) as in the wide kernel, so the
// numbers are the same. NN (the column count) is a template argument: the accumulators stay in
// registers.
template <class V, int W, int NN>
static inline __attribute__((always_inline)) void gemm_nn_thin_rows(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int i, int rows, int K,
                                                                    bool acc, const float* bias) {
  V c[NN];
  for (int n = 0; n < NN; n++) {
    if (bias) {
      c[n] = splat<V, W>(bias[n]);
    } else if (acc) {
      float t[W] = {};
      for (int r = 0; r < rows; r++) t[r] = C[(size_t)(i + r) * ldc + n];
      c[n] = load<V, W>(t);
    } else {
      c[n] = splat<V, W>(0.f);
    }
  }
  for (int k0 = 0; k0 < K; k0 += W) {
    const int nk = K - k0 < W ? K - k0 : W;
    V at[W];
    if (nk == W && rows == W) {
      for (int r = 0; r < W; r++) at[r] = load<V, W>(A + (size_t)(i + r) * lda + k0);
    } else {
      for (int r = 0; r < W; r++) {
        float t[W] = {};
        if (r < rows)
          for (int q = 0; q < nk; q++) t[q] = A[(size_t)(i + r) * lda + k0 + q];
        at[r] = load<V, W>(t);
      }
    }
    transposeBlock<V, W>(at);  // at[q]: column k0 + q of the W rows
    for (int q = 0; q < nk; q++) {
      const float* b = B + (size_t)(k0 + q) * ldb;
      for (int n = 0; n < NN; n++) c[n] += at[q] * splat<V, W>(b[n]);
    }
  }
  for (int n = 0; n < NN; n++) {
    if (ldc == 1 && rows == W) {
      store<V, W>(C + i, c[n]);
    } else {
      float t[W];
      store<V, W>(t, c[n]);
      for (int r = 0; r < rows; r++) C[(size_t)(i + r) * ldc + n] = t[r];
    }
  }
}

// The wide kernel takes rows 4 at a time (vector FMA chains) and the last M % 4 rows one by one
// (scalar, multiply then add): so do these, to give its numbers.
template <class V, int W, int NN>
static inline __attribute__((always_inline)) void gemm_nn_thin_n(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, bool acc,
                                                                 const float* bias) {
  const int M4 = M - M % 4;
  for (int i = 0; i < M4; i += W) gemm_nn_thin_rows<V, W, NN>(A, lda, B, ldb, C, ldc, i, M4 - i < W ? M4 - i : W, K, acc, bias);
  for (int i = M4; i < M; i++)
    for (int n = 0; n < NN; n++) {
      float s = bias ? bias[n] : acc ? C[(size_t)i * ldc + n] : 0.f;
      for (int k = 0; k < K; k++) s += A[(size_t)i * lda + k] * B[(size_t)k * ldb + n];
      C[(size_t)i * ldc + n] = s;
    }
}

template <class V, int W>
static inline __attribute__((always_inline)) void gemm_nn_thin_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N,
                                                                    bool acc, const float* bias) {
  switch (N) {
#define LEMOL_THIN(NN) \
  case NN:             \
    return gemm_nn_thin_n<V, W, NN>(A, lda, B, ldb, C, ldc, M, K, acc, bias);
    // clang-format off
    LEMOL_THIN(1) LEMOL_THIN(2) LEMOL_THIN(3) LEMOL_THIN(4) LEMOL_THIN(5) LEMOL_THIN(6) LEMOL_THIN(7) LEMOL_THIN(8)
    LEMOL_THIN(9) LEMOL_THIN(10) LEMOL_THIN(11) LEMOL_THIN(12) LEMOL_THIN(13) LEMOL_THIN(14) LEMOL_THIN(15)
    // clang-format on
#undef LEMOL_THIN
  }
}

// Rows k .. k+R-1 of C[K,N] (+)= A[M,K]ᵀ·B[M,N]: R×(W·Q) register tiles across the columns, then
// R×W, then single columns. Each element is one FMA chain over i in order, whatever the tile.
template <class V, int W, int R, int Q>
static inline __attribute__((always_inline)) void gemm_tn_rows(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int N,
                                                               bool acc) {
  const int TW = W * Q;
  int j = 0;
  for (; j + TW <= N; j += TW) {
    V c[R][Q];
    for (int r = 0; r < R; r++)
      for (int q = 0; q < Q; q++) c[r][q] = acc ? load<V, W>(C + (size_t)(k + r) * ldc + j + W * q) : splat<V, W>(0.f);
    for (int i = 0; i < M; i++) {
      const float* b = B + (size_t)i * ldb + j;
      const float* a = A + (size_t)i * lda + k;
      V bv[Q];
      for (int q = 0; q < Q; q++) bv[q] = load<V, W>(b + W * q);
      for (int r = 0; r < R; r++) {
        V av = splat<V, W>(a[r]);
        for (int q = 0; q < Q; q++) c[r][q] += av * bv[q];
      }
    }
    for (int r = 0; r < R; r++)
      for (int q = 0; q < Q; q++) store<V, W>(C + (size_t)(k + r) * ldc + j + W * q, c[r][q]);
  }
  for (; j + W <= N; j += W) {
    V c[R];
    for (int r = 0; r < R; r++) c[r] = acc ? load<V, W>(C + (size_t)(k + r) * ldc + j) : splat<V, W>(0.f);
    for (int i = 0; i < M; i++) {
      V b = load<V, W>(B + (size_t)i * ldb + j);
      const float* a = A + (size_t)i * lda + k;
      for (int r = 0; r < R; r++) c[r] += splat<V, W>(a[r]) * b;
    }
    for (int r = 0; r < R; r++) store<V, W>(C + (size_t)(k + r) * ldc + j, c[r]);
  }
  for (; j < N; j++)
    for (int r = 0; r < R; r++) {
      float s = acc ? C[(size_t)(k + r) * ldc + j] : 0.f;
      for (int i = 0; i < M; i++) s += A[(size_t)i * lda + k + r] * B[(size_t)i * ldb + j];
      C[(size_t)(k + r) * ldc + j] = s;
    }
}

// The last rows < R of C, in a tile of their own height: one row at a time left a single FMA chain
// per W columns in flight (latency bound: AVX2's 6-row tiles leave 4 of 64 rows, 1 of 37).
template <class V, int W, int R, int Q>
static inline __attribute__((always_inline)) void gemm_tn_tail(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int rows,
                                                               int N, bool acc) {
  if constexpr (R > 0) {
    if (rows == R) return gemm_tn_rows<V, W, R, Q>(A, lda, B, ldb, C, ldc, M, k, N, acc);
    gemm_tn_tail<V, W, R - 1, Q>(A, lda, B, ldb, C, ldc, M, k, rows, N, acc);
  }
}

// C[K,N] (+)= A[M,K]ᵀ·B[M,N] (contraction over the rows: weight gradients)
template <class V, int W, int R, int Q>
static inline __attribute__((always_inline)) void gemm_tn_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N,
                                                               bool acc) {
  int k = 0;
  for (; k + R <= K; k += R) gemm_tn_rows<V, W, R, Q>(A, lda, B, ldb, C, ldc, M, k, N, acc);
  if (k < K) gemm_tn_tail<V, W, R - 1, Q>(A, lda, B, ldb, C, ldc, M, k, K - k, N, acc);
}

// C[K,N] (+)= A[M,K]ᵀ·B[M,N] for narrow N (< 16: weight gradients of an output layer): vectorised
// over C's rows (A's columns, contiguous) instead of zero-padding N to 16 columns. Each element is
// the same FMA chain over i as in the wide kernel, so the numbers are the same.
//
// One tile of the narrow kernel: C rows k .. k+NK·W (NK vectors), columns j0 .. j0+NJ, NK·NJ
// independent FMA chains over i (enough to cover the FMA latency: one chain per column left a
// single output column latency bound).
template <class V, int W, int NK, int NJ>
static inline __attribute__((always_inline)) void gemm_tn_thin_tile(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int j0,
                                                                    bool acc) {
  V c[NK][NJ];
  for (int r = 0; r < NK; r++)
    for (int q = 0; q < NJ; q++) {
      if (acc) {
        float t[W];
        for (int x = 0; x < W; x++) t[x] = C[(size_t)(k + r * W + x) * ldc + j0 + q];
        c[r][q] = load<V, W>(t);
      } else {
        c[r][q] = splat<V, W>(0.f);
      }
    }
  for (int i = 0; i < M; i++) {
    V a[NK];
    for (int r = 0; r < NK; r++) a[r] = load<V, W>(A + (size_t)i * lda + k + r * W);
    const float* b = B + (size_t)i * ldb + j0;
    for (int q = 0; q < NJ; q++) {
      const V bq = splat<V, W>(b[q]);
      for (int r = 0; r < NK; r++) c[r][q] += a[r] * bq;
    }
  }
  for (int r = 0; r < NK; r++)
    for (int q = 0; q < NJ; q++) {
      float t[W];
      store<V, W>(t, c[r][q]);
      for (int x = 0; x < W; x++) C[(size_t)(k + r * W + x) * ldc + j0 + q] = t[x];
    }
}

template <class V, int W, int NK>
static inline __attribute__((always_inline)) void gemm_tn_thin_rows(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int N,
                                                                    bool acc) {
  int j0 = 0;
  for (; j0 + 4 <= N; j0 += 4) gemm_tn_thin_tile<V, W, NK, 4>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
  if (N - j0 == 3) gemm_tn_thin_tile<V, W, NK, 3>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
  if (N - j0 == 2) gemm_tn_thin_tile<V, W, NK, 2>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
  if (N - j0 == 1) gemm_tn_thin_tile<V, W, NK, 1>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
}

// The narrow kernel: NK vectors of C's rows at a time (as registers allow), then one, then single rows.
template <class V, int W, int NK>
static inline __attribute__((always_inline)) void gemm_tn_thin_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N,
                                                                    bool acc) {
  int k = 0;
  for (; k + NK * W <= K; k += NK * W) gemm_tn_thin_rows<V, W, NK>(A, lda, B, ldb, C, ldc, M, k, N, acc);
  for (; k + W <= K; k += W) gemm_tn_thin_rows<V, W, 1>(A, lda, B, ldb, C, ldc, M, k, N, acc);
  for (; k < K; k++)
    for (int j = 0; j < N; j++) {
      float s = acc ? C[(size_t)k * ldc + j] : 0.f;
      for (int i = 0; i < M; i++) s += A[(size_t)i * lda + k] * B[(size_t)i * ldb + j];
      C[(size_t)k * ldc + j] = s;
    }
}

// db[j] (+)= Σ_b dz[b, j] (a bias gradient), each column summed in row order (from 0, or from db
// to continue a sum over earlier rows), four vectors of columns at a time in registers
template <class V, int W>
static inline __attribute__((always_inline)) void column_sums_impl(const float* dz, int B, int n, float* db, bool acc) {
  int j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    V c0 = acc ? load<V, W>(db + j) : splat<V, W>(0.f), c1 = acc ? load<V, W>(db + j + W) : c0, c2 = acc ? load<V, W>(db + j + 2 * W) : c0,
      c3 = acc ? load<V, W>(db + j + 3 * W) : c0;
    for (int b = 0; b < B; b++) {
      const float* row = dz + (size_t)b * n + j;
      c0 += load<V, W>(row), c1 += load<V, W>(row + W), c2 += load<V, W>(row + 2 * W), c3 += load<V, W>(row + 3 * W);
    }
    store<V, W>(db + j, c0), store<V, W>(db + j + W, c1), store<V, W>(db + j + 2 * W, c2), store<V, W>(db + j + 3 * W, c3);
  }
  for (; j + W <= n; j += W) {
    V c = acc ? load<V, W>(db + j) : splat<V, W>(0.f);
    for (int b = 0; b < B; b++) c += load<V, W>(dz + (size_t)b * n + j);
    store<V, W>(db + j, c);
  }
  for (; j < n; j++) {
    float c = acc ? db[j] : 0.f;
    for (int b = 0; b < B; b++) c += dz[(size_t)b * n + j];
    db[j] = c;
  }
}

}  // namespace lemol
