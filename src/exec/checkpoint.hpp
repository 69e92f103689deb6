/// @file checkpoint.hpp
/// @brief A durable journal of finished chunks, so that a killed or preempted run loses nothing.
///
/// The file is text: a header line that identifies the run, then one line per finished chunk,
///   numfactors-checkpoint 1 min=2 max=500000 count=distinct space=numbers chunk=65536
///   chunk 3 1:812,2:3101,3:2390 9f3a5c0e12ab77d1
/// each record ending in an FNV-1a checksum of the text before it. The analytic method journals
/// its walk's items the same way under its own header (analytic_run.hpp says how it numbers them).
/// Records are appended with one write() and an fdatasync, at most one sync every kSyncSeconds:
/// a sync costs 1-3 ms here, more than many a chunk or walk item (the 12,000 items of
/// [2, 10^11] took 30 s with a sync each, 0.2 s this way). A kill loses the records that arrived
/// within kSyncSeconds of the last sync; a resumed run counts those chunks again. A crash can only
/// tear the last line: that line (no newline, or a bad checksum) is dropped on reopening and its
/// chunk is run again.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "numfactors/histogram.hpp"
#include "core/plan.hpp"
#include "numfactors/job.hpp"

namespace numfactors {

/// What a checkpoint file already holds for a plan.
struct CheckpointState {
  std::vector<u64> done;    // indices of the finished chunks, sorted, each once (memory grows
                            // with the chunks done, not with the plan's chunk count)
  u64 done_count = 0;
  u64 done_numbers = 0;     // sum of the records' totals
  /// sums[j]: the sum of the records whose index is j modulo the journal's parts (one part for
  /// a plan's chunks, so sums[0] is their histogram).
  std::vector<Histogram> sums;
  bool torn_record = false; // a torn last record was dropped
  /// An analytic journal written before items were balanced (CheckpointHeader): its items'
  /// bins are all exact, and the run goes on with such items.
  bool exact_items = false;
};

/// The first line of a checkpoint file: which run wrote it. One type writes and reads it.
///   numfactors-checkpoint 1 min=2 max=500000 count=distinct space=numbers chunk=65536
///   numfactors-checkpoint 1 min=2 max=1000000000000 count=distinct method=analytic items=balanced
/// A sieve run records the space its chunks cut, not its kernel: a chunk of numbers has the same
/// histogram whichever direct kernel (sieve, hybrid, factor, trial, or auto's choice) counts it,
/// so any of them resumes any other's file exactly; the wheel's chunks are ranges of m instead
/// (wheel.hpp), and a file of one space is refused by a run of the other. Files written before
/// spaces were recorded say kernel=sieve|trial (numbers) or kernel=wheel, and are read so.
/// The analytic method's records are its walk items, balanced (AnalyticWalk::run_item(k,
/// count)): the sum of all of them is exact, that of some is not. Files written before they were
/// lack items=balanced: their items are exact in every bin, and a run that resumes one goes on
/// with such items (a version before balanced items refuses a file that has them).
struct CheckpointHeader {
  enum class Space { numbers, wheel };
  Range range;
  Count count = Count::distinct;
  Method method = Method::sieve;
  Space space = Space::numbers;  // the sieve's
  u64 chunk_size = 0;            // the sieve's
  bool balanced_items = false;   // the analytic method's

  /// The space of a kernel's chunks.
  static Space space_of(KernelKind kernel) {
    return kernel == KernelKind::wheel ? Space::wheel : Space::numbers;
  }

  /// The header of a job's journal.
  static CheckpointHeader of(const Job& job);
  std::string text() const;
  /// A header line as text() writes it; nothing for any other line.
  static std::optional<CheckpointHeader> parse(std::string_view line);
  /// The header of an existing file; nothing if it is absent or does not start with a header.
  static std::optional<CheckpointHeader> read(const std::string& path);
  bool operator==(const CheckpointHeader&) const = default;
};

/// What a journal belongs to: the header line naming its run, how many interleaved parts its
/// record indices hold (task i of stage j is record i * parts + j), and which records the run
/// could have written (others are refused).
struct JournalFormat {
  std::string header;
  unsigned parts = 1;
  std::function<bool(u64 index, const Histogram& h)> possible;

  /// The journal of a job: the sieve's chunks (index < chunk count, a histogram total equal to
  /// the chunk's numbers), or the analytic method's items in two parts (prefix [1, hi], and
  /// [1, lo - 1] when lo > 1; an item index is checked once its prefix's walk is cut).
  static JournalFormat of(const Job& job);
  static JournalFormat of(const Plan& plan);
};

/// Whether `path` (a link followed) still names the file open at fd.
bool still_named(int fd, const std::string& path);

class Checkpoint {
 public:
  /// Opens or creates `path` for the run `format` describes. Throws CheckpointError if the file
  /// belongs to another run or is corrupt beyond a torn last record, and std::runtime_error if it
  /// cannot be read or written.
  Checkpoint(std::string path, const JournalFormat& format, double sync_seconds = kSyncSeconds);
  Checkpoint(std::string path, const Plan& plan)
      : Checkpoint(std::move(path), JournalFormat::of(plan)) {}
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  /// What was already finished when the file was opened.
  const CheckpointState& state() const { return state_; }

  static constexpr double kSyncSeconds = 0.1;

  /// Appends chunk `index`: durably (write + fdatasync) with the records before it once
  /// sync_seconds passed since the last sync, else later. Not thread-safe: callers serialize.
  void record(u64 index, const Histogram& h);
  /// Writes and syncs the records not yet in the file (the destructor does it too, silently).
  void flush();
  /// Records in the file (after flush(): all of them).
  u64 saved() const { return state_.done_count + appended_; }

  const std::string& path() const { return path_; }

  /// Removes the file when this run made it and has recorded nothing: a run that fails before
  /// its first record (a refused table state, say) leaves no file behind. The journal is closed.
  void remove_if_unused();

 private:
  /// Reads what the file holds into state_, repairs a torn last record or writes the header.
  void read_journal(const JournalFormat& format);

  std::string path_;
  int fd_ = -1;
  bool created_ = false;  // by this run
  CheckpointState state_;
  double sync_seconds_;
  u64 appended_ = 0;           // records written and synced by this run
  std::string pending_;        // records not written yet
  u64 key_ = 0;                // FNV-1a of the header line: where each record's checksum starts
  u64 pending_count_ = 0;
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
};

}  // namespace numfactors
