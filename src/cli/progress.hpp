/// @file progress.hpp
/// @brief Percent done, rate, elapsed and ETA on stderr while a run goes on; never on stdout.
#pragma once

#include <chrono>
#include <iosfwd>
#include <mutex>

#include "numfactors/histogram.hpp"

namespace numfactors {

class Progress {
 public:
  /// `already` numbers were done before this run started (a resumed checkpoint). On a terminal
  /// one line is redrawn at most 4 times a second; elsewhere (a batch log) a line every 10 s.
  Progress(std::ostream& err, u64 total, u64 already, bool terminal);

  /// Counts `numbers` more as done and redraws if it is time. Thread-safe.
  void add(u64 numbers);
  /// Clears the redrawn line (on a terminal) so the report or an error starts on a clean line;
  /// elsewhere writes one last line.
  void finish();

  /// "1:02:03" or "2:03" or "3.1s".
  static std::string duration(double seconds);

 private:
  void draw(bool force);

  std::ostream& err_;
  u64 total_;
  u64 already_;
  u64 done_ = 0;
  bool terminal_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_ = start_;
  std::mutex mutex_;
};

}  // namespace numfactors
