/// @file thread_team.hpp
/// @brief A ParallelFor on this process's threads, for the analytic method's table build.
#pragma once

#include <chrono>

#include "core/prime_count_table.hpp"

namespace numfactors {

/// A ParallelFor over `threads` threads (the caller and threads - 1 kept waiting between calls,
/// ended with the last copy of the function) taking pieces of about (end - begin) / (16 threads)
/// indices from an atomic counter; serial_for when threads <= 1. An exception in a piece is
/// rethrown after all threads stopped. Calls must not overlap. A thread that waits (for the next
/// call, or for the others to finish one) spins up to `spin` before it sleeps.
ParallelFor threads_for(unsigned threads, std::chrono::microseconds spin);

/// The same, spinning 200 us when every thread has a core of its own (available_cores()) and
/// not at all otherwise, where it would take the core of a thread with work.
ParallelFor threads_for(unsigned threads);

}  // namespace numfactors
