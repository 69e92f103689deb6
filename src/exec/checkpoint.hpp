/// @file checkpoint.hpp
/// @brief A durable journal of finished chunks, so that a killed or preempted run loses nothing.
///
/// The file is text: a header line that identifies the run, then one line per finished chunk,
///   numfactors-checkpoint 1 min=2 max=500000 count=distinct kernel=sieve chunk=65536
///   chunk 3 1:812,2:3101,3:2390 9f3a5c0e12ab77d1
/// each record ending in an FNV-1a checksum of the text before it. A record is written with one
/// write() and fsync'ed before the chunk counts as done. A crash can only tear the last line: that
/// line (no newline, or a bad checksum) is dropped on reopening and its chunk is run again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/histogram.hpp"
#include "core/plan.hpp"

namespace nf {

/// What a checkpoint file already holds for a plan.
struct CheckpointState {
  std::vector<u64> done;    // indices of the finished chunks, sorted, each once (memory grows
                            // with the chunks done, not with the plan's chunk count)
  u64 done_count = 0;
  u64 done_numbers = 0;
  Histogram histogram;      // sum of the finished chunks
  bool torn_record = false; // a torn last record was dropped
};

class Checkpoint {
 public:
  /// Opens or creates `path` for `plan`. Throws UsageError if the file belongs to another run or is
  /// corrupt beyond a torn last record, and std::runtime_error if it cannot be read or written.
  Checkpoint(std::string path, const Plan& plan);
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  /// What was already finished when the file was opened.
  const CheckpointState& state() const { return state_; }
  /// True when chunk `index` was finished before this run (binary search in state().done).
  bool was_done(u64 index) const;

  /// Appends chunk `index` durably (write + fsync). Not thread-safe: callers serialize.
  void record(u64 index, const Histogram& h);

  const std::string& path() const { return path_; }

  /// The chunk size recorded in an existing checkpoint file, so a resumed run can use the same
  /// chunks even with another number of workers; nothing if the file is absent or has no header.
  static std::optional<u64> chunk_size_in(const std::string& path);

  /// The header line (without newline) that identifies `plan`.
  static std::string header(const Plan& plan);

 private:
  std::string path_;
  int fd_ = -1;
  CheckpointState state_;
};

}  // namespace nf
