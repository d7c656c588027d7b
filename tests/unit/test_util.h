// Helpers for runtime tests: a scratch directory and file I/O.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace sinter::test {

// A path under the test's own scratch directory.
inline std::string scratch(const std::string &name) {
  const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = ::testing::TempDir() + "sinter_" + info->test_suite_name() +
                    "_" + info->name();
  std::string mk = "mkdir -p '" + dir + "'";
  EXPECT_EQ(std::system(mk.c_str()), 0);
  return dir + "/" + name;
}

inline void writeText(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline bool exists(const std::string &path) {
  return std::ifstream(path).good();
}

// The first CPU of the mask `all`, alone: an affinity as `taskset -c` sets.
inline cpu_set_t firstCpuOf(const cpu_set_t &all) {
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &all)) {
      CPU_SET(cpu, &one);
      break;
    }
  return one;
}

// Runs `fn` and returns the message of the sinter::Error it throws ("" if
// none).
template <typename Fn> std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const std::exception &e) {
    return e.what();
  }
  return "";
}

} // namespace sinter::test
