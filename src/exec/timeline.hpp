/// @file timeline.hpp
/// @brief --timeline FILE: one CSV row per chunk (worker, start, end, lo, hi), to draw workers
/// over time.
#pragma once

#include <fstream>
#include <string>

#include "exec/result.hpp"

namespace numfactors {

/// "worker,start,end,lo,hi" and a row per chunk: the worker's name as in the JSON report's
/// worker_stats ("thread 1", "process 0", "rank 2 thread 0"), start and end in seconds since the
/// run started (microseconds), and the chunk's range. Rows go worker by worker in the order of
/// result.workers, each worker's chunks by start time.
std::string format_timeline_csv(const RunResult& result);

/// The file is opened (and emptied) when made, so an unwritable path fails before the run does.
class TimelineFile {
 public:
  explicit TimelineFile(const std::string& path);
  /// Writes the whole timeline; throws std::runtime_error if it cannot.
  void write(const RunResult& result);

 private:
  std::string path_;
  std::ofstream file_;
};

}  // namespace numfactors
