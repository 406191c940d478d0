// Replay-buffer memory: gathering a batch's rows (prefetched ahead), and buffers in transparent huge
// pages.
#include <sys/mman.h>
#include <cstdint>
#include <string>
#include "kernels.h"

namespace lemol {

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
    if (index[b] < 0 || index[b] >= size)
      return fail(env, "replay: index " + std::to_string(index[b]) + " out of range [0, " + std::to_string(size) + ")"), nullptr;
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

}  // namespace lemol
