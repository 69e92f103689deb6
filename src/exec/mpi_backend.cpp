/// @file mpi_backend.cpp
/// @brief Where MPI mode finds the session start_mpi() made: the only definitions of the MPI
/// entry points that the rest of the library calls, whether or not MPI is linked.
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

RunResult run_mpi(Tasks& tasks, const RunOptions& options) {
  return backend().run_tasks(tasks, options);
}

TableBuilt build_table_on_ranks(PrimeCountTable& table, const ParallelFor& parallel_for,
                                const PrimeCountTable::Progress& progress,
                                const TableStart& start, int max_group) {
  return backend().build_table(table, parallel_for, progress, start, max_group);
}

}  // namespace numfactors
