/// @file mpi_run.cpp
/// @brief run_mpi: the static schedule (the dynamic one is in mpi_dynamic.cpp), and the merge of
/// every rank's part at rank 0.
///
/// Threads: each rank computes in `threads` threads started by run_workers in a background thread,
/// while its main thread talks MPI (and the stop relay of mpi_stop.cpp). In the dynamic schedule
/// rank 0's main thread serves chunk requests and its own threads compute too, so 2 ranks on 2
/// cores keep both busy. Waiting is done by polling with short sleeps, not by blocking calls: Open
/// MPI's blocking calls spin on a core, which would take it from the threads computing beside them.
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
#include <functional>
#include <memory>
#include <mutex>
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

RunResult run_static(const boost::mpi::communicator& comm, Tasks& tasks,
                     const RunOptions& options, Clock::time_point t0, MachineCounter* machine) {
  // Only rank 0 knows a checkpoint's chunks; the dealing cannot skip them on the other ranks.
  if (options.skip != nullptr)
    throw std::logic_error("run_mpi: chunks to skip need the dynamic schedule");
  std::unique_ptr<ChunkSource> dealt;
  if (machine != nullptr) {
    dealt = std::make_unique<ListSource>(machine->machine_tasks(comm, tasks), &machine->next());
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
  // Freed (collectively) at the end, after the barrier of merge_at_root: a rank that finished
  // first would spin in MPI_Win_free while the others still compute.
  std::optional<MachineCounter> machine;
  const bool static_schedule = options.schedule == Schedule::static_cyclic;
  if (static_schedule && tasks.uneven()) machine.emplace(comm, options.machine_ranks);
  RunResult part;
  if (static_schedule)
    part = run_static(comm, tasks, local, t0, machine ? &*machine : nullptr);
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
