/// @file run_control.cpp
#include "cli/run_control.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ostream>

namespace numfactors {

u64 chunk_size_for(const Options& o) {
  if (o.chunk != 0 || !o.checkpoint_header) return o.chunk;
  return Checkpoint::chunk_size_of(*o.checkpoint_header).value_or(0);
}

RunControl::RunControl(const Options& o, const Plan& plan, std::ostream& err, bool writes,
                       Method method, u64 progress_scale)
    : plan_(plan), err_(err), progress_scale_(progress_scale), analytic_(method == Method::analytic) {
  if (!writes) return;
  if (!o.checkpoint.empty()) {
    if (analytic_)
      checkpoint_.emplace(o.checkpoint, analytic_journal(o.range, o.count));
    else
      checkpoint_.emplace(o.checkpoint, plan);
  }
  // An analytic item's numbers stand for half of its progress (the table build is the other).
  const u64 done = checkpoint_ ? checkpoint_->state().done_numbers / (analytic_ ? 2 : 1) : 0;
  const bool terminal = isatty(STDERR_FILENO) == 1;
  if (o.progress.value_or(terminal))
    progress_ = std::make_unique<Progress>(err, plan.range.size(), done, terminal);
}

void RunControl::attach(RunOptions& r, const std::atomic<int>& stop) {
  r.stop = &stop;
  if (checkpoint_) r.skip = &checkpoint_->state().done;
  if (!checkpoint_ && !progress_) return;
  // Executors call this one chunk at a time; a chunk counts as done once its record is synced.
  r.on_chunk = [this](u64 chunk, const Histogram& h) {
    if (checkpoint_) checkpoint_->record(chunk, h);
    if (progress_) progress_->add(h.total() * progress_scale_);
  };
}

NumbersDone RunControl::numbers_done() {
  if (!progress_) return {};
  return [this](u64 numbers) { progress_->add(numbers); };
}

std::optional<int> RunControl::finish(RunResult& result) {
  if (progress_) progress_->finish();
  if (checkpoint_) checkpoint_->flush();
  if (checkpoint_ && !analytic_) result.histogram += checkpoint_->state().sums[0];
  if (result.interrupted == 0) return std::nullopt;
  const int signal = result.interrupted;
  const char* name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal";
  err_ << "numfactors: interrupted by " << name << "; ";
  if (checkpoint_ && analytic_) {
    err_ << checkpoint_->saved() << " items of the analytic walk are saved in "
         << checkpoint_->path() << ": run the same command again to resume\n";
  } else if (checkpoint_) {
    err_ << checkpoint_->saved() << " of " << plan_.chunk_count() << " chunks are saved in "
         << checkpoint_->path() << ": run the same command again to resume\n";
  } else {
    err_ << "nothing was saved (use --checkpoint FILE to keep finished chunks)\n";
  }
  err_ << std::flush;
  return 128 + signal;
}

}  // namespace numfactors
