/// @file mpi_deal.hpp
/// @brief The static schedule's assignment: chunks dealt to ranks back and forth, like cards;
/// for tasks of unequal work (the analytic walk's items) the ranks of a machine pool theirs.
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

/// The chunks the Deals of `ranks` name, in increasing order: what those ranks take from one
/// counter when they share a machine.
inline std::vector<u64> pooled_deal(u64 chunks, u64 world_size, const std::vector<u64>& ranks) {
  std::vector<u64> pooled;
  for (const u64 r : ranks) {
    const Deal deal{chunks, world_size, r};
    for (u64 round = 0; const auto c = deal.chunk(round); ++round) pooled.push_back(*c);
  }
  std::sort(pooled.begin(), pooled.end());
  return pooled;
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
