/// @file timeline.hpp
/// @brief --timeline FILE: one CSV row per chunk (worker, start, end, lo, hi), to draw workers
/// over time.
#pragma once

#include <fstream>
#include <string>

#include "numfactors/result.hpp"

namespace numfactors {

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
