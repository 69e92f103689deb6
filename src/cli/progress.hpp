/// @file progress.hpp
/// @brief Percent done, rate, elapsed and ETA on stderr while a run goes on; never on stdout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>

#include "numfactors/run.hpp"

namespace numfactors {

class ProgressLine {
 public:
  /// `numbers`: the range's size, for the rate (numbers a second, from the work fraction). On a
  /// terminal one line is redrawn at most 4 times a second; elsewhere (a batch log) a line every
  /// 10 s (`every`, if not 0, instead of either). `columns`, if given, says the terminal's width
  /// at each redraw: the line is cut to one less, as a line that wraps cannot be redrawn in
  /// place. With `tick`, a thread of its own redraws the line when no update has for that long:
  /// a run of one long chunk still shows its elapsed time, and a log still gets its lines.
  ProgressLine(std::ostream& err, u64 numbers, bool terminal,
               std::function<unsigned()> columns = {},
               std::chrono::milliseconds every = std::chrono::milliseconds{0}, bool tick = true);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  /// The run's progress (Hooks::progress); redraws if it is time. Thread-safe.
  void update(const Progress& progress);
  /// Clears the redrawn line (on a terminal) so the report or an error starts on a clean line;
  /// elsewhere writes one last line.
  void finish();
  /// Stops the redrawing and clears the line on a terminal, without a last line: the run failed,
  /// and its error comes next. The destructor does this unless finish() was called.
  void abandon();

  /// "1:02:03" or "2:03" or "3.1s".
  static std::string duration(double seconds);

 private:
  void draw(bool force);
  void tick();
  void stop_ticking();

  std::ostream& err_;
  double numbers_;
  bool terminal_;
  std::function<unsigned()> columns_;
  Progress now_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_ = start_;
  std::chrono::milliseconds every_;
  std::mutex mutex_;
  std::condition_variable stopped_;  // wakes the ticking thread to end
  bool stopping_ = false;
  bool drawn_ = false;  // a line is on the terminal
  bool ended_ = false;  // finish() or abandon() was called
  std::thread ticker_;
};

}  // namespace numfactors
