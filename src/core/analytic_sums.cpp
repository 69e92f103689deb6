/// @file analytic_sums.cpp
#include "core/analytic_sums.hpp"

#include <algorithm>
#include <cstdint>
#include <primesieve.hpp>
#include <vector>

#include "core/analytic_quotient.hpp"
#include "core/arith.hpp"
#include "core/cpu_features.hpp"
#include "core/kernel.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace numfactors {
namespace {

// The quotients floor(x / i) for i in [1, s], x < 2^52, added up: exact as plain doubles
// (analytic_quotient.hpp: k i <= x < 2^52 for the quotient k), vector lanes alike, and under
// x (ln s + 1) < 2^58 in all.

/// The quotients of i in [first, s], one by one: the whole sum, or the vector paths' tails.
u64 quotient_sum_from(double x, u64 first, u64 s) {
  u64 sum = 0;
  for (u64 i = first; i <= s; ++i) sum += static_cast<u64>(x / static_cast<double>(i));
  return sum;
}

u64 quotient_sum_baseline(double x, u64 s) { return quotient_sum_from(x, 1, s); }

#if defined(__x86_64__) && defined(__GNUC__)

[[gnu::target("avx2")]] u64 quotient_sum_avx2(double x, u64 s) {
  // A double t in [0, 2^52) with t + 2^52 has t's bits in the mantissa: the integer conversion
  // AVX2 lacks.
  const __m256d magic = _mm256_set1_pd(0x1p52), xv = _mm256_set1_pd(x), four = _mm256_set1_pd(4);
  __m256d i = _mm256_set_pd(4, 3, 2, 1);
  __m256i sum = _mm256_setzero_si256();
  u64 next = 1;
  for (; next + 3 <= s; next += 4, i = _mm256_add_pd(i, four)) {
    const __m256d q = _mm256_round_pd(_mm256_div_pd(xv, i), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    sum = _mm256_add_epi64(sum, _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(q, magic)),
                                                 _mm256_castpd_si256(magic)));
  }
  alignas(32) u64 lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + quotient_sum_from(x, next, s);
}

[[gnu::target("avx512f,avx512dq")]] u64 quotient_sum_avx512(double x, u64 s) {
  const __m512d xv = _mm512_set1_pd(x), eight = _mm512_set1_pd(8);
  __m512d i = _mm512_set_pd(8, 7, 6, 5, 4, 3, 2, 1);
  __m512i sum = _mm512_setzero_si512();
  u64 next = 1;
  for (; next + 7 <= s; next += 8, i = _mm512_add_pd(i, eight))
    sum = _mm512_add_epi64(sum, _mm512_cvttpd_epu64(_mm512_div_pd(xv, i)));
  alignas(64) u64 lanes[8];  // (not _mm512_reduce_add_epi64: GCC 12 warns about its insides)
  _mm512_store_si512(lanes, sum);
  u64 total = quotient_sum_from(x, next, s);
  for (const u64 lane : lanes) total += lane;
  return total;
}

#endif

std::vector<QuotientSumPath> available_paths() {
  std::vector<QuotientSumPath> paths{{"baseline", quotient_sum_baseline}};
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx2()) paths.push_back({"avx2", quotient_sum_avx2});
  if (cpu_has_avx512_dq_vl()) paths.push_back({"avx512", quotient_sum_avx512});
#endif
  return paths;
}

const QuotientSumPath kPath = available_paths().back();

/// Loops look at the stop flag every this many steps (0.3 s of divisions near 10^17 alone).
constexpr u64 kStepsBetweenStopChecks = u64{1} << 20;

void check(const std::atomic<int>* stop) {
  if (stop != nullptr && stop->load(std::memory_order_relaxed) != 0) throw Stopped{};
}

/// D(x) = sum_{i <= x} floor(x / i), the lattice points (i, j) with i j <= x: twice those with
/// i <= s = floor(sqrt(x)), less the s^2 counted twice.
u128 divisor_sum(u64 x, const std::atomic<int>* stop) {
  const u64 s = isqrt(x);
  u128 half = 0;
  if (x < kPlainDoubleLimit) {
    half = kPath.sum(static_cast<double>(x), s);  // s < 2^26: milliseconds
  } else {
    for (u64 i = 1; i <= s; ++i) {
      if (i % kStepsBetweenStopChecks == 0) check(stop);
      half += x / i;
    }
  }
  return 2 * half - u128{s} * s;
}

}  // namespace

std::vector<QuotientSumPath> quotient_sum_paths() { return available_paths(); }

u64 factor_count_sum(const PrimeCountTable& table, Count count, const std::atomic<int>* stop) {
  const u64 n = table.n(), r = table.root();
  const std::vector<std::uint32_t>& primes = table.primes();  // ends with a prime above r
  // sum_{j <= n} omega(j) = sum_{p <= n} floor(n/p) = #{(p, d) : p d <= n}: the pairs with
  // p <= r, and for each d <= n / (r + 1) the primes in (r, n/d] (no p > r pairs with a larger
  // d). Omega(j) adds floor(n / p^e) for every prime power p^e <= n, e >= 2 (p <= r).
  u64 sum = 0;
  for (std::size_t i = 0; primes[i] <= r; ++i) {
    if (i % kStepsBetweenStopChecks == 0) check(stop);
    const u64 p = primes[i];
    sum += n / p;
    if (count == Count::total)
      for (u64 q = p; q <= n / p;) {
        q *= p;
        sum += n / q;
      }
  }
  const u64 pi_r = table.pi(r);
  for (u64 d = 1; d <= n / (r + 1); ++d) {
    if (d % kStepsBetweenStopChecks == 0) check(stop);
    sum += table.odd_pi_large(d) + 1 - pi_r;
  }
  return sum;
}

std::vector<u64> two_to_omega_cuts(u64 n) {
  // k costs sqrt(n) / k divisions: ranges of k growing by a sixteenth cost about the same. In
  // integers, so that every rank and every later run cuts the same parts (no libm).
  const u64 root = isqrt(n);
  std::vector<u64> cuts{1};
  while (cuts.back() <= root)
    cuts.push_back(std::min(root + 1, cuts.back() + std::max<u64>(1, cuts.back() / 16)));
  return cuts;
}

u128 two_to_omega_part(u64 n, u64 lo, u64 hi, const std::vector<std::uint32_t>& primes,
                       const std::atomic<int>* stop) {
  // 2^omega(j) = sum_{d | j} mu(d)^2 and mu(d)^2 = sum_{k^2 | d} mu(k), so the sum over j <= n
  // is sum_{d <= n} mu(d)^2 floor(n/d) = sum_{k <= sqrt(n)} mu(k) D(floor(n / k^2)). mu by a
  // segmented sieve, a block of k at a time: the sign flips for each prime p <= sqrt(k) found,
  // 0 for a square; a factor left over (k over the product of the primes found) is one prime
  // above sqrt(k).
  // Blocks no longer than the part: most parts of a small n hold a few k, and a whole block's
  // arrays (144 KB, fresh pages each time) cost more than their divisions.
  const u64 block = std::min(u64{1} << 14, hi > lo ? hi - lo : 1);
  std::vector<std::int8_t> mu(block);
  std::vector<u64> found(block);
  u128 sum = 0;
  for (u64 first = lo; first < hi; first += block) {
    check(stop);
    const u64 last = std::min(hi, first + block);  // [first, last)
    std::fill(mu.begin(), mu.end(), 1);
    std::fill(found.begin(), found.end(), 1);
    for (const u64 p : primes) {
      if (p * p >= last) break;
      for (u64 k = (first + p - 1) / p * p; k < last; k += p) {
        mu[k - first] = static_cast<std::int8_t>(-mu[k - first]);
        found[k - first] *= p;
      }
      for (u64 k = (first + p * p - 1) / (p * p) * (p * p); k < last; k += p * p) mu[k - first] = 0;
    }
    for (u64 k = first; k < last; ++k) {
      int m = mu[k - first];
      if (m == 0) continue;
      if (found[k - first] != k) m = -m;
      const u128 d = divisor_sum(n / (k * k), stop);  // k <= sqrt(n): no wrap
      sum += m > 0 ? d : -d;                    // mod 2^128
    }
  }
  return sum;
}

u128 two_to_omega_sum(u64 n, const ParallelFor& parallel_for) {
  std::vector<std::uint32_t> primes;
  primesieve::generate_primes(isqrt(isqrt(n)), &primes);
  const std::vector<u64> cuts = two_to_omega_cuts(n);
  std::vector<u128> parts(cuts.size() - 1);
  parallel_for(0, parts.size(), [&](u64 first, u64 last) {
    for (u64 j = first; j < last; ++j)
      parts[j] = two_to_omega_part(n, cuts[j], cuts[j + 1], primes);
  });
  u128 total = 0;
  for (const u128 part : parts) total += part;
  return total;
}

}  // namespace numfactors
