/// @file mpi_elsewhere.cpp
/// @brief The MPI entry points of the numfactors program, which links no MPI library so that
/// every run without MPI starts fast: its main hands an MPI run to numfactors-mpi (exec, same
/// process) before anything here could be reached. numfactors-mpi links mpi*.cpp instead.
#include <stdexcept>

#include "exec/analytic_run.hpp"
#include "exec/mpi.hpp"

namespace numfactors {
namespace {

[[noreturn]] void elsewhere() {
  throw std::logic_error("MPI mode runs in numfactors-mpi, which numfactors starts for it");
}

}  // namespace

bool mpi_built() { return false; }

std::unique_ptr<MpiSession> start_mpi(int&, char**&) { elsewhere(); }

RunResult run_mpi(const Plan&, const RunOptions&) { elsewhere(); }

RunResult run_mpi(const Plan&, const RunOptions&, const Kernel&) { elsewhere(); }

void build_table_on_ranks(PrimeCountTable&, const ParallelFor&, const PrimeCountTable::Progress&,
                          int) {
  elsewhere();
}

}  // namespace numfactors
