// The threads compiled code runs on. Parallel loops in the emitted object
// are OpenMP-dialect loops lowered to calls of the `__kmpc_*` entry points
// an OpenMP runtime exports; threads.cpp implements the few the compiler
// emits, so a trainer needs no OpenMP library. Loops are split into
// contiguous blocks of whole iterations, sized by how fast each thread ran
// the region before, and no sum is ever split across threads, so results
// depend neither on the thread count nor on the split.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace sinter {

// Uses `n` threads (>= 1, the caller's included) for parallel loops from
// now on; 1 runs everything on the calling thread.
void setThreadCount(int n);
int threadCount();

// Runs `block(begin, end)` on every thread of the team over [0, trips) split
// as the compiled code splits a parallel loop of `trips` iterations before
// its region adapts to the threads' speeds: each thread then writes about
// the rows of a batch that its share of the compiled per-example loops
// reads (on a machine whose cores do not share a cache, rows written by
// another core are read from that core's).
void parallelBlocks(int64_t trips,
                    const std::function<void(int64_t, int64_t)> &block);

// Where a step's time goes: with profiling on, every top-level parallel
// region (a compiled loop nest's outlined body) is timed.
struct RegionTimes {
  const void *code = nullptr; // the region's outlined function
  int64_t runs = 0;
  int64_t wallNs = 0; // fork to join, summed over the runs
  // Per thread of the team (the caller first): time in the region outside
  // barrier waits, summed over the runs. Two threads balanced but slower
  // than one thread's half are moving data between their cores.
  std::vector<int64_t> workNs;
};

// Starts (clearing what was recorded) or stops timing regions.
void profileRegions(bool on);
// The regions timed since profiling started, the longest in all first.
std::vector<RegionTimes> regionTimes();

} // namespace sinter
