/// @file planner.cpp
/// @brief plan_job: every decision of a run, made once from the request and the environment.
#include <algorithm>

#include "core/analytic.hpp"
#include "core/plan.hpp"
#include "numfactors/errors.hpp"
#include "numfactors/job.hpp"

namespace numfactors {
namespace {

/// Workers without a request: one per core, but one alone for a run estimated under 5 ms on one
/// core, where starting the other threads (or processes) and their kernels costs more than they
/// save (the default job: 0.14 ms of counting on one core, a second thread adds 0.2 ms). The
/// estimates are the cost model's for the method and kernel: the trial kernel, not modeled and
/// thousands of times slower than the others, always gets every core.
unsigned default_workers(const Range& r, Method method, KernelKind kernel, unsigned cores) {
  constexpr double kOneWorkerSeconds = 5e-3;
  const double seconds = method == Method::analytic ? estimate_cost(r).analytic_seconds
                                                    : sieve_method_seconds(r, kernel);
  return seconds < kOneWorkerSeconds ? 1 : cores;
}

void check_conflicts(const Request& q) {
  if (q.method == Method::analytic && q.kernel)
    throw ConflictError("a kernel is a choice of the sieve method, which the analytic method is "
                        "not",
                        ConflictError::Kind::kernel_with_analytic, to_string(*q.kernel));
  if (q.method == Method::analytic && q.chunk != 0)
    throw ConflictError("a chunk size cuts the range for the sieve method; the analytic method "
                        "cuts its own work into items",
                        ConflictError::Kind::chunk_with_analytic, "analytic");
  if (q.mode == Mode::mpi) {
    if (q.workers != 0)
      throw ConflictError("MPI mode runs ranks x threads per rank, not a number of workers",
                          ConflictError::Kind::workers_in_mpi, "mpi");
    return;
  }
  if (q.threads_per_rank != 0)
    throw ConflictError("threads per rank apply to MPI mode only",
                        ConflictError::Kind::threads_outside_mpi, to_string(q.mode));
  if (q.schedule)
    throw ConflictError("a schedule applies to MPI mode only",
                        ConflictError::Kind::schedule_outside_mpi, to_string(q.mode));
}

/// The method: the one asked for; else the sieve when a choice of the sieve (kernel, chunk) is
/// made; else the checkpoint's (a resumed run goes on as it started); else the cheaper.
Method method_for(const Request& q, const Environment& env) {
  if (q.method == Method::analytic) {
    const u64 bytes = PrimeCountTable::memory_bytes(q.range.hi);
    if (bytes > PrimeCountTable::kDefaultMaxBytes)
      throw TableTooLarge("the analytic method would need about " + std::to_string(bytes >> 20) +
                              " MiB a process for the prime count table of " +
                              std::to_string(q.range.hi) + " (at most " +
                              std::to_string(PrimeCountTable::kDefaultMaxBytes >> 20) + " MiB)",
                          q.range.hi, bytes, PrimeCountTable::kDefaultMaxBytes);
  }
  if (q.method != Method::automatic) return q.method;
  if (q.kernel || q.chunk != 0) return Method::sieve;
  if (env.checkpoint) return env.checkpoint->method;
  return analytic_is_cheaper(q.range) ? Method::analytic : Method::sieve;
}

/// The kernel: the one asked for; else one for the checkpoint's chunks (the wheel for the
/// wheel's where the range can take it, else the automatic kernel, which any chunks of numbers
/// suit: a file written before the wheel existed goes on in numbers, and a wheel file for a
/// window far from 1 is refused when opened, not by the planner); else the default for the range.
/// The choice depends on the range alone, so the same command resumes the same checkpoint.
KernelKind kernel_for(const Request& q, const Environment& env) {
  if (q.kernel) return *q.kernel;
  const KernelKind fallback = default_kernel(q.range);
  if (env.checkpoint && env.checkpoint->kernel)
    return *env.checkpoint->kernel == KernelKind::wheel && fallback == KernelKind::wheel
               ? KernelKind::wheel
               : KernelKind::automatic;
  return fallback;
}

}  // namespace

Job plan_job(const Request& q, const Environment& env) {
  check_range(q.range);
  check_conflicts(q);
  const unsigned cores = std::max(env.cores, 1u);
  Job job;
  job.range = q.range;
  job.count = q.count;
  job.mode = q.mode;
  job.method = method_for(q, env);
  job.kernel = job.method == Method::sieve ? kernel_for(q, env) : KernelKind::sieve;

  if (q.mode == Mode::mpi) {
    job.ranks = std::max(env.ranks, 1u);
    job.threads_per_rank = q.threads_per_rank != 0       ? q.threads_per_rank
                           : env.slurm_cpus_per_task != 0 ? env.slurm_cpus_per_task
                                                          : 1;
    job.workers = job.ranks * job.threads_per_rank;
    // Rank 0 journals each task as its histogram arrives, which the dynamic schedule's messages
    // give it; the static one sends nothing until the end.
    job.schedule = q.checkpoint ? Schedule::dynamic : q.schedule.value_or(Schedule::static_cyclic);
    if (q.checkpoint && q.schedule == Schedule::static_cyclic)
      job.notes.push_back(PlanNote::checkpoint_runs_dynamic);
    // mpiexec binds each rank to one core by default with up to 2 ranks: threads then share it.
    if (job.threads_per_rank > cores) job.notes.push_back(PlanNote::threads_exceed_cores);
  } else {
    job.workers = q.mode == Mode::serial ? 1
                  : q.workers != 0       ? q.workers
                                         : default_workers(q.range, job.method, job.kernel, cores);
  }

  if (job.method == Method::sieve) {
    // A resumed run cuts the range as the checkpoint did, whatever its workers.
    const u64 chunk = q.chunk != 0                                        ? q.chunk
                      : env.checkpoint && env.checkpoint->chunk_size != 0 ? env.checkpoint->chunk_size
                                                                          : 0;
    job.chunk_size = make_plan(q.range, q.count, job.kernel, chunk, job.workers).chunk_size;
  }
  return job;
}

}  // namespace numfactors
