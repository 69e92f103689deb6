/// @file planner_test.cpp
/// @brief plan_job: every decision from a request and an environment set by hand, so each rule
/// is checked without the machine it runs on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "child_process.hpp"
#include "core/analytic.hpp"
#include "exec/executor.hpp"
#include "numfactors/errors.hpp"
#include "numfactors/job.hpp"
#include "numfactors/run.hpp"

namespace numfactors {
namespace {

Environment machine(unsigned cores) {
  Environment env;
  env.cores = cores;
  return env;
}

Request request(u64 lo, u64 hi) {
  Request q;
  q.range = {lo, hi};
  return q;
}

bool has(const Job& job, PlanNote note) {
  return std::find(job.notes.begin(), job.notes.end(), note) != job.notes.end();
}

TEST(Planner, TheMethodFollowsTheCostModel) {
  EXPECT_EQ(plan_job(request(2, 1'000'000'000'000), machine(2)).method, Method::analytic);
  const Job window = plan_job(request(1'000'000'000'000, 1'000'001'000'000), machine(2));
  EXPECT_EQ(window.method, Method::sieve);
  EXPECT_EQ(window.kernel, KernelKind::automatic);  // chosen chunk by chunk
  EXPECT_GT(window.chunk_size, 0u);
  Request trial = request(2, 1'000'000);
  trial.kernel = KernelKind::trial;
  EXPECT_EQ(plan_job(trial, machine(2)).method, Method::sieve);
}

TEST(Planner, TheDefaultThreadsOfTheAnalyticMethodAreHalvedUntilItsTableFits) {
  // Each thread maps a stack: under a ulimit -v that one thread's table and stack fit, eight
  // default threads would not.
  Request one = request(2, 1'000'000'000'000);
  one.method = Method::analytic;
  one.workers = 1;
  Environment tiny = machine(8);
  tiny.memory_limit = 1;
  tiny.memory_limit_by = "ulimit -v (RLIMIT_AS)";
  u64 need_one = 0;
  try {
    plan_job(one, tiny);
    ADD_FAILURE() << "planned past the memory limit";
  } catch (const TableTooLarge& e) {
    need_one = e.bytes;
  }
  Environment limited = tiny;
  limited.memory_limit = need_one + (u64{1} << 20);
  for (const Method method : {Method::automatic, Method::analytic}) {
    Request q = request(2, 1'000'000'000'000);
    q.method = method;
    const Job job = plan_job(q, limited);
    EXPECT_EQ(job.method, Method::analytic);
    EXPECT_EQ(job.workers, 1u);
    EXPECT_TRUE(has(job, PlanNote::workers_capped_by_memory));
    EXPECT_FALSE(has(job, PlanNote::analytic_does_not_fit));
    // Workers asked for are not cut: the analytic method is refused, and so is auto's fallback,
    // the sieve, whose eight workers do not fit either.
    q.workers = 8;
    if (method == Method::analytic) {
      EXPECT_THROW(plan_job(q, limited), TableTooLarge);
    } else {
      EXPECT_THROW(plan_job(q, limited), TooManyWorkers);
    }
  }
  // A run resumed from its checkpoint goes on with the threads that fit, as it started.
  Environment resumed = limited;
  resumed.checkpoint = CheckpointFacts{Method::analytic, std::nullopt, 0};
  Request again = request(2, 1'000'000'000'000);
  again.checkpoint = true;
  EXPECT_EQ(plan_job(again, resumed).method, Method::analytic);
  EXPECT_EQ(plan_job(again, resumed).workers, 1u);
  // Without a limit, a thread a core as before.
  EXPECT_EQ(plan_job(request(2, 1'000'000'000'000), machine(8)).workers, 8u);
  // An MPI rank's SLURM_CPUS_PER_TASK threads alike; its --threads are not cut.
  Environment rank = limited;
  rank.ranks = 2;
  rank.slurm_cpus_per_task = 8;
  Request mpi = request(2, 1'000'000'000'000);
  mpi.mode = Mode::mpi;
  const Job job = plan_job(mpi, rank);
  EXPECT_EQ(job.method, Method::analytic);
  EXPECT_EQ(job.threads_per_rank, 1u);
  EXPECT_EQ(job.workers, 2u);
  EXPECT_TRUE(has(job, PlanNote::workers_capped_by_memory));
  mpi.method = Method::analytic;
  mpi.threads_per_rank = 8;
  EXPECT_THROW(plan_job(mpi, rank), TableTooLarge);
  rank.memory_limit = 0;
  mpi.threads_per_rank = 0;
  EXPECT_EQ(plan_job(mpi, rank).threads_per_rank, 8u);
}

TEST(Planner, TheAnalyticTableMustFitTheMemoryAProcessMayUse) {
  Environment small = machine(2);
  small.memory_limit = u64{200} << 20;
  small.memory_limit_by = "ulimit -v (RLIMIT_AS)";
  // [2, 10^15] needs about 245 MiB a process: auto takes the sieve...
  EXPECT_EQ(plan_job(request(2, 1'000'000'000'000'000), machine(2)).method, Method::analytic);
  EXPECT_EQ(plan_job(request(2, 1'000'000'000'000'000), small).method, Method::sieve);
  // ...and notes it, as the sieve takes far longer there.
  EXPECT_TRUE(
      has(plan_job(request(2, 1'000'000'000'000'000), small), PlanNote::analytic_does_not_fit));
  EXPECT_FALSE(has(plan_job(request(2, 1'000'000'000'000'000), machine(2)),
                   PlanNote::analytic_does_not_fit));
  EXPECT_FALSE(has(plan_job(request(2, 1'000'000'000), small), PlanNote::analytic_does_not_fit));
  // ...and an explicit request says how much it needs and what limits it.
  Request analytic = request(2, 1'000'000'000'000'000);
  analytic.method = Method::analytic;
  try {
    plan_job(analytic, small);
    ADD_FAILURE() << "planned past the memory limit";
  } catch (const TableTooLarge& e) {
    EXPECT_EQ(e.limit, u64{200} << 20);
    EXPECT_GT(e.bytes, e.limit);
    EXPECT_EQ(e.limited_by, "ulimit -v (RLIMIT_AS)");
  }
  // A table that fits is planned as before.
  EXPECT_EQ(plan_job(request(2, 1'000'000'000'000), small).method, Method::analytic);
  // ulimit -v counts what the process maps already (an Open MPI rank about 190 MB); a cgroup's
  // limit, only the pages touched.
  Request ten14 = request(2, 100'000'000'000'000);
  ten14.method = Method::analytic;
  EXPECT_NO_THROW(plan_job(ten14, small));
  Environment hosted = small;
  hosted.mapped_bytes = u64{190} << 20;
  EXPECT_THROW(plan_job(ten14, hosted), TableTooLarge);
  hosted.memory_limit_by = "its cgroup's memory limit";
  hosted.memory_limit_counts_mapped = false;
  EXPECT_NO_THROW(plan_job(ten14, hosted));
  // A cgroup's limit counts the pages touched, not the threads' stacks (64 of them: 512 MiB).
  Environment cgroup_alone = machine(2);
  cgroup_alone.memory_limit = u64{100} << 20;
  cgroup_alone.memory_limit_by = "its cgroup's memory limit";
  cgroup_alone.memory_limit_counts_mapped = false;
  Request many = ten14;
  many.workers = 64;
  EXPECT_NO_THROW(plan_job(many, cgroup_alone));
  // A cgroup's limit beside ulimit -v counts too.
  Environment both = machine(2);
  both.memory_limit = u64{4} << 30;
  EXPECT_NO_THROW(plan_job(ten14, both));
  both.cgroup_limit = u64{50} << 20;
  try {
    plan_job(ten14, both);
    ADD_FAILURE() << "a table of about 70 MiB planned in a cgroup of 50 MiB";
  } catch (const TableTooLarge& e) {
    EXPECT_EQ(e.limited_by, "its cgroup's memory limit");
  }
  // So is the memory this machine has available.
  Environment busy = machine(2);
  busy.memory_available = u64{100} << 20;
  EXPECT_EQ(plan_job(request(2, 1'000'000'000'000'000), busy).method, Method::sieve);
  try {
    plan_job(analytic, busy);
    ADD_FAILURE() << "planned past the available memory";
  } catch (const TableTooLarge& e) {
    EXPECT_EQ(e.limited_by, "this machine's available memory");
    EXPECT_GT(e.bytes, e.limit);
  }
}

TEST(Planner, TheSievesWorkersMustFitTheMemoryThereIs) {
  Environment env = machine(2);
  env.memory_available = u64{1} << 30;
  // A window at 10^15: each worker holds its segment, buckets and hit lists, about 5 MiB.
  Request window = request(1'000'000'000'000'000, 1'000'001'000'000'000);
  window.workers = 4096;
  try {
    plan_job(window, env);
    ADD_FAILURE() << "4096 workers planned in 1 GiB";
  } catch (const TooManyWorkers& e) {
    EXPECT_EQ(e.workers, 4096u);
    EXPECT_FALSE(e.per_rank);
    EXPECT_EQ(e.limit, u64{1} << 30);
    EXPECT_EQ(e.limited_by, "this machine's available memory");
    EXPECT_GT(e.bytes, e.limit);
    EXPECT_GE(e.worker_bytes, u64{3} << 20);
    EXPECT_LE(e.worker_bytes, u64{8} << 20);
  }
  window.mode = Mode::pool;  // a process each: the same memory, and the program's for each
  EXPECT_THROW(plan_job(window, env), TooManyWorkers);
  window.mode = Mode::threads;
  window.workers = 32;  // longer chunks, about 17 MiB a worker (1 GB measured for 64)
  EXPECT_EQ(plan_job(window, env).workers, 32u);
  // Near 2^64 a pass of up to 100 MiB: 2 workers took 230 MB, 8 workers 700 MB.
  Request top = request(~u64{0} - 999'999'999, ~u64{0});
  top.workers = 32;
  EXPECT_THROW(plan_job(top, env), TooManyWorkers);
  top.workers = 2;
  EXPECT_EQ(plan_job(top, env).workers, 2u);
  top.workers = 0;
  // Workers without a chunk start no thread and make no kernel: 4096 of them on the default
  // job's few chunks fit, even where a thread's stack counts whole (ulimit -v).
  Request small = request(2, 500'000);
  small.workers = 4096;
  EXPECT_EQ(plan_job(small, env).workers, 4096u);
  Environment limited = machine(2);
  limited.memory_limit = u64{1} << 30;
  limited.memory_limit_by = "ulimit -v (RLIMIT_AS)";
  EXPECT_EQ(plan_job(small, limited).workers, 4096u);
  // There the stacks (8 MiB) and malloc arenas (64 MiB) of the threads that start count beside
  // their sieves: 16 workers ran out of memory under ulimit -v 1 GiB, 8 ran...
  for (const unsigned workers : {64u, 16u}) {
    window.workers = workers;
    try {
      plan_job(window, limited);
      ADD_FAILURE() << workers << " workers planned in an address space of 1 GiB";
    } catch (const TooManyWorkers& e) {
      EXPECT_EQ(e.limited_by, "ulimit -v (RLIMIT_AS)");
      // A worker's stack and its share of the arenas (16 + 1 of them on machine(2)).
      EXPECT_GE(e.worker_bytes, (u64{8} << 20) + (u64{17} << 26) / workers);
    }
  }
  window.workers = 8;
  EXPECT_EQ(plan_job(window, limited).workers, 8u);
  // With glibc's arenas capped (MALLOC_ARENA_MAX=1: the main one only) 16 fit.
  Environment one_arena = limited;
  one_arena.malloc_arena_max = 1;
  window.workers = 16;
  EXPECT_EQ(plan_job(window, one_arena).workers, 16u);
  // What the process maps already counts there too: an Open MPI rank maps about 190 MB before
  // it plans, the command line 10 MB (within the 16 MiB allowed for it).
  Environment hosted = one_arena;
  hosted.mapped_bytes = u64{10} << 20;
  EXPECT_EQ(plan_job(window, hosted).workers, 16u);
  hosted.mapped_bytes = u64{600} << 20;
  EXPECT_THROW(plan_job(window, hosted), TooManyWorkers);
  window.workers = 8;
  EXPECT_EQ(plan_job(window, hosted).workers, 8u);
  window.workers = 16;
  // ...and a cgroup's limit counts what all the workers touch, those of a pool too.
  Environment cgroup = machine(2);
  cgroup.memory_limit = u64{1} << 30;
  cgroup.memory_limit_by = "its cgroup's memory limit";
  cgroup.memory_limit_counts_mapped = false;
  window.workers = 32;
  EXPECT_EQ(plan_job(window, cgroup).workers, 32u);  // their 8 MiB stacks left untouched
  window.workers = 256;
  for (const Mode mode : {Mode::threads, Mode::pool}) {
    window.mode = mode;
    try {
      plan_job(window, cgroup);
      ADD_FAILURE() << "256 workers planned in a cgroup of 1 GiB";
    } catch (const TooManyWorkers& e) {
      EXPECT_EQ(e.limited_by, "its cgroup's memory limit");
    }
  }
  window.mode = Mode::threads;
  // Where ulimit -v applies as well (a Slurm node's VSizeFactor), the cgroup still counts.
  Environment both = one_arena;
  both.memory_limit = u64{64} << 30;
  EXPECT_EQ(plan_job(window, both).workers, 256u);
  both.cgroup_limit = u64{1} << 30;
  try {
    plan_job(window, both);
    ADD_FAILURE() << "256 workers planned in a cgroup of 1 GiB under ulimit -v";
  } catch (const TooManyWorkers& e) {
    EXPECT_EQ(e.limited_by, "its cgroup's memory limit");
    EXPECT_EQ(e.limit, u64{1} << 30);
  }
  // The default, a worker a core, is cut down to what fits instead, and says so.
  Environment big = machine(64);
  big.memory_available = u64{1} << 30;
  const Job capped = plan_job(top, big);
  EXPECT_LT(capped.workers, 64u);
  EXPECT_GE(capped.workers, 1u);
  EXPECT_TRUE(has(capped, PlanNote::workers_capped_by_memory));
  EXPECT_FALSE(has(plan_job(top, machine(64)), PlanNote::workers_capped_by_memory));
  // An MPI rank's threads share its memory.
  Request mpi = request(1'000'000'000'000'000, 1'000'001'000'000'000);
  mpi.mode = Mode::mpi;
  mpi.threads_per_rank = 4096;
  env.ranks = 2;
  try {
    plan_job(mpi, env);
    ADD_FAILURE() << "4096 threads a rank planned in 1 GiB";
  } catch (const TooManyWorkers& e) {
    EXPECT_EQ(e.workers, 4096u);
    EXPECT_TRUE(e.per_rank);
    EXPECT_EQ(e.ranks, 1u);
  }
  // The ranks of one machine each hold their threads' memory in it: threads that fit one rank
  // a machine are refused for four.
  mpi.threads_per_rank = 16;
  env.ranks = 4;
  EXPECT_EQ(plan_job(mpi, env).threads_per_rank, 16u);
  env.ranks_per_machine = 4;
  try {
    plan_job(mpi, env);
    ADD_FAILURE() << "4 ranks of 16 threads planned in 1 GiB";
  } catch (const TooManyWorkers& e) {
    EXPECT_EQ(e.workers, 16u);
    EXPECT_EQ(e.ranks, 4u);
    EXPECT_GT(e.bytes, e.limit);
    EXPECT_NE(std::string(e.what()).find(
                  "16 threads a rank, on each of the 4 ranks of a machine, would need"),
              std::string::npos)
        << e.what();
  }
  mpi.threads_per_rank = 2;
  EXPECT_EQ(plan_job(mpi, env).threads_per_rank, 2u);
  // An address space (ulimit -v) is one rank's, whatever the others on its machine hold.
  limited.ranks = 4;
  limited.ranks_per_machine = 4;
  mpi.threads_per_rank = 8;
  EXPECT_EQ(plan_job(mpi, limited).threads_per_rank, 8u);
  // Threads a rank from SLURM_CPUS_PER_TASK are halved until the machine's ranks fit, as the
  // default workers are.
  Environment node = machine(64);
  node.slurm_cpus_per_task = 64;
  node.ranks = 4;
  node.ranks_per_machine = 4;
  mpi.threads_per_rank = 0;
  EXPECT_EQ(plan_job(mpi, node).threads_per_rank, 64u);
  node.memory_available = u64{1} << 30;
  const Job halved = plan_job(mpi, node);
  EXPECT_LT(halved.threads_per_rank, 64u);
  EXPECT_GE(halved.threads_per_rank, 1u);
  EXPECT_EQ(halved.workers, 4 * halved.threads_per_rank);
  EXPECT_TRUE(has(halved, PlanNote::workers_capped_by_memory));
  node.ranks_per_machine = 1;
  EXPECT_GT(plan_job(mpi, node).threads_per_rank, halved.threads_per_rank);
}

TEST(Environment, GlibcsArenaCapParsedAsGlibcParsesIt) {
  EXPECT_EQ(malloc_arena_cap("", ""), 0u);
  EXPECT_EQ(malloc_arena_cap("", "3"), 3u);
  EXPECT_EQ(malloc_arena_cap("glibc.malloc.check=0:glibc.malloc.arena_max=2", ""), 2u);
  EXPECT_EQ(malloc_arena_cap("glibc.malloc.arena_max=5", "3"), 5u);  // the tunable wins
  EXPECT_EQ(malloc_arena_cap("glibc.malloc.arena_max=5:glibc.malloc.arena_max=6", ""), 6u);
  EXPECT_EQ(malloc_arena_cap("glibc.malloc.arena_max=0", "4"), 4u);  // 0 is no value
  EXPECT_EQ(malloc_arena_cap("glibc.malloc.check=0", "4"), 4u);
  EXPECT_EQ(malloc_arena_cap("", "2x"), 2u);  // leading digits, as strtoul
  EXPECT_EQ(malloc_arena_cap("", "0x10"), 16u);
  EXPECT_EQ(malloc_arena_cap("", "many"), 0u);
}

TEST(Environment, SlurmCpusPerTaskIsACountOrSaidUnreadable) {
  const char* before = std::getenv("SLURM_CPUS_PER_TASK");
  const std::string saved = before ? before : "";
  const auto read = [](const char* value) {
    setenv("SLURM_CPUS_PER_TASK", value, 1);
    const Environment env = current_environment();
    return std::pair{env.slurm_cpus_per_task, env.slurm_cpus_per_task_unreadable};
  };
  EXPECT_EQ(read("4"), (std::pair{4u, false}));
  EXPECT_EQ(read("1048576"), (std::pair{1048576u, false}));
  for (const char* bad : {"", "many", "4x", "0", "-2", "1048577", "99999999999999999999"})
    EXPECT_EQ(read(bad), (std::pair{0u, true})) << bad;
  unsetenv("SLURM_CPUS_PER_TASK");
  EXPECT_EQ(current_environment().slurm_cpus_per_task_unreadable, false);
  if (before) setenv("SLURM_CPUS_PER_TASK", saved.c_str(), 1);
}

TEST(Environment, WhatAProcessMapsCountsItsHostNotItsEarlierRuns) {
  // glibc keeps a finished run's thread arenas (64 MiB each) and stacks mapped for the next
  // run's threads: counted again at each plan, a second call in one process (Python, a library
  // user) was refused what the first was given.
  const Environment before = current_environment();
  EXPECT_GT(before.mapped_bytes, 0u);
  Request q = request(1'000'000'000'000, 1'000'000'000'000 + 200'000'000);
  q.method = Method::sieve;
  q.workers = 8;
  EXPECT_EQ(run(plan_job(q, before)).histogram.total(), q.range.size());
  const Environment after = current_environment();
  EXPECT_EQ(after.mapped_bytes, before.mapped_bytes);
}

TEST(Planner, WorkersAndThreads) {
  EXPECT_EQ(plan_job(request(2, 10), machine(8)).workers, 1u);  // under 5 ms: one worker
  EXPECT_EQ(plan_job(request(1'000'000'000'000, 1'000'010'000'000), machine(8)).workers, 8u);
  Request serial = request(1'000'000'000'000, 1'000'010'000'000);
  serial.mode = Mode::serial;
  EXPECT_EQ(plan_job(serial, machine(8)).workers, 1u);
  Request trial = request(2, 100);
  trial.kernel = KernelKind::trial;
  EXPECT_EQ(plan_job(trial, machine(4)).workers, 4u);  // trial division always gets every core
  Request asked = request(2, 100);
  asked.workers = 64;
  EXPECT_EQ(plan_job(asked, machine(2)).workers, 64u);  // asked for, so obeyed
}

TEST(Planner, TheWholeRangeIsCutAsItsNeighboursAre) {
  // [1, 2^64-1] has 2^64-1 numbers: its candidate of one number a chunk once made ceil(n / w)
  // wrap to 0 rounds, looked free, and was chosen (a checkpoint line a number).
  const u64 top = ~u64{0};
  for (const unsigned cores : {2u, 3u, 8u})
    for (const std::optional<KernelKind> kernel :
         {std::optional<KernelKind>{}, std::optional{KernelKind::sieve},
          std::optional{KernelKind::factor}, std::optional{KernelKind::hybrid}}) {
      Request whole = request(1, top), neighbour = request(2, top);
      whole.kernel = neighbour.kernel = kernel;
      const u64 chunk = plan_job(whole, machine(cores)).chunk_size;
      const u64 beside = plan_job(neighbour, machine(cores)).chunk_size;
      const std::string which = std::to_string(cores) + " cores, kernel " +
                                (kernel ? to_string(*kernel) : std::string("auto"));
      EXPECT_GE(chunk, beside / 2) << which;
      EXPECT_LE(chunk, beside * 2) << which;
      EXPECT_GE(chunk, u64{1} << 20) << which;
    }
}

TEST(Planner, SlurmCpusPerTaskIsCappedAtTheCores) {
  Request mpi = request(2, 1'000'000);
  mpi.mode = Mode::mpi;
  Environment env = machine(2);
  env.ranks = 3;
  env.slurm_cpus_per_task = 4096;
  const Job capped = plan_job(mpi, env);
  EXPECT_EQ(capped.threads_per_rank, 2u);
  EXPECT_EQ(capped.workers, 6u);
  EXPECT_TRUE(has(capped, PlanNote::slurm_cpus_capped));
  env.slurm_cpus_per_task = 2;
  EXPECT_EQ(plan_job(mpi, env).threads_per_rank, 2u);
  EXPECT_TRUE(plan_job(mpi, env).notes.empty());
  env.slurm_cpus_per_task = 0;  // set, but no count: one thread, and a note saying so
  env.slurm_cpus_per_task_unreadable = true;
  EXPECT_EQ(plan_job(mpi, env).threads_per_rank, 1u);
  EXPECT_TRUE(has(plan_job(mpi, env), PlanNote::slurm_cpus_unreadable));
  env.slurm_cpus_per_task_unreadable = false;
  env.slurm_cpus_per_task = 2;
  mpi.threads_per_rank = 8;  // asked for: obeyed, with a note
  const Job asked = plan_job(mpi, env);
  EXPECT_EQ(asked.threads_per_rank, 8u);
  EXPECT_TRUE(has(asked, PlanNote::threads_exceed_cores));
}

TEST(Planner, ACheckpointInMpiModeTakesTheDynamicSchedule) {
  Request q = request(2, 1'000'000);
  q.mode = Mode::mpi;
  q.checkpoint = true;
  EXPECT_EQ(plan_job(q, machine(2)).schedule, Schedule::dynamic);
  EXPECT_TRUE(plan_job(q, machine(2)).notes.empty());
  q.schedule = Schedule::static_cyclic;
  EXPECT_EQ(plan_job(q, machine(2)).schedule, Schedule::dynamic);
  EXPECT_TRUE(has(plan_job(q, machine(2)), PlanNote::checkpoint_runs_dynamic));
}

TEST(Planner, ACheckpointsHeaderKeepsItsMethodKernelAndChunks) {
  Environment env = machine(2);
  env.checkpoint = CheckpointFacts{Method::sieve, KernelKind::sieve, 12345};
  const Job job = plan_job(request(2, 1'000'000'000'000), env);
  EXPECT_EQ(job.method, Method::sieve);
  // Chunks of numbers, which any direct kernel counts alike: the automatic kernel, not the
  // wheel this range would take by default.
  EXPECT_EQ(job.kernel, KernelKind::automatic);
  EXPECT_EQ(job.chunk_size, 12345u);
  // A wheel journal does not make a window far from 1 take the wheel.
  env.checkpoint = CheckpointFacts{Method::sieve, KernelKind::wheel, 12345};
  EXPECT_EQ(plan_job(request(1'000'000'000'000, 1'000'001'000'000), env).kernel,
            KernelKind::automatic);
}

TEST(Planner, ChoicesThatCannotGoTogether) {
  const auto kind_of = [](const Request& q) {
    try {
      plan_job(q, machine(2));
    } catch (const ConflictError& e) {
      return e.kind;
    }
    ADD_FAILURE() << "no conflict";
    return ConflictError::Kind::kernel_with_analytic;
  };
  Request q = request(2, 1000);
  q.method = Method::analytic;
  q.kernel = KernelKind::trial;
  EXPECT_EQ(kind_of(q), ConflictError::Kind::kernel_with_analytic);
  q.kernel.reset();
  q.chunk = 10;
  EXPECT_EQ(kind_of(q), ConflictError::Kind::chunk_with_analytic);
  Request t = request(2, 1000);
  t.threads_per_rank = 2;
  EXPECT_EQ(kind_of(t), ConflictError::Kind::threads_outside_mpi);
  t.threads_per_rank = 0;
  t.schedule = Schedule::dynamic;
  EXPECT_EQ(kind_of(t), ConflictError::Kind::schedule_outside_mpi);
  Request m = request(2, 1000);
  m.mode = Mode::mpi;
  m.workers = 2;
  EXPECT_EQ(kind_of(m), ConflictError::Kind::workers_in_mpi);
  Request s = request(2, 1000);
  s.mode = Mode::serial;
  s.workers = 1;
  EXPECT_NO_THROW(plan_job(s, machine(2)));
  s.workers = 2;
  EXPECT_EQ(kind_of(s), ConflictError::Kind::workers_in_serial);
  EXPECT_THROW(plan_job(request(10, 5), machine(2)), RangeError);
  Request wheel = request(1'000'000'000'000, 1'000'001'000'000);
  wheel.kernel = KernelKind::wheel;
  EXPECT_THROW(plan_job(wheel, machine(2)), KernelRangeError);
}

TEST(PlannerEndToEnd, AnAddressSpaceLimitRefusesTheAnalyticMethodAtOnce) {
  const test::Finished f = test::run_program(
      "/bin/sh", {"-c", "ulimit -v 200000; exec " + std::string(NUMFACTORS_BINARY) +
                            " --max 1e15 --method analytic"},
      30);
  EXPECT_EQ(f.status, 2);
  EXPECT_LT(f.seconds, 5.0);
  EXPECT_NE(f.err.find("--method analytic would need about"), std::string::npos) << f.err;
  EXPECT_NE(f.err.find("ulimit -v (RLIMIT_AS) allows 195 MiB"), std::string::npos) << f.err;
  EXPECT_EQ(f.out, "");
}

TEST(PlannerEndToEnd, UnderAnAddressSpaceLimitTheSieveStandsInForTheAnalyticMethodWithANote) {
  // [2, 10^10]: the analytic table, the stacks and the program need more than 20 MB.
  const test::Finished f = test::run_program(
      "/bin/sh", {"-c", "ulimit -v 20000; exec " + std::string(NUMFACTORS_BINARY) + " --max 1e10"},
      120);
  EXPECT_EQ(f.status, 0) << f.err;
  // (and, with more than one core, that the workers of the sieve are fewer than one a core)
  EXPECT_TRUE(f.err.starts_with(
      "numfactors: note: the analytic method's table would not fit in memory (--method "
      "analytic says how much it needs): the sieve counts instead, which takes longer\n"))
      << f.err;
  const test::Finished analytic =
      test::run_program(NUMFACTORS_BINARY, {"--max", "1e10", "--method", "analytic"}, 60);
  EXPECT_EQ(f.out, analytic.out);
}

TEST(PlannerEndToEnd, TooManyWorkersForTheMemoryAreRefusedAtOnce) {
  // 4096 threads near 10^15, each with a chunk: 32 GiB of stacks alone, and 20 GB of sieve.
  const test::Finished f =
      test::run_program("/bin/sh",
                        {"-c", "ulimit -v 1048576; exec " + std::string(NUMFACTORS_BINARY) +
                                   " --min 1e15 --max 1000001000000000 --workers 4096"},
                        30);
  EXPECT_EQ(f.status, 2);
  EXPECT_LT(f.seconds, 5.0);
  EXPECT_NE(f.err.find("--workers 4096 would need about"), std::string::npos) << f.err;
  EXPECT_NE(f.err.find("ulimit -v (RLIMIT_AS) allows 1024 MiB; use fewer --workers"),
            std::string::npos)
      << f.err;
  EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
  EXPECT_EQ(f.out, "");
}

TEST(PlannerEndToEnd, UnderAnAddressSpaceLimitTheDefaultWorkersFitTheirMallocArenas) {
  // Near 2^64 a worker holds about 100 MiB. In 244 MiB two workers ran out of memory before
  // the arenas glibc maps for each thread (64 MiB each) were counted; one runs, with a note.
  const std::string top = " --min 18446744073609551616 --max 18446744073709551615";
  const std::string limit = "ulimit -v 250000; unset MALLOC_ARENA_MAX GLIBC_TUNABLES; exec " +
                            std::string(NUMFACTORS_BINARY) + top;
  const test::Finished f = test::run_program("/bin/sh", {"-c", limit}, 120);
  EXPECT_EQ(f.status, 0) << f.err;
  // One core gives one worker, and nothing to say.
  EXPECT_EQ(f.err.find("numfactors: note: a worker a core would not fit in memory: 1 worker (") !=
                std::string::npos,
            available_cores() >= 2)
      << f.err;
  const test::Finished oracle = test::run_program(
      NUMFACTORS_BINARY,
      {"--min", "18446744073609551616", "--max", "18446744073709551615", "--kernel", "sieve"}, 120);
  EXPECT_EQ(f.out, oracle.out);
  const test::Finished two = test::run_program("/bin/sh", {"-c", limit + " --workers 2"}, 30);
  EXPECT_EQ(two.status, 2) << two.err;
  EXPECT_NE(two.err.find("--workers 2 would need about"), std::string::npos) << two.err;
  EXPECT_EQ(two.out, "");
}

TEST(PlannerEndToEnd, UnderAnAddressSpaceLimitMallocArenaMaxCapsTheArenas) {
  // 16 workers near 10^15 ran out of memory under ulimit -v 1 GiB with glibc's arenas (one each);
  // with one arena for all they run.
  const std::string run = "ulimit -v 1048576; exec " + std::string(NUMFACTORS_BINARY) +
                          " --min 1e15 --max 1000000100000000 --workers 16";
  const test::Finished many =
      test::run_program("/bin/sh", {"-c", "unset MALLOC_ARENA_MAX GLIBC_TUNABLES; " + run}, 30);
  EXPECT_EQ(many.status, 2) << many.err;
  EXPECT_NE(many.err.find("--workers 16 would need about"), std::string::npos) << many.err;
  const test::Finished one =
      test::run_program("/bin/sh", {"-c", "export MALLOC_ARENA_MAX=1; " + run}, 60);
  EXPECT_EQ(one.status, 0) << one.err;
  const test::Finished oracle = test::run_program(
      NUMFACTORS_BINARY, {"--min", "1e15", "--max", "1000000100000000", "--workers", "2"}, 60);
  EXPECT_EQ(one.out, oracle.out);
}

}  // namespace
}  // namespace numfactors

namespace numfactors {
namespace {

TEST(SplitByCost, AdjacentPartsOfEqualEstimatedCost) {
  for (const Range r : {Range{1'000'000'000'000, 1'000'100'000'000},
                        Range{~u64{0} - 10'000'000, ~u64{0}}, Range{2, 1'000'000'000},
                        Range{5, 5}, Range{2, 4}}) {
    // 100 parts: the budget and every part's end are found to a tolerance, not exactly.
    for (const unsigned parts : {1u, 2u, 3u, 7u, 100u}) {
      const std::vector<Range> split = split_by_cost(r, parts);
      ASSERT_FALSE(split.empty());
      EXPECT_EQ(split.size(), std::min<u64>(parts, r.size()));
      EXPECT_EQ(split.front().lo, r.lo);
      EXPECT_EQ(split.back().hi, r.hi);
      for (std::size_t i = 0; i + 1 < split.size(); ++i) {
        EXPECT_LE(split[i].lo, split[i].hi);
        EXPECT_EQ(split[i + 1].lo, split[i].hi + 1);
      }
      // Equal estimated cost (the cheaper method's, as the planner picks), whatever the widths:
      // within the steps of the model (near 2^64 a part costs whole sieve passes).
      if (r.size() > 1000) {
        double most = 0, least = 1e300;
        for (const Range& p : split) {
          const MethodCost c = estimate_cost(p);
          const double s = c.analytic_bytes <= PrimeCountTable::kDefaultMaxBytes
                               ? std::min(c.sieve_seconds, c.analytic_seconds)
                               : c.sieve_seconds;
          most = std::max(most, s);
          least = std::min(least, s);
        }
        EXPECT_LE(most, 1.25 * least) << r.lo << " in " << parts;
      }
      // Far from 1, where a number costs about what its neighbours do: near-equal widths.
      if (r.lo == 1'000'000'000'000) {
        u64 widest = 0, narrowest = ~u64{0};
        for (const Range& p : split) {
          widest = std::max(widest, p.size());
          narrowest = std::min(narrowest, p.size());
        }
        EXPECT_LE(widest, narrowest + narrowest / 10) << parts;
      }
    }
  }
}

// Many parts: tiny ones in equal widths, and from 16384 parts groups of equal cost each cut in
// equal widths, so that a million parts are planned in seconds, not in hours.
TEST(SplitByCost, ManyPartsTileTheRange) {
  struct Case {
    Range r;
    unsigned parts;
  };
  for (const Case c : {Case{{1, 1'000'000}, 999'999}, Case{{2, 1'000'000}, 1000},
                       Case{{1'000'000'000'000, 1'100'000'000'000}, 20000},
                       Case{{~u64{0} - 1'000'000'000, ~u64{0}}, 300}}) {
    const std::vector<Range> split = split_by_cost(c.r, c.parts);
    ASSERT_EQ(split.size(), c.parts) << c.r.lo;
    EXPECT_EQ(split.front().lo, c.r.lo);
    EXPECT_EQ(split.back().hi, c.r.hi);
    u64 widest = 0, narrowest = ~u64{0};
    for (std::size_t i = 0; i < split.size(); ++i) {
      ASSERT_LE(split[i].lo, split[i].hi) << c.r.lo << " part " << i;
      if (i + 1 < split.size()) {
        ASSERT_EQ(split[i + 1].lo, split[i].hi + 1) << c.r.lo;
      }
      widest = std::max(widest, split[i].size());
      narrowest = std::min(narrowest, split[i].size());
    }
    // Far from 1 a number costs about what its neighbours do, and near 2^64 a part costs
    // about its sieve pass whatever its width: near-equal widths.
    EXPECT_LE(widest, narrowest + narrowest / 10 + 1) << c.r.lo << " in " << c.parts;
  }
}

TEST(SplitByCost, AForcedSievesPartsCostTheSievesTimeAlike) {
  // [3e9, 4e9]: the cheapest split gives its first part to the analytic method (95% of the
  // range: its prefix costs little); a sieve run of those parts would take the first part alone
  // 20 times as long as each other one.
  const Range r{3'000'000'000, 4'000'000'000};
  const auto spread = [](const std::vector<Range>& split, KernelKind kernel) {
    double most = 0, least = 1e300;
    for (const Range& p : split) {
      const double s =
          sieve_method_seconds(p, kernel == KernelKind::automatic ? default_kernel(p) : kernel);
      most = std::max(most, s);
      least = std::min(least, s);
    }
    return most / least;
  };
  EXPECT_GT(spread(split_by_cost(r, 4), KernelKind::automatic), 5.0);
  EXPECT_LE(spread(split_by_cost(r, 4, Method::sieve), KernelKind::automatic), 1.25);
  EXPECT_LE(spread(split_by_cost(r, 4, Method::sieve, KernelKind::sieve), KernelKind::sieve), 1.25);
  // The wheel's model prices [1, hi]: its parts are cut as the default kernel's.
  EXPECT_EQ(split_by_cost(r, 4, Method::sieve, KernelKind::wheel),
            split_by_cost(r, 4, Method::sieve));
  // plan_job cuts a part by the method the request forces: --method, --kernel or --chunk.
  Request q = request(r.lo, r.hi);
  q.part = {1, 4};
  EXPECT_EQ(plan_job(q, machine(2)).range, split_by_cost(r, 4)[0]);
  q.method = Method::sieve;
  EXPECT_EQ(plan_job(q, machine(2)).range, split_by_cost(r, 4, Method::sieve)[0]);
  q.method = Method::automatic;
  q.chunk = 10'000'000;
  EXPECT_EQ(plan_job(q, machine(2)).range, split_by_cost(r, 4, Method::sieve)[0]);
  q.chunk = 0;
  q.kernel = KernelKind::sieve;
  EXPECT_EQ(plan_job(q, machine(2)).range,
            split_by_cost(r, 4, Method::sieve, KernelKind::sieve)[0]);
}

TEST(SplitByCost, APartIsPlannedAsItsOwnRange) {
  Request q = request(1'000'000'000'000, 1'000'100'000'000);
  q.part = {2, 3};
  const Job job = plan_job(q, machine(2));
  EXPECT_EQ(job.range, split_by_cost(q.range, 3)[1]);
  q.part = {4, 3};
  EXPECT_THROW(plan_job(q, machine(2)), InvalidRequest);
  q.part = {1, 0};  // of no parts: not the whole range, which is {0, 0}
  EXPECT_THROW(plan_job(q, machine(2)), InvalidRequest);
  // More parts than numbers: every task refused alike, not only those past the last number.
  Request tiny = request(2, 10);
  for (unsigned i = 1; i <= 12; ++i) {
    tiny.part = {i, 12};
    EXPECT_THROW(plan_job(tiny, machine(2)), InvalidRequest) << i;
  }
  tiny.part = {9, 9};
  EXPECT_EQ(plan_job(tiny, machine(2)).range, (Range{10, 10}));
}

TEST(MergeEndToEnd, PartsAddUpToTheWholeRangeAndBadSetsAreRefused) {
  const std::string dir = "/tmp/numfactors_merge_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const auto run = [](const std::string& args) {
    return test::run_program("/bin/sh", {"-c", std::string(NUMFACTORS_BINARY) + " " + args});
  };
  for (const std::string count : {"distinct", "total"})
    for (int i = 1; i <= 3; ++i)
      ASSERT_EQ(run("--min 10^12 --max 10^12+3000000 --count " + count + " --part " +
                    std::to_string(i) + "/3 --format json --output " + dir + "/" + count + "-" +
                    std::to_string(i) + ".json")
                    .status,
                0);
  const test::Finished whole = run("--min 10^12 --max 10^12+3000000 --count total");
  const test::Finished merged =
      run("merge " + dir + "/total-3.json " + dir + "/total-1.json " + dir + "/total-2.json");
  EXPECT_EQ(merged.status, 0) << merged.err;
  EXPECT_EQ(merged.out, whole.out);
  const auto refused = [&](const std::string& files, const std::string& says) {
    const test::Finished f = run("merge " + files);
    EXPECT_EQ(f.status, 2) << files;
    EXPECT_EQ(f.out, "");
    EXPECT_NE(f.err.find(says), std::string::npos) << f.err;
  };
  refused(dir + "/total-1.json " + dir + "/total-1.json", "overlap");
  refused(dir + "/total-1.json " + dir + "/total-3.json", "a gap between");
  refused(dir + "/total-1.json " + dir + "/distinct-2.json", "counts distinct");
  refused(dir + "/nothing.json", "nothing.json': No such file or directory");
  EXPECT_EQ(run("merge --allow-gaps " + dir + "/total-1.json " + dir + "/total-3.json").status, 0);
  // A merge with gaps says which ranges it counts, and a later merge fills them: it gives the
  // whole range's histogram, and refuses the same part twice.
  ASSERT_EQ(run("merge --allow-gaps " + dir + "/total-1.json " + dir + "/total-3.json" +
                " --format json --output " + dir + "/gaps.json")
                .status,
            0);
  EXPECT_NE(test::read_file(dir + "/gaps.json").find(R"("parts":2,)"), std::string::npos);
  EXPECT_NE(test::read_file(dir + "/gaps.json").find(R"("ranges":[[1000000000000,)"),
            std::string::npos)
      << test::read_file(dir + "/gaps.json");
  const test::Finished filled = run("merge " + dir + "/total-2.json " + dir + "/gaps.json");
  EXPECT_EQ(filled.status, 0) << filled.err;
  EXPECT_EQ(filled.out, whole.out);
  const test::Finished filled_json =
      run("merge " + dir + "/total-2.json " + dir + "/gaps.json --format json");
  EXPECT_EQ(filled_json.out.find("ranges"), std::string::npos) << filled_json.out;
  EXPECT_NE(filled_json.out.find(R"("parts":3,)"), std::string::npos) << filled_json.out;
  refused(dir + "/gaps.json", "a gap between");
  refused(dir + "/gaps.json " + dir + "/total-3.json", "overlap");
  // Ranges that are not the pieces of [min, max], or whose counts are not theirs.
  const std::string gapped = R"({"min":2,"max":20,"count":"distinct","histogram":{"1":7,"2":2},)";
  for (const std::string& ranges :
       {std::string(R"("ranges":[[2,10],[10,20]]})"), std::string(R"("ranges":[[2,10],[15,19]]})"),
        std::string(R"("ranges":[[3,10],[15,20]]})"), std::string(R"("ranges":[[10,2]]})"),
        std::string(R"("ranges":[[2,-10],[15,20]]})"), std::string(R"("ranges":[]})"),
        std::string(R"("ranges":[[2,10,11]]})"), std::string(R"("ranges":"2-10"})"),
        std::string(R"("ranges":{"a":[2,10],"b":[15,20]}})"),
        std::string(R"("ranges":[[2,10],[15,20]],"parts":0})")}) {
    std::ofstream(dir + "/bad.json") << gapped << ranges << "\n";
    refused(dir + "/bad.json", "is not a numfactors JSON result");
  }
  std::ofstream(dir + "/bad.json") << gapped << R"("ranges":[[2,10],[15,20]]})"
                                   << "\n";
  refused(dir + "/bad.json", "does not count every number of its ranges");
  std::ofstream(dir + "/two.json")
      << R"({"min":2,"max":20,"count":"distinct","histogram":{"1":7,"2":3},)"
      << R"("ranges":[[2,10],[20,20]]})"
      << "\n";
  EXPECT_EQ(run("merge --allow-gaps " + dir + "/two.json").out, "{1: 7, 2: 3}\n");
  refused("--allow-gaps --allow-gaps " + dir + "/total-1.json", "given twice");
  // Counts that only add up modulo 2^64, or are not counts at all.
  const std::string head = R"({"min":2,"max":10,"count":"distinct","histogram":)";
  for (const std::string& histogram :
       {std::string(R"({"1":-7,"2":16})"), std::string(R"({"1":18446744073709551615,"2":10})"),
        std::string(R"({"1":7.0,"2":2})"), std::string(R"({"1x":7,"2":2})"),
        std::string(R"({"01":7,"2":2})")}) {
    std::ofstream(dir + "/bad.json") << head << histogram << "}\n";
    refused(dir + "/bad.json", "is not a numfactors JSON result");
  }
  // Bounds that are no unsigned integers (get<u64> would have converted them).
  for (const std::string& bounds : {std::string(R"("min":-10,"max":-1)"),
                                    std::string(R"("min":2.9,"max":10.2)"),
                                    std::string(R"("min":2,"max":1e30)")}) {
    std::ofstream(dir + "/bad.json")
        << "{" << bounds << R"(,"count":"distinct","histogram":{"1":7,"2":2}})" << "\n";
    refused(dir + "/bad.json", "is not a numfactors JSON result");
  }
  // A key twice in one object (JSON allows it; a parser keeps one of them): refused.
  std::ofstream(dir + "/twice.json") << head << R"({"1":6,"2":4},"histogram":{"1":10}})"
                                     << "\n";
  refused(dir + "/twice.json", "has the key 'histogram' twice in one object");
  std::ofstream(dir + "/twice.json") << head << R"({"1":7,"1":2}})"
                                     << "\n";
  refused(dir + "/twice.json", "has the key '1' twice in one object");
  std::ofstream(dir + "/good.json") << head << R"({"1":7,"2":2})" << "}\n";
  EXPECT_EQ(run("merge " + dir + "/good.json").out, "{1: 7, 2: 2}\n");
  // Started as tasks of an MPI launch (mpiexec -n 2 numfactors merge ...): the first merges, the
  // others leave it to it (merge once took "merge" for a mode there).
  for (const std::string rank : {"0", "1"}) {
    const test::Finished f = test::run_program(
        "/bin/sh", {"-c", "OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=" + rank + " exec " +
                              NUMFACTORS_BINARY + " merge " + dir + "/good.json"});
    EXPECT_EQ(f.status, 0) << f.err;
    EXPECT_EQ(f.out, rank == "0" ? "{1: 7, 2: 2}\n" : "") << rank;
    EXPECT_EQ(f.err, "") << rank;
  }
  // After --, a part may be named like an option.
  std::filesystem::copy_file(dir + "/good.json", dir + "/--format");
  const test::Finished dashed = test::run_program(
      "/bin/sh", {"-c", "cd " + dir + " && " + NUMFACTORS_BINARY + " merge -- --format"});
  EXPECT_EQ(dashed.out, "{1: 7, 2: 2}\n") << dashed.err;
  refused("-- --allow-gaps", "cannot read");
  refused("--format", "missing value");
  refused(dir + "/good.json --format tabel", "unknown format 'tabel' (did you mean 'table'?)");
  refused(dir + "/good.json --fromat json", "unknown option '--fromat' (did you mean '--format'?)");
  // "--name=value", as the main command takes it.
  const test::Finished inline_value =
      run("merge " + dir + "/good.json --format=json --output=" + dir + "/inline.json");
  EXPECT_EQ(inline_value.status, 0) << inline_value.err;
  EXPECT_NE(test::read_file(dir + "/inline.json").find(R"("histogram":{"1":7,"2":2})"),
            std::string::npos);
  refused(dir + "/good.json --allow-gaps=yes", "option '--allow-gaps' takes no value");
  refused(dir + "/good.json --fromat=json", "unknown option '--fromat=json'");
  refused(dir, "is a directory, not a JSON result");
  refused(std::string(300, '9'), "merge: cannot read '999");  // a stat that fails: no such name
  // Sums that add up, but no range holds such numbers: 0 factors besides 1, 3 distinct factors
  // below 30 = 2 * 3 * 5, 4 with multiplicity below 16 = 2^4. At the bounds they are accepted.
  for (const std::string& bad :
       {std::string(R"({"min":2,"max":10,"count":"distinct","histogram":{"0":1,"1":6,"2":2}})"),
        std::string(R"({"min":1,"max":10,"count":"distinct","histogram":{"1":8,"2":2}})"),
        std::string(R"({"min":2,"max":29,"count":"distinct","histogram":{"1":15,"2":12,"3":1}})"),
        std::string(R"({"min":2,"max":15,"count":"total","histogram":{"1":9,"2":4,"4":1}})")}) {
    std::ofstream(dir + "/impossible.json") << bad << "\n";
    refused(dir + "/impossible.json", "prime factors in [");
  }
  std::ofstream(dir + "/bounds.json")
      << R"({"min":1,"max":30,"count":"distinct","histogram":{"0":1,"1":16,"2":12,"3":1}})" << "\n";
  EXPECT_EQ(run("merge " + dir + "/bounds.json").out, "{0: 1, 1: 16, 2: 12, 3: 1}\n");
  std::ofstream(dir + "/bounds.json")
      << R"({"min":1,"max":16,"count":"total","histogram":{"0":1,"1":6,"2":6,"3":2,"4":1}})"
      << "\n";
  EXPECT_EQ(run("merge " + dir + "/bounds.json").out, "{0: 1, 1: 6, 2: 6, 3: 2, 4: 1}\n");
  // The result never replaces a part, by the same name or another path to it.
  const std::string part = dir + "/total-1.json", before = test::read_file(part);
  for (const std::string& out : {part, dir + "/./total-1.json"})
    refused(part + " " + dir + "/total-2.json --output " + out, "name the same file");
  EXPECT_EQ(test::read_file(part), before);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace numfactors
