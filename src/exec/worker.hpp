/// @file worker.hpp
/// @brief One worker's task kernel, partial histogram, statistics and timeline; every executor
/// uses it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "exec/tasks.hpp"
#include "numfactors/result.hpp"

namespace numfactors {

using Clock = std::chrono::steady_clock;

/// Called after each task with its index and its own histogram (for checkpoints and progress).
/// Executors call it from worker threads, one at a time.
using TaskDone = std::function<void(u64 task, const Histogram& task_histogram)>;

class Worker {
 public:
  Worker(std::string name, std::unique_ptr<TaskKernel> kernel, Clock::time_point run_start,
         bool keep_timeline);

  /// Runs task `index` of `tasks` and adds it to this worker's histogram and statistics.
  /// Returns the task's own histogram.
  Histogram run_task(const Tasks& tasks, u64 index);

  const Histogram& histogram() const { return histogram_; }
  const WorkerStats& stats() const { return stats_; }
  std::vector<ChunkEvent>& timeline() { return timeline_; }

 private:
  std::unique_ptr<TaskKernel> kernel_;
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
