// ISA dispatch, written once: LEMOL_ISA compiles every vectorised kernel (gemm_tiles.h,
// elementwise.h) for one instruction set and collects them in a KernelSet; choose_isa picks the
// widest set the CPU has (or the one $LEMOL_NATIVE_ISA names: avx2, generic) into `kernels`. The
// AVX-512 and AVX2 GEMMs accumulate each element in the same order with FMA, so they give
// identical numbers; the generic one has no FMA and differs in the last bits. The elementwise
// kernels give the same bits on every ISA.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "elementwise.h"
#include "gemm_tiles.h"
#include "kernels.h"

namespace lemol {

namespace {

// One ISA's kernels: the GEMM tile (VW floats a vector, R rows x Q vectors; TQ: the thin
// transposed GEMM's vectors) and the elementwise kernels' double lanes (EW).
#define LEMOL_ISA(isa, attr, VW, R, Q, TQ, EW)                                                                                                          \
  attr void gemm_nn_##isa(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {      \
    gemm_nn_impl<Vec<VW>::type, VW, R, Q>(A, lda, B, ldb, C, ldc, M, K, N, acc, e);                                                                     \
  }                                                                                                                                                     \
  attr void gemm_tn_##isa(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {                         \
    gemm_tn_impl<Vec<VW>::type, VW, R, Q>(A, lda, B, ldb, C, ldc, M, K, N, acc);                                                                        \
  }                                                                                                                                                     \
  attr void gemm_tn_thin_##isa(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {                    \
    gemm_tn_thin_impl<Vec<VW>::type, VW, TQ>(A, lda, B, ldb, C, ldc, M, K, N, acc);                                                                     \
  }                                                                                                                                                     \
  attr void gemm_nn_thin_##isa(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const float* bias) { \
    gemm_nn_thin_impl<Vec<VW>::type, VW>(A, lda, B, ldb, C, ldc, M, K, N, acc, bias);                                                                   \
  }                                                                                                                                                     \
  attr void column_sums_##isa(const float* dz, int B, int n, float* db, bool acc) { column_sums_impl<Vec<VW>::type, VW>(dz, B, n, db, acc); }           \
  attr void transpose_##isa(const float* A, int rows, int cols, float* T) { transpose_impl<Vec<VW>::type, VW>(A, rows, cols, T); }                      \
  attr void adam_##isa(float* p, float* m, float* v, const float* g, long n, float scale, float b1, float b2, float lr, float eps) {                    \
    elementwise::adam<EW>(p, m, v, g, n, scale, b1, b2, lr, eps);                                                                                       \
  }                                                                                                                                                     \
  attr void adam_converted_##isa(float* p, float* m, float* v, const float* g, long n, float scale, float b1, float b2, float lr, float eps) {          \
    elementwise::adam<EW, true>(p, m, v, g, n, scale, b1, b2, lr, eps);                                                                                 \
  }                                                                                                                                                     \
  attr double sum_squares_##isa(const float* g, long n) { return elementwise::sumSquares(g, n); }                                                       \
  attr double sum_squares_approx_##isa(const float* g, long n) { return elementwise::sumSquaresApprox<EW>(g, n); }                                      \
  attr void gumbel_##isa(const double* u, float* out, long n) { elementwise::gumbel<EW>(u, out, n); }                                                   \
  const KernelSet isa##_kernels = {#isa,                                                                                                                \
                                   "integer",                                                                                                           \
                                   gemm_nn_##isa,                                                                                                       \
                                   gemm_tn_##isa,                                                                                                       \
                                   gemm_tn_thin_##isa,                                                                                                  \
                                   gemm_nn_thin_##isa,                                                                                                  \
                                   column_sums_##isa,                                                                                                   \
                                   transpose_##isa,                                                                                                     \
                                   adam_##isa,                                                                                                          \
                                   adam_converted_##isa,                                                                                                \
                                   sum_squares_##isa,                                                                                                   \
                                   sum_squares_approx_##isa,                                                                                            \
                                   gumbel_##isa,                                                                                                        \
                                   exp_##isa};

__attribute__((target("avx512f"))) void exp_avx512(const float* x, float* out, long n) { elementwise::expf32<8>(x, out, n); }
__attribute__((target("avx2,fma"))) void exp_avx2(const float* x, float* out, long n) { elementwise::expf32<4>(x, out, n); }

LEMOL_ISA(avx512, __attribute__((target("avx512f"))), 16, 4, 4, 4, 8)
LEMOL_ISA(avx2, __attribute__((target("avx2,fma"))), 8, 6, 2, 2, 4)
LEMOL_ISA(generic, , 4, 4, 2, 2, 2)
#undef LEMOL_ISA

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

}  // namespace

// (no FMA: glibc's expf itself)
void exp_generic(const float* x, float* out, long n) {
  for (long i = 0; i < n; i++) out[i] = std::exp(x[i]);
}

KernelSet kernels = generic_kernels;

void choose_isa() {
  __builtin_cpu_init();
  const char* want = std::getenv("LEMOL_NATIVE_ISA");
  const std::string w = want ? want : "";
  if (w == "generic") return;
  if (w != "avx2" && __builtin_cpu_supports("avx512f"))
    kernels = avx512_kernels;
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    kernels = avx2_kernels;
  else
    return;
  kernels.adam = fasterAdam(kernels.adam, kernels.adamConverted);
  kernels.adamVariant = kernels.adam == kernels.adamConverted ? "converted" : "integer";
}

}  // namespace lemol
