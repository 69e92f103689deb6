/// @file job_helpers.hpp
/// @brief Jobs as the planner settles them, for tests that run the library's run path.
#pragma once

#include "exec/mpi.hpp"
#include "numfactors/run.hpp"

namespace numfactors::test {

/// The planner's job for `method` on `r` in `mode`: `workers` threads or processes, or in MPI
/// mode `workers` threads a rank on the started session's ranks with `schedule`.
inline Job job_for(const Range& r, Count count, Method method, Mode mode, unsigned workers,
                   Schedule schedule = Schedule::static_cyclic) {
  Request q;
  q.range = r;
  q.count = count;
  q.method = method;
  q.mode = mode;
  Environment env;
  env.cores = 2;
  if (mode == Mode::mpi) {
    q.threads_per_rank = workers;
    q.schedule = schedule;
    env.ranks = mpi_backend() != nullptr ? static_cast<unsigned>(mpi_backend()->size()) : 1;
  } else if (mode != Mode::serial) {
    q.workers = workers;
  }
  return plan_job(q, env);
}

/// The analytic method's job.
inline Job analytic_job(const Range& r, Count count, Mode mode, unsigned workers,
                        Schedule schedule = Schedule::static_cyclic) {
  return job_for(r, count, Method::analytic, mode, workers, schedule);
}

/// The method the planner picks for a command line's request (no checkpoint file read).
inline Method method_planned(const Request& q) {
  Environment env;
  env.cores = 2;
  return plan_job(q, env).method;
}

}  // namespace numfactors::test
