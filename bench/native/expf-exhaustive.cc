// Checks lemol's vectorised expf (src/nn/native/elementwise.h, `expf32`) against glibc's expf on
// every float in [-100, 88] (2.24 billion of them), for the AVX-512 and AVX2 bodies; prints the
// first mismatches and the count (0 expected). About 15 s on one core.
//   g++ -O3 -std=c++17 -fno-math-errno -w bench/native/expf-exhaustive.cc -o build/expf-exhaustive && build/expf-exhaustive
// (the addon's flags, binding.gyp; on a CPU without AVX-512 drop the e512 lines)
#include <cstdio>
#include <cstring>
#include <vector>

#include "../../src/nn/native/elementwise.h"

__attribute__((target("avx512f"))) void e512(const float* x, float* o, long n) { elementwise::expf32<8>(x, o, n); }
__attribute__((target("avx2,fma"))) void e2(const float* x, float* o, long n) { elementwise::expf32<4>(x, o, n); }

int main() {
  const long CH = 1 << 20;
  std::vector<float> x(CH), a(CH), b(CH);
  long bad512 = 0, bad2 = 0, total = 0;
  auto run = [&](uint32_t lo, uint32_t hi) {  // the float bit patterns [lo, hi)
    for (uint64_t s = lo; s < hi; s += CH) {
      const long n = (long)(hi - s < (uint64_t)CH ? hi - s : CH);
      for (long i = 0; i < n; i++) {
        const uint32_t u = (uint32_t)(s + i);
        std::memcpy(&x[i], &u, 4);
      }
      e512(x.data(), a.data(), n);
      e2(x.data(), b.data(), n);
      for (long i = 0; i < n; i++) {
        const float g = expf(x[i]);
        if (std::memcmp(&g, &a[i], 4) && bad512++ < 5) printf("avx512 x=%a glibc=%a got=%a\n", x[i], g, a[i]);
        if (std::memcmp(&g, &b[i], 4) && bad2++ < 5) printf("avx2 x=%a glibc=%a got=%a\n", x[i], g, b[i]);
      }
      total += n;
    }
  };
  const float m100 = -100.f, p88 = 88.f;
  uint32_t um, up;
  std::memcpy(&um, &m100, 4);
  std::memcpy(&up, &p88, 4);
  run(0x80000000u, um + 1);  // -0 down to -100
  run(0, up + 1);            // +0 up to 88
  printf("checked %ld floats: %ld differ (avx512), %ld differ (avx2)\n", total, bad512, bad2);
  return bad512 || bad2;
}
