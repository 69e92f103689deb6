/// @file timeline.cpp
#include "cli/timeline.hpp"

#include "numfactors/format.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace numfactors {

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
