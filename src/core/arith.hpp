/// @file arith.hpp
/// @brief Exact integer helpers that are safe up to 2^64-1.
#pragma once

#include <cmath>
#include <cstdint>

namespace numfactors {

/// floor(sqrt(n)) exactly for every 64-bit n. The long double estimate can be off by one either
/// way near 2^64; the two corrections compare r against n / r, which never overflows.
inline std::uint64_t isqrt(std::uint64_t n) {
  if (n < 2) return n;
  auto r = static_cast<std::uint64_t>(std::sqrt(static_cast<long double>(n)));
  if (r > 0xFFFFFFFFull) r = 0xFFFFFFFFull;  // floor(sqrt(2^64-1)) = 2^32-1
  while (r > n / r) --r;
  while (r + 1 <= n / (r + 1)) ++r;
  return r;
}

/// The distance from a up to the first multiple of m at or after it (0 when a is one).
inline std::uint64_t offset_to_multiple(std::uint64_t a, std::uint64_t m) {
  const std::uint64_t r = a % m;
  return r == 0 ? 0 : m - r;
}

}  // namespace numfactors
