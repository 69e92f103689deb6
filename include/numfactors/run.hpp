/// @file run.hpp
/// @brief Running a job: progress, cancellation, checkpoints, and the one-call histogram.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "numfactors/job.hpp"
#include "numfactors/result.hpp"

namespace numfactors {

/// Asks a run to stop. cancel() is a lock-free atomic store: safe from any thread and from a
/// signal handler. A cancelled run hands out no new task; tasks already running finish (and are
/// journaled), and the run returns with RunResult::interrupted set.
class CancelToken {
 public:
  /// `reason` (not 0) comes back as RunResult::interrupted; the first reason given wins.
  void cancel(int reason = 1) noexcept {
    int none = 0;
    reason_.compare_exchange_strong(none, reason == 0 ? 1 : reason);
  }
  /// 0 until cancelled, then the reason.
  int reason() const noexcept { return reason_.load(); }
  void reset() noexcept { reason_.store(0); }
  /// The flag itself, for code that polls it.
  const std::atomic<int>& flag() const noexcept { return reason_; }

 private:
  std::atomic<int> reason_{0};
  static_assert(std::atomic<int>::is_always_lock_free);
};

/// How far a run is, in units of estimated work (one core-second of the cost model, roughly):
/// done / total is the fraction done. Weighted by work, not by numbers: a wheel chunk near 1
/// stands for many numbers but costs no more than another, and the analytic method's table
/// build has no numbers at all.
struct Progress {
  double done = 0;     // includes `skipped`
  double total = 0;    // an estimate fixed at the start; done ends equal to it
  double skipped = 0;  // work a checkpoint held, not done by this run
};

/// What a run found already done in its checkpoint, for one stage: the sieve's one (its chunks),
/// or one of the analytic method's prefixes [1, n] (its table's rounds, its walk items).
struct Resumed {
  u64 prefix = 0;           // the analytic method's n; 0 for the sieve
  u64 tasks_done = 0;       // chunks or walk items the journal holds
  u64 tasks = 0;            // of the stage's
  std::size_t rounds_done = 0;  // the analytic table's rounds read from its saved state
  std::size_t rounds = 0;       // of the table's
};

/// What a caller hears from a run, and how it steers it. All optional.
struct Hooks {
  /// Called as work finishes (after each task and every percent of a table build), by one
  /// thread at a time but not always the same one: keep it short and thread-safe.
  std::function<void(const Progress&)> progress;
  const CancelToken* cancel = nullptr;
  /// A checkpoint file: each finished task is journaled to it (synced at most every 0.1 s), and
  /// the tasks it holds are not run again. MPI mode: rank 0's file; the job must use the
  /// dynamic schedule (the planner sees to it when Request::checkpoint is set).
  std::string checkpoint;
  bool timeline = false;  // record a ChunkEvent per task
  /// Called (by the calling thread, MPI: rank 0) for each stage that goes on from a checkpoint.
  std::function<void(const Resumed&)> resumed;
  /// A diagnostic that is no error (a pool worker lost and replaced, a damaged table state set
  /// aside); default: none.
  std::function<void(const std::string& message)> warn;
};

/// Runs `job` as planned. Time and memory: the cost model's estimate, which the planner
/// minimised (the sieve: about 1 ns a number on a core, a few MiB a worker; the analytic method:
/// about 15 ns * N^(3/4) / ln N on a core, memory about 7 sqrt(N) bytes a process).
/// MPI mode is collective: every rank calls it with the same job, after start_mpi(); rank 0 gets
/// the whole result, the other ranks their own part (the analytic method's part is a sum of
/// walk items, which means nothing in the bins only all items together set). Thread-safe: runs may
/// go on at the same time in several threads (pool mode forks, so not beside other threads of the
/// caller's that hold locks). Throws CheckpointError for a checkpoint of another run, Unavailable
/// for MPI mode without MPI, std::runtime_error when the system refuses a file or a process.
RunResult run(const Job& job, const Hooks& hooks = {});

/// plan_job(request, current_environment() with the facts of hooks.checkpoint's file), then run.
RunResult run(const Request& request, const Hooks& hooks = {});

/// The histogram of [lo, hi] (1 <= lo <= hi <= 2^64-1) on every core, method chosen by the
/// planner: histogram(2, 10) is {1: 7, 2: 2}.
Histogram histogram(u64 lo, u64 hi, Count count = Count::distinct);

/// What the header of an existing checkpoint file says (for Environment::checkpoint); nothing
/// if the file is absent or holds no header.
std::optional<CheckpointFacts> checkpoint_facts(const std::string& path);

}  // namespace numfactors
