/// @file result.hpp
/// @brief What an executor returns: the histogram plus per-worker statistics and a chunk timeline.
#pragma once

#include <string>
#include <vector>

#include "numfactors/histogram.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// One worker: a thread, a pool process or an MPI rank (with its thread, in hybrid runs).
struct WorkerStats {
  std::string name;  // "thread 0", "process 1", "rank 2 thread 0"
  u64 chunks = 0;
  u64 numbers = 0;
  double busy_seconds = 0;  // time spent inside the kernel
};

/// One chunk as it ran; times are seconds since the run started.
struct ChunkEvent {
  std::size_t worker = 0;  // index into RunResult::workers
  u64 chunk = 0;
  Range range;
  double start = 0;
  double end = 0;
};

struct RunResult {
  Histogram histogram;
  std::vector<WorkerStats> workers;
  std::vector<ChunkEvent> timeline;  // filled when RunOptions::timeline is set
  double seconds = 0;                // wall time of the run
  int interrupted = 0;  // the signal (RunOptions::stop) that left chunks undone; histogram partial
};

}  // namespace numfactors
