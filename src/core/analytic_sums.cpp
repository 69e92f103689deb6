/// @file analytic_sums.cpp
#include "core/analytic_sums.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <primesieve.hpp>
#include <vector>

#include "core/analytic_quotient.hpp"
#include "core/arith.hpp"

namespace numfactors {
namespace {

/// D(x) = sum_{i <= x} floor(x / i), the lattice points (i, j) with i j <= x: twice those with
/// i <= s = floor(sqrt(x)), less the s^2 counted twice.
u128 divisor_sum(u64 x) {
  const u64 s = isqrt(x);
  u128 half = 0;
  if (x < kPlainDoubleLimit) {
    // Exact as plain doubles (analytic_quotient.hpp: k i <= x < 2^52 for the quotient k), and
    // the s quotients add up to under x (ln s + 1) < 2^58.
    const double xd = static_cast<double>(x);
    u64 sum = 0;
    for (u64 i = 1; i <= s; ++i) sum += static_cast<u64>(xd / static_cast<double>(i));
    half = sum;
  } else {
    for (u64 i = 1; i <= s; ++i) half += x / i;
  }
  return 2 * half - u128{s} * s;
}

}  // namespace

u64 factor_count_sum(const PrimeCountTable& table, Count count) {
  const u64 n = table.n(), r = table.root();
  const std::vector<std::uint32_t>& primes = table.primes();  // ends with a prime above r
  // sum_{j <= n} omega(j) = sum_{p <= n} floor(n/p) = #{(p, d) : p d <= n}: the pairs with
  // p <= r, and for each d <= n / (r + 1) the primes in (r, n/d] (no p > r pairs with a larger
  // d). Omega(j) adds floor(n / p^e) for every prime power p^e <= n, e >= 2 (p <= r).
  u64 sum = 0;
  for (std::size_t i = 0; primes[i] <= r; ++i) {
    const u64 p = primes[i];
    sum += n / p;
    if (count == Count::total)
      for (u64 q = p; q <= n / p;) {
        q *= p;
        sum += n / q;
      }
  }
  const u64 pi_r = table.pi(r);
  for (u64 d = 1; d <= n / (r + 1); ++d) sum += table.odd_pi_large(d) + 1 - pi_r;
  return sum;
}

u128 two_to_omega_sum(u64 n, const ParallelFor& parallel_for) {
  // 2^omega(j) = sum_{d | j} mu(d)^2 and mu(d)^2 = sum_{k^2 | d} mu(k), so the sum over j <= n
  // is sum_{d <= n} mu(d)^2 floor(n/d) = sum_{k <= sqrt(n)} mu(k) D(floor(n / k^2)).
  const u64 root = isqrt(n);
  if (root == 0) return 0;
  std::vector<u64> primes;  // for mu(k), k <= root: the primes up to sqrt(root)
  primesieve::generate_primes(isqrt(root), &primes);
  // k costs sqrt(n) / k divisions: pieces of k from geometric cuts cost about the same.
  constexpr u64 kPieces = 256;
  std::vector<u64> cuts{1};
  for (u64 j = 1; j < kPieces; ++j) {
    const auto cut = static_cast<u64>(
        std::pow(static_cast<double>(root), static_cast<double>(j) / kPieces));
    if (cut > cuts.back() && cut <= root) cuts.push_back(cut);
  }
  cuts.push_back(root + 1);
  std::vector<u128> sums(cuts.size() - 1);
  parallel_for(0, sums.size(), [&](u64 first, u64 last) {
    // mu by a segmented sieve, a block of k at a time: the sign flips for each prime p <= sqrt(k)
    // found, 0 for a square; a factor left over (k over the product of the primes found) is
    // one prime above sqrt(k).
    constexpr u64 kBlock = u64{1} << 14;
    std::vector<std::int8_t> mu(kBlock);
    std::vector<u64> found(kBlock);
    for (u64 piece = first; piece < last; ++piece) {
      u128 sum = 0;
      for (u64 lo = cuts[piece]; lo < cuts[piece + 1]; lo += kBlock) {
        const u64 hi = std::min(cuts[piece + 1], lo + kBlock);  // [lo, hi)
        std::fill(mu.begin(), mu.end(), 1);
        std::fill(found.begin(), found.end(), 1);
        for (const u64 p : primes) {
          if (p * p >= hi) break;
          for (u64 k = (lo + p - 1) / p * p; k < hi; k += p) {
            mu[k - lo] = static_cast<std::int8_t>(-mu[k - lo]);
            found[k - lo] *= p;
          }
          for (u64 k = (lo + p * p - 1) / (p * p) * (p * p); k < hi; k += p * p) mu[k - lo] = 0;
        }
        for (u64 k = lo; k < hi; ++k) {
          int m = mu[k - lo];
          if (m == 0) continue;
          if (found[k - lo] != k) m = -m;
          const u128 d = divisor_sum(n / (k * k));  // k <= sqrt(n): no wrap
          sum += m > 0 ? d : -d;                      // mod 2^128: the total is positive
        }
      }
      sums[piece] = sum;
    }
  });
  u128 total = 0;
  for (const u128 s : sums) total += s;
  return total;
}

}  // namespace numfactors
