/// @file run_control.hpp
/// @brief What surrounds a run: the checkpoint it resumes and journals to, the progress line, and
/// what to say and return when a signal stopped it.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>

#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "core/plan.hpp"
#include "exec/analytic_run.hpp"
#include "exec/checkpoint.hpp"
#include "exec/executor.hpp"

namespace numfactors {

/// The chunk size to plan with: --chunk, else the one an existing --checkpoint file was written
/// with (so a run resumed with another number of workers cuts the range the same way), else 0
/// (the default for the workers).
u64 chunk_size_for(const Options& o);

class RunControl {
 public:
  /// Opens o.checkpoint (UsageError if it belongs to another run) and starts the progress line
  /// when asked for (or, by default, when stderr is a terminal). A rank other than 0 passes
  /// `writes` false: it neither journals nor shows progress. `progress_scale`: numbers one
  /// reported chunk stands for per number in it (MPI's static schedule: rank 0 sees only its own
  /// chunks, about 1/ranks of the whole). For Method::analytic the plan's range has as many
  /// numbers as the prefixes the run counts (progress only) and the journal is
  /// analytic_journal(o.range, o.count).
  RunControl(const Options& o, const Plan& plan, std::ostream& err, bool writes,
             Method method = Method::sieve, u64 progress_scale = 1);
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  /// Sets the chunks to skip, the journal and progress callback, and the stop flag.
  void attach(RunOptions& r, const std::atomic<int>& stop);

  /// For --method analytic: the stop flag only; progress goes through numbers_done() and the
  /// journal through journal(), both given to run_analytic.
  void attach_analytic(RunOptions& r, const std::atomic<int>& stop) { r.stop = &stop; }
  /// Adds to the progress line, or nothing when there is none.
  NumbersDone numbers_done();
  /// The open checkpoint, or null.
  Checkpoint* journal() { return checkpoint_ ? &*checkpoint_ : nullptr; }

  /// After the run: adds the checkpoint's earlier chunks to result.histogram (the sieve's; the
  /// analytic run adds its own) and ends the progress line. When a signal left chunks undone, writes on `err` how to resume and returns the exit
  /// status (128 + signal) to leave with, printing nothing else; otherwise nothing.
  std::optional<int> finish(RunResult& result);

 private:
  const Plan& plan_;
  std::ostream& err_;
  std::optional<Checkpoint> checkpoint_;
  std::unique_ptr<Progress> progress_;
  u64 progress_scale_;
  bool analytic_;
};

}  // namespace numfactors
