/// @file mpi.hpp
/// @brief MPI mode inside the library: the ranks of one job share its tasks and merge their
/// histograms at rank 0.
///
/// This header names no MPI type, so every layer and a build without MPI can include it. The
/// Boost.MPI code (src/exec/mpi_*.cpp, the numfactors::mpi target) implements MpiBackend; the
/// session that start_mpi() makes registers itself, and run_mpi and build_table_on_ranks go
/// through it. Without one (no MPI linked, or not started) they throw Unavailable.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "core/prime_count_table.hpp"
#include "exec/executor.hpp"
#include "numfactors/job.hpp"
#include "numfactors/mpi.hpp"

namespace numfactors {

/// Where a table build starts: after `rounds_done` rounds (the same on every rank), whose keys
/// `load` puts into the table on rank 0 once the table has its memory; watching `stop`.
struct TableStart {
  std::size_t rounds_done = 0;
  std::function<void(PrimeCountTable&)> load;  // rank 0: reads the saved keys into the table
  const std::atomic<int>* stop = nullptr;
};

/// How it ended: the rounds done (fewer than PrimeCountTable::rounds() when stopped, the same on
/// every rank), and whether this process holds the whole table, so that its keys() after them
/// are a state to save.
struct TableBuilt {
  std::size_t rounds_done = 0;
  bool whole_here = true;
};

/// Whether the text of /sys/kernel/mm/transparent_hugepage/shmem_enabled (the choice in
/// brackets) lets shared memory have huge pages: advise (when asked, as the table's window
/// does), within_size, always or force; not never or deny. start_mpi asks Open MPI for System V
/// shared memory then.
bool shared_huge_pages_allowed(const std::string& shmem_enabled);

/// A stop that every rank of a job sees while it lives: flag() turns non-zero on every rank soon
/// after one rank's own flag does (a signal sent to that rank alone), with that rank's reason
/// or, when several ranks stop at once, the first one a rank hears of.
class SharedStop {
 public:
  virtual ~SharedStop() = default;
  virtual const std::atomic<int>* flag() const = 0;
  /// Collective, at the run's end: settles every message of the stop still on its way. Without
  /// it (an exception on one rank), the destructor lets them go.
  virtual void finish() = 0;
};

/// What MPI mode needs of a started session.
class MpiBackend : public MpiSession {
 public:
  /// Collective: shares `local` (this rank's stop flag, may be null: it then only hears the
  /// others') until the result is destroyed (locally, on any rank at any time).
  virtual std::unique_ptr<SharedStop> share_stop(const std::atomic<int>* local) = 0;
  /// Collective over MPI_COMM_WORLD: every rank calls it with the same tasks and options. The
  /// ranks (options.threads threads each) run the tasks as options.schedule says. On rank 0 the
  /// result is the whole job's: the histogram, every rank's statistics and timeline (workers
  /// named "rank R thread T", in rank order); other ranks get their own part only. Every rank
  /// gets the same `interrupted`.
  virtual RunResult run_tasks(Tasks& tasks, const RunOptions& options) = 0;
  /// Collective: the ranks of one machine build one table in memory they share, each with
  /// `parallel_for` (its threads); with several machines, even machines build the odd-d half of
  /// the large keys and odd ones the even-d half, then exchange them. max_group > 0 groups at
  /// most that many ranks of a machine together, as if the others were elsewhere (tests).
  /// Stops between rounds (or blocks of start values) on every rank once `start.stop` is set on
  /// rank 0's machine (the ranks agree); resumes from start.rounds_done only when one machine
  /// holds the table.
  virtual TableBuilt build_table(PrimeCountTable& table, const ParallelFor& parallel_for,
                                 const PrimeCountTable::Progress& progress,
                                 const TableStart& start, int max_group) = 0;
  /// Collective: every rank returns rank 0's `text` (an error only rank 0 can see, so that all
  /// ranks fail alike).
  virtual std::string share_text(const std::string& text) = 0;
  /// Collective: the sum of every rank's `value` (on every rank).
  virtual double sum_over_ranks(double value) = 0;
  /// Collective: the largest of every rank's `value` (on every rank).
  virtual int max_over_ranks(int value) = 0;
  /// Collective: the smallest of every rank's `value` (on every rank).
  virtual u64 min_over_ranks(u64 value) = 0;
  /// Collective: how many ranks share this rank's machine (MPI_COMM_TYPE_SHARED).
  virtual int ranks_on_this_machine() = 0;
};

/// The live session, or null. A session registers itself while it lives.
MpiBackend* mpi_backend();
void register_mpi_backend(MpiBackend* backend);

/// Collective: `local`, this rank's environment, with the memory every machine's ranks share:
/// ranks_per_machine the most ranks one machine runs (r), and the machine's available memory and
/// a cgroup's limit (a Slurm job's on a node holds all its ranks) each r times the least share
/// of them a rank gets on any machine (its machine's value over its machine's ranks). The
/// planner's check of r ranks' workers against those then holds on every machine; on one
/// machine they are its own values. ulimit -v, one rank's address space, is left as it is.
Environment share_machine_memory(Environment local);

/// mpi_backend()->run_tasks, or Unavailable.
RunResult run_mpi(Tasks& tasks, const RunOptions& options);

/// mpi_backend()->build_table, or Unavailable.
TableBuilt build_table_on_ranks(PrimeCountTable& table, const ParallelFor& parallel_for,
                                const PrimeCountTable::Progress& progress,
                                const TableStart& start = {}, int max_group = 0);


}  // namespace numfactors
