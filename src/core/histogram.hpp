/// @file histogram.hpp
/// @brief {k: how many n have k prime factors}, dense over k.
#pragma once

#include <array>
#include <cstdint>

#include "core/range.hpp"

namespace numfactors {

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
