/// @file chunk_source.hpp
/// @brief Where workers get their next chunk index: thread-safe, each index handed out once.
#pragma once

#include <algorithm>
#include <atomic>
#include <optional>
#include <vector>

#include "numfactors/histogram.hpp"

namespace numfactors {

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
  /// Chunks not handed out yet.
  u64 left() const {
    const u64 next = next_.load(std::memory_order_relaxed);
    return next < end_ ? end_ - next : 0;
  }

 private:
  std::atomic<u64> next_;
  u64 end_;
};

/// Another source without the chunks a checkpoint already holds, which stops handing out chunks
/// once `*stop` is not 0 (a signal number set by a handler; workers finish what they hold).
class ResumeSource final : public ChunkSource {
 public:
  /// `done` (sorted) and `stop` may be null; both must outlive this source.
  ResumeSource(ChunkSource& inner, const std::vector<u64>* done, const std::atomic<int>* stop)
      : inner_(inner), done_(done), stop_(stop) {}
  std::optional<u64> next() override {
    for (;;) {
      const auto c = inner_.next();
      if (!c) return std::nullopt;
      if (done_ != nullptr && std::binary_search(done_->begin(), done_->end(), *c)) continue;
      if (stop_ != nullptr) {
        if (const int signal = stop_->load(); signal != 0) {
          // A chunk is left undone: the run is cut short, not merely finished late.
          int none = 0;
          cut_by_.compare_exchange_strong(none, signal);
          return std::nullopt;
        }
      }
      return c;
    }
  }
  /// The signal that made this source refuse a chunk it still had; 0 if it gave out every chunk.
  int cut_by() const { return cut_by_.load(); }
  /// Records that a chunk it gave out was abandoned because of `signal` (a pool worker lost
  /// while stopping).
  void abandon(int signal) {
    int none = 0;
    cut_by_.compare_exchange_strong(none, signal);
  }

 private:
  ChunkSource& inner_;
  const std::vector<u64>* done_;
  const std::atomic<int>* stop_;
  std::atomic<int> cut_by_{0};
};

}  // namespace numfactors
