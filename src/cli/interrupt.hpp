/// @file interrupt.hpp
/// @brief SIGINT and SIGTERM turned into a flag that executors read, for as long as a run lasts.
#pragma once

#include <atomic>

namespace numfactors {

/// While one exists, SIGINT and SIGTERM set stop() to the signal's number instead of killing the
/// process, so the run stops handing out chunks, journals what finished and exits 128 + signal.
/// The handler is one-shot (SA_RESETHAND): a second Ctrl-C kills at once, which loses nothing a
/// checkpoint holds. The previous handlers come back when it is destroyed. One at a time.
class InterruptFlag {
 public:
  InterruptFlag();
  ~InterruptFlag();
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;

  /// 0 until a signal arrives, then its number.
  const std::atomic<int>& stop() const;
};

}  // namespace numfactors
