// Times one Sinter-compiled GEMM (bench/gemm builds it): calls
// `_mlir_ciface_gemm(&out, &lhs, &rhs)` in a loop and prints the median
// GFLOP/s, after checking 256 random entries of the result against a
// float64 dot product. Build: c++ -O2 -Iruntime/src gemm_harness.cpp gemm.o
// libsinter_runtime.a; run: harness LHS_ROWS LHS_COLS RHS_ROWS RHS_COLS
// TRANSPOSE_LHS TRANSPOSE_RHS THREADS.
#include "threads.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <random>
#include <vector>

struct MemRef2D {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
};

extern "C" void _mlir_ciface_gemm(MemRef2D *out, MemRef2D *lhs, MemRef2D *rhs);

static MemRef2D view(std::vector<float> &v, int64_t rows, int64_t cols) {
  return {v.data(), v.data(), 0, {rows, cols}, {cols, 1}};
}

int main(int argc, char **argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s LR LC RR RC TL TR THREADS\n", argv[0]);
    return 2;
  }
  int64_t lr = std::atoll(argv[1]), lc = std::atoll(argv[2]),
          rr = std::atoll(argv[3]), rc = std::atoll(argv[4]);
  bool tl = std::atoi(argv[5]), tr = std::atoi(argv[6]);
  sinter::setThreadCount(std::atoi(argv[7]));
  // As the trainers do: freed blocks stay in the heap for the next call.
  // The one-op function allocates its planned workspace in every call (a
  // trainer gets its workspace once from the runtime), and a block over
  // glibc's largest mmap threshold (32 MiB: the parts of a 2048 x 2048
  // weight gradient) would be mapped and faulted in afresh each time: no
  // mmap at all.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  // out[m, n] = sum_k op(lhs)[m, k] * op(rhs)[k, n]
  int64_t m = tl ? lc : lr, k = tl ? lr : lc, n = tr ? rr : rc;
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> a(lr * lc), b(rr * rc);
  for (float &x : a) x = dist(gen);
  for (float &x : b) x = dist(gen);
  MemRef2D lhs = view(a, lr, lc), rhs = view(b, rr, rc), out;

  _mlir_ciface_gemm(&out, &lhs, &rhs);
  double worst = 0;
  for (int probe = 0; probe < 256; ++probe) {
    int64_t i = gen() % m, j = gen() % n;
    double want = 0, scale = 0;
    for (int64_t p = 0; p < k; ++p) {
      double x = tl ? a[p * lc + i] : a[i * lc + p];
      double y = tr ? b[j * rc + p] : b[p * rc + j];
      want += x * y;
      scale += std::fabs(x * y);
    }
    worst = std::max(worst, std::fabs(out.aligned[i * n + j] - want) / scale);
  }
  std::free(out.allocated);
  if (worst > 1e-5) {
    std::fprintf(stderr, "wrong result: relative error %g\n", worst);
    return 1;
  }

  std::vector<double> seconds;
  auto start = std::chrono::steady_clock::now();
  while (seconds.size() < 5 ||
         std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300)) {
    auto t0 = std::chrono::steady_clock::now();
    _mlir_ciface_gemm(&out, &lhs, &rhs);
    seconds.push_back(std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - t0)
                          .count());
    std::free(out.allocated);
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2,
                   seconds.end());
  std::printf("%.1f\n", 2.0 * m * n * k / seconds[seconds.size() / 2] / 1e9);
  return 0;
}
