#include "cpus.h"

#include <sched.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace sinter {
namespace {

/// The first line of `path`, or "" when it cannot be read.
std::string firstLine(const std::string &path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

/// The decimal number `text` starts with, 0 for none.
long long number(const std::string &text) {
  return std::strtoll(text.c_str(), nullptr, 10);
}

/// ceil(quota / period) for a positive quota and period, else 0 (no limit).
int wholeCpus(long long quota, long long period) {
  if (quota <= 0 || period <= 0)
    return 0;
  return int(std::min<long long>((quota + period - 1) / period, INT_MAX));
}

/// The tighter of two quotas in CPUs, 0 meaning none.
int tighter(int a, int b) { return a && b ? std::min(a, b) : a + b; }

/// The quota cgroup directory `dir` sets itself, 0 for none: v2's cpu.max
/// ("max 100000" or "200000 100000") or v1's cpu.cfs_quota_us (-1: none).
int ownQuota(const std::string &dir) {
  std::istringstream max(firstLine(dir + "/cpu.max"));
  std::string quota, period;
  if (max >> quota >> period)
    return quota == "max" ? 0 : wholeCpus(number(quota), number(period));
  return wholeCpus(number(firstLine(dir + "/cpu.cfs_quota_us")),
                   number(firstLine(dir + "/cpu.cfs_period_us")));
}

/// The smallest quota of cgroup `path` (absolute, "/" its hierarchy's root)
/// and its ancestors under mount point `mount`, 0 for none. A container
/// sees its own cgroup at the mount point while /proc/self/cgroup may name
/// the host's path to it, which does not exist there: such levels read no
/// quota and the walk goes on up.
int quotaUpFrom(const std::string &mount, std::string path) {
  int least = 0;
  while (true) {
    least = tighter(least, ownQuota(mount + (path == "/" ? "" : path)));
    if (path.empty() || path == "/")
      return least;
    path.erase(std::max<size_t>(path.rfind('/'), 1));
  }
}

/// The CPUs of the process's affinity mask, 0 when it cannot be read (a
/// machine of more than CPU_SETSIZE CPUs).
int affinityCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return 0;
  return CPU_COUNT(&set);
}

} // namespace

int cgroupQuotaCpus(const std::string &root, const std::string &selfCgroup) {
  int least = 0;
  std::istringstream lines(selfCgroup);
  std::string line;
  // "0::/path" (v2) or "4:cpu,cpuacct:/path" (v1, mounted at root/cpu,cpuacct).
  while (std::getline(lines, line)) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    bool v2 = line.compare(0, first, "0") == 0 && controllers.empty();
    bool v1cpu = false;
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');)
      v1cpu = v1cpu || name == "cpu";
    if (!v2 && !v1cpu)
      continue;
    least =
        tighter(least, quotaUpFrom(v2 ? root : root + "/" + controllers, path));
  }
  return least;
}

int usableCpus() {
  int cpus = affinityCpus();
  if (cpus <= 0)
    cpus = int(std::thread::hardware_concurrency());
  std::ifstream self("/proc/self/cgroup");
  std::stringstream text;
  text << self.rdbuf();
  int quota = cgroupQuotaCpus("/sys/fs/cgroup", text.str());
  if (quota > 0)
    cpus = std::min(cpus, quota);
  return std::max(cpus, 1);
}

} // namespace sinter
