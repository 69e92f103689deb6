/// @file mpi_deal.hpp
/// @brief The static schedule's assignment: chunks dealt to ranks back and forth, like cards;
/// tasks of unequal work (the analytic walk's items) dealt by their work.
///
/// Round k hands one chunk to every rank: chunks k*ranks ... k*ranks + ranks - 1 go to ranks
/// 0, 1, ..., ranks-1 when k is even and ranks-1, ..., 1, 0 when k is odd. The trial kernel's cost
/// grows with n, so contiguous blocks would leave the last rank the most work, and plain round-robin
/// would give the last rank the larger chunk of every round; dealt back and forth, each pair of
/// rounds gives every rank the same total position, and the ranks differ by at most one chunk.
///
/// A Deal is what rank 0 scatters: three numbers, not the list of chunk indices, which for a long
/// run with small chunks (10^13 numbers in chunks of 2^16: 1.5e8 chunks) would take a gigabyte.
#pragma once

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "exec/chunk_source.hpp"

namespace numfactors {

struct Deal {
  u64 chunks = 0;    // chunk_count() of the plan
  u64 ranks = 1;
  u64 position = 0;  // the rank this deal is for

  /// The `round`-th chunk of this rank, or nothing when it has no more. Increasing in `round`.
  std::optional<u64> chunk(u64 round) const {
    if (round > (chunks - 1) / ranks) return std::nullopt;  // round * ranks <= chunks - 1
    const u64 first = round * ranks;
    const u64 offset = round % 2 == 0 ? position : ranks - 1 - position;
    if (offset >= chunks - first) return std::nullopt;  // first + offset would be >= chunks
    return first + offset;
  }
};

/// Tasks of unequal work for groups of ranks (`ranks[g]` ranks in group g): heaviest first,
/// each to the group whose work per rank is then least (Graham's LPT rule when the groups are
/// equal: within 4/3 of the best split, and near it when the tasks are many). Each group's list
/// is heaviest first. Dealt back and forth by index instead, the walk's two heaviest items went
/// to one rank.
inline std::vector<std::vector<u64>> deal_by_work(const std::vector<double>& work,
                                                  const std::vector<u64>& ranks) {
  std::vector<u64> order(work.size());
  for (u64 i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](u64 a, u64 b) { return work[a] > work[b]; });
  std::vector<std::vector<u64>> lists(ranks.size());
  std::vector<double> load(ranks.size(), 0.0);
  for (const u64 task : order) {
    std::size_t best = 0;
    for (std::size_t g = 1; g < ranks.size(); ++g)
      if ((load[g] + work[task]) / static_cast<double>(ranks[g]) <
          (load[best] + work[task]) / static_cast<double>(ranks[best]))
        best = g;
    lists[best].push_back(task);
    load[best] += work[task];
  }
  return lists;
}

/// The tasks of one list, in its order, each taken once by whoever increments `next` (by
/// default its own counter; a counter in shared memory serves the ranks of a machine).
class ListSource final : public ChunkSource {
 public:
  explicit ListSource(std::vector<u64> tasks, std::atomic<u64>* next = nullptr)
      : tasks_(std::move(tasks)), next_(next != nullptr ? next : &own_) {}
  std::optional<u64> next() override {
    const u64 k = next_->fetch_add(1, std::memory_order_relaxed);
    if (k >= tasks_.size()) return std::nullopt;
    return tasks_[k];
  }

 private:
  std::vector<u64> tasks_;
  std::atomic<u64> own_{0};
  std::atomic<u64>* next_;
};

/// The chunks of one Deal, shared by a rank's threads: each taken once, in order.
class DealtSource final : public ChunkSource {
 public:
  explicit DealtSource(const Deal& deal) : deal_(deal) {}
  std::optional<u64> next() override {
    // Rounds past the last only grow: once one gives nothing, all later ones do.
    return deal_.chunk(round_.fetch_add(1, std::memory_order_relaxed));
  }

 private:
  Deal deal_;
  std::atomic<u64> round_{0};
};

}  // namespace numfactors
