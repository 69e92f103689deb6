/// @file mpi_threads.hpp
/// @brief What both MPI schedules share: a rank's threads computing in the background while its
/// main thread alone talks MPI (MPI_THREAD_FUNNELED), polled with short sleeps; and the dynamic
/// schedule's two sides. Included by mpi*.cpp only.
#pragma once

#include <mpi.h>

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/prime_count_table.hpp"
#include "exec/executor.hpp"
#include "exec/mpi.hpp"

namespace numfactors::mpi_detail {

/// Throws for a failed MPI call (the C API's status; Boost.MPI throws by itself).
inline void check(int status, const char* what) {
  if (status != MPI_SUCCESS) throw std::runtime_error(std::string(what) + " failed");
}

/// How long an idle main thread sleeps between polls: long enough to cost nothing (1000
/// wake-ups a second), short beside a chunk (default chunks take tens of milliseconds or more),
/// and hidden anyway by the chunks each rank asks for ahead.
inline constexpr auto kPoll = std::chrono::milliseconds(1);

/// Sleeps between polls that grow from 50 us to kPoll: right after a message another often
/// follows (small chunks, a rank filling its queue), and answering it fast keeps the threads fed.
class Backoff {
 public:
  void reset() { pause_ = std::chrono::microseconds(50); }
  void idle() {
    std::this_thread::sleep_for(pause_);
    pause_ = std::min<std::chrono::microseconds>(pause_ * 2, kPoll);
  }

 private:
  std::chrono::microseconds pause_{50};
};

/// run_workers in a background thread; the main thread polls done() and rethrows its failure.
class BackgroundWorkers {
 public:
  BackgroundWorkers(Tasks& tasks, unsigned threads, ChunkSource& source, const RunOptions& options,
                    const std::string& prefix, Clock::time_point run_start, RunResult& out)
      : thread_([&, threads, prefix, run_start] {
          try {
            run_workers(tasks, threads, source, options, prefix, run_start, out);
          } catch (...) {
            failure_ = std::current_exception();
          }
          done_.store(true, std::memory_order_release);
        }) {}

  bool done() const { return done_.load(std::memory_order_acquire); }
  void rethrow_if_failed() const {
    if (done() && failure_) std::rethrow_exception(failure_);
  }
  void join() {
    thread_.join();
    rethrow_if_failed();
  }

 private:
  std::atomic<bool> done_{false};
  std::exception_ptr failure_;  // written before done_ is set, read after
  std::jthread thread_;         // last: starts once the members above exist
};

inline std::string thread_prefix(int rank) { return "rank " + std::to_string(rank) + " thread "; }

/// Rank 0 of the dynamic schedule (mpi_dynamic.cpp).
RunResult serve_dynamic(const boost::mpi::communicator& comm, Tasks& tasks,
                        const RunOptions& options, Clock::time_point t0);

/// A rank other than 0 in the dynamic schedule (mpi_dynamic.cpp).
RunResult ask_dynamic(const boost::mpi::communicator& comm, Tasks& tasks,
                      const RunOptions& options, Clock::time_point t0);

/// MpiBackend::run_tasks (mpi_run.cpp).
RunResult run_on_ranks(Tasks& tasks, const RunOptions& options);

/// MpiBackend::build_table (mpi_analytic.cpp).
TableBuilt build_table_shared(PrimeCountTable& table, const ParallelFor& parallel_for,
                              const PrimeCountTable::Progress& progress, const TableStart& start,
                              int max_group);

}  // namespace numfactors::mpi_detail
