/// @file chunk_source.hpp
/// @brief Where workers get their next chunk index: thread-safe, each index handed out once.
#pragma once

#include <atomic>
#include <optional>

#include "core/range.hpp"

namespace nf {

class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  /// The next chunk to run, or nothing when there is no more work. Safe from many threads.
  virtual std::optional<u64> next() = 0;
};

/// Chunks first, first + 1, ..., end - 1 in order, taken with one atomic increment each.
class CounterSource final : public ChunkSource {
 public:
  CounterSource(u64 first, u64 end) : next_(first), end_(end) {}
  std::optional<u64> next() override {
    // fetch_add past end_ is harmless: chunk counts stay far below 2^64 - threads.
    const u64 i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= end_) return std::nullopt;
    return i;
  }

 private:
  std::atomic<u64> next_;
  u64 end_;
};

}  // namespace nf
