/// @file mpi_backend.cpp
/// @brief Where MPI mode finds the session start_mpi() made: the only definitions of the MPI
/// entry points that the rest of the library calls, whether or not MPI is linked.
#include <algorithm>
#include <atomic>

#include "exec/mpi.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

std::atomic<MpiBackend*> g_backend{nullptr};

MpiBackend& backend() {
  MpiBackend* b = g_backend.load();
  if (b == nullptr)
    throw Unavailable("MPI mode needs MPI started first (start_mpi(), from numfactors::mpi)");
  return *b;
}

}  // namespace

MpiBackend* mpi_backend() { return g_backend.load(); }

void register_mpi_backend(MpiBackend* backend) { g_backend.store(backend); }

Environment share_machine_memory(Environment local) {
  MpiBackend& mpi = backend();
  const u64 here = static_cast<u64>(std::max(mpi.ranks_on_this_machine(), 1));
  const u64 most = static_cast<u64>(mpi.max_over_ranks(static_cast<int>(here)));
  local.ranks_per_machine = static_cast<unsigned>(most);
  // The least share over the ranks that know the value (0: unknown); every rank calls this
  // alike, as it is collective.
  const auto least_share = [&](u64 bytes) {
    const u64 least = mpi.min_over_ranks(bytes == 0 ? ~u64{0} : bytes / here);
    return least == ~u64{0} ? 0 : least * most;
  };
  local.memory_available = least_share(local.memory_available);
  const bool cgroup_first = local.memory_limit != 0 && !local.memory_limit_counts_mapped;
  const u64 cgroup = least_share(cgroup_first ? local.memory_limit : local.cgroup_limit);
  (cgroup_first ? local.memory_limit : local.cgroup_limit) = cgroup;
  return local;
}

RunResult run_mpi(Tasks& tasks, const RunOptions& options) {
  return backend().run_tasks(tasks, options);
}

TableBuilt build_table_on_ranks(PrimeCountTable& table, const ParallelFor& parallel_for,
                                const PrimeCountTable::Progress& progress,
                                const TableStart& start, int max_group) {
  return backend().build_table(table, parallel_for, progress, start, max_group);
}

}  // namespace numfactors
