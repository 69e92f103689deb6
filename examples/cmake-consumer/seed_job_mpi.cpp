// The seed assignment on MPI ranks through the installed library (mpiexec -n N seed_job_mpi):
// rank 0 plans, every rank runs the same job, rank 0 prints the merged histogram.
#include <iostream>

#include <numfactors/mpi.hpp>
#include <numfactors/numfactors.hpp>

int main(int argc, char** argv) {
  const auto mpi = numfactors::start_mpi(argc, argv);
  numfactors::MpiJob shared;
  if (mpi->rank() == 0) {
    numfactors::Request request;  // [2, 500000], distinct
    request.mode = numfactors::Mode::mpi;
    numfactors::Environment env = numfactors::current_environment();
    env.ranks = static_cast<unsigned>(mpi->size());
    shared.job = numfactors::plan_job(request, env);
  }
  shared = mpi->share_job(shared);  // every rank runs rank 0's plan
  const numfactors::RunResult result = numfactors::run(shared.job);
  if (mpi->rank() == 0) std::cout << numfactors::format_dict(result.histogram) << "\n";
}
