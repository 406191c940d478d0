// GEMM entry points over the ISA's micro-kernels: column counts that are not a multiple of 16 go
// to the thin kernels or through zero-padded scratch; every GEMM issued can be logged (gemmLog).
#include <cstring>
#include <vector>
#include "gemm_tiles.h"
#include "kernels.h"

namespace lemol {

Scratch padB, padC;

// B's rows x N block copied into padB with rows of Np floats (N rounded up to a multiple of PAD),
// zero beyond N: the wide kernel's operand when N is not a multiple of PAD.
static float* padColumns(const float* B, int ldb, int rows, int N, int Np) {
  float* Bp = grow(padB, (size_t)rows * Np);
  for (int r = 0; r < rows; r++) {
    std::memcpy(Bp + (size_t)r * Np, B + (size_t)r * ldb, N * 4);
    std::memset(Bp + (size_t)r * Np + N, 0, (Np - N) * 4);
  }
  return Bp;
}

// When on, every GEMM issued is recorded as (M, K, N, transposed), in the calls' own convention:
// the update benchmark's list of a round's GEMMs is tested against what the kernels really run.
bool gemmLogOn = false;
std::vector<int32_t> gemmLog;
void logGemm(int M, int K, int N, bool t) {
  if (!gemmLogOn) return;
  gemmLog.push_back(M), gemmLog.push_back(K), gemmLog.push_back(N), gemmLog.push_back(t);
}

void gemm_nn_unlogged(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {
  if (N % PAD == 0 || M < PAD) return kernels.gemmNn(A, lda, B, ldb, C, ldc, M, K, N, acc, e);
  if (!e.relu && !e.mask) {
    // the columns up to a multiple of 16 in the wide kernel, the rest (< 16) in the thin one
    const int wide = N - N % PAD;
    if (wide > 0) kernels.gemmNn(A, lda, B, ldb, C, ldc, M, K, wide, acc, e);
    return kernels.gemmNnThin(A, lda, B + wide, ldb, C + wide, ldc, M, K, N - wide, acc, e.bias ? e.bias + wide : nullptr);
  }
  const int Np = (N + PAD - 1) / PAD * PAD;
  float* Bp = padColumns(B, ldb, K, N, Np);
  float* Cp = grow(padC, (size_t)M * Np);
  // padded: the bias as C's starting value, the rest of the epilogue after the copy back
  if (e.bias)
    for (int i = 0; i < M; i++) std::memcpy(Cp + (size_t)i * Np, e.bias, N * 4);
  else if (acc)
    for (int i = 0; i < M; i++) std::memcpy(Cp + (size_t)i * Np, C + (size_t)i * ldc, N * 4);
  kernels.gemmNn(A, lda, Bp, Np, Cp, Np, M, K, Np, acc || e.bias != nullptr, Epilogue());
  for (int i = 0; i < M; i++) {
    float* row = C + (size_t)i * ldc;
    std::memcpy(row, Cp + (size_t)i * Np, N * 4);
    if (e.relu || e.mask)
      for (int j = 0; j < N; j++) row[j] = finish1(row[j], e, (size_t)i * ldc + j);
  }
}

void gemm_nn(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e) {
  logGemm(M, K, N, false);
  gemm_nn_unlogged(A, lda, B, ldb, C, ldc, M, K, N, acc, e);
}

void gemm_tn_unlogged(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  if (N < PAD && M >= PAD) return kernels.gemmTnThin(A, lda, B, ldb, C, ldc, M, K, N, acc);
  if (N % PAD == 0 || M < PAD) return kernels.gemmTn(A, lda, B, ldb, C, ldc, M, K, N, acc);
  const int Np = (N + PAD - 1) / PAD * PAD;
  float* Bp = padColumns(B, ldb, M, N, Np);
  float* Cp = grow(padC, (size_t)K * Np);
  if (acc)
    for (int k = 0; k < K; k++) std::memcpy(Cp + (size_t)k * Np, C + (size_t)k * ldc, N * 4);
  kernels.gemmTn(A, lda, Bp, Np, Cp, Np, M, K, Np, acc);
  for (int k = 0; k < K; k++) std::memcpy(C + (size_t)k * ldc, Cp + (size_t)k * Np, N * 4);
}

void gemm_tn(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc) {
  logGemm(M, K, N, true);
  gemm_tn_unlogged(A, lda, B, ldb, C, ldc, M, K, N, acc);
}

// db[j] (+)= Σ_b dz[b, j]
void columnSums(const float* __restrict dz, int B, int n, float* __restrict db, bool acc) { kernels.columnSums(dz, B, n, db, acc); }

napi_value Isa(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, kernels.isa, NAPI_AUTO_LENGTH, &s);
  return s;
}

// adamVariant(): how Adam's blocks with a subnormal are computed, "integer" or "converted" (fasterAdam)
napi_value AdamVariant(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, kernels.adamVariant, NAPI_AUTO_LENGTH, &s);
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
  if (transA)
    gemm_tn(A.data, K, B.data, N, C.data, N, M, K, N, acc);
  else
    gemm_nn(A.data, K, B.data, N, C.data, N, M, K, N, acc);
  return nullptr;
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

}  // namespace lemol
