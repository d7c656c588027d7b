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
//
// A region's loops split in proportion to how fast each thread ran that
// region before (see Balance): on a shared machine one core is often
// slower for a while (on a Zen 3 VM one thread took 1.3-2x as long over
// the same work, which of the two changing from run to run). Every
// iteration computes whole results, so the split changes no result.
#include "threads.h"

#include "cpus.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>
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
// Nanoseconds the calling thread waited at barriers in its current region.
thread_local int64_t tWaitNs = 0;

using Clock = std::chrono::steady_clock;
int64_t nanosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() -
                                                              start)
      .count();
}

/// Pauses the CPU briefly: a spinning thread leaves the core's other
/// resources to its sibling and does not flood the memory system.
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Whether waiting threads spin: only when every thread of the team has a
/// CPU of its own (usableCpus). On fewer CPUs a spinning thread holds the
/// CPU the thread it waits for needs (mnist-mlp, two threads on one CPU:
/// 72 ms a step spinning, against 2.3 on one thread). Set while the team
/// has no workers.
bool gSpin = true;

/// Waits until `ready()`: spinning first (about a millisecond), then
/// yielding the core.
template <typename Ready> void waitUntil(Ready ready) {
  for (int i = 0; gSpin && i < (1 << 15); ++i) {
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
    Clock::time_point start = Clock::now();
    waitUntil([&] { return sense.load(std::memory_order_acquire) == mine; });
    tWaitNs += nanosSince(start);
  }

private:
  int count = 1;
  std::atomic<int> waiting{0};
  std::atomic<bool> sense{false};
};

/// The shares of one region's loops the threads take: thread t starts at
/// `cut[t]` / 2^32 of a loop's iterations and stops where t + 1 starts.
/// After each run every thread's share moves a quarter of the way to what
/// would have made all finish together (share over the time it worked,
/// barrier waits excluded), within half and 1.5 times an even share.
/// Regions under kMinBalanceNs of work stay even: their times are mostly
/// the fork's.
class Balance {
public:
  static constexpr int64_t kMinBalanceNs = 20000;

  /// The cuts for `threads`, or null while the split is still even.
  const uint64_t *cuts(int threads) {
    if (int(share.size()) != threads) {
      share.assign(size_t(threads), 1.0 / threads);
      cut.clear();
    }
    return cut.empty() ? nullptr : cut.data();
  }

  /// Moves the shares toward the threads' speeds in the last run.
  void update(const std::vector<int64_t> &workNs) {
    int n = int(share.size());
    int64_t total = 0;
    for (int64_t ns : workNs)
      total += ns;
    if (n < 2 || total < kMinBalanceNs * n)
      return;
    // Iterations a thread did per nanosecond, in units of the loops' trips.
    auto speed = [&](int t) {
      return share[size_t(t)] / double(std::max<int64_t>(workNs[size_t(t)], 1));
    };
    double sum = 0;
    for (int t = 0; t < n; ++t)
      sum += speed(t);
    double even = 1.0 / n, norm = 0;
    for (int t = 0; t < n; ++t) {
      double &s = share[size_t(t)];
      s += 0.25 * (speed(t) / sum - s);
      s = std::clamp(s, 0.5 * even, 1.5 * even);
      norm += s;
    }
    cut.assign(size_t(n) + 1, 0);
    double start = 0;
    for (int t = 0; t < n; ++t) {
      share[size_t(t)] /= norm;
      cut[size_t(t)] = uint64_t(start * 4294967296.0);
      start += share[size_t(t)];
    }
    cut[size_t(n)] = uint64_t(1) << 32;
  }

private:
  std::vector<double> share;
  std::vector<uint64_t> cut;
};

/// The regions timed while profiling (see profileRegions); written by the
/// thread that forks, which is the only one that reads them.
struct Profile {
  bool on = false;
  std::unordered_map<Microtask, RegionTimes> regions;

  void record(Microtask task, int64_t wallNs,
              const std::vector<int64_t> &workNs) {
    RegionTimes &r = regions[task];
    r.code = reinterpret_cast<const void *>(task);
    ++r.runs;
    r.wallNs += wallNs;
    r.workNs.resize(std::max(r.workNs.size(), workNs.size()));
    for (size_t t = 0; t < workNs.size(); ++t)
      r.workNs[t] += workNs[t];
  }
};

Profile &profile() {
  static Profile p;
  return p;
}

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
    gSpin = n <= usableCpus();
    for (int i = 1; i < n; ++i)
      workers.emplace_back([this, i, start = generation] { work(i, start); });
  }

  /// Runs `task(&tid, &tid, arg)` on every thread of the team.
  void run(Microtask task, void *arg) {
    barrier.reset(size());
    Balance &balance = balances[task];
    workNs.resize(size_t(size()));
    {
      std::lock_guard<std::mutex> lock(mutex);
      current = task;
      currentArg = arg;
      cuts = balance.cuts(size());
      remaining.store(int(workers.size()), std::memory_order_relaxed);
      ++generation;
      published.store(generation, std::memory_order_release);
    }
    wake.notify_all();
    bool timed = profile().on;
    Clock::time_point start = timed ? Clock::now() : Clock::time_point();
    execute(0, size(), task, arg);
    waitUntil([&] { return remaining.load(std::memory_order_acquire) == 0; });
    if (timed)
      profile().record(task, nanosSince(start), workNs);
    balance.update(workNs);
  }

  Barrier barrier;
  /// The running region's Balance cuts (null: even blocks, staticBlock).
  const uint64_t *cuts = nullptr;

private:
  void execute(int32_t index, int32_t teamSize, Microtask task, void *arg) {
    int32_t gtid = index, btid = 0;
    tThread = index;
    tTeamSize = teamSize;
    tInRegion = true;
    tWaitNs = 0;
    Clock::time_point start = Clock::now();
    task(&gtid, &btid, arg);
    workNs[size_t(index)] = nanosSince(start) - tWaitNs;
    tInRegion = false;
    tTeamSize = 1;
    tThread = 0;
  }

  void work(int index, uint64_t seen) {
    while (true) {
      // Spin a while: regions follow each other closely, within a step and
      // from one step to the next.
      for (int i = 0; gSpin && i < (1 << 20) &&
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
  // Written by each thread for its index before it counts itself done.
  std::vector<int64_t> workNs;
  std::unordered_map<Microtask, Balance> balances;
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

void profileRegions(bool on) {
  profile().on = on;
  if (on)
    profile().regions.clear();
}

std::vector<RegionTimes> regionTimes() {
  std::vector<RegionTimes> all;
  for (const auto &entry : profile().regions)
    all.push_back(entry.second);
  std::sort(
      all.begin(), all.end(), [](const RegionTimes &a, const RegionTimes &b) {
        return a.wallNs != b.wallNs ? a.wallNs > b.wallNs : a.code < b.code;
      });
  return all;
}
int threadCount() { return team().size(); }

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
    bool timed = !outer && sinter::profile().on;
    sinter::Clock::time_point start =
        timed ? sinter::Clock::now() : sinter::Clock::time_point();
    task(&gtid, &btid, arg);
    if (timed) {
      int64_t ns = sinter::nanosSince(start);
      sinter::profile().record(task, ns, {ns});
    }
    tThread = thread, tTeamSize = size, tInRegion = outer;
    return;
  }
  team().run(task, arg);
}

// Loops of fewer trips a thread split evenly, whatever the region's
// shares: a share moves whole iterations, and a loop of two parts on two
// threads (a weight gradient's, sinter-tile-contractions) gave both to one
// thread whenever the other's share fell below one half.
constexpr uint64_t kMinBalancedTrips = 8;

// Static schedule without chunks: thread t of n takes the t-th of n
// contiguous blocks of [lower, upper] (the last `trip % n` one longer), or
// its share of them (Balance).
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
  const uint64_t *cut = team().cuts;
  auto at = [&](uint64_t c) {
    return uint64_t((unsigned __int128)trip * c >> 32);
  };
  auto [first, count] =
      cut && trip >= kMinBalancedTrips * n
          ? std::pair<uint64_t, uint64_t>{at(cut[t]),
                                          at(cut[t + 1]) - at(cut[t])}
          : sinter::staticBlock(trip, n, t);
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
