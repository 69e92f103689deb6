/// @file analytic_stage.cpp
#include "exec/analytic_stage.hpp"

#include "exec/mpi.hpp"

namespace numfactors {
namespace {

void build_table(PrimeCountTable& table, bool on_ranks, const ParallelFor& build_for,
                 const PrimeCountTable::Progress& progress) {
  if (on_ranks)
    build_table_on_ranks(table, build_for, progress);
  else
    table.build(build_for, progress);
}

class ItemKernel final : public TaskKernel {
 public:
  ItemKernel(std::shared_ptr<const void> keep, const AnalyticWalk& walk, Count count)
      : keep_(std::move(keep)), walk_(walk), count_(count) {}
  Histogram run(u64 task) override { return walk_.run_item(task).of(count_); }

 private:
  std::shared_ptr<const void> keep_;  // the table and walk, alive while a kernel is
  const AnalyticWalk& walk_;
  Count count_;
};

}  // namespace

// The walk is cut once the table is built (the comma operator below).
ItemTasks::Walked::Walked(u64 n, u64 max_bytes, bool on_ranks, const ParallelFor& build_for,
                          const PrimeCountTable::Progress& progress)
    : table(n, max_bytes),
      walk((build_table(table, on_ranks, build_for, progress), table)) {}

ItemTasks::ItemTasks(u64 n, Count count, bool on_ranks, const ParallelFor& build_for,
                     const PrimeCountTable::Progress& progress, double walk_work, u64 max_bytes)
    : walked_(std::make_shared<const Walked>(n, max_bytes, on_ranks, build_for, progress)),
      count_(count), walk_work_(walk_work) {
  double costs = 0;
  for (u64 k = 0; k < walked_->walk.item_count(); ++k) costs += walked_->walk.item_cost(k);
  work_a_cost_ = costs > 0 ? walk_work / costs : 0;
}

std::vector<std::unique_ptr<TaskKernel>> ItemTasks::kernels(unsigned n) {
  std::vector<std::unique_ptr<TaskKernel>> out;
  for (unsigned i = 0; i < n; ++i)
    out.push_back(std::make_unique<ItemKernel>(walked_, walked_->walk, count_));
  return out;
}

}  // namespace numfactors
