/// @file analytic_stage.cpp
#include "exec/analytic_stage.hpp"

#include <unistd.h>

#include "exec/mpi.hpp"
#include "exec/table_state.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

class ItemKernel final : public TaskKernel {
 public:
  ItemKernel(std::shared_ptr<const void> keep, const AnalyticWalk& walk, Count count, bool balanced)
      : keep_(std::move(keep)), walk_(walk), count_(count), balanced_(balanced) {}
  Histogram run(u64 task) override {
    return balanced_ ? walk_.run_item(task, count_, stop_) : walk_.run_item(task, stop_).of(count_);
  }
  void watch(const std::atomic<int>* stop) override { stop_ = stop; }

 private:
  std::shared_ptr<const void> keep_;  // the table and walk, alive while a kernel is
  const AnalyticWalk& walk_;
  Count count_;
  bool balanced_;
  const std::atomic<int>* stop_ = nullptr;
};

/// The rounds a saved state holds (0 without one, or with a damaged one, which `journal.warn`
/// hears of), the same on every MPI rank when `on_ranks`: rank 0 reads the file, and a file it
/// refuses is refused by every rank.
std::size_t rounds_to_resume(const TableJournal& journal, const PrimeCountTable& table,
                             bool on_ranks) {
  const std::string& path = journal.path;
  std::size_t rounds = 0;
  std::string refused;
  if (!path.empty()) {
    try {
      rounds = TableState::rounds_in(path, table).value_or(0);
    } catch (const TableStateDamaged& e) {
      if (journal.warn) journal.warn(std::string(e.what()) + ": the table is built anew");
    } catch (const CheckpointError& e) {
      if (!on_ranks) throw;
      refused = e.what();
    }
  }
  if (!on_ranks) return rounds;
  const std::string shared =
      mpi_backend()->share_text(refused.empty() ? "rounds " + std::to_string(rounds) : refused);
  if (!shared.starts_with("rounds ")) throw CheckpointError(shared, path);
  return static_cast<std::size_t>(std::stoull(shared.substr(7)));
}

/// Saves the table's state for a later run. The journal keeps the finished items either way:
/// a failed save (a full disk) costs only a rebuild, so it is a warning, not the run's end.
void keep_table(const std::string& path, const PrimeCountTable& table, std::size_t rounds,
                const std::function<void(const std::string&)>& warn) {
  try {
    TableState::save(path, table, rounds);
  } catch (const std::exception& e) {
    // The state an earlier stop saved is still whole: the next run goes on from it.
    if (warn)
      warn(std::string(e.what()) + (::access(path.c_str(), F_OK) == 0
                                        ? "; the state saved before is kept"
                                        : "; the next run builds the table again"));
  }
}

}  // namespace

ItemTasks::ItemTasks(u64 n, Count count, bool on_ranks, const ParallelFor& build_for,
                     const PrimeCountTable::Progress& progress, double walk_work,
                     const TableJournal& journal, bool balanced_items, u64 max_bytes)
    : walked_(std::make_shared<Walked>(n, max_bytes)),
      count_(count),
      balanced_items_(balanced_items),
      walk_work_(walk_work) {
  PrimeCountTable& table = walked_->table;
  walked_->walk.emplace(table);
  double costs = 0;
  for (u64 k = 0; k < walked_->walk->item_count(); ++k) costs += walked_->walk->item_cost(k);
  work_a_cost_ = costs > 0 ? walk_work / costs : 0;
  // A stage the checkpoint finished needs no table: a run that resumes after its last item
  // prints at once. Rank 0 holds the journal and says so to every rank.
  bool finished = journal.items_done >= walked_->walk->item_count();
  if (on_ranks) finished = mpi_backend()->share_text(finished ? "finished" : "") == "finished";
  if (finished) return;
  const std::size_t from = rounds_to_resume(journal, table, on_ranks);
  rounds_resumed_ = from;
  TableBuilt built;
  if (on_ranks) {
    TableStart start;
    start.rounds_done = from;
    start.load = [&](PrimeCountTable& t) { TableState::load(journal.path, t); };
    start.stop = journal.stop;
    built = build_table_on_ranks(table, build_for, progress, start);
  } else {
    if (from > 0) TableState::load(journal.path, table);
    const auto stop_here = [&] { return journal.stop != nullptr && journal.stop->load() != 0; };
    built.rounds_done = table.build(build_for, progress, PrimeCountTable::Share::all,
                                    PrimeCountTable::Role::leader,
                                    PrimeCountTable::kMinParallelStep, from, stop_here);
  }
  walked_->whole_here = built.whole_here;
  if (built.rounds_done < table.rounds()) {
    if (!journal.path.empty() && built.whole_here && built.rounds_done > from)
      keep_table(journal.path, table, built.rounds_done, journal.warn);
    TableStopped stopped;
    stopped.rounds_resumed = from;
    stopped.rounds = table.rounds();
    stopped.items = walked_->walk->item_count();
    throw stopped;
  }
  walked_->built = true;
}

void ItemTasks::save_table(const std::string& path,
                           const std::function<void(const std::string&)>& warn) const {
  if (walked_->built && walked_->whole_here)
    keep_table(path, walked_->table, walked_->table.rounds(), warn);
}

void ItemTasks::complete(Histogram& sum) const {
  if (balanced_items_) AnalyticWalk::complete(sum, count_);
}

std::vector<std::unique_ptr<TaskKernel>> ItemTasks::kernels(unsigned n) {
  std::vector<std::unique_ptr<TaskKernel>> out;
  for (unsigned i = 0; i < n; ++i)
    out.push_back(std::make_unique<ItemKernel>(walked_, *walked_->walk, count_, balanced_items_));
  return out;
}

}  // namespace numfactors
