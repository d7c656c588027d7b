// What it costs when two threads split one weight matrix differently from
// phase to phase, the numbers docs/performance.md quotes for the Zen 5 VM
// (forty-third session). mnist-mlp's W1 (784 x 512 floats) goes through a
// step's three phases that touch it on CPUs 0 and 1, each thread taking
// half of the rows or half of the columns:
//   read:   the forward product reads W      (in the trainer: by columns)
//   grad:   the weight gradient writes dW    (by rows)
//   update: Adam reads dW, updates W, m, v   (by rows)
// and prints each phase's median time for every choice of halves. Nothing
// else runs between the phases, so the lines one thread read or wrote are
// still in its caches when the other writes them: an upper bound on what
// the trainer pays, whose other regions evict many of them in between.
//
// usage (-fno-math-errno lets the update's sqrt vectorize):
//   g++ -O3 -march=native -fno-math-errno -pthread bench/weight_ownership.cpp
//       -o weight_ownership && ./weight_ownership
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr long kRows = 784, kCols = 512;

void pinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/// Thread t's half of the matrix: rows [r0, r1) x columns [c0, c1).
struct Half {
  long r0, r1, c0, c1;
};

Half half(bool byRows, int t) {
  if (byRows)
    return {t * kRows / 2, (t + 1) * kRows / 2, 0, kCols};
  return {0, kRows, t * kCols / 2, (t + 1) * kCols / 2};
}

struct Matrices {
  std::vector<float> w, dw, m, v;
  Matrices()
      : w(kRows * kCols, 0.01f), dw(kRows * kCols, 0.001f),
        m(kRows * kCols, 0.0f), v(kRows * kCols, 0.0f) {}
};

/// Reads the half as a product would: 16 sums side by side, so that the
/// loads, not the adds' latency, bound it.
float readHalf(const Matrices &x, Half h) {
  float sums[16] = {};
  for (long r = h.r0; r < h.r1; ++r)
    for (long i = r * kCols + h.c0; i < r * kCols + h.c1; i += 16)
      for (int j = 0; j < 16; ++j)
        sums[j] += x.w[size_t(i + j)];
  return sums[0] + sums[15];
}

void writeGradient(Matrices &x, Half h, float value) {
  for (long r = h.r0; r < h.r1; ++r)
    for (long i = r * kCols + h.c0; i < r * kCols + h.c1; ++i)
      x.dw[size_t(i)] = value * float(i & 7);
}

void adam(Matrices &x, Half h) {
  const float b1 = 0.9f, b2 = 0.999f, lr = 1e-3f, eps = 1e-7f;
  for (long r = h.r0; r < h.r1; ++r)
    for (long i = r * kCols + h.c0; i < r * kCols + h.c1; ++i) {
      size_t k = size_t(i);
      float g = x.dw[k];
      x.m[k] += (g - x.m[k]) * (1 - b1);
      x.v[k] += (g * g - x.v[k]) * (1 - b2);
      x.w[k] -= lr * x.m[k] / (std::sqrt(x.v[k]) + eps);
    }
}

/// Where the reads' sums go, so that the compiler keeps the reads.
volatile float gSink;

/// A barrier for the two threads, spinning.
struct Barrier {
  std::atomic<int> arrived{0};
  void wait(int &generation) {
    generation += 2;
    arrived.fetch_add(1);
    while (arrived.load() < generation) {
    }
  }
};

double median(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Median microseconds of each phase with the given halves.
void measure(bool readRows, bool gradRows, bool updateRows) {
  constexpr int kSteps = 3000, kWarmUp = 200;
  Matrices x;
  Barrier barrier;
  std::vector<double> read, grad, update;
  // Each thread's sum of what it read, kept so that the reads stay; its own
  // until the end (one shared sum bounced between the cores every step).
  float sums[2] = {};
  auto run = [&](int t) {
    pinTo(t);
    int generation = 0;
    float sum = 0;
    for (int step = 0; step < kSteps; ++step) {
      barrier.wait(generation);
      Clock::time_point t0 = Clock::now();
      sum += readHalf(x, half(readRows, t));
      barrier.wait(generation);
      Clock::time_point t1 = Clock::now();
      writeGradient(x, half(gradRows, t), 1e-3f);
      barrier.wait(generation);
      Clock::time_point t2 = Clock::now();
      adam(x, half(updateRows, t));
      barrier.wait(generation);
      if (t == 0 && step >= kWarmUp) {
        auto us = [](Clock::time_point a, Clock::time_point b) {
          return std::chrono::duration<double, std::micro>(b - a).count();
        };
        read.push_back(us(t0, t1));
        grad.push_back(us(t1, t2));
        update.push_back(us(t2, Clock::now()));
      }
    }
    sums[t] = sum;
  };
  std::thread other(run, 1);
  run(0);
  other.join();
  auto by = [](bool rows) { return rows ? "rows" : "cols"; };
  gSink = sums[0] + sums[1];
  std::printf("%-5s %-5s %-6s %8.1f %8.1f %8.1f %8.1f\n", by(readRows),
              by(gradRows), by(updateRows), median(read), median(grad),
              median(update), median(read) + median(grad) + median(update));
}

} // namespace

int main() {
  std::printf("halves: read grad update   read us  grad us  update us  sum\n");
  for (bool readRows : {false, true})
    for (bool gradRows : {true, false})
      for (bool updateRows : {true, false})
        measure(readRows, gradRows, updateRows);
  return 0;
}
