// Reading JavaScript arguments (typed arrays, numbers, lists) with errors that name what is wrong.
#include <string>
#include <vector>
#include "kernels.h"

namespace lemol {

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

bool getF32(napi_env env, napi_value v, F32* out, const char* what, size_t expect) {
  if (!getF32(env, v, out, what)) return false;
  if (out->length != expect) return fail(env, std::string(what) + ": expected " + std::to_string(expect) + " floats, got " + std::to_string(out->length));
  return true;
}

bool getF64(napi_env env, napi_value v, double** data, size_t* length, const char* what) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type type = napi_float32_array;
  napi_value ab;
  size_t off;
  void* d = nullptr;
  if (is) napi_get_typedarray_info(env, v, &type, length, &d, &ab, &off);
  if (!is || type != napi_float64_array) return fail(env, std::string(what) + ": expected a Float64Array");
  *data = static_cast<double*>(d);
  return true;
}

bool getCount(napi_env env, napi_value v, int* out, const char* what) {
  if (napi_get_value_int32(env, v, out) != napi_ok || *out < 0) return fail(env, std::string(what) + ": expected a non-negative integer");
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

}  // namespace lemol
