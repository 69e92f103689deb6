/// @file worker.hpp
/// @brief One worker's kernel, partial histogram, statistics and timeline; every executor uses it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "core/kernel.hpp"
#include "core/plan.hpp"
#include "exec/result.hpp"

namespace numfactors {

using Clock = std::chrono::steady_clock;

/// Called after each chunk with its index and its own histogram (for checkpoints and progress).
/// Executors call it from worker threads, so it must be thread-safe.
using ChunkDone = std::function<void(u64 chunk, const Histogram& chunk_histogram)>;

class Worker {
 public:
  Worker(std::string name, std::unique_ptr<Kernel> kernel, Clock::time_point run_start,
         bool keep_timeline);

  /// Runs chunk `index` of `plan` and adds it to this worker's histogram.
  /// Returns the chunk's own histogram.
  Histogram run_chunk(const Plan& plan, u64 index);

  const Histogram& histogram() const { return histogram_; }
  const WorkerStats& stats() const { return stats_; }
  std::vector<ChunkEvent>& timeline() { return timeline_; }

 private:
  std::unique_ptr<Kernel> kernel_;
  Clock::time_point run_start_;
  bool keep_timeline_;
  Histogram histogram_;
  WorkerStats stats_;
  std::vector<ChunkEvent> timeline_;
};

/// Adds the workers' histograms, statistics and timelines into `result` (worker indices offset
/// by the workers already there).
void collect(std::vector<Worker>& workers, RunResult& result);

double seconds_since(Clock::time_point t0);

}  // namespace numfactors
