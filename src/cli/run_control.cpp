/// @file run_control.cpp
#include "cli/run_control.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ostream>

namespace nf {

u64 chunk_size_for(const Options& o) {
  if (o.chunk != 0 || o.checkpoint.empty()) return o.chunk;
  return Checkpoint::chunk_size_in(o.checkpoint).value_or(0);
}

RunControl::RunControl(const Options& o, const Plan& plan, std::ostream& err, bool writes,
                       u64 progress_scale)
    : plan_(plan), err_(err), progress_scale_(progress_scale) {
  if (!writes) return;
  if (!o.checkpoint.empty()) checkpoint_.emplace(o.checkpoint, plan);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  if (o.progress.value_or(terminal))
    progress_ = std::make_unique<Progress>(err, plan.range.size(),
                                           checkpoint_ ? checkpoint_->state().done_numbers : 0,
                                           terminal);
}

void RunControl::attach(RunOptions& r, const std::atomic<int>& stop) {
  r.stop = &stop;
  if (checkpoint_) r.skip = &checkpoint_->state().done;
  if (!checkpoint_ && !progress_) return;
  // Executors call this one chunk at a time; a chunk counts as done once its record is synced.
  r.on_chunk = [this](u64 chunk, const Histogram& h) {
    if (checkpoint_) {
      checkpoint_->record(chunk, h);
      ++recorded_;
    }
    if (progress_) progress_->add(h.total() * progress_scale_);
  };
}

NumbersDone RunControl::numbers_done() {
  if (!progress_) return {};
  return [this](u64 numbers) { progress_->add(numbers); };
}

std::optional<int> RunControl::finish(RunResult& result) {
  if (progress_) progress_->finish();
  if (checkpoint_) result.histogram += checkpoint_->state().histogram;
  if (result.interrupted == 0) return std::nullopt;
  const int signal = result.interrupted;
  const char* name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal";
  err_ << "numfactors: interrupted by " << name << "; ";
  if (checkpoint_) {
    const u64 saved = checkpoint_->state().done_count + recorded_;
    err_ << saved << " of " << plan_.chunk_count() << " chunks are saved in " << checkpoint_->path()
         << ": run the same command again to resume\n";
  } else if (analytic_) {
    err_ << "nothing was saved (--method analytic cannot resume; --method sieve --checkpoint "
            "FILE can)\n";
  } else {
    err_ << "nothing was saved (use --checkpoint FILE to keep finished chunks)\n";
  }
  err_ << std::flush;
  return 128 + signal;
}

}  // namespace nf
