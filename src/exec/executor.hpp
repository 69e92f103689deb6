/// @file executor.hpp
/// @brief Runs the tasks of one stage in one of the modes and returns the merged histogram and
/// statistics: serial, threads, pool and MPI are one switch over the same Tasks.
#pragma once

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "exec/chunk_source.hpp"
#include "exec/tasks.hpp"
#include "exec/worker.hpp"
#include "numfactors/choices.hpp"
#include "numfactors/result.hpp"

namespace numfactors {

/// Receives a diagnostic line meant for stderr (without "numfactors: warning: " or newline).
using Warn = std::function<void(const std::string& message)>;

struct RunOptions {
  Mode mode = Mode::threads;
  unsigned workers = 1;      // threads (serial: 1, threads mode) or processes (pool mode)
  unsigned threads = 1;      // threads per rank (MPI mode)
  Schedule schedule = Schedule::static_cyclic;  // MPI mode
  int machine_ranks = 0;     // MPI static schedule, uneven tasks: ranks that take tasks from one
                             // counter at most (0: all that share memory); tests set it to act
                             // out several machines on one
  bool timeline = false;     // record a ChunkEvent per task
  TaskDone on_task;          // optional, called after every task, one call at a time; in MPI
                             // mode on rank 0 for every task of the job as its result reaches
                             // rank 0 (dynamic schedule; static: rank 0's own tasks only)
  Warn warn;                 // optional; without it warnings go to std::cerr
  // Resuming and stopping (both optional, owned by the caller, outliving the run):
  const std::vector<u64>* skip = nullptr;  // sorted tasks done before (a checkpoint): not run
  const std::atomic<int>* stop = nullptr;  // non-zero once the run should stop: no task is
                                           // handed out after it, running ones finish, and
                                           // RunResult::interrupted says so if any was left
};

/// Runs `tasks` as `options.mode` says. MPI mode is collective (mpi.hpp) and needs MPI started;
/// pool mode must not run after MPI_Init.
RunResult run_tasks(Tasks& tasks, const RunOptions& options);

/// The loop every executor shares: `threads` workers (named name_prefix + index) pull tasks from
/// `source` until it is empty; their histograms, stats and timelines are added to `result`.
/// Worker 0 is the calling thread. An exception in a worker is rethrown here after all workers
/// have stopped. Calls tasks.kernels(threads).
void run_workers(Tasks& tasks, unsigned threads, ChunkSource& source, const RunOptions& options,
                 const std::string& name_prefix, Clock::time_point run_start, RunResult& result);

/// A thread running f. When the system refuses one (std::system_error: too many threads, no
/// memory for a stack), a std::runtime_error that says so.
template <class F>
std::jthread start_thread(F&& f) {
  try {
    return std::jthread(std::forward<F>(f));
  } catch (const std::system_error& e) {
    throw std::runtime_error(std::string("cannot start a thread: ") + e.what());
  }
}

/// Cores this process may run on (the affinity mask if set, else hardware_concurrency), >= 1.
unsigned available_cores();

/// glibc's cap on malloc arenas from the values of GLIBC_TUNABLES and MALLOC_ARENA_MAX (empty:
/// unset), parsed as glibc parses them: the last glibc.malloc.arena_max above 0 in the tunables,
/// else MALLOC_ARENA_MAX; 0 for no cap. (current_environment passes those the process started
/// with.)
unsigned malloc_arena_cap(std::string_view tunables, std::string_view arena_max);

/// One pause of a spin-wait: x86's PAUSE, which leaves the core's pipeline to its other hardware
/// thread meanwhile; nothing on other processors.
inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace numfactors
