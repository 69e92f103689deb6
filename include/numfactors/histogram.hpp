/// @file histogram.hpp
/// @brief The vocabulary of numfactors: an inclusive range of integers inside [1, 2^64-1], what is
/// counted for each number (omega or Omega), and the histogram {k: how many n}.
#pragma once

#include <array>
#include <cstdint>

namespace numfactors {

using u64 = std::uint64_t;

/// Inclusive: [lo, hi]. `hi` may be 2^64-1, so code walks it by offsets from `lo`, never by
/// `hi + 1`.
struct Range {
  u64 lo = 1;
  u64 hi = 1;

  /// hi - lo + 1 cannot wrap because lo >= 1.
  u64 size() const { return hi - lo + 1; }
  bool operator==(const Range&) const = default;
};

/// Throws RangeError (errors.hpp) unless 1 <= lo <= hi.
void check_range(const Range& r);

/// {k: how many n}, dense over k. Adding and subtracting histograms is exact (64-bit counts: a
/// range holds at most 2^64-1 numbers).
class Histogram {
 public:
  /// Omega(n) <= 63 for n < 2^64 (2^63 has the most factors), so k fits in [0, 63].
  static constexpr unsigned kMaxKey = 63;

  void add(unsigned k, u64 times = 1) { bins_[k] += times; }
  u64 operator[](unsigned k) const { return bins_[k]; }

  Histogram& operator+=(const Histogram& other);
  /// Subtracts bin by bin (for prefix differences); the caller guarantees no bin goes negative.
  Histogram& operator-=(const Histogram& other);
  bool operator==(const Histogram&) const = default;

  /// Sum of all bins: the number of n counted.
  u64 total() const;
  bool empty() const { return total() == 0; }

  const std::array<u64, kMaxKey + 1>& bins() const { return bins_; }
  std::array<u64, kMaxKey + 1>& bins() { return bins_; }

 private:
  std::array<u64, kMaxKey + 1> bins_{};
};

}  // namespace numfactors
