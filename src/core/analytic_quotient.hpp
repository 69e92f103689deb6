/// @file analytic_quotient.hpp
/// @brief floor(x / m) for quotients below 2^32 without integer division, exactly.
///
/// Three methods, by the size of x (the callers pick one per table, with quotient_method(n)):
///   plain_double (x < 2^52): x and m are integers below 2^53, so exact as doubles, and IEEE
///     division rounds x / m correctly. If x / m = k + f with k < 2^32 and f in [0, 1), the
///     distance to the next integers is f or 1 - f >= 1/m when nonzero, while half an ulp at
///     k is <= k * 2^-53 < 1/m because k m <= x < 2^52. So rounding never crosses an integer
///     and truncation gives k.
///   corrected_double (x < 2^62): x is rounded to double (relative error 2^-53) and so is the
///     quotient, an error below 2^32 * 2^-51 < 1: truncation is k or off by one, and the
///     remainder x - q m in (-m, 2m) fixes it. q m <= x + m < 2^63 cannot wrap, even signed.
///   integer: exact division, for x >= 2^62 (never reached below the default memory limit).
///
/// With the divisor's rounded reciprocal at hand, x < 2^51 needs no division at all
/// (reciprocal_quotient): a = x + 1/2 is exact, and with i = 1/m (1 + e1) and the product
/// rounded, t = a i (1 + e2) with |e1|, |e2| <= 2^-53, so |t - a/m| <= (a/m) 2^-52 (1 + 2^-54)
/// < 1/(2m) because a <= 2^51 - 1/2. Writing x = k m + j with 0 <= j < m, a/m = k + (j + 1/2)/m
/// lies at least 1/(2m) above k and below k + 1: t stays strictly between them and truncation gives
/// k.
#pragma once

#include <cstdint>

#include "numfactors/histogram.hpp"

namespace numfactors {

enum class QuotientMethod { plain_double, corrected_double, integer };

/// Dividends below this divide exactly as plain doubles.
inline constexpr u64 kPlainDoubleLimit = u64{1} << 52;

/// Dividends below this divide exactly by a multiplication with the rounded reciprocal.
inline constexpr u64 kReciprocalLimit = u64{1} << 51;

/// floor(x / m) for x < kReciprocalLimit, given x_half = x + 0.5 and inverse = 1.0 / m (both as
/// double, the latter rounded to nearest).
inline u64 reciprocal_quotient(double x_half, double inverse) {
  return static_cast<u64>(x_half * inverse);
}

inline QuotientMethod quotient_method(u64 n) {
  if (n < kPlainDoubleLimit) return QuotientMethod::plain_double;
  if (n < (u64{1} << 62)) return QuotientMethod::corrected_double;
  return QuotientMethod::integer;
}

/// floor(x / m), given xd = x as double, when floor(x / m) < 2^32 and x is within the method's
/// bound (see above).
template <QuotientMethod kMethod>
inline u64 quotient(u64 x, double xd, u64 m) {
  if constexpr (kMethod == QuotientMethod::integer) {
    return x / m;
  } else {
    auto q = static_cast<u64>(static_cast<std::int64_t>(xd / static_cast<double>(m)));
    if constexpr (kMethod == QuotientMethod::corrected_double) {
      const auto rem = static_cast<std::int64_t>(x - q * m);
      q += static_cast<u64>(rem >= static_cast<std::int64_t>(m));
      q -= static_cast<u64>(rem < 0);
    }
    return q;
  }
}

}  // namespace numfactors
