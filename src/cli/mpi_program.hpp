/// @file mpi_program.hpp
/// @brief How numfactors, which links no MPI, hands an MPI run to numfactors-mpi.
#pragma once

#include <iosfwd>

namespace numfactors {

/// Replaces this process by the program `name` in the folder of this program's own file
/// (/proc/self/exe, symbolic links resolved), with the same argv and environment. exec keeps the
/// process ID, by which an MPI launcher (mpiexec, srun's PMIx) knows its rank. Returns only when
/// that fails, after writing one error line to `err`: the exit status to return.
int exec_mpi_program(char** argv, const char* name, std::ostream& err);

}  // namespace numfactors
