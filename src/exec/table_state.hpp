/// @file table_state.hpp
/// @brief A prime count table saved next to a checkpoint journal, so that a stopped analytic run
/// does not build again what it had built: the keys after the rounds done are a resumable state
/// (PrimeCountTable::build), and a finished table is one that needs no rounds at all.
///
/// The file JOURNAL.table-N (N the prefix [1, N]) is a header line, then the key block:
///   numfactors-table 1 n=N rounds=R of=K bytes=B sum=HEX
/// HEX a 64-bit checksum of the block. It is written as a PendingFile (no name until whole,
/// then renamed), so a kill leaves the old file or the new one, never half of one. It is not
/// synced: a power cut may leave a torn file, which its size or checksum shows to be damaged
/// (TableStateDamaged, and the table is built anew); a file of another table is refused.
#pragma once

#include <optional>
#include <string>

#include "core/prime_count_table.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {

/// A state file that is torn or altered: no header, a damaged header, the wrong size or a
/// checksum that does not match. Not a state to trust, nor a reason to stop: a run builds anew.
struct TableStateDamaged : CheckpointError {
  using CheckpointError::CheckpointError;
};

class TableState {
 public:
  /// The state file of prefix [1, n] of the run journaled to `journal`.
  static std::string path_for(const std::string& journal, u64 n);

  /// The rounds a saved state of `table` holds (same n, same size, a checksum that matches: the
  /// whole file is read); nothing when there is no file. Throws TableStateDamaged for a torn or
  /// altered file, CheckpointError for the state of another table.
  static std::optional<std::size_t> rounds_in(const std::string& path,
                                              const PrimeCountTable& table);

  /// Reads the saved keys into `table` (whose memory is placed); throws CheckpointError when the
  /// checksum or size does not match, std::runtime_error when it cannot be read.
  static void load(const std::string& path, PrimeCountTable& table);

  /// Writes `table`'s keys after `rounds_done` rounds, atomically.
  static void save(const std::string& path, const PrimeCountTable& table, std::size_t rounds_done);
};

}  // namespace numfactors
