/// @file tasks.hpp
/// @brief What every executor runs: the tasks of one stage of a job. The sieve's stage is the
/// chunks of its Plan; the analytic method's are the walk items of a prefix (analytic_stage.hpp).
/// Serial, threads, pool and MPI run any Tasks alike.
#pragma once

#include <memory>
#include <vector>

#include "core/kernel.hpp"
#include "core/plan.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// A worker's means of counting tasks (its own buffers; read-only tables shared).
class TaskKernel {
 public:
  virtual ~TaskKernel() = default;
  /// The histogram of task `task` < Tasks::count(). Throws Stopped (kernel.hpp) when it gives
  /// the task up because the watched flag was set.
  virtual Histogram run(u64 task) = 0;
  /// Watches `stop` while running tasks, where a task is long enough to need it.
  virtual void watch(const std::atomic<int>* stop) { (void)stop; }
};

/// Tasks 0 .. count() - 1 of one stage: independent, so any subset may run on any worker, in any
/// order, on any day; their histograms add up to the stage's.
class Tasks {
 public:
  virtual ~Tasks() = default;
  virtual u64 count() const = 0;
  /// What a timeline row shows for the task (ChunkEvent::range).
  virtual Range span(u64 task) const = 0;
  /// Numbers of the job's range the task counts (WorkerStats::numbers; 0 for walk items).
  virtual u64 numbers(u64 task) const = 0;
  /// Estimated work of the task, in the units of Progress (about core-seconds).
  virtual double work(u64 task) const = 0;
  /// The sum of work() over all tasks.
  virtual double total_work() const = 0;
  /// Whether tasks differ so much in work (the analytic walk's items) that ranks sharing a
  /// machine should take them from one counter rather than each run its own dealt share.
  virtual bool uneven() const { return false; }
  /// Kernels for `n` workers of this process, made before any counts. The first may be the one
  /// made with the tasks themselves (a sieve kernel's set-up is much of a short run), so a
  /// process calls this once.
  virtual std::vector<std::unique_ptr<TaskKernel>> kernels(unsigned n) = 0;
};

/// The sieve method's stage: the chunks of a Plan, each counted by a Kernel.
class ChunkTasks final : public Tasks {
 public:
  /// Makes the plan's kernel (make_kernel(plan): its sieving primes).
  explicit ChunkTasks(const Plan& plan);
  /// With a kernel made for plan.range.hi or more (tests reuse one across many runs).
  ChunkTasks(const Plan& plan, std::unique_ptr<Kernel> prototype);

  const Plan& plan() const { return plan_; }
  u64 count() const override { return plan_.chunk_count(); }
  Range span(u64 task) const override { return plan_.chunk(task); }
  u64 numbers(u64 task) const override { return plan_.numbers_in_chunk(task); }
  /// The cost model's seconds for the chunk's cells (numbers, or values of m for the wheel).
  double work(u64 task) const override;
  double total_work() const override { return total_work_of(plan_); }
  std::vector<std::unique_ptr<TaskKernel>> kernels(unsigned n) override;

  /// total_work() of the plan's chunks, without making their kernel.
  static double total_work_of(const Plan& plan);

 private:
  Plan plan_;
  double seconds_a_cell_;
  std::unique_ptr<Kernel> prototype_;
};

}  // namespace numfactors
