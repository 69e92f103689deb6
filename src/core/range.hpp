/// @file range.hpp
/// @brief An inclusive range of integers [lo, hi] with 1 <= lo <= hi <= 2^64-1, and what is counted.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace numfactors {

using u64 = std::uint64_t;

/// Input a user can correct (a bad number, lo > hi, ...): the command line exits with status 2.
struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Inclusive: [lo, hi]. `hi` may be 2^64-1, so code walks it by offsets from `lo`, never by `hi + 1`.
struct Range {
  u64 lo = 1;
  u64 hi = 1;

  /// hi - lo + 1 cannot wrap because lo >= 1.
  u64 size() const { return hi - lo + 1; }
  bool operator==(const Range&) const = default;
};

/// Throws UsageError unless 1 <= lo <= hi.
void check_range(const Range& r);

/// What is counted for each n: omega(n), distinct primes, or Omega(n), with multiplicity.
enum class Count { distinct, total };

std::string to_string(Count c);

}  // namespace numfactors
