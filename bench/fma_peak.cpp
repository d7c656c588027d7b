// The machine's fp32 FMA peak, measured: each of N threads runs twelve
// independent chains of fused multiply-adds on vectors of the width it is
// compiled for (-march: 16 lanes with AVX-512, 8 with AVX2), which covers
// the FMA units' latency on two ports. Prints the threads' GFLOP/s
// together. bench/run and bench/gemm divide their GFLOP/s by it.
//
// usage: fma_peak THREADS
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));

constexpr long kIterations = 40'000'000;

/// Twelve chains a = a * b + c, each started apart so that the compiler
/// cannot merge them; returns their sum so that none is dead.
float chains(float seed) {
  constexpr int kChains = 12;
  Vec b = Vec{} + 0.999999f, c = Vec{} + 1e-7f, a[kChains];
  for (int i = 0; i < kChains; ++i)
    a[i] = Vec{} + (seed + i);
  for (long k = 0; k < kIterations; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i)
      a[i] = a[i] * b + c;
  }
  float total = 0;
  for (int i = 0; i < kChains; ++i)
    for (int lane = 0; lane < kLanes; ++lane)
      total += a[i][lane];
  return total;
}

} // namespace

int main(int argc, char **argv) {
  int threads = argc == 2 ? std::atoi(argv[1]) : 0;
  if (threads < 1) {
    std::fprintf(stderr, "usage: fma_peak THREADS\n");
    return 2;
  }
  std::vector<float> sums(threads);
  std::vector<std::thread> team;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    team.emplace_back([&sums, t] { sums[t] = chains(float(t)); });
  for (std::thread &thread : team)
    thread.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double flops = 2.0 * 12 * kLanes * kIterations * threads;
  // The sums keep the chains alive; they are not part of the answer.
  if (sums[0] == 12345.0f)
    std::fprintf(stderr, "unlikely sum\n");
  std::printf("%.1f\n", flops / seconds / 1e9);
  return 0;
}
