// A fork-join team for the compiled code's parallel loops: the `__kmpc_*`
// subset that MLIR's OpenMP-to-LLVM translation calls (fork_call with its
// arguments packed in one struct, static loop scheduling, barrier).
// Workers spin for the next region, then sleep on a condition variable;
// nested regions run on the thread that reaches them.
//
// Waiting spins on the CPU's pause instruction before it yields: a region
// of gpt-mini's step lasts tens of microseconds, and a thread that waits
// in sched_yield (a system call, dearer still in a virtual machine) starts
// its share late, which the other thread then waits for at the end.
#include "threads.h"

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace sinter {
namespace {

using Microtask = void (*)(int32_t *gtid, int32_t *btid, ...);

// The calling thread's place: its index and its team's size (1 outside
// parallel regions and in nested ones, which run on one thread).
thread_local int32_t tThread = 0;
thread_local int32_t tTeamSize = 1;
thread_local bool tInRegion = false;

/// Pauses the CPU briefly: a spinning thread leaves the core's other
/// resources to its sibling and does not flood the memory system.
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Waits until `ready()`: spinning first (about a millisecond), then
/// yielding the core, for machines with more threads than cores.
template <typename Ready> void waitUntil(Ready ready) {
  for (int i = 0; i < (1 << 15); ++i) {
    if (ready())
      return;
    cpuRelax();
  }
  while (!ready())
    std::this_thread::yield();
}

/// A sense-reversing barrier over the team's threads.
class Barrier {
public:
  void reset(int n) { count = n, waiting.store(0), sense.store(false); }
  void wait() {
    bool mine = !sense.load(std::memory_order_relaxed);
    if (waiting.fetch_add(1, std::memory_order_acq_rel) + 1 == count) {
      waiting.store(0, std::memory_order_relaxed);
      sense.store(mine, std::memory_order_release);
      return;
    }
    waitUntil([&] { return sense.load(std::memory_order_acquire) == mine; });
  }

private:
  int count = 1;
  std::atomic<int> waiting{0};
  std::atomic<bool> sense{false};
};

class Team {
public:
  ~Team() { resize(1); }

  int size() const { return int(workers.size()) + 1; }

  void resize(int n) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      ++generation;
      published.store(generation, std::memory_order_release); // ends spins
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
    workers.clear();
    stopping = false;
    for (int i = 1; i < n; ++i)
      workers.emplace_back([this, i, start = generation] { work(i, start); });
  }

  /// Runs `task(&tid, &tid, arg)` on every thread of the team.
  void run(Microtask task, void *arg) {
    barrier.reset(size());
    {
      std::lock_guard<std::mutex> lock(mutex);
      current = task;
      currentArg = arg;
      remaining.store(int(workers.size()), std::memory_order_relaxed);
      ++generation;
      published.store(generation, std::memory_order_release);
    }
    wake.notify_all();
    execute(0, size(), task, arg);
    waitUntil([&] { return remaining.load(std::memory_order_acquire) == 0; });
  }

  Barrier barrier;

private:
  static void execute(int32_t index, int32_t teamSize, Microtask task,
                      void *arg) {
    int32_t gtid = index, btid = 0;
    tThread = index;
    tTeamSize = teamSize;
    tInRegion = true;
    task(&gtid, &btid, arg);
    tInRegion = false;
    tTeamSize = 1;
    tThread = 0;
  }

  void work(int index, uint64_t seen) {
    while (true) {
      // Spin a while: regions follow each other closely, within a step and
      // from one step to the next.
      for (int i = 0; i < (1 << 20) &&
                      published.load(std::memory_order_acquire) == seen;
           ++i)
        cpuRelax();
      Microtask task;
      void *arg;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen || stopping; });
        if (stopping)
          return;
        seen = generation;
        task = current;
        arg = currentArg;
      }
      execute(int32_t(index), size(), task, arg);
      remaining.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  uint64_t generation = 0;
  std::atomic<uint64_t> published{0};
  bool stopping = false;
  Microtask current = nullptr;
  void *currentArg = nullptr;
  std::atomic<int> remaining{0};
};

Team &team() {
  static Team t;
  return t;
}

/// Thread t's block of `trips` iterations on `threads` threads: its first
/// iteration and its count.
std::pair<uint64_t, uint64_t> staticBlock(uint64_t trips, uint64_t threads,
                                          uint64_t t) {
  uint64_t base = trips / threads, extra = trips % threads;
  // The last `extra` threads take one more: thread 0 (the caller) also
  // forks the region and runs the code between regions.
  uint64_t longer = threads - extra;
  return {t * base + (t > longer ? t - longer : 0),
          base + (t >= longer ? 1 : 0)};
}

} // namespace

void setThreadCount(int n) { team().resize(n < 1 ? 1 : n); }
int threadCount() { return team().size(); }
int hardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? int(n) : 1;
}

} // namespace sinter

using sinter::team;
using sinter::tInRegion;
using sinter::tTeamSize;
using sinter::tThread;

extern "C" {

struct ident_t; // source location, unused

int32_t __kmpc_global_thread_num(ident_t *) { return tThread; }

// MLIR packs every shared value into one struct: argc is always 1.
void __kmpc_fork_call(ident_t *, int32_t argc, sinter::Microtask task, ...) {
  va_list ap;
  va_start(ap, task);
  void *arg = argc > 0 ? va_arg(ap, void *) : nullptr;
  va_end(ap);
  if (argc > 1) {
    std::fprintf(stderr, "sinter: parallel region with %d arguments\n", argc);
    std::abort();
  }
  if (tInRegion || team().size() == 1) { // nested or serial: this thread
    int32_t thread = tThread, size = tTeamSize;
    bool outer = tInRegion;
    int32_t gtid = 0, btid = 0;
    tThread = 0, tTeamSize = 1, tInRegion = true;
    task(&gtid, &btid, arg);
    tThread = thread, tTeamSize = size, tInRegion = outer;
    return;
  }
  team().run(task, arg);
}

// Static schedule without chunks: thread t of n takes the t-th of n
// contiguous blocks of [lower, upper] (the last `trip % n` one longer).
void __kmpc_for_static_init_8u(ident_t *, int32_t gtid, int32_t,
                               int32_t *lastIter, uint64_t *lower,
                               uint64_t *upper, int64_t *stride, int64_t incr,
                               int64_t) {
  uint64_t n = uint64_t(tTeamSize), t = uint64_t(gtid);
  if (n == 1) {
    *lastIter = 1;
    *stride = incr * int64_t(*upper - *lower + 1);
    return;
  }
  uint64_t trip = (*upper - *lower) / uint64_t(incr) + 1;
  auto [first, count] = sinter::staticBlock(trip, n, t);
  uint64_t begin = *lower + first * uint64_t(incr);
  *lower = begin;
  *upper = begin + count * uint64_t(incr) - 1; // count 0: upper = lower - 1
  *lastIter = first + count == trip;
  *stride = incr * int64_t(trip);
}

void __kmpc_for_static_fini(ident_t *, int32_t) {}

void __kmpc_barrier(ident_t *, int32_t) {
  if (tTeamSize > 1)
    team().barrier.wait();
}

} // extern "C"

namespace sinter {
namespace {

struct BlockCall {
  int64_t trips;
  const std::function<void(int64_t, int64_t)> *block;
};

/// parallelBlocks' microtask: the calling thread's block of the trips.
void runBlock(int32_t *gtid, int32_t *btid, ...) {
  va_list ap;
  va_start(ap, btid);
  auto *call = va_arg(ap, BlockCall *);
  va_end(ap);
  auto [first, count] = staticBlock(uint64_t(call->trips),
                                    uint64_t(tTeamSize), uint64_t(*gtid));
  if (count)
    (*call->block)(int64_t(first), int64_t(first + count));
}

} // namespace

void parallelBlocks(int64_t trips,
                    const std::function<void(int64_t, int64_t)> &block) {
  BlockCall call{trips, &block};
  __kmpc_fork_call(nullptr, 1, runBlock, &call);
}

} // namespace sinter
