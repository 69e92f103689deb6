/// @file mpi_analytic.cpp
/// @brief The analytic method's table on MPI ranks: built in two halves by two ranks at once.
///
/// A table's large keys floor(n/d) of odd d and of even d are independent halves of the update
/// (PrimeCountTable::Share), so even ranks build the odd-d half and odd ranks the even-d half
/// (the small keys, which both need, are a small part of the work), then rank 0 sends every rank
/// its odd half and rank 1 its even half. With two ranks or more the build takes about half the
/// time of a whole one; the walk's items are then dealt out by run_mpi like chunks.
#include <mpi.h>

#include <boost/mpi/communicator.hpp>

#include <thread>
#include <vector>

#include "exec/analytic_run.hpp"
#include "exec/mpi_threads.hpp"

namespace nf {
namespace {

/// Broadcasts `values` (the same size on every rank) from `root`, sleeping between polls so that
/// a rank waiting for the other half leaves its core to the ranks still building.
void quiet_broadcast(const boost::mpi::communicator& comm, std::vector<std::uint64_t>& values,
                     int root) {
  // r/2 values with r = floor(sqrt(n)) < 2^32: fewer than 2^31, an int count.
  MPI_Request request;
  MPI_Ibcast(values.data(), static_cast<int>(values.size()), MPI_UINT64_T, root, MPI_Comm(comm),
             &request);
  mpi_detail::Backoff backoff;
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    backoff.idle();
  }
}

}  // namespace

void build_table_on_ranks(PrimeCountTable& table, const ParallelFor& parallel_for,
                          const PrimeCountTable::Progress& progress) {
  const boost::mpi::communicator comm;
  if (comm.size() == 1) {
    table.build(parallel_for, progress);
    return;
  }
  using Share = PrimeCountTable::Share;
  const Share mine = comm.rank() % 2 == 0 ? Share::odd : Share::even;
  table.build(parallel_for, progress, mine);
  const u64 odd_count = (table.root() + 1) / 2;  // d = 1, 3, ... <= root
  for (const Share share : {Share::odd, Share::even}) {
    const int root = share == Share::odd ? 0 : 1;
    std::vector<std::uint64_t> values =
        share == mine ? table.export_large(share)
                      : std::vector<std::uint64_t>(share == Share::odd ? odd_count
                                                                       : table.root() / 2);
    quiet_broadcast(comm, values, root);
    if (share != mine) table.import_large(share, values);
  }
}

}  // namespace nf
