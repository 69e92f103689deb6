/// @file executor.hpp
/// @brief Runs a Plan in one of the modes and returns the merged histogram and statistics.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/plan.hpp"
#include "exec/chunk_source.hpp"
#include "exec/result.hpp"
#include "exec/worker.hpp"

namespace numfactors {

/// Receives a diagnostic line meant for stderr (without "numfactors: warning: " or newline).
using Warn = std::function<void(const std::string& message)>;

struct RunOptions {
  Mode mode = Mode::threads;
  unsigned workers = 1;      // threads (threads mode) or processes (pool mode)
  unsigned threads = 1;      // threads per rank (MPI mode)
  Schedule schedule = Schedule::static_cyclic;  // MPI mode
  bool timeline = false;     // record a ChunkEvent per chunk
  ChunkDone on_chunk;        // optional, called after every chunk (thread-safe); in MPI mode on
                             // rank 0 for every chunk of the job as its result reaches rank 0
                             // (dynamic schedule; static: rank 0's own chunks only)
  Warn warn;                 // optional; without it warnings go to std::cerr
  // Resuming and stopping (both optional, owned by the caller, outliving the run):
  const std::vector<u64>* skip = nullptr;  // sorted chunks done before (a checkpoint): not run
  const std::atomic<int>* stop = nullptr;  // a signal number once the run should stop: no chunk
                                           // is handed out after it, running ones finish, and
                                           // RunResult::interrupted says so if any was left
};

/// Runs `plan` as `options.mode` says. Throws UsageError for a mode this build cannot run.
RunResult run(const Plan& plan, const RunOptions& options);

/// One chunk after another in the calling thread.
RunResult run_serial(const Plan& plan, const RunOptions& options);

/// options.workers std::threads taking chunks dynamically, each with its own kernel clone.
RunResult run_threads(const Plan& plan, const RunOptions& options);

/// The loop every executor shares: `threads` workers (named name_prefix + index) pull chunks from
/// `source` until it is empty; their histograms, stats and timelines are added to `result`.
/// With threads == 1 it runs in the calling thread. An exception in a worker is rethrown here
/// after all workers have stopped.
void run_workers(const Plan& plan, const Kernel& prototype, unsigned threads, ChunkSource& source,
                 const RunOptions& options, const std::string& name_prefix,
                 Clock::time_point run_start, RunResult& result);

/// The same, with `kernel` itself as worker 0's kernel and clones of it for the others: one
/// kernel fewer to set up (a sieve kernel's pre-sieve patterns and buffers are most of a small
/// run's time).
void run_workers(const Plan& plan, std::unique_ptr<Kernel> kernel, unsigned threads,
                 ChunkSource& source, const RunOptions& options, const std::string& name_prefix,
                 Clock::time_point run_start, RunResult& result);

/// Cores this process may run on (the affinity mask if set, else hardware_concurrency), >= 1.
unsigned available_cores();

}  // namespace numfactors
