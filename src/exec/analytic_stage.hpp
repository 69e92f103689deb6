/// @file analytic_stage.hpp
/// @brief The analytic method as stages of a job: for each prefix [1, N] it counts (N = hi, and
/// N = lo - 1 when lo > 1), the prime count table is built (threads: pieces handed out
/// dynamically; MPI: the ranks of a machine build it together in shared memory, machines build
/// halves and exchange them), and the walk's items become the stage's tasks. So the modes keep
/// what they do for chunks: threads and pool hand items out on request (a killed pool worker's
/// item is run again), MPI deals them out back and forth (items are sorted biggest first, so each
/// rank gets big and small ones alike) or on request, and a cancelled run hands out no more.
/// With a checkpoint, a build that is stopped, or a table a stopped run still needed, is saved
/// (table_state.hpp) and the next run goes on from it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/analytic.hpp"
#include "exec/tasks.hpp"

namespace numfactors {

/// Where a table's state is kept between runs (TableState::path_for; empty: nowhere, as on MPI
/// ranks other than 0), the flag that stops its build between rounds, how many of the stage's
/// walk items the checkpoint holds (on rank 0: when that is all of them, no table is built), and
/// who hears that a damaged state was set aside.
struct TableJournal {
  std::string path;
  const std::atomic<int>* stop = nullptr;
  u64 items_done = 0;
  std::function<void(const std::string&)> warn;
};

/// Thrown by ItemTasks when its table's build was stopped: the rounds that were read from a
/// saved state, the rounds of the table, and the walk's items.
struct TableStopped : Stopped {
  std::size_t rounds_resumed = 0, rounds = 0;
  u64 items = 0;
};

/// The items of the walk of [1, n], for `count`.
class ItemTasks final : public Tasks {
 public:
  /// Cuts the walk of [1, n]; then, unless the checkpoint holds every item, builds the table with
  /// `build_for` (this process's threads), or together with the other MPI ranks when `on_ranks`
  /// (collective), telling `progress` the fraction built, from a saved state when `journal.path`
  /// holds one. The items' work() adds up to `walk_work`. Throws TableStopped when journal.stop
  /// stopped the build (its state saved first), TableTooLarge when the table would exceed
  /// max_bytes, CheckpointError for a state file that is not this table's. Its tasks' histograms
  /// are the walk's balanced items (AnalyticWalk::run_item(k, count)), or with `balanced_items`
  /// false items exact in every bin (for a journal that holds such items).
  ItemTasks(u64 n, Count count, bool on_ranks, const ParallelFor& build_for,
            const PrimeCountTable::Progress& progress, double walk_work,
            const TableJournal& journal = {}, bool balanced_items = true,
            u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

  u64 count() const override { return walked_->walk->item_count(); }
  Range span(u64 task) const override { return walked_->walk->item_span(task); }
  u64 numbers(u64) const override { return 0; }  // the prefix's numbers, not the range's
  double work(u64 task) const override { return walked_->walk->item_cost(task) * work_a_cost_; }
  double total_work() const override { return walk_work_; }
  bool uneven() const override { return true; }
  std::vector<std::unique_ptr<TaskKernel>> kernels(unsigned n) override;

  /// Makes the sum of every task's histogram (balanced items) the prefix's histogram
  /// (AnalyticWalk::complete); nothing for exact items.
  void complete(Histogram& sum) const;

  /// Whether the table was built (not when the checkpoint held every item).
  bool built() const { return walked_->built; }

  /// The table's rounds, and how many were read from a saved state.
  std::size_t rounds() const { return walked_->table.rounds(); }
  std::size_t rounds_resumed() const { return rounds_resumed_; }

  /// Saves the finished table to `path` when this process holds all of it (MPI: rank 0 of one
  /// machine's ranks), so that a run that goes on later does not build it again. A save that
  /// fails (a full disk) loses only that: `warn` hears why, and the run goes on.
  void save_table(const std::string& path,
                  const std::function<void(const std::string&)>& warn) const;

 private:
  /// The table and its walk, shared read-only by every worker's kernel (and copied into pool
  /// workers by fork).
  struct Walked {
    PrimeCountTable table;
    std::optional<AnalyticWalk> walk;
    bool built = false;  // false when the checkpoint held every item
    bool whole_here = true;
    Walked(u64 n, u64 max_bytes) : table(n, max_bytes) {}
  };
  std::shared_ptr<Walked> walked_;
  Count count_;
  bool balanced_items_;  // AnalyticWalk::run_item(k, count); else exact items
  double walk_work_;
  double work_a_cost_;
  std::size_t rounds_resumed_ = 0;
};

}  // namespace numfactors
