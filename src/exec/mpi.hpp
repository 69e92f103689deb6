/// @file mpi.hpp
/// @brief MPI mode: ranks of one job share a Plan and merge their histograms at rank 0.
///
/// This header names no MPI type, so every layer and a build without MPI can include it; the
/// Boost.MPI code lives in src/exec/mpi*.cpp, which CMake leaves out when MPI is absent (then
/// executor.cpp defines start_mpi and run_mpi as a UsageError that says so).
#pragma once

#include <memory>

#include "core/plan.hpp"
#include "exec/executor.hpp"

namespace numfactors {

/// What rank 0 decided after parsing the command line, shared with every rank.
struct MpiJob {
  int exit_status = -1;  // >= 0: every rank exits with it without running (bad input, --help)
  Plan plan;
  unsigned threads = 1;  // per rank
  Schedule schedule = Schedule::static_cyclic;
  bool timeline = false;
  bool analytic = false;  // --method analytic: plan's range and count only (analytic_run.hpp)
};

/// MPI for this process, from MPI_Init (when made) to MPI_Finalize (when destroyed). Made only in
/// MPI mode and at most once a process: fork() after MPI_Init is unsafe, and serial runs should
/// not pay for it. MPI calls come from the thread that made it only (MPI_THREAD_FUNNELED).
class MpiSession {
 public:
  virtual ~MpiSession() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Collective: every rank returns rank 0's `job`; the other ranks' argument is ignored.
  virtual MpiJob share_job(const MpiJob& job) = 0;
  /// Ends every rank of the job with `status` now (MPI_Abort): a rank that fails must not leave
  /// the others waiting for it.
  [[noreturn]] virtual void abort(int status) = 0;
};

/// True when this build has the MPI mode.
bool mpi_built();

/// Starts MPI. Throws UsageError in a build without MPI, std::runtime_error when MPI cannot give
/// the thread support the dynamic schedule needs.
std::unique_ptr<MpiSession> start_mpi(int& argc, char**& argv);

/// Collective over MPI_COMM_WORLD: every rank calls it with the same plan and options. The ranks
/// (options.threads threads each) run the chunks as options.schedule says. On rank 0 the result
/// is the whole job's: the histogram, every rank's statistics and timeline (workers named
/// "rank R thread T", in rank order). Other ranks get their own part only. Needs start_mpi first.
RunResult run_mpi(const Plan& plan, const RunOptions& options);

/// The same with `prototype` cloned for every thread instead of a kernel made from the plan (tests
/// reuse one kernel, whose sieving primes can take seconds to make, across many runs).
RunResult run_mpi(const Plan& plan, const RunOptions& options, const Kernel& prototype);

/// The number of ranks the MPI launcher started, read from its environment before MPI is
/// initialised: OMPI_COMM_WORLD_SIZE (Open MPI's mpiexec), PMI_SIZE (MPICH, srun --mpi=pmi2),
/// or, when PMIX_RANK says PMIx started us (srun --mpi=pmix), SLURM_STEP_NUM_TASKS. 0 when none is
/// set, so a plain run never initialises MPI.
unsigned launcher_world_size();

}  // namespace numfactors
