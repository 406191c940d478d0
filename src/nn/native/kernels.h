// What lemol's native kernel files share (one file per kernel family, as tfjs-wasm's kernels/):
// the ISA's kernel set (isa.cc), scratch memory, the GEMM entry points (gemm.cc), the MLP block
// passes (mlp.cc), column parts (rows.cc), argument reading (napi_args.cc) and every export's
// N-API function (bound in bindings.cc). Compiles on its own.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <cstring>
#include <vector>

namespace lemol {

// ---------------------------------------------------------------------------------------------
// The vectorised kernels of one instruction set (isa.cc compiles each for AVX-512, AVX2 and the
// baseline; choose_isa picks one into `kernels` when the addon loads).

// What a forward GEMM does around its products, so that no separate pass over C is needed: start
// each element from the bias (broadcast over rows) instead of C or 0, and on the way out apply
// ReLU, or keep the element only where the mask (a ReLU output, laid out as C) is positive (ReLU's
// derivative). Each element is the same FMA chain as without them, so the numbers are the same.
struct Epilogue {
  const float* bias = nullptr;
  bool relu = false;
  const float* mask = nullptr;
};

typedef void (*GemmFn)(const float*, int, const float*, int, float*, int, int, int, int, bool);
typedef void (*GemmNnFn)(const float*, int, const float*, int, float*, int, int, int, int, bool, const Epilogue&);
typedef void (*GemmNnThinFn)(const float*, int, const float*, int, float*, int, int, int, int, bool, const float*);
typedef void (*AdamKernel)(float*, float*, float*, const float*, long, float, float, float, float, float);

struct KernelSet {
  const char* isa;
  /** How Adam's blocks with a subnormal are computed: "integer" or "converted" (isa.cc, fasterAdam). */
  const char* adamVariant;
  GemmNnFn gemmNn;
  GemmFn gemmTn, gemmTnThin;
  GemmNnThinFn gemmNnThin;
  void (*columnSums)(const float*, int, int, float*, bool);
  void (*transpose)(const float*, int, int, float*);
  AdamKernel adam, adamConverted;
  double (*sumSquares)(const float*, long);
  double (*sumSquaresApprox)(const float*, long);
  void (*gumbel)(const double*, float*, long);
  void (*exp)(const float*, float*, long);
};
extern KernelSet kernels;
void choose_isa();
/**
 * Of a kernel family's variants compiled per ISA in its own file (om_lstm.cc, om_play.cc), the one
 * for the ISA choose_isa picked ($LEMOL_NATIVE_ISA or the CPU's best): the choice made once, here.
 */
template <typename T>
T isaVariant(T avx512, T avx2, T generic) {
  const std::string isa = kernels.isa;
  return isa == "avx512" ? avx512 : isa == "avx2" ? avx2 : generic;
}
/** glibc's expf element by element (the reference the vectorised one is held to). */
void exp_generic(const float* x, float* out, long n);

// ---------------------------------------------------------------------------------------------
// Scratch memory, aligned to a cache line (a vector load from an operand that is not splits across
// two lines). Reused across calls (single-threaded JS); its contents do not survive growing.
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
};
inline float* grow(Scratch& s, size_t n) {
  if (s.n < n) {
    std::free(s.p);
    s.p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
    if (!s.p) std::abort();  // (out of memory for a few hundred KB of scratch)
    s.n = n;
  }
  return s.p;
}
inline double* growd(std::vector<double>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// Copies a few floats (a row segment: 1 to ~64), inlined: these copies run tens of thousands of
// times per update round with widths where a call (a memcpy's, or this function's own through the
// PLT, as it was while an optimize attribute kept it out of line) costs more than the copy. The
// empty asm keeps GCC from turning the loops back into a memcpy call.
static inline __attribute__((always_inline)) void copyFloats(float* __restrict dst, const float* __restrict src, int n) {
  int c = 0;
  for (; c + 8 <= n; c += 8) {
    std::memcpy(dst + c, src + c, 8 * sizeof(float));
    asm volatile("");
  }
  for (; c < n; c++) {
    dst[c] = src[c];
    asm volatile("");
  }
}

// ---------------------------------------------------------------------------------------------
// GEMMs (gemm.cc): C = A·B or Aᵀ·B (+C), row-major; the logged ones are recorded for gemmLog.

// Column counts that are not a multiple of 16 (37 inputs, 5 actions, 1 Q-value) would run in the
// kernels' scalar tails; instead they are zero-padded to a multiple of 16 in scratch buffers.
const int PAD = 16;

void gemm_nn_unlogged(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e);
void gemm_nn(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc, const Epilogue& e = Epilogue());
void gemm_tn_unlogged(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc);
void gemm_tn(const float* A, int lda, const float* B, int ldb, float* C, int ldc, int M, int K, int N, bool acc);
/** Records a GEMM (M, K, N, transposed) when gemmLog is on. */
void logGemm(int M, int K, int N, bool t);
// db[j] (+)= Σ_b dz[b, j]
void columnSums(const float* __restrict dz, int B, int n, float* __restrict db, bool acc);

// ---------------------------------------------------------------------------------------------
// Reading arguments (napi_args.cc): each returns false after throwing a JavaScript error that names
// the argument.

struct F32 {
  float* data = nullptr;
  size_t length = 0;
};

bool fail(napi_env env, const std::string& message);
bool getF32(napi_env env, napi_value v, F32* out, const char* what);
/** A Float32Array of exactly `expect` floats (the error names the argument and both sizes). */
bool getF32(napi_env env, napi_value v, F32* out, const char* what, size_t expect);
/** A Float64Array (its data and length). */
bool getF64(napi_env env, napi_value v, double** data, size_t* length, const char* what);
/** A non-negative integer (a count or an offset). */
bool getCount(napi_env env, napi_value v, int* out, const char* what);
bool isNull(napi_env env, napi_value v);
bool getInt(napi_env env, napi_value v, int* out, const char* what);
bool getDouble(napi_env env, napi_value v, double* out, const char* what);
bool getF32List(napi_env env, napi_value v, std::vector<F32>* out, const char* what);
/** Layer sizes from biases (b_l has n_{l+1} entries) and the first kernel (W_0 has n_0·n_1). */
bool layerSizes(napi_env env, const std::vector<F32>& params, std::vector<int>* sizes);

template <size_t N>
bool args(napi_env env, napi_callback_info info, napi_value (&a)[N], size_t need) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (argc < need) return fail(env, "too few arguments");
  return true;
}

// ---------------------------------------------------------------------------------------------
// Column parts (rows.cc): a batch's input given whole (a Float32Array of B rows) or as its column
// parts (an array of Float32Arrays of B rows each, side by side): as parts, each block's rows are
// put together in block-sized scratch, and the whole concatenation is never stored.

// Rows [i0, i0 + rows) of k column parts (part j: rows of widths[j] floats) side by side into out.
void assembleRows(float* out, int width, const float* const* parts, const int* widths, size_t k, size_t i0, int rows);

struct Columns {
  std::vector<F32> parts;
  std::vector<const float*> data;
  std::vector<int> widths;
  int width = 0;
  // rows [i0, i0 + n): a pointer into the single array, or put together in `scratch`
  const float* rows(int i0, int n, float* scratch) const { return parts.size() == 1 ? parts[0].data + (size_t)i0 * width : rowsInto(i0, n, scratch); }
  // rows [i0, i0 + n) copied into `scratch` (n × width)
  float* rowsInto(int i0, int n, float* scratch) const {
    assembleRows(scratch, width, data.data(), widths.data(), parts.size(), i0, n);
    return scratch;
  }
};
bool getColumns(napi_env env, napi_value v, int B, Columns* out, const char* what);

/** Row-wise softmax(x + noise) (noise may be null; out may be x); exact: glibc's expf. */
void softmax_rows(const float* x, const float* noise, int B, size_t n, float* out, bool exact);

// ---------------------------------------------------------------------------------------------
// MLP passes over row blocks (mlp.cc). The layers run block by block, so each block's activations
// go from one layer to the next through L1 instead of the whole batch's through L2/L3 (a GEMM
// sequence on whole-batch buffers ran ~35 % slower than its GEMMs one at a time). Blocks start at
// multiples of 4 rows and hold at least 16 (the last takes the remainder): every row is computed
// by the same kernel path with the same FMA chain as over the whole batch, so the numbers do not
// change. n: layer sizes; a block's layer l has rows × n[l] floats, rows contiguous.
const int ROW_BLOCK = 64;
inline int blockRows(int i0, int B) { return B - i0 < 2 * ROW_BLOCK ? B - i0 : ROW_BLOCK; }

extern Scratch scratchA, scratchB, scratchT, paramsFirst, paramsSecond, scratchIn, scratchIn2;
std::vector<F32> alignedParams(const std::vector<F32>& params, Scratch& store);
void forwardBlock(const std::vector<F32>& params, const std::vector<int>& n, const float* in, int rows, float* const* outs);
void backwardBlock(const std::vector<int>& n, const float* x, int rows, const float* const* acts, const float* dz, std::vector<F32>* grads, bool acc, float* dx,
                   const std::vector<float*>& wts, float* const bufs[2]);
std::vector<float*> transposes(const std::vector<F32>& params, const std::vector<int>& n, bool wantDx, Scratch& store);
int widest(const std::vector<int>& n);
void blockBuffers(int width, float* bufs[2]);
void logForward(int B, const std::vector<int>& n);
void logBackward(int B, const std::vector<int>& n, bool wantGrads, bool wantDx);

// ---------------------------------------------------------------------------------------------
// The exports (bindings.cc binds this list), each defined in its kernel family's file. A new family
// is a new .cc file here (binding.gyp compiles every one) and its lines in this list.
#define LEMOL_EXPORTS(X)          \
  X(isa, Isa)                     \
  X(adamVariant, AdamVariant)     \
  X(gemm, Gemm)                   \
  X(mlpForward, MlpForward)       \
  X(mlpBackward, MlpBackward)     \
  X(adam, Adam)                   \
  X(adamAll, AdamAll)             \
  X(polyak, Polyak)               \
  X(concatColumns, ConcatColumns) \
  X(fillGumbel, FillGumbel)       \
  X(softmaxRows, SoftmaxRows)     \
  X(sliceColumns, SliceColumns)   \
  X(gatherRows, GatherRows)       \
  X(prefetchRows, PrefetchRows)   \
  X(gemmLog, GemmLog)             \
  X(fillIndex, FillIndex)         \
  X(hugeFloats, HugeFloats)       \
  X(criticTrain, CriticTrain)     \
  X(actorTrain, ActorTrain)       \
  X(criticGlue, CriticGlue)       \
  X(actorGlue, ActorGlue)         \
  X(lstmForward, LstmForward)     \
  X(lstmBackward, LstmBackward)   \
  X(lstmStepZ, LstmStepZ)
#define LEMOL_DECLARE_EXPORT(name, fn) napi_value fn(napi_env env, napi_callback_info info);
LEMOL_EXPORTS(LEMOL_DECLARE_EXPORT)
#undef LEMOL_DECLARE_EXPORT

}  // namespace lemol
