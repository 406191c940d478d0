// Times Debian's OpenBLAS cblas_sgemm (one thread) on GEMM shapes given as arguments, for the update
// benchmark's GEMM bound (bench/update.ts): "M K N T" (T = 1 when A is transposed: C = Aᵀ·B, A
// stored K×M, as lemol's weight gradients). Prints one line per shape: M K N T GFLOP/s, the best of
// windows of $GEMM_WINDOW_FLOP FLOPs (default 2e8; 15 windows of that, 5 of longer ones).
// Build: cc -O2 bench/gemm/openblas-gemm.c -lopenblas -o build/openblas-gemm
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  openblas_set_num_threads(1);
  const char* w = getenv("GEMM_WINDOW_FLOP");
  const double window = w ? atof(w) : 2e8;
  const int windows = window > 2e8 ? 5 : 15;
  for (int i = 1; i + 3 < argc; i += 4) {
    int M = atoi(argv[i]), K = atoi(argv[i + 1]), N = atoi(argv[i + 2]), T = atoi(argv[i + 3]);
    float* A = malloc(sizeof(float) * M * K);
    float* B = malloc(sizeof(float) * K * N);
    float* C = malloc(sizeof(float) * M * N);
    for (int j = 0; j < M * K; j++) A[j] = (float)((j * 7919) % 1000) / 1000.0f - 0.5f;
    for (int j = 0; j < K * N; j++) B[j] = (float)((j * 104729) % 1000) / 1000.0f - 0.5f;
    double flop = 2.0 * M * K * N;
    int reps = (int)(window / flop) + 1;
    double best = 0;
    for (int r = 0; r < windows; r++) {
      double t0 = now();
      for (int k = 0; k < reps; k++)
        cblas_sgemm(CblasRowMajor, T ? CblasTrans : CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, T ? M : K, B, N, 0.0f, C, N);
      double rate = flop * reps / (now() - t0) / 1e9;
      if (rate > best) best = rate;
    }
    printf("%d %d %d %d %.2f\n", M, K, N, T, best);
    free(A);
    free(B);
    free(C);
  }
  return 0;
}
