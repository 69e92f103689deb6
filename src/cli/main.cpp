/// @file main.cpp
/// @brief numfactors: the library plus this main(). Built twice when MPI is available:
/// numfactors (NUMFACTORS_MPI_PROGRAM set, no MPI library, so that the runs without MPI start
/// fast) hands MPI runs to numfactors-mpi, which links MPI.
#include <iostream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/mpi_program.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
#ifdef NUMFACTORS_MPI_PROGRAM
  if (numfactors::mpi_wanted(args))
    return numfactors::exec_mpi_program(argv, NUMFACTORS_MPI_PROGRAM, std::cerr);
#endif
  if (!numfactors::mpi_requested(args)) return numfactors::run_app(args, std::cout, std::cerr);
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
