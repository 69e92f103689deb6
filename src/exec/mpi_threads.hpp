/// @file mpi_threads.hpp
/// @brief What both MPI schedules share: a rank's threads computing in the background while its
/// main thread talks MPI, polled with short sleeps (beside it only the stop relay calls MPI,
/// mpi_stop.cpp); and the dynamic schedule's two sides. Included by mpi*.cpp only.
#pragma once

#include <mpi.h>

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/prime_count_table.hpp"
#include "exec/executor.hpp"
#include "exec/mpi_deal.hpp"
#include "exec/mpi.hpp"

namespace numfactors::mpi_detail {

/// Throws for a failed MPI call (the C API's status; Boost.MPI throws by itself).
inline void check(int status, const char* what) {
  if (status != MPI_SUCCESS) throw std::runtime_error(std::string(what) + " failed");
}

/// Collective over `world`: the ranks of this machine (MPI_COMM_TYPE_SHARED), in world order, at
/// most `max_ranks` of them when max_ranks > 0 (tests act out several machines on one).
inline MPI_Comm machine_comm(MPI_Comm world, int max_ranks) {
  int world_rank = 0;
  MPI_Comm_rank(world, &world_rank);
  MPI_Comm machine;
  check(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &machine),
        "MPI_Comm_split_type");
  if (max_ranks <= 0) return machine;
  int machine_rank = 0;
  MPI_Comm_rank(machine, &machine_rank);
  MPI_Comm part;
  check(MPI_Comm_split(machine, machine_rank / max_ranks, machine_rank, &part), "MPI_Comm_split");
  MPI_Comm_free(&machine);
  return part;
}

/// Where a shared window's memory starts: a page boundary. Open MPI's windows start 8 bytes
/// past a cache line, so every 64-byte vector load of a table there would span two lines.
inline constexpr std::uintptr_t kWindowAlign = 4096;

/// Collective over `machine`: an MPI-3 shared window of at least `bytes` held by its first rank,
/// and that memory's address on every rank, aligned to kWindowAlign. Every rank maps the
/// segment at a page boundary, so the address's offset into it is the same on all of them.
inline void* shared_window(MPI_Comm machine, MPI_Aint bytes, MPI_Win& window) {
  int rank = 0;
  MPI_Comm_rank(machine, &rank);
  void* base = nullptr;
  const MPI_Aint held = bytes + static_cast<MPI_Aint>(kWindowAlign);
  check(MPI_Win_allocate_shared(rank == 0 ? held : 0, 1, MPI_INFO_NULL, machine, &base, &window),
        "MPI_Win_allocate_shared");
  MPI_Aint size = 0;
  int unit = 0;
  check(MPI_Win_shared_query(window, 0, &size, &unit, &base), "MPI_Win_shared_query");
  const auto at = reinterpret_cast<std::uintptr_t>(base);
  return reinterpret_cast<void*>((at + kWindowAlign - 1) & ~(kWindowAlign - 1));
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
      : thread_(start_thread([&, threads, prefix, run_start] {
          try {
            run_workers(tasks, threads, source, options, prefix, run_start, out);
          } catch (...) {
            failure_ = std::current_exception();
          }
          done_.store(true, std::memory_order_release);
        })) {}

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

/// The ranks of one machine (MPI_COMM_TYPE_SHARED) and a counter in memory they share, for tasks
/// of unequal work (the analytic walk's items, a thousandfold apart): the machine's ranks take
/// their tasks from the counter, lowest index (heaviest estimate) first, as threads do, so they
/// end within one task of each other whatever the tasks' work. They pool the tasks their Deals
/// name (the static schedule); across machines the Deals stand.
class MachineCounter {
  static_assert(std::atomic<u64>::is_always_lock_free,
                "the counter is a plain word in memory the processes share");

 public:
  /// Collective; max_ranks as machine_comm takes it.
  MachineCounter(const boost::mpi::communicator& world, int max_ranks)
      : machine_(machine_comm(MPI_Comm(world), max_ranks)) {
    next_ = static_cast<std::atomic<u64>*>(shared_window(machine_, sizeof(u64), window_));
    int machine_rank = 0;
    MPI_Comm_rank(machine_, &machine_rank);
    if (machine_rank == 0) new (next_) std::atomic<u64>(0);
    MPI_Barrier(machine_);  // set before any rank of the machine takes a task
  }
  ~MachineCounter() {
    // Both collective, as the run that holds it ends on every rank; a rank failing with an
    // exception is aborted with the job, and the others would not join.
    if (std::uncaught_exceptions() != 0) return;
    MPI_Win_free(&window_);
    MPI_Comm_free(&machine_);
  }
  MachineCounter(const MachineCounter&) = delete;
  MachineCounter& operator=(const MachineCounter&) = delete;

  std::atomic<u64>& next() { return *next_; }
  /// Collective over the machine: the tasks of its ranks' Deals, in increasing order.
  std::vector<u64> machine_tasks(const boost::mpi::communicator& world, const Tasks& tasks) {
    int size = 1;
    MPI_Comm_size(machine_, &size);
    const int me = world.rank();
    std::vector<int> members(static_cast<std::size_t>(size));
    check(MPI_Allgather(&me, 1, MPI_INT, members.data(), 1, MPI_INT, machine_), "MPI_Allgather");
    return pooled_deal(tasks.count(), static_cast<u64>(world.size()),
                       std::vector<u64>(members.begin(), members.end()));
  }

 private:
  MPI_Comm machine_;
  MPI_Win window_ = MPI_WIN_NULL;
  std::atomic<u64>* next_ = nullptr;
};

/// Rank 0 of the dynamic schedule (mpi_dynamic.cpp).
RunResult serve_dynamic(const boost::mpi::communicator& comm, Tasks& tasks,
                        const RunOptions& options, Clock::time_point t0);

/// A rank other than 0 in the dynamic schedule (mpi_dynamic.cpp).
RunResult ask_dynamic(const boost::mpi::communicator& comm, Tasks& tasks,
                      const RunOptions& options, Clock::time_point t0);

/// MpiBackend::run_tasks (mpi_run.cpp).
RunResult run_on_ranks(Tasks& tasks, const RunOptions& options);

/// MpiBackend::share_stop (mpi_stop.cpp): `relay` false where MPI cannot take calls from a
/// thread of its own (below MPI_THREAD_MULTIPLE): the stop is then this rank's own.
std::unique_ptr<SharedStop> share_stop(MPI_Comm world, const std::atomic<int>* local, bool relay);

/// MpiBackend::build_table (mpi_analytic.cpp).
TableBuilt build_table_shared(PrimeCountTable& table, const ParallelFor& parallel_for,
                              const PrimeCountTable::Progress& progress, const TableStart& start,
                              int max_group);

}  // namespace numfactors::mpi_detail
