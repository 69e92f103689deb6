/// @file result.hpp
/// @brief What a run returns: the histogram, per-worker statistics and, when asked for, a
/// timeline of its tasks.
#pragma once

#include <string>
#include <vector>

#include "numfactors/histogram.hpp"

namespace numfactors {

/// One worker: a thread, a pool process or an MPI rank (with its thread, in hybrid runs).
struct WorkerStats {
  std::string name;  // "thread 0", "process 1", "rank 2 thread 0"
  u64 chunks = 0;    // tasks done: chunks of the range (sieve) or walk items (analytic)
  u64 numbers = 0;   // numbers of the range its chunks counted (0 for walk items)
  double busy_seconds = 0;  // time spent counting
};

/// One task as it ran; times are seconds since the run started.
struct ChunkEvent {
  std::size_t worker = 0;  // index into RunResult::workers
  u64 chunk = 0;           // the task's index in its stage
  /// The sieve: the chunk of the range (for the wheel kernel, of m in n = 2^a 3^b m). The
  /// analytic method: the smallest and largest m = q1 q2 (q1 q2 q3 one level deeper) that its
  /// walk item branches over; [1, 1] for the item of 1, the primes and their powers.
  Range range;
  double start = 0;
  double end = 0;
};

struct RunResult {
  Histogram histogram;
  std::vector<WorkerStats> workers;
  std::vector<ChunkEvent> timeline;  // filled when asked for (Hooks::timeline)
  double seconds = 0;                // wall time of the run
  /// Processor time (user + system) of the run in all its processes: its threads, pool workers,
  /// and on rank 0 every MPI rank's. Far below workers x seconds when more workers than cores
  /// shared them (oversubscription), close to it when each had a core.
  double cpu_seconds = 0;
  /// Non-zero when the run was cancelled (CancelToken) with tasks left undone: the reason given
  /// (the command line gives the signal's number). The histogram is then partial: the sieve's
  /// chunks done; for the analytic method a sum of walk items, which means nothing in the bins
  /// that only all items together set (see the README's "Two methods").
  int interrupted = 0;
  u64 tasks = 0;          // tasks of the stages the run went through (chunks, or walk items)
  u64 resumed_tasks = 0;  // of them, those a checkpoint held, added from it instead of run
  u64 saved_tasks = 0;    // records the checkpoint file holds at the end (0 without one)
};

}  // namespace numfactors
