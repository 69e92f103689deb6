/// @file mpi.hpp
/// @brief MPI mode for a library caller: start MPI once, then every rank calls run() with the
/// same job (Mode::mpi). Needs the numfactors::mpi target (Open MPI + Boost.MPI).
#pragma once

#include <memory>

#include "numfactors/job.hpp"

namespace numfactors {

/// What rank 0 decided, for every rank: a job to run, or a status to exit with at once (bad
/// input, --help), and whether to record a timeline.
struct MpiJob {
  int exit_status = -1;  // >= 0: exit with it without running
  Job job;
  bool timeline = false;
};

/// MPI for this process, from MPI_Init (start_mpi) to MPI_Finalize (when destroyed). At most one
/// a process, made before any thread or worker process: fork() after MPI_Init is unsafe, and
/// runs of other modes should not pay for it. MPI calls come from the thread that made it, and
/// during a run from one more thread of the library's own (MPI_THREAD_MULTIPLE, asked for by
/// start_mpi), which shares a stop signalled to one rank with the others.
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

/// Starts MPI (MPI_Init_thread). With Open MPI, when OMPI_MCA_shmem is unset and the kernel gives
/// shared memory huge pages (shmem_enabled not never), it first sets OMPI_MCA_shmem=sysv: the
/// analytic table that the ranks of a machine share then sits on huge pages. Throws
/// std::runtime_error when MPI cannot give the thread support the dynamic schedule needs
/// (MPI_THREAD_FUNNELED; below MPI_THREAD_MULTIPLE a rank's stop stays its own),
/// std::logic_error when a session exists already.
std::unique_ptr<MpiSession> start_mpi(int& argc, char**& argv);

}  // namespace numfactors
