/// @file environment.cpp
/// @brief current_environment: the facts of this process that the planner reads.
#include <cstdlib>

#include "exec/executor.hpp"
#include "numfactors/job.hpp"

namespace numfactors {

Environment current_environment() {
  Environment env;
  env.cores = available_cores();
  if (const char* v = std::getenv("SLURM_CPUS_PER_TASK")) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(v, &end, 10);
    if (end != v && *end == '\0' && n >= 1 && n <= (1u << 20))
      env.slurm_cpus_per_task = static_cast<unsigned>(n);
  }
  return env;
}

}  // namespace numfactors
