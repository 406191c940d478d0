// lemol's native kernels: the hot arithmetic of training small MLPs at batch ~1024, on float32
// arrays handed over from JavaScript (views into the tfjs wasm heap). Built by node-gyp at install;
// when it is absent the TypeScript composite kernels do the same work through tfjs ops.
//
// Exports (all synchronous, no allocation after warm-up):
//   isa()                                    "avx512" | "avx2" | "generic": the GEMM variant in use
//   adamVariant()                            "integer" | "converted": Adam's exact double lanes (fasterAdam)
//   gemm(A, B, C, M, K, N, transA, acc)      C = A·B or Aᵀ·B (+C), row-major
//   mlpForward(x, B, params[], outs[])       h_l = relu(h_{l-1}·W_l + b_l), last layer linear (outs: every
//                                            layer's output, or the last's alone)
//   mlpBackward(x, B, acts[], dOut, params[], grads[] | null, dx | null)
//   adam(param, m, v, grad, lrT, beta1, beta2, eps, clip)   TF1 Adam with clip_by_norm, in place
//   adamAll(params[], m[], v[], grads[], ...)   adam on each variable of an optimiser step
//   polyak(targets[], onlines[], tau)        target = (1 - tau)·target + tau·online, in place, each pair
//   concatColumns(inputs[], B, out)          [B, n1] ‖ [B, n2] ‖ ... → [B, Σn]
//   sliceColumns(x, B, start, out, into?)    out = x's columns [start, start + w) (into: the other way)
//   softmaxRows(x, noise | null, B, out, exact?)  row-wise softmax(x + noise)
//   fillGumbel(state, out, n, exact?)        Gumbel noise from lemol's xoshiro128** stream
//   fillIndex(state, n, out)                 replay indices as Rng.int(n) draws them
//   gatherRows(data, stride, size, index, segments, outs)   a batch's rows from a replay buffer
//   criticTrain(...), actorTrain(...)        the fused MADDPG update's critic and actor steps (maddpg-fused.ts)
//   hugeFloats(n)                            a Float32Array in transparent huge pages (replay buffers)
//   gemmLog(on)                              the GEMMs issued since the last call (benchmarks)
// Elementwise kernels that must keep float32 bits while vectorised live in elementwise.h; the fused
// MADDPG update's steps (criticTrain, actorTrain) and their float32 glue in fused_update.h.
#include <node_api.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "elementwise.h"
#include "om_lstm.h"

namespace {

// ---------------------------------------------------------------------------------------------
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

// What a forward GEMM does around its products, so that no separate pass over C is needed: start
// each element from the bias (broadcast over rows) instead of C or 0, and on the way out apply
// ReLU, or keep the element only where the mask (a ReLU output, laid out as C) is positive (ReLU's
// derivative). Each element is the same FMA chain as without them, so the numbers are the same.
struct Epilogue {
  const float* bias = nullptr;
  bool relu = false;
  const float* mask = nullptr;
};

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
static inline __attribute__((always_inline)) void gemm_nn_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {
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
static inline __attribute__((always_inline)) void gemm_nn_thin_rows(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int i, int rows, int K, bool acc,
                                                                    const float* bias) {
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
static inline __attribute__((always_inline)) void gemm_nn_thin_n(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, bool acc, const float* bias) {
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
static inline __attribute__((always_inline)) void gemm_nn_thin_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const float* bias) {
  switch (N) {
#define LEMOL_THIN(NN) \
  case NN:             \
    return gemm_nn_thin_n<V, W, NN>(A, lda, B, ldb, C, ldc, M, K, acc, bias);
    LEMOL_THIN(1) LEMOL_THIN(2) LEMOL_THIN(3) LEMOL_THIN(4) LEMOL_THIN(5) LEMOL_THIN(6) LEMOL_THIN(7) LEMOL_THIN(8)
    LEMOL_THIN(9) LEMOL_THIN(10) LEMOL_THIN(11) LEMOL_THIN(12) LEMOL_THIN(13) LEMOL_THIN(14) LEMOL_THIN(15)
#undef LEMOL_THIN
  }
}

// Rows k .. k+R-1 of C[K,N] (+)= A[M,K]ᵀ·B[M,N]: R×(W·Q) register tiles across the columns, then
// R×W, then single columns. Each element is one FMA chain over i in order, whatever the tile.
template <class V, int W, int R, int Q>
static inline __attribute__((always_inline)) void gemm_tn_rows(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int N, bool acc) {
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
static inline __attribute__((always_inline)) void gemm_tn_tail(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int rows, int N, bool acc) {
  if constexpr (R > 0) {
    if (rows == R) return gemm_tn_rows<V, W, R, Q>(A, lda, B, ldb, C, ldc, M, k, N, acc);
    gemm_tn_tail<V, W, R - 1, Q>(A, lda, B, ldb, C, ldc, M, k, rows, N, acc);
  }
}

// C[K,N] (+)= A[M,K]ᵀ·B[M,N] (contraction over the rows: weight gradients)
template <class V, int W, int R, int Q>
static inline __attribute__((always_inline)) void gemm_tn_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
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
static inline __attribute__((always_inline)) void gemm_tn_thin_tile(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int j0, bool acc) {
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
static inline __attribute__((always_inline)) void gemm_tn_thin_rows(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int k, int N, bool acc) {
  int j0 = 0;
  for (; j0 + 4 <= N; j0 += 4) gemm_tn_thin_tile<V, W, NK, 4>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
  if (N - j0 == 3) gemm_tn_thin_tile<V, W, NK, 3>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
  if (N - j0 == 2) gemm_tn_thin_tile<V, W, NK, 2>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
  if (N - j0 == 1) gemm_tn_thin_tile<V, W, NK, 1>(A, lda, B, ldb, C, ldc, M, k, j0, acc);
}

// The narrow kernel: NK vectors of C's rows at a time (as registers allow), then one, then single rows.
template <class V, int W, int NK>
static inline __attribute__((always_inline)) void gemm_tn_thin_impl(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
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

typedef void (*GemmFn)(const float*, int, const float*, int, float*, int, int, int, int, bool);
typedef void (*GemmNnFn)(const float*, int, const float*, int, float*, int, int, int, int, bool, const Epilogue&);

__attribute__((target("avx512f"))) void gemm_nn_avx512(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {
  gemm_nn_impl<Vec<16>::type, 16, 4, 4>(A, lda, B, ldb, C, ldc, M, K, N, acc, e);
}
__attribute__((target("avx512f"))) void gemm_tn_avx512(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  gemm_tn_impl<Vec<16>::type, 16, 4, 4>(A, lda, B, ldb, C, ldc, M, K, N, acc);
}
__attribute__((target("avx512f"))) void gemm_tn_thin_avx512(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  gemm_tn_thin_impl<Vec<16>::type, 16, 4>(A, lda, B, ldb, C, ldc, M, K, N, acc);
}
__attribute__((target("avx512f"))) void column_sums_avx512(const float* dz, int B, int n, float* db, bool acc) {
  column_sums_impl<Vec<16>::type, 16>(dz, B, n, db, acc);
}
__attribute__((target("avx512f"))) void transpose_avx512(const float* A, int rows, int cols, float* T) { transpose_impl<Vec<16>::type, 16>(A, rows, cols, T); }
__attribute__((target("avx2,fma"))) void transpose_avx2(const float* A, int rows, int cols, float* T) { transpose_impl<Vec<8>::type, 8>(A, rows, cols, T); }
void transpose_generic(const float* A, int rows, int cols, float* T) { transpose_impl<Vec<4>::type, 4>(A, rows, cols, T); }
__attribute__((target("avx2,fma"))) void column_sums_avx2(const float* dz, int B, int n, float* db, bool acc) { column_sums_impl<Vec<8>::type, 8>(dz, B, n, db, acc); }
void column_sums_generic(const float* dz, int B, int n, float* db, bool acc) { column_sums_impl<Vec<4>::type, 4>(dz, B, n, db, acc); }
__attribute__((target("avx512f"))) void gemm_nn_thin_avx512(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const float* bias) {
  gemm_nn_thin_impl<Vec<16>::type, 16>(A, lda, B, ldb, C, ldc, M, K, N, acc, bias);
}
__attribute__((target("avx2,fma"))) void gemm_nn_thin_avx2(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const float* bias) {
  gemm_nn_thin_impl<Vec<8>::type, 8>(A, lda, B, ldb, C, ldc, M, K, N, acc, bias);
}
void gemm_nn_thin_generic(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const float* bias) {
  gemm_nn_thin_impl<Vec<4>::type, 4>(A, lda, B, ldb, C, ldc, M, K, N, acc, bias);
}
__attribute__((target("avx2,fma"))) void gemm_tn_thin_avx2(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  gemm_tn_thin_impl<Vec<8>::type, 8, 2>(A, lda, B, ldb, C, ldc, M, K, N, acc);
}
void gemm_tn_thin_generic(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  gemm_tn_thin_impl<Vec<4>::type, 4, 2>(A, lda, B, ldb, C, ldc, M, K, N, acc);
}
__attribute__((target("avx2,fma"))) void gemm_nn_avx2(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {
  gemm_nn_impl<Vec<8>::type, 8, 6, 2>(A, lda, B, ldb, C, ldc, M, K, N, acc, e);
}
__attribute__((target("avx2,fma"))) void gemm_tn_avx2(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  gemm_tn_impl<Vec<8>::type, 8, 6, 2>(A, lda, B, ldb, C, ldc, M, K, N, acc);
}
void gemm_nn_generic(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {
  gemm_nn_impl<Vec<4>::type, 4, 4, 2>(A, lda, B, ldb, C, ldc, M, K, N, acc, e);
}
void gemm_tn_generic(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  gemm_tn_impl<Vec<4>::type, 4, 4, 2>(A, lda, B, ldb, C, ldc, M, K, N, acc);
}

// Elementwise kernels (elementwise.h), one body per ISA; all give the same bits.
#define LEMOL_ELEMENTWISE(suffix, attr, W)                                                                                                 \
  attr void adam_##suffix(float* p, float* m, float* v, const float* g, long n, float scale, float b1, float b2, float lr, float eps) { \
    elementwise::adam<W>(p, m, v, g, n, scale, b1, b2, lr, eps);                                                                        \
  }                                                                                                                                   \
  attr void adam_converted_##suffix(float* p, float* m, float* v, const float* g, long n, float scale, float b1, float b2, float lr,    \
                                    float eps) {                                                                                      \
    elementwise::adam<W, true>(p, m, v, g, n, scale, b1, b2, lr, eps);                                                                  \
  }                                                                                                                                   \
  attr double sum_squares_##suffix(const float* g, long n) { return elementwise::sumSquares(g, n); }                                \
  attr double sum_squares_approx_##suffix(const float* g, long n) { return elementwise::sumSquaresApprox<W>(g, n); }                \
  attr void gumbel_##suffix(const double* u, float* out, double* y, long n) { elementwise::gumbel<W>(u, out, y, n); }
LEMOL_ELEMENTWISE(avx512, __attribute__((target("avx512f"))), 8)
LEMOL_ELEMENTWISE(avx2, __attribute__((target("avx2,fma"))), 4)
LEMOL_ELEMENTWISE(generic, , 2)
#undef LEMOL_ELEMENTWISE
__attribute__((target("avx512f"))) void exp_avx512(const float* x, float* out, long n) { elementwise::expf32<8>(x, out, n); }
__attribute__((target("avx2,fma"))) void exp_avx2(const float* x, float* out, long n) { elementwise::expf32<4>(x, out, n); }
// (no FMA: glibc's expf itself)
void exp_generic(const float* x, float* out, long n) {
  for (long i = 0; i < n; i++) out[i] = std::exp(x[i]);
}
void (*exp_kernel)(const float*, float*, long) = exp_generic;

void (*adam_kernel)(float*, float*, float*, const float*, long, float, float, float, float, float) = adam_generic;
double (*sum_squares_kernel)(const float*, long) = sum_squares_generic;
double (*sum_squares_approx_kernel)(const float*, long) = sum_squares_approx_generic;
void (*gumbel_kernel)(const double*, float*, double*, long) = gumbel_generic;

GemmNnFn gemm_nn_kernel = gemm_nn_generic;
GemmFn gemm_tn_kernel = gemm_tn_generic;
GemmFn gemm_tn_thin_kernel = gemm_tn_thin_generic;
void (*gemm_nn_thin_kernel)(const float*, int, const float*, int, float*, int, int, int, int, bool, const float*) = gemm_nn_thin_generic;
void (*column_sums_kernel)(const float*, int, int, float*, bool) = column_sums_generic;
void (*transpose_kernel)(const float*, int, int, float*) = transpose_generic;
const char* isa_name = "generic";

// Column counts that are not a multiple of 16 (37 inputs, 5 actions, 1 Q-value) would run in the
// kernels' scalar tails; instead they are zero-padded to a multiple of 16 in scratch buffers.
const int PAD = 16;

// Scratch memory, aligned to a cache line (a vector load from an operand that is not splits across
// two lines). Reused across calls (single-threaded JS); its contents do not survive growing.
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
};
float* grow(Scratch& s, size_t n) {
  if (s.n < n) {
    std::free(s.p);
    s.p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
    if (!s.p) std::abort();  // (out of memory for a few hundred KB of scratch)
    s.n = n;
  }
  return s.p;
}
Scratch padB, padC;
double* growd(std::vector<double>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// When on, every GEMM issued is recorded as (M, K, N, transposed), in the calls' own convention:
// the update benchmark's list of a round's GEMMs is tested against what the kernels really run.
bool gemmLogOn = false;
std::vector<int32_t> gemmLog;
inline void logGemm(int M, int K, int N, bool t) {
  if (!gemmLogOn) return;
  gemmLog.push_back(M), gemmLog.push_back(K), gemmLog.push_back(N), gemmLog.push_back(t);
}

void gemm_nn_unlogged(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {
  if (N % PAD == 0 || M < PAD) return gemm_nn_kernel(A, lda, B, ldb, C, ldc, M, K, N, acc, e);
  if (!e.relu && !e.mask) {
    // the columns up to a multiple of 16 in the wide kernel, the rest (< 16) in the thin one
    const int wide = N - N % PAD;
    if (wide > 0) gemm_nn_kernel(A, lda, B, ldb, C, ldc, M, K, wide, acc, e);
    return gemm_nn_thin_kernel(A, lda, B + wide, ldb, C + wide, ldc, M, K, N - wide, acc, e.bias ? e.bias + wide : nullptr);
  }
  const int Np = (N + PAD - 1) / PAD * PAD;
  float* Bp = grow(padB, (size_t)K * Np);
  float* Cp = grow(padC, (size_t)M * Np);
  for (int k = 0; k < K; k++) {
    std::memcpy(Bp + (size_t)k * Np, B + (size_t)k * ldb, N * 4);
    std::memset(Bp + (size_t)k * Np + N, 0, (Np - N) * 4);
  }
  // padded: the bias as C's starting value, the rest of the epilogue after the copy back
  if (e.bias)
    for (int i = 0; i < M; i++) std::memcpy(Cp + (size_t)i * Np, e.bias, N * 4);
  else if (acc)
    for (int i = 0; i < M; i++) std::memcpy(Cp + (size_t)i * Np, C + (size_t)i * ldc, N * 4);
  gemm_nn_kernel(A, lda, Bp, Np, Cp, Np, M, K, Np, acc || e.bias != nullptr, Epilogue());
  for (int i = 0; i < M; i++) {
    float* row = C + (size_t)i * ldc;
    std::memcpy(row, Cp + (size_t)i * Np, N * 4);
    if (e.relu || e.mask)
      for (int j = 0; j < N; j++) row[j] = finish1(row[j], e, (size_t)i * ldc + j);
  }
}

void gemm_nn(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e = Epilogue()) {
  logGemm(M, K, N, false);
  gemm_nn_unlogged(A, lda, B, ldb, C, ldc, M, K, N, acc, e);
}

// Row blocks of an MLP pass: the layers run block by block, so each block's activations go from
// one layer to the next through L1 instead of the whole batch's through L2/L3 (a GEMM sequence on
// whole-batch buffers ran ~35 % slower than its GEMMs one at a time). Blocks start at multiples of
// 4 rows and hold at least 16 (the last takes the remainder): every row is computed by the same
// kernel path with the same FMA chain as over the whole batch, so the numbers do not change.
const int ROW_BLOCK = 64;
inline int blockRows(int i0, int B) { return B - i0 < 2 * ROW_BLOCK ? B - i0 : ROW_BLOCK; }

void gemm_tn_unlogged(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  if (N < PAD && M >= PAD) return gemm_tn_thin_kernel(A, lda, B, ldb, C, ldc, M, K, N, acc);
  if (N % PAD == 0 || M < PAD) return gemm_tn_kernel(A, lda, B, ldb, C, ldc, M, K, N, acc);
  const int Np = (N + PAD - 1) / PAD * PAD;
  float* Bp = grow(padB, (size_t)M * Np);
  float* Cp = grow(padC, (size_t)K * Np);
  for (int i = 0; i < M; i++) {
    std::memcpy(Bp + (size_t)i * Np, B + (size_t)i * ldb, N * 4);
    std::memset(Bp + (size_t)i * Np + N, 0, (Np - N) * 4);
  }
  if (acc)
    for (int k = 0; k < K; k++) std::memcpy(Cp + (size_t)k * Np, C + (size_t)k * ldc, N * 4);
  gemm_tn_kernel(A, lda, Bp, Np, Cp, Np, M, K, Np, acc);
  for (int k = 0; k < K; k++) std::memcpy(C + (size_t)k * ldc, Cp + (size_t)k * Np, N * 4);
}

void gemm_tn(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  logGemm(M, K, N, true);
  gemm_tn_unlogged(A, lda, B, ldb, C, ldc, M, K, N, acc);
}

// The widest GEMM the CPU has, or a narrower one named by $LEMOL_NATIVE_ISA (avx2, generic) for
// tests. The AVX-512 and AVX2 variants accumulate each element in the same order with FMA, so they
// give identical numbers; the generic one has no FMA and differs in the last bits.
typedef void (*AdamFn)(float*, float*, float*, const float*, long, float, float, float, float, float);

// The faster of two Adam kernels that give the same bits (exact double lanes by integer operations,
// or by conversions, which some CPUs do without an assist for subnormals and others not), timed
// on state like a trained network's (a subnormal moment in every block), best of 3 each: ~0.1 ms
// when the addon loads.
AdamFn fasterAdam(AdamFn a, AdamFn b) {
  const long n = 4096;
  std::vector<float> p(n), m(n), v(n), g(n);
  const auto time = [&](AdamFn f) {
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
      for (long i = 0; i < n; i++) {
        p[i] = 0.01f * (float)(i % 97);
        m[i] = i % 8 == 0 ? 1e-40f : 1e-3f;
        v[i] = i % 8 == 3 ? 2e-40f : 1e-6f;
        g[i] = i % 8 == 0 ? 0.f : 1e-2f;
      }
      const auto t0 = std::chrono::steady_clock::now();
      f(p.data(), m.data(), v.data(), g.data(), n, 1.f, 0.9f, 0.999f, 1e-3f, 1e-8f);
      const double d = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = d < best ? d : best;
    }
    return best;
  };
  const char* force = std::getenv("LEMOL_NATIVE_ADAM");  // (tests: "integer" or "converted")
  if (force && std::string(force) == "integer") return a;
  if (force && std::string(force) == "converted") return b;
  return time(b) < time(a) ? b : a;
}
const char* adam_variant = "integer";

void choose_isa() {
  __builtin_cpu_init();
  const char* want = std::getenv("LEMOL_NATIVE_ISA");
  const std::string w = want ? want : "";
  if (w == "generic") return;
  if (w != "avx2" && __builtin_cpu_supports("avx512f")) {
    gemm_nn_kernel = gemm_nn_avx512;
    gemm_tn_kernel = gemm_tn_avx512;
    gemm_tn_thin_kernel = gemm_tn_thin_avx512;
    gemm_nn_thin_kernel = gemm_nn_thin_avx512;
    column_sums_kernel = column_sums_avx512, transpose_kernel = transpose_avx512;
    adam_kernel = fasterAdam(adam_avx512, adam_converted_avx512), adam_variant = adam_kernel == adam_avx512 ? "integer" : "converted", sum_squares_kernel = sum_squares_avx512, sum_squares_approx_kernel = sum_squares_approx_avx512, gumbel_kernel = gumbel_avx512, exp_kernel = exp_avx512;
    isa_name = "avx512";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    gemm_nn_kernel = gemm_nn_avx2;
    gemm_tn_kernel = gemm_tn_avx2;
    gemm_tn_thin_kernel = gemm_tn_thin_avx2;
    gemm_nn_thin_kernel = gemm_nn_thin_avx2;
    column_sums_kernel = column_sums_avx2, transpose_kernel = transpose_avx2;
    adam_kernel = fasterAdam(adam_avx2, adam_converted_avx2), adam_variant = adam_kernel == adam_avx2 ? "integer" : "converted", sum_squares_kernel = sum_squares_avx2, sum_squares_approx_kernel = sum_squares_approx_avx2, gumbel_kernel = gumbel_avx2, exp_kernel = exp_avx2;
    isa_name = "avx2";
  }
}

// ---------------------------------------------------------------------------------------------
// N-API helpers

struct F32 {
  float* data = nullptr;
  size_t length = 0;
};

bool fail(napi_env env, const std::string& message) {
  napi_throw_error(env, "LEMOL_NATIVE", message.c_str());
  return false;
}

bool getF32(napi_env env, napi_value v, F32* out, const char* what) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return fail(env, std::string(what) + ": expected a Float32Array");
  napi_typedarray_type type;
  void* data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &type, &out->length, &data, &ab, &off);
  if (type != napi_float32_array) return fail(env, std::string(what) + ": expected a Float32Array");
  out->data = static_cast<float*>(data);
  return true;
}

bool isNull(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

bool getInt(napi_env env, napi_value v, int* out, const char* what) {
  if (napi_get_value_int32(env, v, out) != napi_ok) return fail(env, std::string(what) + ": expected an integer");
  return true;
}

bool getDouble(napi_env env, napi_value v, double* out, const char* what) {
  if (napi_get_value_double(env, v, out) != napi_ok) return fail(env, std::string(what) + ": expected a number");
  return true;
}

bool getF32List(napi_env env, napi_value v, std::vector<F32>* out, const char* what) {
  bool is = false;
  napi_is_array(env, v, &is);
  if (!is) return fail(env, std::string(what) + ": expected an array of Float32Arrays");
  uint32_t n;
  napi_get_array_length(env, v, &n);
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    if (!getF32(env, e, &(*out)[i], what)) return false;
  }
  return true;
}

template <size_t N>
bool args(napi_env env, napi_callback_info info, napi_value (&a)[N], size_t need) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (argc < need) return fail(env, "too few arguments");
  return true;
}

// Layer sizes from biases (b_l has n_{l+1} entries) and the first kernel (W_0 has n_0·n_1).
bool layerSizes(napi_env env, const std::vector<F32>& params, std::vector<int>* sizes) {
  if (params.size() < 2 || params.size() % 2) return fail(env, "params: expected kernel, bias pairs");
  size_t L = params.size() / 2;
  sizes->assign(L + 1, 0);
  for (size_t l = 0; l < L; l++) (*sizes)[l + 1] = (int)params[2 * l + 1].length;
  if ((*sizes)[1] == 0 || params[0].length % (*sizes)[1]) return fail(env, "params: kernel 0 does not match bias 0");
  (*sizes)[0] = (int)(params[0].length / (*sizes)[1]);
  for (size_t l = 0; l < L; l++)
    if (params[2 * l].length != (size_t)(*sizes)[l] * (*sizes)[l + 1]) return fail(env, "params: kernel " + std::to_string(l) + " has the wrong size");
  return true;
}

// db[j] (+)= Σ_b dz[b, j]
void columnSums(const float* __restrict dz, int B, int n, float* __restrict db, bool acc) {
  column_sums_kernel(dz, B, n, db, acc);
}


Scratch scratchA, scratchB, scratchT;

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
Scratch paramsFirst, paramsSecond;


// Copies a few floats (a row segment: 1 to ~64). A loop, not a memcpy call: these copies run
// thousands of times per update with widths where the call costs more than the copy.
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static inline void copyFloats(float* __restrict dst, const float* __restrict src, int n) {
  for (int c = 0; c < n; c++) dst[c] = src[c];
}

// Rows [i0, i0 + rows) of k column parts (part j: rows of widths[j] floats) side by side into out
// (rows of `width`). (Masked vector moves measured no faster: the copies wait on memory.)
static void assembleRows(float* out, int width, const float* const* parts, const int* widths, size_t k, size_t i0, int rows) {
  for (int r = 0; r < rows; r++) {
    float* o = out + (size_t)r * width;
    for (size_t j = 0; j < k; j++) {
      copyFloats(o, parts[j] + (i0 + r) * widths[j], widths[j]);
      o += widths[j];
    }
  }
}

// A batch's input given whole (a Float32Array of B rows) or as its column parts (an array of
// Float32Arrays of B rows each, side by side): as parts, each block's rows are put together in
// block-sized scratch, and the whole concatenation is never stored.
struct Columns {
  std::vector<F32> parts;
  std::vector<const float*> data;
  std::vector<int> widths;
  int width = 0;
  // rows [i0, i0 + n): a pointer into the single array, or put together in `scratch`
  const float* rows(int i0, int n, float* scratch) const {
    return parts.size() == 1 ? parts[0].data + (size_t)i0 * width : rowsInto(i0, n, scratch);
  }
  // rows [i0, i0 + n) copied into `scratch` (n × width)
  float* rowsInto(int i0, int n, float* scratch) const {
    assembleRows(scratch, width, data.data(), widths.data(), parts.size(), i0, n);
    return scratch;
  }
};

bool getColumns(napi_env env, napi_value v, int B, Columns* out, const char* what) {
  bool list = false;
  napi_is_array(env, v, &list);
  if (list) {
    if (!getF32List(env, v, &out->parts, what)) return false;
  } else {
    out->parts.resize(1);
    if (!getF32(env, v, &out->parts[0], what)) return false;
  }
  if (out->parts.empty()) return fail(env, std::string(what) + ": no columns");
  for (const F32& part : out->parts) {
    if (B <= 0 || part.length % B) return fail(env, std::string(what) + ": each part must hold B rows");
    out->data.push_back(part.data);
    out->widths.push_back((int)(part.length / B));
    out->width += out->widths.back();
  }
  return true;
}
Scratch scratchIn, scratchIn2;

// ---------------------------------------------------------------------------------------------
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
    transpose_kernel(W, nin, nout, wts[li]);
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

// ---------------------------------------------------------------------------------------------
// Exports

napi_value Isa(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, isa_name, NAPI_AUTO_LENGTH, &s);
  return s;
}

// adamVariant(): how Adam's blocks with a subnormal are computed, "integer" or "converted" (fasterAdam)
napi_value AdamVariant(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, adam_variant, NAPI_AUTO_LENGTH, &s);
  return s;
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value a[8];
  if (!args(env, info, a, 8)) return nullptr;
  F32 A, B, C;
  int M, K, N;
  bool transA, acc;
  if (!getF32(env, a[0], &A, "A") || !getF32(env, a[1], &B, "B") || !getF32(env, a[2], &C, "C")) return nullptr;
  if (!getInt(env, a[3], &M, "M") || !getInt(env, a[4], &K, "K") || !getInt(env, a[5], &N, "N")) return nullptr;
  napi_get_value_bool(env, a[6], &transA);
  napi_get_value_bool(env, a[7], &acc);
  if (A.length < (size_t)M * K || B.length < (size_t)(transA ? M : K) * N || C.length < (size_t)(transA ? K : M) * N) {
    fail(env, "gemm: array too short for the given shapes");
    return nullptr;
  }
  if (transA) gemm_tn(A.data, K, B.data, N, C.data, N, M, K, N, acc);
  else gemm_nn(A.data, K, B.data, N, C.data, N, M, K, N, acc);
  return nullptr;
}

// mlpForward(x, B, params[], outs[]): outs = [h_1, ..., h_{L-1}, out], or [out]; x whole or as column parts
napi_value MlpForward(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!args(env, info, a, 4)) return nullptr;
  Columns x;
  int B;
  std::vector<F32> params, outs;
  std::vector<int> n;
  if (!getInt(env, a[1], &B, "B") || !getColumns(env, a[0], B, &x, "x") || !getF32List(env, a[2], &params, "params") || !getF32List(env, a[3], &outs, "outs")) return nullptr;
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
  if (!getF32(env, a[0], &x, "x") || !getInt(env, a[1], &B, "B") || !getF32List(env, a[2], &acts, "acts") || !getF32(env, a[3], &dOut, "dOut") || !getF32List(env, a[4], &params, "params")) return nullptr;
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

// One variable's Adam step, its gradient clipped to norm `clip` first (clip <= 0: none)
// (clipping rarely bites: a gradient whose norm is surely below `clip` by a vectorised estimate
// keeps scale 1, as the exact norm would give it, without the exact norm's serial chain of adds)
void adamStep(const F32& p, const F32& m, const F32& v, const F32& g, double lrT, double b1, double b2, double eps, double clip) {
  float scale = 1.f;
  const long n = (long)g.length;
  if (clip > 0 && !(n < (1L << 20) && sum_squares_approx_kernel(g.data, n) <= clip * clip * (1 - 1e-6))) {
    const double norm = std::sqrt(sum_squares_kernel(g.data, n));
    scale = (float)(clip / (norm > clip ? norm : clip));  // TF's clip_by_norm
  }
  adam_kernel(p.data, m.data, v.data, g.data, (long)p.length, scale, (float)b1, (float)b2, (float)lrT, (float)eps);
}

// adam(param, m, v, grad, lrT, beta1, beta2, eps, clip): clip <= 0 means no clipping
napi_value Adam(napi_env env, napi_callback_info info) {
  napi_value a[9];
  if (!args(env, info, a, 9)) return nullptr;
  F32 p, m, v, g;
  double lrT, b1, b2, eps, clip;
  if (!getF32(env, a[0], &p, "param") || !getF32(env, a[1], &m, "m") || !getF32(env, a[2], &v, "v") || !getF32(env, a[3], &g, "grad")) return nullptr;
  if (!getDouble(env, a[4], &lrT, "lrT") || !getDouble(env, a[5], &b1, "beta1") || !getDouble(env, a[6], &b2, "beta2") || !getDouble(env, a[7], &eps, "eps") || !getDouble(env, a[8], &clip, "clip")) return nullptr;
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
  if (!getF32List(env, a[0], &p, "params") || !getF32List(env, a[1], &m, "m") || !getF32List(env, a[2], &v, "v") || !getF32List(env, a[3], &g, "grads")) return nullptr;
  if (!getDouble(env, a[4], &lrT, "lrT") || !getDouble(env, a[5], &b1, "beta1") || !getDouble(env, a[6], &b2, "beta2") || !getDouble(env, a[7], &eps, "eps") || !getDouble(env, a[8], &clip, "clip")) return nullptr;
  const size_t k = p.size();
  if (m.size() != k || v.size() != k || g.size() != k) return fail(env, "adamAll: one m, v and gradient per variable expected"), nullptr;
  for (size_t j = 0; j < k; j++)
    if (m[j].length != p[j].length || v[j].length != p[j].length || g[j].length != p[j].length) return fail(env, "adamAll: arrays of variable " + std::to_string(j) + " differ in length"), nullptr;
  for (size_t j = 0; j < k; j++) adamStep(p[j], m[j], v[j], g[j], lrT, b1, b2, eps, clip);
  return nullptr;
}

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


napi_value ConcatColumns(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!args(env, info, a, 3)) return nullptr;
  std::vector<F32> ins;
  int B;
  F32 out;
  if (!getF32List(env, a[0], &ins, "inputs") || !getInt(env, a[1], &B, "B") || !getF32(env, a[2], &out, "out")) return nullptr;
  size_t total = 0;
  std::vector<const float*> data;
  std::vector<int> widths;
  for (auto& x : ins) {
    if (B <= 0 || x.length % B) return fail(env, "concatColumns: input size is not a multiple of B"), nullptr;
    total += x.length / B;
    data.push_back(x.data), widths.push_back((int)(x.length / B));
  }
  if (out.length != total * B) return fail(env, "concatColumns: output has the wrong size"), nullptr;
  assembleRows(out.data, (int)total, data.data(), widths.data(), ins.size(), 0, B);
  return nullptr;
}

// Row-wise softmax(x + noise) (noise may be null; out may be x): each row shifted by its max, then
// glibc's expf over the whole block (vectorised: elementwise.h), then each row's sum, left to
// right, and the division by it. Rows of a compile-time width (MPE's 5 actions) unroll.
template <int N>
static void softmax_rows_n(const float* x, const float* __restrict noise, int B, size_t width, float* out, bool exact) {
  const size_t n = N ? N : width;
  for (int b = 0; b < B; b++) {
    const float* xr = x + (size_t)b * n;
    float* o = out + (size_t)b * n;
    float v[N ? N : 1];
    float mx = -INFINITY;
    for (size_t k = 0; k < n; k++) {
      const float z = noise ? xr[k] + noise[(size_t)b * n + k] : xr[k];
      if (N) v[k] = z;
      else o[k] = z;
      mx = z > mx ? z : mx;
    }
    for (size_t k = 0; k < n; k++) o[k] = (N ? v[k] : o[k]) - mx;
  }
  (exact ? exp_generic : exp_kernel)(out, out, (long)((size_t)B * n));
  for (int b = 0; b < B; b++) {
    float* o = out + (size_t)b * n;
    float sum = 0.f;
    for (size_t k = 0; k < n; k++) sum += o[k];
    for (size_t k = 0; k < n; k++) o[k] /= sum;
  }
}
static void softmax_rows(const float* x, const float* noise, int B, size_t n, float* out, bool exact) {
  if (n == 5)
    softmax_rows_n<5>(x, noise, B, n, out, exact);
  else
    softmax_rows_n<0>(x, noise, B, n, out, exact);
}

// softmaxRows(x, noise | null, B, out, exact?): out = softmax(x + noise) row by row (max-shifted);
// exact: glibc's expf element by element (the tests' reference for the vectorised one)
napi_value SoftmaxRows(napi_env env, napi_callback_info info) {
  napi_value a[5];
  if (!args(env, info, a, 4)) return nullptr;
  bool exact = false;
  napi_get_value_bool(env, a[4], &exact);  // (undefined: false)
  F32 x, noise, out;
  int B;
  if (!getF32(env, a[0], &x, "x") || !getInt(env, a[2], &B, "B") || !getF32(env, a[3], &out, "out")) return nullptr;
  bool hasNoise = !isNull(env, a[1]);
  if (hasNoise && !getF32(env, a[1], &noise, "noise")) return nullptr;
  if (B <= 0 || x.length % B || out.length != x.length || (hasNoise && noise.length != x.length)) return fail(env, "softmaxRows: shapes differ"), nullptr;
  softmax_rows(x.data, hasNoise ? noise.data : nullptr, B, x.length / B, out.data, exact);
  return nullptr;
}

// sliceColumns(x, B, start, out): out[b, :] = x[b, start : start + width]
// (with a fifth argument true, the other way: x[b, start : start + width] = out[b, :])
napi_value SliceColumns(napi_env env, napi_callback_info info) {
  napi_value a[5];
  if (!args(env, info, a, 4)) return nullptr;
  bool into = false;
  napi_get_value_bool(env, a[4], &into);  // (undefined: false)
  F32 x, out;
  int B, start;
  if (!getF32(env, a[0], &x, "x") || !getInt(env, a[1], &B, "B") || !getInt(env, a[2], &start, "start") || !getF32(env, a[3], &out, "out")) return nullptr;
  if (B <= 0 || x.length % B || out.length % B) return fail(env, "sliceColumns: sizes are not multiples of B"), nullptr;
  const size_t n = x.length / B, w = out.length / B;
  if (start < 0 || start + w > n) return fail(env, "sliceColumns: columns out of range"), nullptr;
  if (into)
    for (int b = 0; b < B; b++) copyFloats(x.data + (size_t)b * n + start, out.data + (size_t)b * w, w);
  else
    for (int b = 0; b < B; b++) copyFloats(out.data + (size_t)b * w, x.data + (size_t)b * n + start, w);
  return nullptr;
}

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
      gumbel_kernel(u, o, y, m);
  }
  std::memcpy(st, s4, sizeof s4);
  return nullptr;
}

// A replay buffer's rows: data, stride and size (arguments 0-2), checked to fit; then an Int32Array.
static bool getRows(napi_env env, napi_value* a, F32* data, int* stride, int* size, const char* fn) {
  if (!getF32(env, a[0], data, "data") || !getInt(env, a[1], stride, "stride") || !getInt(env, a[2], size, "size")) return false;
  if (*stride <= 0 || *size < 0 || (size_t)*size * *stride > data->length) return fail(env, std::string(fn) + ": size rows of stride floats exceed the data");
  return true;
}
static bool getI32(napi_env env, napi_value v, const int32_t** p, size_t* n, const std::string& what) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type type;
  size_t off;
  void* data = nullptr;
  napi_value ab;
  if (is) napi_get_typedarray_info(env, v, &type, n, &data, &ab, &off);
  if (!is || type != napi_int32_array) return fail(env, what + " must be an Int32Array");
  *p = static_cast<const int32_t*>(data);
  return true;
}
// The fused MADDPG update's steps and their float32 glue (agents/maddpg-fused.ts, side by side).
#include "fused_update.h"

// Every cache line of a row of `stride` floats (Locality: __builtin_prefetch's, 3 = into L1).
template <int Locality>
static inline void prefetchRow(const float* row, int stride) {
  for (int k = 0; k < stride; k += 16) __builtin_prefetch(row + k, 0, Locality);
  __builtin_prefetch(row + stride - 1, 0, Locality);
}

// gatherRows(data, stride, size, index: Int32Array, segments: Int32Array [offset, width]*, outs):
// for each b, copies the `width` floats at `offset` of row index[b] (rows of `stride` floats) into
// outs[s] at b·width. Random rows of a large replay buffer are memory-latency bound: the rows a
// few iterations ahead are prefetched so that their cache misses overlap.
napi_value GatherRows(napi_env env, napi_callback_info info) {
  napi_value a[6];
  if (!args(env, info, a, 6)) return nullptr;
  F32 data;
  int stride, size;
  const int32_t *index = nullptr, *seg = nullptr;
  size_t B = 0, nseg2 = 0;
  if (!getRows(env, a, &data, &stride, &size, "gatherRows") || !getI32(env, a[3], &index, &B, "gatherRows: index") ||
      !getI32(env, a[4], &seg, &nseg2, "gatherRows: segments"))
    return nullptr;
  std::vector<F32> outs;
  if (!getF32List(env, a[5], &outs, "outs")) return nullptr;
  const size_t nseg = nseg2 / 2;
  if (nseg2 % 2 || outs.size() != nseg) return fail(env, "gatherRows: one output per [offset, width] segment"), nullptr;
  for (size_t s = 0; s < nseg; s++)
    if (seg[2 * s] < 0 || seg[2 * s + 1] < 0 || seg[2 * s] + seg[2 * s + 1] > stride || outs[s].length < B * seg[2 * s + 1])
      return fail(env, "gatherRows: segment " + std::to_string(s) + " does not fit the row or its output"), nullptr;
  for (size_t b = 0; b < B; b++)
    if (index[b] < 0 || index[b] >= size) return fail(env, "replay: index " + std::to_string(index[b]) + " out of range [0, " + std::to_string(size) + ")"), nullptr;
  const size_t AHEAD = 8;
  for (size_t b = 0; b < B; b++) {
    if (b + AHEAD < B) prefetchRow<3>(data.data + (size_t)index[b + AHEAD] * stride, stride);
    const float* row = data.data + (size_t)index[b] * stride;
    for (size_t s = 0; s < nseg; s++) {
      const int w = seg[2 * s + 1];
      copyFloats(outs[s].data + b * w, row + seg[2 * s], w);
    }
  }
  return nullptr;
}

// prefetchRows(data, stride, size, index): asks the memory system for the rows at `index` (every
// cache line of each), without waiting: issued before work that does not need them (the update's
// noise), so that their cache misses overlap that work and the gather that follows finds them.
napi_value PrefetchRows(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!args(env, info, a, 4)) return nullptr;
  F32 data;
  int stride, size;
  const int32_t* index = nullptr;
  size_t B = 0;
  if (!getRows(env, a, &data, &stride, &size, "prefetchRows") || !getI32(env, a[3], &index, &B, "prefetchRows: index")) return nullptr;
  for (size_t b = 0; b < B; b++)
    if (index[b] >= 0 && index[b] < size) prefetchRow<2>(data.data + (size_t)index[b] * stride, stride);  // (the gather reports the others)
  return nullptr;
}

// hugeFloats(n): a zero-filled Float32Array of n floats in its own mapping, advised into the
// kernel's transparent huge pages (2 MB): a replay buffer's random rows then each cost a cache
// miss, not also a TLB miss and page walk (4 KB pages: a 50 MB buffer spans 12,800 of them, far
// more than the TLB holds). Unmapped when the array is collected. Null where mmap fails.
void freeHuge(napi_env, void* data, void* hint) { munmap(data, reinterpret_cast<size_t>(hint)); }
napi_value HugeFloats(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!args(env, info, a, 1)) return nullptr;
  int64_t n = 0;
  if (napi_get_value_int64(env, a[0], &n) != napi_ok || n < 1) return fail(env, "hugeFloats: n must be a positive integer"), nullptr;
  const size_t HUGE2M = size_t(2) << 20;
  const size_t bytes = ((size_t)n * 4 + HUGE2M - 1) / HUGE2M * HUGE2M;
  // over-map by 2 MB, then trim to a 2 MB-aligned range (huge pages need the alignment)
  char* raw = static_cast<char*>(mmap(nullptr, bytes + HUGE2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  napi_value out;
  if (raw == MAP_FAILED) return napi_get_null(env, &out), out;
  char* p = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + HUGE2M - 1) & ~(HUGE2M - 1));
  if (p > raw) munmap(raw, p - raw);
  if (p + bytes < raw + bytes + HUGE2M) munmap(p + bytes, raw + bytes + HUGE2M - (p + bytes));
  madvise(p, bytes, MADV_HUGEPAGE);
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, (size_t)n * 4, freeHuge, reinterpret_cast<void*>(bytes), &ab) != napi_ok) {
    munmap(p, bytes);
    return napi_get_null(env, &out), out;
  }
  napi_create_typedarray(env, napi_float32_array, (size_t)n, ab, 0, &out);
  return out;
}

// gemmLog(on): the GEMMs recorded since the last call (Int32Array of M, K, N, transposed per call),
// then recording on or off.
napi_value GemmLog(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!args(env, info, a, 1)) return nullptr;
  bool on = false;
  napi_get_value_bool(env, a[0], &on);
  napi_value ab, out;
  void* data;
  napi_create_arraybuffer(env, gemmLog.size() * 4, &data, &ab);
  if (!gemmLog.empty()) std::memcpy(data, gemmLog.data(), gemmLog.size() * 4);
  napi_create_typedarray(env, napi_int32_array, gemmLog.size(), ab, 0, &out);
  gemmLog.clear();
  gemmLogOn = on;
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  choose_isa();
  struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"isa", Isa}, {"adamVariant", AdamVariant}, {"gemm", Gemm}, {"mlpForward", MlpForward}, {"mlpBackward", MlpBackward}, {"adam", Adam}, {"adamAll", AdamAll}, {"polyak", Polyak}, {"concatColumns", ConcatColumns}, {"fillGumbel", FillGumbel}, {"softmaxRows", SoftmaxRows}, {"sliceColumns", SliceColumns}, {"gatherRows", GatherRows}, {"prefetchRows", PrefetchRows}, {"gemmLog", GemmLog}, {"fillIndex", FillIndex}, {"hugeFloats", HugeFloats}, {"criticTrain", CriticTrain}, {"actorTrain", ActorTrain}};
  for (auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  lemol_om::registerKernels(env, exports);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
