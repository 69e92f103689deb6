/// @file main.cpp
/// @brief main() of both programs, built from the library and the cli layer:
///   numfactors      (NUMFACTORS_MPI_SIBLING set: links no MPI, so that the runs without MPI
///                    start fast) hands an MPI run to numfactors-mpi by exec;
///   numfactors-mpi  (NUMFACTORS_MPI_PROGRAM set) starts MPI for it.
/// Built without MPI, numfactors alone says that MPI mode is missing.
#include <iostream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/mpi_program.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
#if defined(NUMFACTORS_MPI_SIBLING)
  if (numfactors::mpi_wanted(args))
    return numfactors::exec_mpi_program(argv, NUMFACTORS_MPI_SIBLING, std::cerr);
#elif defined(NUMFACTORS_MPI_PROGRAM)
  if (numfactors::mpi_wanted(args)) {
    // MPI starts here and only here: in MPI mode, before anything else runs.
    std::unique_ptr<numfactors::MpiSession> mpi;
    try {
      mpi = numfactors::start_mpi(argc, argv);
    } catch (const std::exception& e) {
      std::cerr << "numfactors: error: cannot start MPI: " << e.what() << "\n";
      return numfactors::kExitFailure;
    }
    return numfactors::run_mpi_app(*mpi, args, std::cout, std::cerr);
  }
#endif
  return numfactors::run_app(args, std::cout, std::cerr);
}
