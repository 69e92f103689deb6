/// @file worker.cpp
#include "exec/worker.hpp"

namespace numfactors {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Worker::Worker(std::string name, std::unique_ptr<TaskKernel> kernel, Clock::time_point run_start,
               bool keep_timeline)
    : kernel_(std::move(kernel)), run_start_(run_start), keep_timeline_(keep_timeline) {
  stats_.name = std::move(name);
}

Histogram Worker::run_task(const Tasks& tasks, u64 index) {
  const double start = seconds_since(run_start_);
  const Histogram h = kernel_->run(index);
  const double end = seconds_since(run_start_);
  histogram_ += h;
  stats_.chunks += 1;
  stats_.numbers += tasks.numbers(index);
  stats_.busy_seconds += end - start;
  if (keep_timeline_) timeline_.push_back({0, index, tasks.span(index), start, end});
  return h;
}

void collect(std::vector<Worker>& workers, RunResult& result) {
  for (Worker& w : workers) {
    const std::size_t id = result.workers.size();
    result.histogram += w.histogram();
    result.workers.push_back(w.stats());
    for (ChunkEvent e : w.timeline()) {
      e.worker = id;
      result.timeline.push_back(e);
    }
  }
}

}  // namespace numfactors
