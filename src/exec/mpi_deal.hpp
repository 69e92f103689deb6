/// @file mpi_deal.hpp
/// @brief The static schedule's assignment: chunks dealt to ranks back and forth, like cards.
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

#include <atomic>

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
