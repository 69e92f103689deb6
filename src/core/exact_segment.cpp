/// @file exact_segment.cpp
/// @brief Every prime p <= sqrt(b) is sieved: each multiple of p gets one factor, and each
/// multiple of p^j (j >= 2, p^j <= b) gets p once more in its smooth part (and one more factor
/// when counting with multiplicity). Then smooth(n) is the part of n made of primes <= sqrt(b),
/// so n / smooth(n) is 1 or one prime q with q^2 > n: n has one more factor exactly when
/// smooth(n) != n. The product never overflows: it divides n.
#include "core/exact_segment.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "core/arith.hpp"

namespace numfactors::sieve {
namespace {

/// Offset of the first multiple of m at or after a, without forming the multiple (it could pass
/// 2^64-1).
}  // namespace

void count_segment_exactly(u64 a, std::size_t len, std::span<const std::uint32_t> primes,
                           Count count, Histogram& out) {
  std::vector<std::uint8_t> factors(len, 0);
  std::vector<u64> smooth(len, 1);
  const u64 b = a + (len - 1);
  const u64 root = isqrt(b);
  for (const std::uint32_t p32 : primes) {
    const u64 p = p32;
    if (p > root) break;
    for (u64 i = offset_to_multiple(a, p); i < len; i += p) {
      ++factors[i];
      smooth[i] *= p;
    }
    // p <= sqrt(b), so p^2 <= b; q * p is formed only after checking q <= b / p.
    for (u64 q = p * p;; q *= p) {
      for (u64 i = offset_to_multiple(a, q); i < len; i += q) {
        if (count == Count::total) ++factors[i];
        smooth[i] *= p;
      }
      if (q > b / p) break;
    }
  }
  std::array<u64, Histogram::kMaxKey + 1> bins{};
  for (std::size_t i = 0; i < len; ++i) bins[factors[i] + (smooth[i] != a + i)]++;
  for (unsigned k = 0; k <= Histogram::kMaxKey; ++k) out.add(k, bins[k]);
}

}  // namespace numfactors::sieve
