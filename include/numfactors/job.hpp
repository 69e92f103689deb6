/// @file job.hpp
/// @brief The planner: a request (what the caller chose, and the facts of the environment) in, a
/// fully resolved job out. Every decision that makes a run fast is made here, once, for every
/// front end: the method, the kernel, the chunk size, the workers, the threads per MPI rank and
/// the schedule.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// What the caller chose. Everything but the range is optional: 0 or nothing leaves it to the
/// planner.
struct Request {
  Range range{2, 500000};  // the seed assignment's job
  Count count = Count::distinct;
  Method method = Method::automatic;
  std::optional<KernelKind> kernel;  // the sieve method's kernel (automatic: chosen per chunk)
  Mode mode = Mode::threads;
  unsigned workers = 0;           // threads or processes (serial, threads, pool)
  unsigned threads_per_rank = 0;  // MPI mode
  std::optional<Schedule> schedule;  // MPI mode
  u64 chunk = 0;                  // the sieve method's chunk size
  bool checkpoint = false;        // the run will journal to a checkpoint file
  /// Only part `part.index` (1-based) of `part.of` parts of equal estimated cost of the range
  /// (split_by_cost), as a job array's task counts it; {0, 0}: the whole range.
  struct Part {
    unsigned index = 0;
    unsigned of = 0;
  } part;
};

/// What an existing checkpoint file says about the run that wrote it (its header): a resumed run
/// goes on with the same method and chunks unless the request says otherwise.
struct CheckpointFacts {
  Method method = Method::sieve;
  /// The sieve's chunks: wheel for the wheel's (values of m), automatic for chunks of numbers,
  /// which every other kernel counts alike (the file does not say which one wrote them).
  std::optional<KernelKind> kernel;
  u64 chunk_size = 0;
};

/// The facts of the machine and the launch that the plan depends on. current_environment()
/// reads them; tests and callers may set them as they like.
struct Environment {
  unsigned cores = 1;              // in this process's CPU affinity mask
  unsigned slurm_cpus_per_task = 0;  // SLURM_CPUS_PER_TASK; 0 outside Slurm
  bool slurm_cpus_per_task_unreadable = false;  // set, but not a count from 1 to 2^20
  unsigned ranks = 1;              // MPI ranks of the job (MPI mode)
  /// MPI: the most ranks on one machine. Each holds its own sieving workers in that machine's
  /// memory (and a Slurm job's cgroup on the node holds them all): the planner weighs that many
  /// ranks' workers against memory_available and a cgroup's limit, one rank's against ulimit -v.
  unsigned ranks_per_machine = 1;
  std::optional<CheckpointFacts> checkpoint;  // the header of an existing checkpoint file
  /// Bytes this process may map (RLIMIT_AS), or else its cgroup's memory limit; 0: no limit known.
  u64 memory_limit = 0;
  std::string memory_limit_by;     // what sets it: "ulimit -v (RLIMIT_AS)", "its cgroup"
  /// ulimit -v counts every page a process maps (a thread's whole stack); a cgroup's limit the
  /// pages touched, by all the processes in it.
  bool memory_limit_counts_mapped = true;
  /// Where ulimit -v sets memory_limit and a cgroup's limit applies as well: the cgroup's, which
  /// counts the pages touched (by all the ranks of a machine); 0: none beside memory_limit.
  u64 cgroup_limit = 0;
  /// memory_limit_by for a cgroup's limit.
  static constexpr const char* kCgroupLimitBy = "its cgroup's memory limit";
  /// Bytes this machine has available for a run (MemAvailable in /proc/meminfo) when the plan is
  /// made; 0: unknown.
  u64 memory_available = 0;
  /// glibc's cap on malloc arenas (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in
  /// GLIBC_TUNABLES, as the process started); 0: its default, 8 an online core. Each arena maps
  /// 64 MiB, which ulimit -v counts.
  unsigned malloc_arena_max = 0;
  unsigned online_cores = 0;  // the machine's, which glibc's default cap counts; 0: unknown
  /// Bytes this process maps beside its runs (VmSize at its first plan: the program, its
  /// libraries, and what hosts it maps, an interpreter or Open MPI), which ulimit -v counts
  /// beside the run's; 0: unknown.
  u64 mapped_bytes = 0;
};

/// Decisions of the planner that a front end may want to tell its user about.
enum class PlanNote {
  checkpoint_runs_dynamic,   // MPI: a checkpoint needs the dynamic schedule, static was asked for
  threads_exceed_cores,      // MPI: more threads per rank asked for than this rank's cores
  slurm_cpus_capped,         // SLURM_CPUS_PER_TASK above this process's cores: the cores taken
  slurm_cpus_unreadable,     // MPI: SLURM_CPUS_PER_TASK is no count: one thread a rank
  workers_capped_by_memory,  // the default workers (one a core; MPI: SLURM_CPUS_PER_TASK threads
                             // a rank) would not fit in memory: fewer
  analytic_does_not_fit,     // the analytic method, cheaper here, would not fit in memory: the
                             // automatic method took the sieve, which takes longer
};

/// A request with every choice settled: what run() executes.
struct Job {
  Range range{2, 500000};
  Count count = Count::distinct;
  Method method = Method::sieve;  // sieve or analytic, never automatic
  /// The sieve method's (automatic: factor, hybrid or sieve chosen per chunk by the cost model);
  /// unused by the analytic method.
  KernelKind kernel = KernelKind::sieve;
  u64 chunk_size = 0;  // the sieve method's: numbers a chunk (the wheel: values of m)
  Mode mode = Mode::threads;
  unsigned workers = 1;           // threads or processes; MPI: ranks x threads_per_rank
  unsigned ranks = 1;             // MPI mode
  unsigned threads_per_rank = 1;  // MPI mode
  Schedule schedule = Schedule::static_cyclic;  // MPI mode
  std::vector<PlanNote> notes;
  bool operator==(const Job&) const = default;
};

/// The planner. Pure: no I/O, no global state; the same request and environment give the same
/// job on every rank and every day. Throws RangeError for a bad range, ConflictError for choices
/// that cannot go together, KernelRangeError for a kernel that cannot count the range, and
/// TableTooLarge when the analytic method is asked for and its table would not fit.
/// Cost: microseconds (the cost model is a few formulas).
Job plan_job(const Request& request, const Environment& environment);

/// The range cut into `parts` adjacent ranges of equal estimated cost, which a job array's tasks
/// count apart: a part near 1 is wider than one far from it. The cost is the model's for
/// `method` (the sieve's with `kernel` where one is given), and for automatic that of the
/// cheaper method for each part, as the planner would pick it. Fewer parts when the range has
/// fewer numbers. Deterministic: every task of an array computes the same parts.
std::vector<Range> split_by_cost(const Range& range, unsigned parts,
                                 Method method = Method::automatic,
                                 std::optional<KernelKind> kernel = std::nullopt);

/// This process's environment: the cores of its affinity mask, SLURM_CPUS_PER_TASK and the
/// memory limit (RLIMIT_AS, and its cgroup's, read once a process). Ranks and checkpoint are
/// left for the caller: MPI and the checkpoint file are the caller's.
Environment current_environment();

}  // namespace numfactors
