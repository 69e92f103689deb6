/// @file interrupt.hpp
/// @brief SIGINT, SIGTERM and SIGHUP turned into a cancelled run, for as long as a run lasts.
#pragma once

#include <csignal>

#include "numfactors/run.hpp"

namespace numfactors {

/// While one exists, SIGINT, SIGTERM and SIGHUP cancel token() with the signal's number instead of
/// killing the process, so the run stops handing out tasks, journals what finished and the
/// program exits 128 + signal. A second stop signal a quarter of a second or more after the first
/// (a second Ctrl-C) kills at once, which loses nothing a checkpoint holds; one sooner is the
/// same stop sent twice (timeout(1) sends it to the child and to its process group) and changes
/// nothing. A signal ignored or blocked before (nohup) stays
/// so. A thread of its own takes the signals: threads started while it exists block them (so does
/// the thread that made it, until it is destroyed), as a thread may wait for seconds in the
/// kernel before it could run a handler. The previous handlers come back when it is destroyed.
/// One at a time.
class InterruptFlag {
 public:
  InterruptFlag();
  ~InterruptFlag();
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;

  /// Cancelled (with the signal's number) once a signal arrives.
  const CancelToken& token() const;
};

/// While one exists, the calling thread blocks SIGINT, SIGTERM and SIGHUP, and so do the threads
/// it starts (a library's helpers, such as MPI's, which would otherwise take the signals before
/// InterruptFlag's thread). A signal that comes meanwhile waits, and is then handled as usual.
class StopSignalsHeld {
 public:
  StopSignalsHeld();
  ~StopSignalsHeld();
  StopSignalsHeld(const StopSignalsHeld&) = delete;
  StopSignalsHeld& operator=(const StopSignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace numfactors
