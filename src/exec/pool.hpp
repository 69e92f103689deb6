/// @file pool.hpp
/// @brief Pool mode: fork()ed worker processes that take chunks on request and survive losing some.
#pragma once

#include "exec/executor.hpp"

namespace numfactors {

/// A chunk whose worker died this many times is not tried again: it is probably what kills them
/// (memory, a bug), and the run stops with std::runtime_error instead of looping.
constexpr unsigned kMaxLossesPerChunk = 3;

/// More lost workers than this in one run (for `processes` workers) also stops it: losses that
/// keep coming from everywhere mean the machine, not one chunk, is the problem.
constexpr unsigned max_lost_workers(unsigned processes) { return 2 * processes + 2; }

/// Makes sure this process may open the descriptors a pool of `workers` needs (a socket pair a
/// worker while it starts, one after), raising its soft limit (ulimit -n) up to the hard one if
/// need be; throws std::runtime_error, before anything is made, when it cannot.
void reserve_pool_descriptors(unsigned workers);

/// options.workers processes (at most one a task) made with fork(); each runs one task at a time
/// as the parent hands them out, with the kernel its copy of `tasks` makes. A worker that dies
/// (SIGKILL, out of memory) is reported through options.warn, its task is run again by a new
/// worker, and the histogram stays exact. Workers are named "process K" in the order they were
/// started. Must not be called after MPI_Init.
RunResult run_pool(Tasks& tasks, const RunOptions& options);

}  // namespace numfactors
