/// @file interrupt.hpp
/// @brief SIGINT, SIGTERM and SIGHUP turned into a cancelled run, for as long as a run lasts.
#pragma once

#include "numfactors/run.hpp"

namespace numfactors {

/// While one exists, SIGINT, SIGTERM and SIGHUP cancel token() with the signal's number instead of
/// killing the process, so the run stops handing out tasks, journals what finished and the
/// program exits 128 + signal. The handler is one-shot (SA_RESETHAND): a second Ctrl-C kills at
/// once, which loses nothing a checkpoint holds. A signal ignored before (nohup) stays ignored.
/// A thread of its own takes the signals: threads started while it exists block them (so does the
/// thread that made it, until it is destroyed). The previous handlers come back when it is
/// destroyed. One at a time.
class InterruptFlag {
 public:
  InterruptFlag();
  ~InterruptFlag();
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;

  /// Cancelled (with the signal's number) once a signal arrives.
  const CancelToken& token() const;
};

}  // namespace numfactors
