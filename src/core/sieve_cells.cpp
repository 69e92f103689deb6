/// @file sieve_cells.cpp
#include "core/sieve_cells.hpp"

#include <array>
#include <cmath>

namespace numfactors::sieve {

std::uint16_t weight_table_entry(unsigned k, unsigned m) {
  const long double exact = kLogScale * (k + std::log2(1.0L + m / 256.0L));
  // The hair (1e-9) keeps the floor below the true value even if log2 rounds up; it costs nothing
  // in the error bound, which allows up to kWeightError.
  return static_cast<std::uint16_t>(std::floor(exact - 1e-9L));
}

namespace {

std::array<std::uint16_t, 256> make_weight_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned m = 0; m < 256; ++m) t[m] = weight_table_entry(1, m);
  return t;
}

}  // namespace

const std::array<std::uint16_t, 256> kWeightTable = make_weight_table();

int segment_threshold(u64 a, u64 b, u64 R, double extra_error) {
  const long double c = kLogScale;
  const long double log_a = std::log2(static_cast<long double>(a));
  const long double log_b = std::log2(static_cast<long double>(b));
  const long double log_r = std::log2(static_cast<long double>(R) + 1.0L);
  if (c * log_r - c * (log_b - log_a) < kExactMargin + extra_error) return -1;
  // floor(x + 0.5) + 1 > x + 0.5: a cell whose sum S <= x (q present) has S < t even if x was
  // rounded by up to 0.5; and t <= x + 1.5 <= c*log2(a) - 63*kWeightError - extra_error by the
  // margin check.
  // When b <= R no n can hold a prime above R; x < 0 then and t <= 1, which the margin keeps
  // below every cell's sum like any other threshold.
  const long double x = c * log_b - c * log_r;
  return static_cast<int>(std::floor(x + 0.5L)) + 1;
}

}  // namespace numfactors::sieve
