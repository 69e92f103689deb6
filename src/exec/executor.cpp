/// @file executor.cpp
#include "exec/executor.hpp"

#include <sched.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

#include "exec/mpi.hpp"
#include "exec/pool.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {

unsigned available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? hw : 1;
}

void run_workers(Tasks& tasks, unsigned threads, ChunkSource& source, const RunOptions& options,
                 const std::string& name_prefix, Clock::time_point run_start, RunResult& result) {
  std::vector<std::unique_ptr<TaskKernel>> kernels = tasks.kernels(std::max(threads, 1u));
  std::vector<Worker> workers;
  workers.reserve(kernels.size());
  for (std::size_t t = 0; t < kernels.size(); ++t) {
    kernels[t]->watch(options.stop);
    workers.emplace_back(name_prefix + std::to_string(t), std::move(kernels[t]), run_start,
                         options.timeline);
  }

  std::mutex callback_mutex;  // on_task is called by one worker at a time
  std::atomic<bool> abandoned{false};  // the run failed: every worker stops after its task
  auto loop = [&](Worker& w) {
    while (!abandoned.load(std::memory_order_relaxed)) {
      const auto i = source.next();
      if (!i) break;
      const Histogram h = w.run_task(tasks, *i);
      if (options.on_task) {
        std::lock_guard lock(callback_mutex);
        options.on_task(*i, h);
      }
    }
  };
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<bool> gave_up{false};  // a worker gave its task up on a stop
  // In a catch block: the first failure is the run's (the tasks finished are journaled).
  const auto fail = [&] {
    abandoned = true;
    std::lock_guard lock(failure_mutex);
    if (!failure) failure = std::current_exception();
  };
  const auto guarded_loop = [&](Worker& w) {
    try {
      loop(w);
    } catch (const Stopped&) {
      gave_up = true;
    } catch (...) {
      fail();
    }
  };
  {
    // The calling thread is worker 0: one thread fewer to start.
    std::vector<std::jthread> pool;
    pool.reserve(workers.size());  // no reallocation between a thread's start and its push
    try {
      for (std::size_t t = 1; t < workers.size(); ++t)
        pool.push_back(start_thread([&, wp = &workers[t]] { guarded_loop(*wp); }));
    } catch (...) {
      fail();  // a thread refused: those started end their task
    }
    if (!abandoned) guarded_loop(workers[0]);
  }  // joins
  if (failure) std::rethrow_exception(failure);
  collect(workers, result);
  if (gave_up && result.interrupted == 0) result.interrupted = options.stop->load();
}

namespace {

/// Serial and threads: workers in this process taking tasks from one counter.
RunResult run_here(Tasks& tasks, const RunOptions& options) {
  const auto t0 = Clock::now();
  RunResult result;
  CounterSource all(0, tasks.count());
  ResumeSource source(all, options.skip, options.stop);
  const bool serial = options.mode == Mode::serial;
  // A worker a task at most: more would only be started to find nothing to do.
  const unsigned threads =
      static_cast<unsigned>(std::min<u64>(std::max(options.workers, 1u), tasks.count()));
  run_workers(tasks, serial ? 1 : threads, source, options, serial ? "serial " : "thread ", t0,
              result);
  result.seconds = seconds_since(t0);
  if (result.interrupted == 0) result.interrupted = source.cut_by();
  return result;
}

}  // namespace

RunResult run_tasks(Tasks& tasks, const RunOptions& options) {
  switch (options.mode) {
    case Mode::serial:
    case Mode::threads: return run_here(tasks, options);
    case Mode::pool: return run_pool(tasks, options);
    case Mode::mpi: return run_mpi(tasks, options);
  }
  throw std::logic_error("unknown mode");
}



}  // namespace numfactors
