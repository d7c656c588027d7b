// The CPUs a trainer runs on by default (cpus.cpp): its affinity mask,
// bounded by the cgroup CPU quotas of /proc/self/cgroup read from a fake
// /sys/fs/cgroup.
#include "cpus.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

using namespace sinter;
using namespace sinter::test;

namespace {

/// Writes `text` to `root`/`path`, making its directories.
void writeUnder(const std::string &root, const std::string &path,
                const std::string &text) {
  std::string file = root + "/" + path;
  std::string mk = "mkdir -p '" + file.substr(0, file.rfind('/')) + "'";
  ASSERT_EQ(std::system(mk.c_str()), 0);
  writeText(file, text + "\n");
}

} // namespace

TEST(Cpus, CgroupV2QuotaIsTheSmallestUpTheTree) {
  std::string root = scratch("v2");
  writeUnder(root, "cpu.max", "max 100000");
  writeUnder(root, "a/cpu.max", "250000 100000"); // 2.5 CPUs: 3 threads
  writeUnder(root, "a/b/cpu.max", "max 100000");
  EXPECT_EQ(cgroupQuotaCpus(root, "0::/a/b\n"), 3);
  writeUnder(root, "a/b/cpu.max", "50000 100000");
  EXPECT_EQ(cgroupQuotaCpus(root, "0::/a/b\n"), 1);
  EXPECT_EQ(cgroupQuotaCpus(root, "0::/\n"), 0);
}

TEST(Cpus, CgroupV1QuotaOfAContainerSeenAtItsMountPoint) {
  // In a container /proc/self/cgroup may name the host's path, which does
  // not exist under the container's mount: its quota is at the mount point.
  std::string root = scratch("v1");
  writeUnder(root, "cpu,cpuacct/cpu.cfs_quota_us", "400000");
  writeUnder(root, "cpu,cpuacct/cpu.cfs_period_us", "100000");
  std::string self = "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n"
                     "0::/docker/abc\n";
  EXPECT_EQ(cgroupQuotaCpus(root, self), 4);
  writeUnder(root, "cpu,cpuacct/cpu.cfs_quota_us", "-1");
  EXPECT_EQ(cgroupQuotaCpus(root, self), 0);
}

TEST(Cpus, NoQuotaWithoutCgroupFiles) {
  std::string root = scratch("none");
  EXPECT_EQ(cgroupQuotaCpus(root, "0::/user.slice\n1:cpu:/\n"), 0);
  EXPECT_EQ(cgroupQuotaCpus(root, "not a cgroup line\n"), 0);
}

TEST(Cpus, UsableCpusFollowTheAffinityMask) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  cpu_set_t one = firstCpuOf(all);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  int onOne = usableCpus();
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(onOne, 1);
  EXPECT_GE(usableCpus(), 1);
  EXPECT_LE(usableCpus(), CPU_COUNT(&all));
}
