/// @file timeline.cpp
#include "exec/timeline.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace numfactors {

std::string format_timeline_csv(const RunResult& result) {
  std::vector<ChunkEvent> rows = result.timeline;
  std::stable_sort(rows.begin(), rows.end(), [](const ChunkEvent& a, const ChunkEvent& b) {
    return a.worker != b.worker ? a.worker < b.worker : a.start < b.start;
  });
  std::string out = "worker,start,end,lo,hi\n";
  char times[64];
  for (const ChunkEvent& e : rows) {
    const std::string name =
        e.worker < result.workers.size() ? result.workers[e.worker].name : std::to_string(e.worker);
    std::snprintf(times, sizeof times, ",%.6f,%.6f,", e.start, e.end);
    out += name + times + std::to_string(e.range.lo) + "," + std::to_string(e.range.hi) + "\n";
  }
  return out;
}

TimelineFile::TimelineFile(const std::string& path) : path_(path), file_(path, std::ios::trunc) {
  if (!file_)
    throw std::runtime_error("cannot write the timeline to '" + path + "': " +
                             std::strerror(errno));
}

void TimelineFile::write(const RunResult& result) {
  file_ << format_timeline_csv(result) << std::flush;
  if (!file_) throw std::runtime_error("writing the timeline to '" + path_ + "' failed");
}

}  // namespace numfactors
