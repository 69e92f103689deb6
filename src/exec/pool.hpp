/// @file pool.hpp
/// @brief Pool mode: fork()ed worker processes that take chunks on request and survive losing some.
#pragma once

#include "core/kernel.hpp"
#include "core/plan.hpp"
#include "exec/executor.hpp"

namespace numfactors {

/// A chunk whose worker died this many times is not tried again: it is probably what kills them
/// (memory, a bug), and the run stops with std::runtime_error instead of looping.
constexpr unsigned kMaxLossesPerChunk = 3;

/// More lost workers than this in one run (for `processes` workers) also stops it: losses that
/// keep coming from everywhere mean the machine, not one chunk, is the problem.
constexpr unsigned max_lost_workers(unsigned processes) { return 2 * processes + 2; }

/// options.workers processes (at most one a chunk) made with fork(); each runs one chunk at a time
/// as the parent hands them out. A worker that dies (SIGKILL, out of memory) is reported through
/// options.warn, its chunk is run again by a new worker, and the histogram stays exact. Workers are
/// named "process K" in the order they were started. Must not be called after MPI_Init.
RunResult run_pool(const Plan& plan, const RunOptions& options);

/// The same with `prototype` (made for plan.range.hi or more) cloned in every worker.
RunResult run_pool(const Plan& plan, const RunOptions& options, const Kernel& prototype);

}  // namespace numfactors
