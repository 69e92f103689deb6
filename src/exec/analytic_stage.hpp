/// @file analytic_stage.hpp
/// @brief The analytic method as stages of a job: for each prefix [1, N] it counts (N = hi, and
/// N = lo - 1 when lo > 1), the prime count table is built (threads: pieces handed out
/// dynamically; MPI: the ranks of a machine build it together in shared memory, machines build
/// halves and exchange them), and the walk's items become the stage's tasks. So the modes keep
/// what they do for chunks: threads and pool hand items out on request (a killed pool worker's
/// item is run again), MPI deals them out back and forth (items are sorted biggest first, so each
/// rank gets big and small ones alike) or on request, and a cancelled run hands out no more.
#pragma once

#include <memory>

#include "core/analytic.hpp"
#include "exec/tasks.hpp"

namespace numfactors {

/// The items of the walk of [1, n], for `count`.
class ItemTasks final : public Tasks {
 public:
  /// Builds the table of [1, n] with `build_for` (this process's threads), or together with the
  /// other MPI ranks when `on_ranks` (collective), telling `progress` the fraction built; then
  /// cuts the walk. The items' work() adds up to `walk_work`. Throws TableTooLarge when the
  /// table would exceed max_bytes.
  ItemTasks(u64 n, Count count, bool on_ranks, const ParallelFor& build_for,
            const PrimeCountTable::Progress& progress, double walk_work,
            u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

  u64 count() const override { return walked_->walk.item_count(); }
  Range span(u64 task) const override { return walked_->walk.item_span(task); }
  u64 numbers(u64) const override { return 0; }  // the prefix's numbers, not the range's
  double work(u64 task) const override { return walked_->walk.item_cost(task) * work_a_cost_; }
  double total_work() const override { return walk_work_; }
  std::vector<std::unique_ptr<TaskKernel>> kernels(unsigned n) override;

 private:
  /// The table and its walk, shared read-only by every worker's kernel (and copied into pool
  /// workers by fork).
  struct Walked {
    PrimeCountTable table;
    AnalyticWalk walk;
    Walked(u64 n, u64 max_bytes, bool on_ranks, const ParallelFor& build_for,
           const PrimeCountTable::Progress& progress);
  };
  std::shared_ptr<const Walked> walked_;
  Count count_;
  double walk_work_;
  double work_a_cost_;
};

}  // namespace numfactors
