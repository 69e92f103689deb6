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

namespace {

/// Workers name_prefix + 0, 1, ...: the first counts with `first` when given, the others (and the
/// first otherwise) with clones of `prototype`.
std::vector<Worker> make_workers(std::unique_ptr<Kernel> first, const Kernel& prototype,
                                 unsigned threads, const RunOptions& options,
                                 const std::string& name_prefix, Clock::time_point run_start) {
  std::vector<Worker> workers;
  workers.reserve(threads);
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back(name_prefix + std::to_string(t),
                         t == 0 && first ? std::move(first) : prototype.clone(), run_start,
                         options.timeline);
  return workers;
}

void run_loop(const Plan& plan, std::vector<Worker>& workers, ChunkSource& source,
              const RunOptions& options, RunResult& result) {
  const std::size_t threads = workers.size();
  std::mutex callback_mutex;  // on_chunk is called by one worker at a time
  auto loop = [&](Worker& w) {
    while (const auto i = source.next()) {
      const Histogram h = w.run_chunk(plan, *i);
      if (options.on_chunk) {
        std::lock_guard lock(callback_mutex);
        options.on_chunk(*i, h);
      }
    }
  };

  if (threads == 1) {
    loop(workers[0]);
  } else {
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto guarded_loop = [&](Worker& w) {
      try {
        loop(w);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    };
    // The calling thread is worker 0: one thread fewer to start.
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t)
      pool.emplace_back([&, wp = &workers[t]] { guarded_loop(*wp); });
    guarded_loop(workers[0]);
    pool.clear();  // joins
    if (failure) std::rethrow_exception(failure);
  }
  collect(workers, result);
}

}  // namespace

void run_workers(const Plan& plan, const Kernel& prototype, unsigned threads, ChunkSource& source,
                 const RunOptions& options, const std::string& name_prefix,
                 Clock::time_point run_start, RunResult& result) {
  std::vector<Worker> workers =
      make_workers(nullptr, prototype, threads, options, name_prefix, run_start);
  run_loop(plan, workers, source, options, result);
}

void run_workers(const Plan& plan, std::unique_ptr<Kernel> kernel, unsigned threads,
                 ChunkSource& source, const RunOptions& options, const std::string& name_prefix,
                 Clock::time_point run_start, RunResult& result) {
  // Clones are made before any worker counts: cloning reads only what counting never changes.
  const Kernel& prototype = *kernel;
  std::vector<Worker> workers =
      make_workers(std::move(kernel), prototype, threads, options, name_prefix, run_start);
  run_loop(plan, workers, source, options, result);
}

RunResult run_serial(const Plan& plan, const RunOptions& options) {
  const auto t0 = Clock::now();
  RunResult result;
  CounterSource all(0, plan.chunk_count());
  ResumeSource source(all, options.skip, options.stop);
  run_workers(plan, make_kernel(plan), 1, source, options, "serial ", t0, result);
  result.seconds = seconds_since(t0);
  result.interrupted = source.cut_by();
  return result;
}

RunResult run_threads(const Plan& plan, const RunOptions& options) {
  const auto t0 = Clock::now();
  RunResult result;
  CounterSource all(0, plan.chunk_count());
  ResumeSource source(all, options.skip, options.stop);
  run_workers(plan, make_kernel(plan), std::max(options.workers, 1u), source, options, "thread ",
              t0, result);
  result.seconds = seconds_since(t0);
  result.interrupted = source.cut_by();
  return result;
}

RunResult run(const Plan& plan, const RunOptions& options) {
  switch (options.mode) {
    case Mode::serial: return run_serial(plan, options);
    case Mode::threads: return run_threads(plan, options);
    case Mode::pool: return run_pool(plan, options);
    case Mode::mpi: return run_mpi(plan, options);
  }
  throw std::logic_error("unknown mode");
}

unsigned launcher_world_size() {
  const auto read = [](const char* name) -> unsigned {
    const char* v = std::getenv(name);
    if (v == nullptr) return 0;
    char* end = nullptr;
    const unsigned long n = std::strtoul(v, &end, 10);
    return end != v && *end == '\0' && n <= 1u << 24 ? static_cast<unsigned>(n) : 0;
  };
  if (const unsigned n = read("OMPI_COMM_WORLD_SIZE")) return n;
  if (const unsigned n = read("PMI_SIZE")) return n;
  if (std::getenv("PMIX_RANK") != nullptr) return read("SLURM_STEP_NUM_TASKS");
  return 0;
}

#ifndef NUMFACTORS_HAVE_MPI
// This build has no src/exec/mpi*.cpp: MPI mode explains itself instead of failing to link.

bool mpi_built() { return false; }

const char* const kBuiltWithoutMpi =
    "this numfactors was built without MPI: rebuild it with Open MPI and Boost.MPI installed";

std::unique_ptr<MpiSession> start_mpi(int&, char**&) { throw Unavailable(kBuiltWithoutMpi); }

RunResult run_mpi(const Plan&, const RunOptions&) { throw Unavailable(kBuiltWithoutMpi); }

RunResult run_mpi(const Plan&, const RunOptions&, const Kernel&) {
  throw Unavailable(kBuiltWithoutMpi);
}
#endif

}  // namespace numfactors
