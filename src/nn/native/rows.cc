// Row-wise kernels: column parts put side by side (Columns, concatColumns), column slices, and the
// row-wise softmax of Gumbel samples (its expf vectorised: elementwise.h).
#include <cmath>
#include <string>
#include <vector>
#include "kernels.h"

namespace lemol {

// Rows [i0, i0 + rows) of k column parts (part j: rows of widths[j] floats) side by side into out
// (rows of `width`). (Masked vector moves measured no faster: the copies wait on memory.)
void assembleRows(float* out, int width, const float* const* parts, const int* widths, size_t k, size_t i0, int rows) {
  for (int r = 0; r < rows; r++) {
    float* o = out + (size_t)r * width;
    for (size_t j = 0; j < k; j++) {
      copyFloats(o, parts[j] + (i0 + r) * widths[j], widths[j]);
      o += widths[j];
    }
  }
}

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
      if (N)
        v[k] = z;
      else
        o[k] = z;
      mx = z > mx ? z : mx;
    }
    for (size_t k = 0; k < n; k++) o[k] = (N ? v[k] : o[k]) - mx;
  }
  (exact ? exp_generic : kernels.exp)(out, out, (long)((size_t)B * n));
  for (int b = 0; b < B; b++) {
    float* o = out + (size_t)b * n;
    float sum = 0.f;
    for (size_t k = 0; k < n; k++) sum += o[k];
    for (size_t k = 0; k < n; k++) o[k] /= sum;
  }
}
void softmax_rows(const float* x, const float* noise, int B, size_t n, float* out, bool exact) {
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

}  // namespace lemol
