// What data crossing between two CPUs costs on this machine, the numbers
// docs/performance.md quotes for the Zen 5 VM (forty-second session):
// the round trip of one cache line bounced between CPUs 0 and 1, and the
// rate at which CPU 0 reads 8 MiB (a float per line) that CPU 1 has just
// written, against 8 MiB it wrote itself. A trainer's threads pay the
// first whenever a region reads what another thread's region wrote.
//
// usage: g++ -O2 -pthread bench/cross_core.cpp -o cross_core && ./cross_core
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void pinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

double nanosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start)
      .count();
}

/// Nanoseconds for one line to go to CPU 1 and back.
double roundTripNs(int trips) {
  alignas(64) std::atomic<int> flag{0};
  std::thread other([&] {
    pinTo(1);
    for (int i = 0; i < trips; ++i) {
      while (flag.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      flag.store(2 * i + 2, std::memory_order_release);
    }
  });
  pinTo(0);
  Clock::time_point start = Clock::now();
  for (int i = 0; i < trips; ++i) {
    flag.store(2 * i + 1, std::memory_order_release);
    while (flag.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  double ns = nanosSince(start) / trips;
  other.join();
  return ns;
}

/// GB/s of CPU 0 reading one float of each line of `data`.
double readGBs(const std::vector<float> &data) {
  Clock::time_point start = Clock::now();
  float sum = 0;
  for (size_t i = 0; i < data.size(); i += 16)
    sum += data[i];
  double ns = nanosSince(start);
  volatile float sink = sum; // keeps the loop
  (void)sink;
  return double(data.size() * sizeof(float)) / ns;
}

void fill(std::vector<float> &data, float base) {
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = base + float(i);
}

} // namespace

int main() {
  std::printf("line round trip CPU 0 <-> 1: %.0f ns\n", roundTripNs(200000));
  std::vector<float> data((8 << 20) / sizeof(float));
  for (int run = 0; run < 3; ++run) {
    std::thread writer([&] {
      pinTo(1);
      fill(data, float(run));
    });
    writer.join();
    double theirs = readGBs(data);
    fill(data, float(run)); // now CPU 0's own lines
    double own = readGBs(data);
    std::printf("CPU 0 reads 8 MiB written by CPU 1 at %.1f GB/s, by itself "
                "at %.1f GB/s\n",
                theirs, own);
  }
  return 0;
}
