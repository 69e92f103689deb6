/// @file mpi_session.cpp
/// @brief MPI_Init and MPI_Finalize through boost::mpi::environment, rank 0's job for all, and
/// the session as the library's MPI backend while it lives.
#include <boost/mpi/collectives/all_reduce.hpp>
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/mpi/operations.hpp>

#include <sys/ipc.h>
#include <sys/shm.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "exec/mpi.hpp"
#include "exec/mpi_threads.hpp"
#include "exec/mpi_wire.hpp"

namespace numfactors {
namespace {

/// Open MPI backs a shared window with a file by default, which the kernel never maps on huge
/// pages, while System V shared memory gets them where shmem_enabled allows: the analytic
/// table's window (mpi_analytic.cpp) then costs two ranks about what it costs two threads. Chosen
/// only when the user has not chosen (OMPI_MCA_shmem), the kernel would give huge pages, and a
/// System V segment can be made here; other MPI libraries ignore the variable.
void prefer_huge_shared_memory() {
#ifdef OMPI_MAJOR_VERSION
  if (std::getenv("OMPI_MCA_shmem") != nullptr) return;
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
  std::string text;
  if (!std::getline(in, text) || !shared_huge_pages_allowed(text)) return;
  const int probe = shmget(IPC_PRIVATE, std::size_t{2} << 20, IPC_CREAT | 0600);
  if (probe < 0) return;
  (void)shmctl(probe, IPC_RMID, nullptr);
  (void)setenv("OMPI_MCA_shmem", "sysv", 0);
#endif
}

class BoostMpiSession final : public MpiBackend {
 public:
  // The computing threads never call MPI; the main thread does, and so does each rank's stop
  // relay (mpi_stop.cpp), which needs MULTIPLE. FUNNELED is enough for the rest: without
  // MULTIPLE a rank's signal stops that rank alone. abort_on_exception: an exception that
  // escapes while the environment is alive ends the whole job rather than this rank alone.
  BoostMpiSession(int& argc, char**& argv)
      : environment_(argc, argv, boost::mpi::threading::multiple, true) {
    if (environment_.thread_level() < boost::mpi::threading::funneled)
      throw std::runtime_error(
          "this MPI library cannot run threads beside MPI calls (MPI_THREAD_FUNNELED)");
    register_mpi_backend(this);
  }
  ~BoostMpiSession() override { register_mpi_backend(nullptr); }

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

  std::unique_ptr<SharedStop> share_stop(const std::atomic<int>* local) override {
    return mpi_detail::share_stop(MPI_Comm(world_), local,
                                  environment_.thread_level() >= boost::mpi::threading::multiple);
  }

  RunResult run_tasks(Tasks& tasks, const RunOptions& options) override {
    return mpi_detail::run_on_ranks(tasks, options);
  }

  TableBuilt build_table(PrimeCountTable& table, const ParallelFor& parallel_for,
                         const PrimeCountTable::Progress& progress, const TableStart& start,
                         int max_group) override {
    return mpi_detail::build_table_shared(table, parallel_for, progress, start, max_group);
  }

  double sum_over_ranks(double value) override {
    return boost::mpi::all_reduce(world_, value, std::plus<double>());
  }

  int max_over_ranks(int value) override {
    return boost::mpi::all_reduce(world_, value, boost::mpi::maximum<int>());
  }

  u64 min_over_ranks(u64 value) override {
    // MPI's own type and op: Boost.MPI's minimum<std::uint64_t> took 2^64-1 for the least of
    // 2^64-1 and 2^31 (a signed compare), here with Boost 1.74.
    u64 least = value;
    mpi_detail::check(MPI_Allreduce(&value, &least, 1, MPI_UINT64_T, MPI_MIN, MPI_Comm(world_)),
                      "MPI_Allreduce");
    return least;
  }

  int ranks_on_this_machine() override {
    MPI_Comm machine = mpi_detail::machine_comm(MPI_Comm(world_), 0);
    int here = 1;
    mpi_detail::check(MPI_Comm_size(machine, &here), "MPI_Comm_size");
    MPI_Comm_free(&machine);
    return here;
  }

  std::string share_text(const std::string& text) override {
    std::string shared = text;
    boost::mpi::broadcast(world_, shared, 0);
    return shared;
  }

 private:
  boost::mpi::environment environment_;
  boost::mpi::communicator world_;  // MPI_COMM_WORLD
};

}  // namespace

bool shared_huge_pages_allowed(const std::string& shmem_enabled) {
  for (const char* choice : {"[advise]", "[within_size]", "[always]", "[force]"})
    if (shmem_enabled.find(choice) != std::string::npos) return true;
  return false;
}

std::unique_ptr<MpiSession> start_mpi(int& argc, char**& argv) {
  if (boost::mpi::environment::initialized())
    throw std::logic_error("MPI is already started in this process");
  prefer_huge_shared_memory();
  return std::make_unique<BoostMpiSession>(argc, argv);
}

}  // namespace numfactors
