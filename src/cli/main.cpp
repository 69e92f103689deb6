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
  if (nf::mpi_wanted(args)) return nf::exec_mpi_program(argv, NUMFACTORS_MPI_PROGRAM, std::cerr);
#endif
  if (!nf::mpi_requested(args)) return nf::run_app(args, std::cout, std::cerr);
  // MPI starts here and only here: in MPI mode, before anything else runs.
  std::unique_ptr<nf::MpiSession> mpi;
  try {
    mpi = nf::start_mpi(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "numfactors: error: cannot start MPI: " << e.what() << "\n";
    return nf::kExitFailure;
  }
  return nf::run_mpi_app(*mpi, args, std::cout, std::cerr);
}
