/// @file mpi_session.cpp
/// @brief MPI_Init and MPI_Finalize through boost::mpi::environment, and rank 0's job for all.
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include <stdexcept>

#include "exec/mpi.hpp"
#include "exec/mpi_wire.hpp"

namespace numfactors {
namespace {

class BoostMpiSession final : public MpiSession {
 public:
  // FUNNELED is enough: in the dynamic schedule only this (the main) thread calls MPI, while
  // the computing threads never do. abort_on_exception: an exception that escapes while the
  // environment is alive ends the whole job rather than this rank alone.
  BoostMpiSession(int& argc, char**& argv)
      : environment_(argc, argv, boost::mpi::threading::funneled, true) {
    if (environment_.thread_level() < boost::mpi::threading::funneled)
      throw std::runtime_error(
          "this MPI library cannot run threads beside MPI calls (MPI_THREAD_FUNNELED)");
  }

  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }

  MpiJob share_job(const MpiJob& job) override {
    MpiJob shared = job;
    boost::mpi::broadcast(world_, shared, 0);
    return shared;
  }

  [[noreturn]] void abort(int status) override {
    environment_.abort(status);
    std::abort();  // MPI_Abort does not return; this only tells the compiler so
  }

 private:
  boost::mpi::environment environment_;
  boost::mpi::communicator world_;  // MPI_COMM_WORLD
};

}  // namespace

bool mpi_built() { return true; }

std::unique_ptr<MpiSession> start_mpi(int& argc, char**& argv) {
  if (boost::mpi::environment::initialized())
    throw std::logic_error("MPI is already started in this process");
  return std::make_unique<BoostMpiSession>(argc, argv);
}

}  // namespace numfactors
