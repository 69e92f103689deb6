/// @file analytic_quotient.hpp
/// @brief floor(x / m) by one double division and a branch-free correction.
///
/// Used where the quotient is < 2^32 and x < 2^62 (the callers check the bound and fall back to
/// integer division above it). x and m are rounded to double with relative error 2^-53 each and
/// the division adds 2^-53, so the computed quotient is within 2^32 * 2^-51 < 1 of x / m and its
/// truncation is floor(x / m) or off by one either way. The remainder x - q m then lies in
/// (-m, 2m) and fixes it; q m <= x + m < 2^63, so nothing wraps, as a signed value either.
#pragma once

#include <cstdint>

#include "core/range.hpp"

namespace nf {

/// x < 2^62 is the largest x for which float_quotient is exact (see above).
inline constexpr u64 kFloatQuotientLimit = u64{1} << 62;

/// floor(x / m) for x < 2^62 (xd = x as double) and floor(x / m) < 2^32.
inline u64 float_quotient(u64 x, double xd, u64 m) {
  auto q = static_cast<u64>(static_cast<std::int64_t>(xd / static_cast<double>(m)));
  const auto rem = static_cast<std::int64_t>(x - q * m);
  q += static_cast<u64>(rem >= static_cast<std::int64_t>(m));
  q -= static_cast<u64>(rem < 0);
  return q;
}

/// The same with the divisor's reciprocal (inverse_m = 1.0 / m, rounded) in place of the
/// division: three roundings of 2^-53 instead of two, still an error below 2^32 * 3 * 2^-53 < 1.
inline u64 reciprocal_quotient(u64 x, double xd, u64 m, double inverse_m) {
  auto q = static_cast<u64>(static_cast<std::int64_t>(xd * inverse_m));
  const auto rem = static_cast<std::int64_t>(x - q * m);
  q += static_cast<u64>(rem >= static_cast<std::int64_t>(m));
  q -= static_cast<u64>(rem < 0);
  return q;
}

}  // namespace nf
