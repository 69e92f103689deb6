/// @file arith.hpp
/// @brief Exact integer helpers that are safe up to 2^64-1.
#pragma once

#include <cmath>
#include <cstdint>

namespace numfactors {

__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin; -pedantic wants the marker

/// floor(sqrt(n)) exactly for every 64-bit n. The double estimate is off by at most one; the
/// corrections square r, which fits in 64 bits for r < 2^32. (A long double estimate costs x87
/// conversions, which were most of the time of cutting the analytic walk into items.)
inline std::uint64_t isqrt(std::uint64_t n) {
  constexpr std::uint64_t kMax = 0xFFFFFFFFull;  // floor(sqrt(2^64-1))
  auto r = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(n)));
  if (r > kMax) r = kMax;
  while (r * r > n) --r;
  while (r < kMax && (r + 1) * (r + 1) <= n) ++r;
  return r;
}

/// The distance from a up to the first multiple of m at or after it (0 when a is one).
inline std::uint64_t offset_to_multiple(std::uint64_t a, std::uint64_t m) {
  const std::uint64_t r = a % m;
  return r == 0 ? 0 : m - r;
}

}  // namespace numfactors
