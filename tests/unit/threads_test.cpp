// The OpenMP entry points compiled parallel loops call (threads.cpp): every
// iteration runs exactly once, in contiguous blocks, whatever the thread
// count; barriers hold; nested regions run on one thread.
#include "symbols.h"
#include "threads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern "C" {
struct ident_t;
using Microtask = void (*)(int32_t *, int32_t *, ...);
void __kmpc_fork_call(ident_t *, int32_t, Microtask, ...);
int32_t __kmpc_global_thread_num(ident_t *);
void __kmpc_for_static_init_8u(ident_t *, int32_t, int32_t, int32_t *,
                               uint64_t *, uint64_t *, int64_t *, int64_t,
                               int64_t);
void __kmpc_for_static_fini(ident_t *, int32_t);
void __kmpc_barrier(ident_t *, int32_t);
}

namespace {

struct Loop {
  uint64_t trips;
  std::vector<std::atomic<int>> *visits;
  std::vector<int> *owner; // which thread ran each iteration
  std::atomic<int> *afterBarrier;
  int threads;
  bool nested = false;
  bool uneven = false; // thread `slow`'s iterations take 3 times the other's
  int slow = 1;
};

// What MLIR's translation emits for one `omp.wsloop` in a region.
void body(int32_t *gtid, int32_t *, Loop *loop) {
  int32_t tid = __kmpc_global_thread_num(nullptr);
  EXPECT_EQ(tid, *gtid);
  int32_t last = 0;
  uint64_t lower = 0, upper = loop->trips - 1;
  int64_t stride = 1;
  __kmpc_for_static_init_8u(nullptr, tid, 34, &last, &lower, &upper, &stride,
                            1, 0);
  for (uint64_t i = lower; i < upper + 1; ++i) {
    if (loop->uneven) {
      auto until = std::chrono::steady_clock::now() +
                   std::chrono::microseconds(tid == loop->slow ? 6 : 2);
      while (std::chrono::steady_clock::now() < until) {
      }
    }
    (*loop->visits)[i]++;
    (*loop->owner)[i] = tid;
  }
  __kmpc_for_static_fini(nullptr, tid);
  loop->afterBarrier->fetch_add(1);
  __kmpc_barrier(nullptr, tid);
  // Every thread passed the barrier only after all arrived.
  EXPECT_EQ(loop->afterBarrier->load(), loop->threads);
}

void region(int32_t *gtid, int32_t *btid, void *arg) {
  body(gtid, btid, static_cast<Loop *>(arg));
}

/// Which thread runs each iteration of a compiled loop of `trips`.
std::vector<int> check(int threads, uint64_t trips) {
  sinter::setThreadCount(threads);
  std::vector<std::atomic<int>> visits(trips);
  std::vector<int> owner(trips, -1);
  std::atomic<int> afterBarrier{0};
  Loop loop{trips, &visits, &owner, &afterBarrier, threads};
  __kmpc_fork_call(nullptr, 1, reinterpret_cast<Microtask>(region), &loop);
  for (uint64_t i = 0; i < trips; ++i) {
    EXPECT_EQ(visits[i].load(), 1) << "iteration " << i;
    if (i)
      EXPECT_LE(owner[i - 1], owner[i]) << "blocks are contiguous";
  }
  return owner;
}

TEST(Threads, StaticBlocksCoverEveryIterationOnce) {
  for (int threads : {1, 2, 3})
    for (uint64_t trips : {1, 2, 3, 7, 64, 1000})
      check(threads, trips);
  sinter::setThreadCount(1);
}

TEST(Threads, ParallelBlocksSplitAsCompiledLoops) {
  // The runtime's own loops (a batch's rows) run each row on the thread
  // whose compiled per-example loops read it.
  for (int threads : {1, 2, 3})
    for (int64_t trips : {1, 2, 5, 64, 1000}) {
      std::vector<int> compiled = check(threads, uint64_t(trips));
      std::vector<int> owner(size_t(trips), -1);
      sinter::parallelBlocks(trips, [&](int64_t begin, int64_t end) {
        int thread = __kmpc_global_thread_num(nullptr);
        for (int64_t i = begin; i < end; ++i) {
          EXPECT_EQ(owner[size_t(i)], -1) << "row " << i << " twice";
          owner[size_t(i)] = thread;
        }
      });
      EXPECT_EQ(owner, compiled) << threads << " threads, " << trips;
    }
  sinter::setThreadCount(1);
}

// The uneven loop: a region of its own, so that its threads' speeds are
// its own.
void unevenRegion(int32_t *gtid, int32_t *btid, void *arg) {
  body(gtid, btid, static_cast<Loop *>(arg));
}

TEST(Threads, SlowerThreadsTakeFewerIterations) {
  // A region's loops split by how fast each thread ran it before (within
  // half and 1.5 times an even share): still every iteration once, in
  // contiguous blocks.
  sinter::setThreadCount(2);
  constexpr uint64_t kTrips = 100;
  std::vector<int> owner;
  int64_t most = 0; // thread 0's largest share in the last 10 runs
  for (int run = 0; run < 30; ++run) {
    std::vector<std::atomic<int>> visits(kTrips);
    owner.assign(kTrips, -1);
    std::atomic<int> afterBarrier{0};
    Loop loop{kTrips, &visits, &owner, &afterBarrier, 2};
    loop.uneven = true;
    __kmpc_fork_call(nullptr, 1, reinterpret_cast<Microtask>(unevenRegion),
                     &loop);
    for (uint64_t i = 0; i < kTrips; ++i) {
      ASSERT_EQ(visits[i].load(), 1) << "iteration " << i << ", run " << run;
      if (i)
        ASSERT_LE(owner[i - 1], owner[i]) << "blocks are contiguous";
    }
    int64_t first = std::count(owner.begin(), owner.end(), 0);
    EXPECT_LE(first, 75) << "at most 1.5 times an even share, run " << run;
    if (run >= 20) // a preempted thread may look slow for a run or two
      most = std::max(most, first);
  }
  EXPECT_GE(most, 70) << "the faster thread's share";
  sinter::setThreadCount(1);
}

struct TwoLoops {
  Loop uneven, parts;
};

void unevenThenParts(int32_t *gtid, int32_t *btid, TwoLoops *loops) {
  body(gtid, btid, &loops->uneven);
  body(gtid, btid, &loops->parts);
}

TEST(Threads, FewTripsSplitEvenly) {
  // Thread 0 is slower in the region's long loop, so its share falls to a
  // quarter; the region's loop of two trips still gives each thread one.
  sinter::setThreadCount(2);
  for (int run = 0; run < 20; ++run) {
    std::vector<std::atomic<int>> visits(100), partVisits(2);
    std::vector<int> owner(100, -1), partOwner(2, -1);
    std::atomic<int> afterBarrier{0}, afterPartBarrier{0};
    TwoLoops loops{{100, &visits, &owner, &afterBarrier, 2},
                   {2, &partVisits, &partOwner, &afterPartBarrier, 2}};
    loops.uneven.uneven = true;
    loops.uneven.slow = 0;
    __kmpc_fork_call(nullptr, 1, reinterpret_cast<Microtask>(unevenThenParts),
                     &loops);
    if (run >= 10) {
      EXPECT_LT(std::count(owner.begin(), owner.end(), 0), 50)
          << "the slower thread's share of the long loop, run " << run;
      EXPECT_EQ(partOwner, (std::vector<int>{0, 1})) << "run " << run;
    }
  }
  sinter::setThreadCount(1);
}

void outer(int32_t *, int32_t *, void *arg) {
  // A region inside a region runs on the thread that reaches it.
  auto *count = static_cast<std::atomic<int> *>(arg);
  std::vector<std::atomic<int>> visits(10);
  std::vector<int> owner(10, -1);
  std::atomic<int> afterBarrier{0};
  Loop loop{10, &visits, &owner, &afterBarrier, 1};
  __kmpc_fork_call(nullptr, 1, reinterpret_cast<Microtask>(region), &loop);
  for (auto &v : visits)
    EXPECT_EQ(v.load(), 1);
  count->fetch_add(1);
}

TEST(Threads, NestedRegionsRunOnOneThread) {
  sinter::setThreadCount(2);
  std::atomic<int> count{0};
  __kmpc_fork_call(nullptr, 1, reinterpret_cast<Microtask>(outer), &count);
  EXPECT_EQ(count.load(), 2);
  sinter::setThreadCount(1);
}

} // namespace

namespace {

// Called through a pointer so that it stays a function of its own; more
// than one instruction, so that an address inside it is not its start.
volatile int64_t sink;
void namedForTheProfile(int64_t a, int64_t b) { sink = a * b + sink; }

TEST(Threads, ProfileTimesEachRegionWhileOn) {
  for (int threads : {1, 2}) {
    sinter::setThreadCount(threads);
    std::function<void(int64_t, int64_t)> block = [](int64_t, int64_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    };
    sinter::profileRegions(true);
    sinter::parallelBlocks(8, block);
    sinter::parallelBlocks(8, block);
    sinter::profileRegions(false);
    sinter::parallelBlocks(8, block); // not recorded
    std::vector<sinter::RegionTimes> regions = sinter::regionTimes();
    ASSERT_EQ(regions.size(), 1u) << threads << " threads";
    EXPECT_EQ(regions[0].runs, 2);
    ASSERT_EQ(regions[0].workNs.size(), size_t(threads));
    for (int64_t ns : regions[0].workNs)
      EXPECT_GE(ns, 2 * 200000);
    EXPECT_GE(regions[0].wallNs, regions[0].workNs[0]);
    // Starting again clears it.
    sinter::profileRegions(true);
    EXPECT_TRUE(sinter::regionTimes().empty());
    sinter::profileRegions(false);
  }
  sinter::setThreadCount(1);
}

TEST(Symbols, NamesInternalFunctionsFromTheSymbolTable) {
  void (*f)(int64_t, int64_t) = namedForTheProfile;
  const char *code = reinterpret_cast<const char *>(f);
  EXPECT_EQ(sinter::functionName(code),
            "(anonymous namespace)::namedForTheProfile(long, long)");
  // An address inside it names it too.
  EXPECT_EQ(sinter::functionName(code + 1),
            "(anonymous namespace)::namedForTheProfile(long, long)");
  // A shared library's exported function: named by dladdr (glibc's free is
  // __libc_free).
  EXPECT_NE(sinter::functionName(reinterpret_cast<const void *>(&std::free))
                .find("free"),
            std::string::npos);
}

} // namespace
