/// @file mpi_run.cpp
/// @brief run_mpi: the static schedule (the dynamic one is in mpi_dynamic.cpp), and the merge of
/// every rank's part at rank 0.
///
/// Threads: each rank computes in `threads` threads started by run_workers in a background thread,
/// while its main thread alone talks MPI (MPI_THREAD_FUNNELED). In the dynamic schedule rank 0's
/// main thread serves chunk requests and its own threads compute too, so 2 ranks on 2 cores keep
/// both busy. Waiting is done by polling with short sleeps, not by blocking calls: Open MPI's
/// blocking calls spin on a core, which would take it from the threads computing beside them.
#include <mpi.h>

#include <boost/mpi/collectives/all_reduce.hpp>
#include <boost/mpi/collectives/gather.hpp>
#include <boost/mpi/collectives/reduce.hpp>
#include <boost/mpi/collectives/scatter.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/mpi/operations.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <thread>

#include "exec/mpi.hpp"
#include "exec/mpi_deal.hpp"
#include "exec/mpi_threads.hpp"
#include "exec/mpi_wire.hpp"

namespace numfactors::mpi_detail {
namespace {

/// A barrier that sleeps while it waits (MPI_Ibarrier + MPI_Test), so a rank that finished first
/// leaves its core to the ranks still computing.
void quiet_barrier(const boost::mpi::communicator& comm) {
  MPI_Request request;
  MPI_Ibarrier(MPI_Comm(comm), &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(kPoll);
  }
}

/// The ranks of one machine (MPI_COMM_TYPE_SHARED) and a counter in memory they share, for tasks
/// of unequal work (the analytic walk's items, a thousandfold apart). The ranks of a machine pool
/// the tasks their Deals name and take them from the counter, lowest index (heaviest estimate)
/// first, as threads do: they end within one task of each other whatever the tasks' work. Across
/// machines the Deals stand, so every machine has its ranks' share.
class MachineCounter {
 public:
  /// Collective. At most `max_ranks` ranks a machine when max_ranks > 0.
  MachineCounter(const boost::mpi::communicator& world, int max_ranks) {
    check(MPI_Comm_split_type(MPI_Comm(world), MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL,
                              &machine_),
          "MPI_Comm_split_type");
    MPI_Comm_rank(machine_, &machine_rank_);
    if (max_ranks > 0) {
      MPI_Comm part;
      check(MPI_Comm_split(machine_, machine_rank_ / max_ranks, machine_rank_, &part),
            "MPI_Comm_split");
      MPI_Comm_free(&machine_);
      machine_ = part;
      MPI_Comm_rank(machine_, &machine_rank_);
    }
    void* base = nullptr;
    const MPI_Aint bytes = machine_rank_ == 0 ? sizeof(std::atomic<u64>) : 0;
    check(MPI_Win_allocate_shared(bytes, 1, MPI_INFO_NULL, machine_, &base, &window_),
          "MPI_Win_allocate_shared");
    MPI_Aint size = 0;
    int unit = 0;
    check(MPI_Win_shared_query(window_, 0, &size, &unit, &base), "MPI_Win_shared_query");
    next_ = static_cast<std::atomic<u64>*>(base);
    if (machine_rank_ == 0) new (next_) std::atomic<u64>(0);
    MPI_Barrier(machine_);  // set before any rank of the machine takes a task
  }
  ~MachineCounter() {
    // Collective, as the run that holds it ends on every rank; a rank failing with an exception
    // is aborted with the job, and the others would not join.
    if (std::uncaught_exceptions() == 0) MPI_Win_free(&window_);
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
  MPI_Comm machine_ = MPI_COMM_NULL;
  int machine_rank_ = 0;
  MPI_Win window_ = MPI_WIN_NULL;
  std::atomic<u64>* next_ = nullptr;
};

RunResult run_static(const boost::mpi::communicator& comm, Tasks& tasks,
                     const RunOptions& options, Clock::time_point t0) {
  // Only rank 0 knows a checkpoint's chunks; the dealing cannot skip them on the other ranks.
  if (options.skip != nullptr)
    throw std::logic_error("run_mpi: chunks to skip need the dynamic schedule");
  std::unique_ptr<ChunkSource> dealt;
  std::optional<MachineCounter> counter;
  if (tasks.uneven()) {
    counter.emplace(comm, options.machine_ranks);
    dealt = std::make_unique<ListSource>(counter->machine_tasks(comm, tasks), &counter->next());
  } else {
    std::vector<Deal> deals;
    if (comm.rank() == 0)
      for (int r = 0; r < comm.size(); ++r)
        deals.push_back({tasks.count(), static_cast<u64>(comm.size()), static_cast<u64>(r)});
    Deal mine;
    if (comm.rank() == 0)
      boost::mpi::scatter(comm, deals, mine, 0);
    else
      boost::mpi::scatter(comm, mine, 0);
    dealt = std::make_unique<DealtSource>(mine);
  }
  ResumeSource source(*dealt, nullptr, options.stop);
  RunResult part;
  run_workers(tasks, options.threads, source, options, thread_prefix(comm.rank()), t0, part);
  if (part.interrupted == 0) part.interrupted = source.cut_by();
  if (counter) quiet_barrier(comm);  // freeing the counter's window would spin while others work
  return part;
}

/// Adds every rank's part into rank 0's result: histograms by reduce, statistics and timelines by
/// gather, worker indices renumbered in rank order.
RunResult merge_at_root(const boost::mpi::communicator& comm, const RunResult& part) {
  quiet_barrier(comm);  // the reduce below would spin while slower ranks still compute
  RunResult merged;
  boost::mpi::reduce(comm, part.histogram.bins().data(), Histogram::kMaxKey + 1,
                     merged.histogram.bins().data(), std::plus<u64>(), 0);
  const RankReport report{part.workers, part.timeline};
  if (comm.rank() != 0) {
    boost::mpi::gather(comm, report, 0);
    return part;
  }
  std::vector<RankReport> reports;
  boost::mpi::gather(comm, report, reports, 0);
  for (const RankReport& r : reports) {
    const std::size_t offset = merged.workers.size();
    merged.workers.insert(merged.workers.end(), r.workers.begin(), r.workers.end());
    for (ChunkEvent e : r.timeline) {
      e.worker += offset;
      merged.timeline.push_back(e);
    }
  }
  return merged;
}

}  // namespace

RunResult run_on_ranks(Tasks& tasks, const RunOptions& options) {
  const boost::mpi::communicator comm;  // MPI_COMM_WORLD
  RunOptions local = options;
  local.threads = std::max(options.threads, 1u);
  // Timeline times count from this barrier on every rank: within a node they share one clock.
  quiet_barrier(comm);
  const auto t0 = Clock::now();
  RunResult part;
  if (options.schedule == Schedule::static_cyclic)
    part = run_static(comm, tasks, local, t0);
  else if (comm.rank() == 0)
    part = serve_dynamic(comm, tasks, local, t0);
  else
    part = ask_dynamic(comm, tasks, local, t0);
  RunResult result = merge_at_root(comm, part);
  // Every rank exits alike: interrupted when any rank left tasks undone.
  result.interrupted = boost::mpi::all_reduce(comm, part.interrupted, boost::mpi::maximum<int>());
  result.seconds = seconds_since(t0);
  return result;
}

}  // namespace numfactors::mpi_detail
