/// @file environment.cpp
/// @brief current_environment: the facts of this process that the planner reads.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "exec/executor.hpp"
#include "numfactors/job.hpp"

namespace numfactors {
namespace {

/// A cgroup file's limit: "max" or a number; limits of 2^60 and more mean none (v1 writes its
/// "unlimited" as a page-rounded 2^63).
u64 read_limit(const std::string& file) {
  std::ifstream in(file);
  std::string value;
  if (!(in >> value) || value == "max") return 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
  return end != value.c_str() && *end == '\0' && v < (u64{1} << 60) ? v : 0;
}

u64 smaller_limit(u64 a, u64 b) { return a == 0 ? b : b == 0 ? a : std::min(a, b); }

/// The memory limit of this process's cgroup and its ancestors (v2: memory.max; v1:
/// memory.limit_in_bytes), 0 when none is set or none can be read.
u64 cgroup_memory_limit() {
  std::ifstream cgroups("/proc/self/cgroup");
  u64 limit = 0;
  for (std::string line; std::getline(cgroups, line);) {
    // "id:controllers:path"
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    const bool v2 = line.compare(0, first, "0") == 0 && controllers.empty();
    std::istringstream names(controllers);
    bool memory = false;
    for (std::string c; std::getline(names, c, ',');) memory = memory || c == "memory";
    if (!v2 && !memory) continue;
    const std::string root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    const std::string file = v2 ? "/memory.max" : "/memory.limit_in_bytes";
    // The cgroup and every ancestor up to the root (in a cgroup namespace the path is "/").
    for (std::size_t end = path.size();;) {
      limit = smaller_limit(limit, read_limit(root + path.substr(0, end) + file));
      if (end == 0) break;
      end = path.rfind('/', end - 1);
      if (end == std::string::npos) break;
    }
  }
  return limit;
}

/// MemAvailable of /proc/meminfo in bytes, 0 when it cannot be read.
u64 available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    std::istringstream fields(line);
    std::string name, unit;
    u64 kib = 0;
    if (fields >> name >> kib >> unit && name == "MemAvailable:" && unit == "kB") return kib << 10;
  }
  return 0;
}

/// The bytes this process maps now (/proc/self/statm's first field, in pages); 0 when unknown.
u64 mapped_now() {
  std::ifstream statm("/proc/self/statm");
  u64 pages = 0;
  const long page = sysconf(_SC_PAGESIZE);
  return statm >> pages && page > 0 ? pages * static_cast<u64>(page) : 0;
}

/// glibc's cap on malloc arenas as this process started with it: the variables of its start
/// (/proc/self/environ: glibc reads them once, then, and a later setenv changes nothing).
unsigned malloc_arena_max() {
  static const unsigned cap = [] {
    std::ifstream file("/proc/self/environ", std::ios::binary);
    std::string tunables, arena_max;
    for (std::string entry; std::getline(file, entry, '\0');) {
      if (entry.starts_with("GLIBC_TUNABLES=")) tunables = entry.substr(15);
      if (entry.starts_with("MALLOC_ARENA_MAX=")) arena_max = entry.substr(17);
    }
    return malloc_arena_cap(tunables, arena_max);
  }();
  return cap;
}

}  // namespace

unsigned malloc_arena_cap(std::string_view tunables, std::string_view arena_max) {
  // As glibc parses a number: leading digits, 0x for hex and 0 for octal; 0 is no cap.
  const auto number = [](std::string_view text) -> unsigned {
    const std::string digits(text);
    char* end = nullptr;
    const unsigned long n = std::strtoul(digits.c_str(), &end, 0);
    return end != digits.c_str() && n <= 0xFFFFFFFFul ? static_cast<unsigned>(n) : 0;
  };
  // The last glibc.malloc.arena_max in GLIBC_TUNABLES (name=value pairs split by ':') wins.
  constexpr std::string_view kName = "glibc.malloc.arena_max=";
  unsigned cap = 0;
  for (std::string_view rest = tunables; !rest.empty();) {
    const std::string_view pair = rest.substr(0, rest.find(':'));
    if (pair.starts_with(kName))
      if (const unsigned n = number(pair.substr(kName.size())); n != 0) cap = n;
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
  }
  return cap != 0 ? cap : number(arena_max);
}

Environment current_environment() {
  Environment env;
  env.cores = available_cores();
  if (const char* v = std::getenv("SLURM_CPUS_PER_TASK")) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(v, &end, 10);
    if (end != v && *end == '\0' && n >= 1 && n <= (1u << 20))
      env.slurm_cpus_per_task = static_cast<unsigned>(n);
    else
      env.slurm_cpus_per_task_unreadable = true;
  }
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    env.memory_limit = as.rlim_cur;
    env.memory_limit_by = "ulimit -v (RLIMIT_AS)";
  }
  // Read once a process: a process stays in its cgroup (a Slurm step's is set before it
  // starts), and the files cost more than a small count (a library call of microseconds).
  static const u64 cgroup = cgroup_memory_limit();
  // Both may apply: a Slurm node's cgroup, and ulimit -v from its VSizeFactor.
  if (cgroup != 0 && env.memory_limit != 0) {
    env.cgroup_limit = cgroup;
  } else if (cgroup != 0) {
    env.memory_limit = cgroup;
    env.memory_limit_by = Environment::kCgroupLimitBy;
    env.memory_limit_counts_mapped = false;
  }
  // Read at each plan: what other processes hold changes.
  env.memory_available = available_memory();
  env.malloc_arena_max = malloc_arena_max();
  env.online_cores = static_cast<unsigned>(std::max(sysconf(_SC_NPROCESSORS_ONLN), 1L));
  // Once a process, at its first plan: what its host maps (an interpreter, Open MPI). A later
  // plan would count again the arenas and stacks its own earlier runs left mapped, which glibc
  // keeps for the next run's threads.
  static const u64 host_mapped = mapped_now();
  env.mapped_bytes = host_mapped;
  return env;
}

}  // namespace numfactors
