// How many CPUs a trainer may use at once, its default thread count. The
// machine's hardware threads overstate it under an affinity mask (taskset,
// a container's cpuset, a batch scheduler's binding) or a cgroup CPU quota
// (docker --cpus, Kubernetes limits), and a team larger than that spins at
// its barriers for threads that are not running: mnist-mlp under
// `taskset -c 0` took 72 ms a step on two threads, 2.3 ms on one.
#pragma once

#include <string>

namespace sinter {

// The CPUs the calling process may use at once, at least 1: those of its
// affinity mask, at most its cgroups' CPU quota rounded up.
int usableCpus();

// The CPU quota, in whole CPUs rounded up, that the cgroups listed in
// `selfCgroup` (the text of /proc/self/cgroup) set under the hierarchies
// mounted at `root` (/sys/fs/cgroup): the smallest quota of the process's
// cgroup and its ancestors, from cgroup v2's cpu.max or v1's
// cpu.cfs_quota_us over cpu.cfs_period_us; 0 when none sets one.
int cgroupQuotaCpus(const std::string &root, const std::string &selfCgroup);

} // namespace sinter
