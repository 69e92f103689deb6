/// @file main.cpp
/// @brief numfactors: the library plus this main().
#include <iostream>
#include <string>
#include <vector>

#include "cli/app.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
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
