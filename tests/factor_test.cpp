/// @file factor_test.cpp
/// @brief factor64 (BPSW, rho, ECM), the factor kernel and the hybrid kernel against the oracle
/// (Miller-Rabin with 12 bases plus plain rho, oracle.hpp), primesieve, the sieve kernel and
/// each other: random numbers at every size, the families that break weak primality tests or
/// weak splitting (pseudoprimes, Carmichael numbers, prime powers, products of two primes near
/// 2^32), and windows at 10^6, 10^12, 10^18 and at the top of the range.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <primesieve.hpp>
#include <random>
#include <sstream>
#include <vector>

#include "core/factor64.hpp"
#include "core/factor_kernel.hpp"
#include "core/hybrid_kernel.hpp"
#include "core/kernel.hpp"
#include "oracle.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

__extension__ typedef unsigned __int128 u128;

constexpr u64 kTop = std::numeric_limits<u64>::max();
constexpr Count kCounts[] = {Count::distinct, Count::total};

using test::describe;

/// The largest prime <= n (n >= 2), found with the oracle's primality test.
u64 prime_at_or_below(u64 n) {
  while (!test::is_prime(n)) --n;
  return n;
}

/// factor_count against the oracle for both counts, and factorize against factor_count.
void expect_like_oracle(u64 n) {
  for (const Count count : kCounts)
    ASSERT_EQ(factor_count(n, count), test::oracle_count(n, count)) << n << " " << to_string(count);
  const Factorization f = factorize(n);
  unsigned total = 0;
  for (unsigned i = 0; i < f.size; ++i) total += f.exponents[i];
  ASSERT_EQ(f.size, factor_count(n, Count::distinct)) << n;
  ASSERT_EQ(total, factor_count(n, Count::total)) << n;
}

/// factorize checked without the oracle's factoring: the product of the prime powers is n, the
/// primes ascend and each is prime by the oracle's 12-base Miller-Rabin.
void expect_valid_factorization(u64 n) {
  const Factorization f = factorize(n);
  u128 product = 1;
  for (unsigned i = 0; i < f.size; ++i) {
    ASSERT_TRUE(test::is_prime(f.primes[i])) << n << ": " << f.primes[i];
    if (i > 0) {
      ASSERT_LT(f.primes[i - 1], f.primes[i]) << n;
    }
    for (unsigned e = 0; e < f.exponents[i]; ++e) product *= f.primes[i];
  }
  ASSERT_EQ(product, u128{n});
}

// ---------------------------------------------------------------------------------------------
// factor64

TEST(FactorPrimality, EveryNumberBelow2To20AgainstPrimesieve) {
  std::vector<u64> primes;
  primesieve::generate_primes(u64{1} << 20, &primes);
  std::size_t next = 0;
  for (u64 n = 0; n <= (u64{1} << 20); ++n) {
    const bool prime = next < primes.size() && primes[next] == n;
    next += prime;
    ASSERT_EQ(is_prime_u64(n), prime) << n;
  }
}

TEST(FactorPrimality, PrimesieveWindowsNear2To32And2To50) {
  for (const u64 lo : {(u64{1} << 32) - 50000, u64{1} << 50}) {
    std::vector<u64> primes;
    primesieve::generate_primes(lo, lo + 100000, &primes);
    std::size_t next = 0;
    for (u64 n = lo; n <= lo + 100000; ++n) {
      const bool prime = next < primes.size() && primes[next] == n;
      next += prime;
      ASSERT_EQ(is_prime_u64(n), prime) << n;
    }
  }
}

TEST(FactorPrimality, TheTopOfTheRangeAgainstTheOracle) {
  // (primesieve near 2^64 would first sieve every prime below 2^32.)
  for (u64 n = kTop - 200000;; ++n) {
    ASSERT_EQ(is_prime_u64(n), test::is_prime(n)) << n;
    if (n == kTop) break;
  }
}

TEST(FactorPrimality, EachHalfOfBpswHasExactlyItsKnownPseudoprimesBelow10To5) {
  // Every composite below 10^5 that passes each half, by search: the strong base-2 pseudoprimes
  // (OEIS A001262) and the strong Lucas pseudoprimes for Selfridge's parameters (A217255).
  const std::vector<u64> base2 = {2047,  3277,  4033,  4681,  8321,  15841, 29341, 42799,
                                  49141, 52633, 65281, 74665, 80581, 85489, 88357, 90751};
  const std::vector<u64> lucas = {5459,  5777,  10877, 16109, 18971, 22499,
                                  24569, 25199, 40309, 58519, 75077, 97439};
  std::vector<u64> found_base2, found_lucas;
  for (u64 n = 3; n < 100000; n += 2) {
    if (test::is_prime(n)) {
      ASSERT_TRUE(is_strong_probable_prime_base2(n)) << n;
      if (n > 50) {
        ASSERT_TRUE(is_strong_lucas_probable_prime(n)) << n;
      }
      continue;
    }
    if (is_strong_probable_prime_base2(n)) found_base2.push_back(n);
    bool small_factor = false;
    for (const u64 p : {3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47})
      small_factor = small_factor || n % p == 0;
    const u64 r = static_cast<u64>(std::sqrt(static_cast<double>(n)));
    const bool square = r * r == n || (r + 1) * (r + 1) == n;
    if (n > 50 && !small_factor && !square && is_strong_lucas_probable_prime(n))
      found_lucas.push_back(n);
  }
  EXPECT_EQ(found_base2, base2);
  EXPECT_EQ(found_lucas, lucas);
  // None of them passes the other half.
  for (const u64 n : base2) EXPECT_FALSE(is_strong_lucas_probable_prime(n)) << n;
  for (const u64 n : lucas) EXPECT_FALSE(is_strong_probable_prime_base2(n)) << n;
}

TEST(FactorPrimality, PseudoprimesAndCarmichaelNumbersAreComposite) {
  // Strong pseudoprimes to base 2, strong Lucas pseudoprimes (Selfridge's parameters), Carmichael
  // numbers, squares of the Wieferich primes 1093 and 3511 (strong base-2 pseudoprimes), and
  // strong pseudoprimes to many prime bases: 3215031751 (2, 3, 5, 7), 2152302898747 (to 11),
  // 3474749660383 (to 13), 341550071728321 (to 17), 3825123056546413051 (to 23).
  // 318665857834031151167461 (to 37) is about 3.2e23, above 2^64: out of scope.
  const u64 composites[] = {2047,
                            3277,
                            4033,
                            4681,
                            8321,
                            15841,
                            29341,
                            42799,
                            49141,
                            52633,
                            65281,
                            74665,
                            80581,
                            85489,
                            88357,
                            90751,
                            5459,
                            5777,
                            10877,
                            16109,
                            18971,
                            22499,
                            24569,
                            25199,
                            40309,
                            58519,
                            75077,
                            97439,
                            561,
                            1105,
                            1729,
                            2465,
                            2821,
                            6601,
                            8911,
                            41041,
                            62745,
                            63973,
                            75361,
                            101101,
                            126217,
                            172081,
                            188461,
                            278545,
                            340561,
                            1194649,
                            12327121,
                            u64{1194649} * 12327121,
                            3215031751,
                            2152302898747,
                            3474749660383,
                            341550071728321,
                            3825123056546413051ull};
  for (const u64 n : composites) {
    ASSERT_FALSE(test::is_prime(n)) << n;  // the list itself, checked
    EXPECT_FALSE(is_prime_u64(n)) << n;
    expect_like_oracle(n);
    expect_valid_factorization(n);
  }
}

TEST(FactorCount, SingleNumbersByHand) {
  EXPECT_EQ(factor_count(1, Count::distinct), 0u);
  EXPECT_EQ(factor_count(1, Count::total), 0u);
  EXPECT_EQ(factor_count(2, Count::distinct), 1u);
  // 2^64 - 1 = 3 * 5 * 17 * 257 * 641 * 65537 * 6700417.
  EXPECT_EQ(factor_count(kTop, Count::distinct), 7u);
  EXPECT_EQ(factor_count(kTop, Count::total), 7u);
  // 2^64 - 59 is the largest prime below 2^64.
  EXPECT_TRUE(is_prime_u64(kTop - 58));
  EXPECT_EQ(factor_count(kTop - 58, Count::total), 1u);
  EXPECT_EQ(factor_count(u64{1} << 63, Count::total), 63u);
  EXPECT_EQ(factor_count(u64{1} << 63, Count::distinct), 1u);
  // The product of the first 15 primes: the most distinct primes below 2^64.
  EXPECT_EQ(factor_count(614889782588491410ull, Count::distinct), 15u);
  u64 three_40 = 1;
  for (int i = 0; i < 40; ++i) three_40 *= 3;
  EXPECT_EQ(factor_count(three_40, Count::total), 40u);
  EXPECT_EQ(factor_count(three_40 / 3 * 2, Count::distinct), 2u);
  const Factorization f = factorize(kTop);
  ASSERT_EQ(f.size, 7u);
  EXPECT_EQ(f.primes[6], 6700417u);
}

TEST(FactorCount, PrimePowersAndProductsOfLargePrimes) {
  // Squares and cubes of the primes just below 2^32 and 2^21, fourth powers below 2^16, squares
  // times small primes, and products of two or three primes just below 2^32 and 2^21: rho and ECM
  // must split prime powers, and a cofactor below rough^3 must count as p * q or p^2.
  const u64 p32 = prime_at_or_below((u64{1} << 32) - 1);
  const u64 q32 = prime_at_or_below(p32 - 2);
  const u64 p21 = prime_at_or_below((u64{1} << 21) - 1);
  const u64 q21 = prime_at_or_below(p21 - 2);
  const u64 r21 = prime_at_or_below(q21 - 2);
  const u64 p16 = prime_at_or_below((u64{1} << 16) - 1);
  const u64 p11 = prime_at_or_below(2047);
  std::vector<u64> cases = {p32 * p32,
                            p32 * q32,
                            p21 * p21 * p21,
                            p21 * q21 * r21,
                            p21 * p21,
                            p21 * p21 * q21,
                            p16 * p16 * p16 * p16,
                            p16 * p16 * 3,
                            p11 * p11 * p11 * p11 * p11,
                            p11 * p11 * q32,
                            p21 * q32,
                            p21 * p21 * 4093};
  for (u64 p = prime_at_or_below(3000); cases.size() < 40; p = prime_at_or_below(p - 1))
    cases.push_back(p * p * p);  // cubes of primes above the trial division bound (2^10)
  for (const u64 n : cases) {
    expect_like_oracle(n);
    expect_valid_factorization(n);
  }
}

TEST(FactorCount, RandomNumbersOfEverySizeAgainstTheOracle) {
  std::mt19937_64 rng(test::test_seed(6401));
  for (unsigned bits = 10; bits <= 64; ++bits)
    for (int i = 0; i < 40; ++i) {
      u64 n = rng() >> (64 - bits);
      n |= u64{1} << (bits - 1);
      expect_like_oracle(n);
    }
}

TEST(FactorCount, RandomSemiprimesOfBalancedFactors) {
  // Two primes of b/2 bits each, for b up to 64: ECM's hardest inputs. Checked by the product and
  // the primality of the parts (the oracle's rho would take seconds on these).
  std::mt19937_64 rng(test::test_seed(6402));
  auto random_prime = [&](unsigned bits) {
    for (;;) {
      const u64 p = (rng() >> (64 - bits)) | (u64{1} << (bits - 1)) | 1;
      if (test::is_prime(p)) return p;
    }
  };
  for (unsigned half = 11; half <= 32; ++half)
    for (int i = 0; i < 12; ++i) {
      const u64 p = random_prime(half), q = random_prime(half);
      const u64 n = p * q;  // < 2^64: both below 2^32
      expect_valid_factorization(n);
      EXPECT_EQ(factor_count(n, Count::total), 2u) << n;
      EXPECT_EQ(factor_count(n, Count::distinct), p == q ? 1u : 2u) << n;
    }
}

TEST(FactorCount, TheTopOfTheRangeAgainstTheOracle) {
  // The oracle's plain rho is slow up here: the last 2000 numbers. The kernel tests below check
  // the last ~38000 against the sieve.
  for (u64 n = kTop - 1999;; ++n) {
    for (const Count count : kCounts)
      ASSERT_EQ(factor_count(n, count), test::oracle_count(n, count))
          << n << " " << to_string(count);
    if (n == kTop) break;
  }
}

TEST(FactorCount, RoughFactorCountOfSieveCofactors) {
  // What the hybrid kernel passes: m with no prime factor below `rough`, including m below
  // rough^2 (prime), below rough^3 (p * q or p^2) and above; one at a time and in a batch.
  std::mt19937_64 rng(test::test_seed(6403));
  for (const u64 rough : {u64{5}, u64{1031}, u64{4099}, u64{65537}, u64{2642257}}) {
    std::vector<u64> batch;
    std::vector<unsigned> distinct_want, total_want;
    while (batch.size() < 300) {
      const u64 n = rng() >> (rng() % 40);
      if (n < 2) continue;
      // Strip the primes below rough (by the oracle's factorization).
      std::map<u64, unsigned> f;
      test::factor(n, f);
      u64 m = 1;
      unsigned distinct = 0, total = 0;
      for (const auto& [p, e] : f)
        if (p >= rough) {
          for (unsigned j = 0; j < e; ++j) m *= p;
          ++distinct;
          total += e;
        }
      ASSERT_EQ(rough_factor_count(m, rough, Count::distinct), distinct) << m << " " << rough;
      ASSERT_EQ(rough_factor_count(m, rough, Count::total), total) << m << " " << rough;
      batch.push_back(m);
      distinct_want.push_back(distinct);
      total_want.push_back(total);
    }
    std::vector<unsigned> got(batch.size());
    rough_factor_counts(batch.data(), batch.size(), rough, Count::distinct, got.data());
    EXPECT_EQ(got, distinct_want) << rough;
    rough_factor_counts(batch.data(), batch.size(), rough, Count::total, got.data());
    EXPECT_EQ(got, total_want) << rough;
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels

Histogram run(Kernel& kernel, const Range& r) {
  Histogram h;
  kernel.count(r, h);
  return h;
}

Histogram sieve_histogram(const Range& r, Count count) {
  return run(*make_kernel(KernelKind::sieve, count, r.hi), r);
}

TEST(FactorKernels, SmallWindowsAgainstTheOracle) {
  std::mt19937_64 rng(test::test_seed(6404));
  for (const Count count : kCounts) {
    FactorKernel factor(count);
    HybridKernel hybrid(count, kTop);
    HybridKernel near_one(count, 3000, 5000);  // primes up to sqrt(3000) only: bound cut to 55
    std::vector<Range> windows = {{1, 1}, {1, 2}, {1, 3000}, {kTop, kTop}, {kTop - 1500, kTop}};
    for (const u64 base :
         {u64{1'000'000}, u64{1'000'000'000'000}, u64{1'000'000'000'000'000'000}}) {
      const u64 lo = base + rng() % base;
      windows.push_back({lo, lo + 1000 + rng() % 1000});
    }
    for (const Range& r : windows) {
      const Histogram want = test::oracle_histogram(r, count);
      EXPECT_EQ(run(factor, r), want) << describe(r, count);
      EXPECT_EQ(run(hybrid, r), want) << describe(r, count);
      if (r.hi <= 3000) {
        EXPECT_EQ(run(near_one, r), want) << describe(r, count);
      }
    }
  }
}

TEST(FactorKernels, HybridAtEveryBoundAgainstTheSieve) {
  // Bounds from below the window's primes to kMaxBound, on windows spanning several hybrid
  // windows (kWindow numbers) at 10^6, 10^12 and 10^18; the factor kernel on part of each.
  std::mt19937_64 rng(test::test_seed(6405));
  const u64 width = 2 * HybridKernel::kWindow + 777;
  for (const u64 base : {u64{1'000'000}, u64{1'000'000'000'000}, u64{1'000'000'000'000'000'000}}) {
    const u64 lo = base + rng() % base;
    const Range r{lo, lo + width - 1};
    for (const Count count : kCounts) {
      const Histogram want = sieve_histogram(r, count);
      // At 10^18 a bound of 3 leaves all the work to factor64: fewer bounds there.
      const std::vector<u64> bounds =
          base < 1'000'000'000'000'000'000
              ? std::vector<u64>{0, 3, 100, u64{1} << 10, 5000, u64{1} << 16}
              : std::vector<u64>{0, 1000, u64{1} << 16};
      // A chunk of exactly one window takes the path without carried offsets, one more number
      // the carried one; the same kernel then counts both, in turns.
      const Range one{r.lo, r.lo + HybridKernel::kWindow - 1};
      const Range two{r.lo + 1, r.lo + HybridKernel::kWindow + 1};
      const Histogram want_one = sieve_histogram(one, count),
                      want_two = sieve_histogram(two, count);
      for (const u64 bound : bounds) {
        HybridKernel hybrid(count, r.hi, bound);
        EXPECT_EQ(run(hybrid, r), want) << describe(r, count) << " bound " << bound;
        EXPECT_EQ(run(hybrid, one), want_one) << describe(one, count) << " bound " << bound;
        EXPECT_EQ(run(hybrid, two), want_two) << describe(two, count) << " bound " << bound;
        EXPECT_EQ(run(hybrid, one), want_one) << describe(one, count) << " bound " << bound;
      }
      const Range part{r.lo, r.lo + 4999};
      FactorKernel factor(count);
      EXPECT_EQ(run(factor, part), sieve_histogram(part, count)) << describe(part, count);
    }
  }
}

TEST(FactorKernels, TopOfTheRangeAgainstTheSieve) {
  // One sieve pass at the top visits every prime below 2^32: one window, both counts.
  const Range r{kTop - HybridKernel::kWindow - 4999, kTop};
  for (const Count count : kCounts) {
    const Histogram want = sieve_histogram(r, count);
    HybridKernel hybrid(count, kTop);
    EXPECT_EQ(run(hybrid, r), want) << describe(r, count);
    HybridKernel small(count, kTop, 1000);
    EXPECT_EQ(run(small, r), want) << describe(r, count);
    FactorKernel factor(count);
    EXPECT_EQ(run(factor, r), want) << describe(r, count);
  }
}

TEST(FactorKernels, SplitsAndClonesDoNotChangeTheHistogram) {
  std::mt19937_64 rng(test::test_seed(6406));
  for (const Range whole : {Range{999'999'000'000, 999'999'000'000 + 3 * HybridKernel::kWindow},
                            Range{kTop - 50000, kTop}}) {
    for (const Count count : kCounts) {
      HybridKernel hybrid(count, whole.hi);
      FactorKernel factor(count);
      const Histogram once = run(hybrid, whole);
      EXPECT_EQ(once.total(), whole.size());
      auto hybrid_clone = hybrid.clone();
      auto factor_clone = factor.clone();
      Histogram pieces_hybrid, pieces_factor;
      for (u64 a = whole.lo;;) {
        const u64 step = 1 + rng() % 20000;
        const bool last = whole.hi - a < step;
        const Range piece{a, last ? whole.hi : a + step - 1};
        hybrid_clone->count(piece, pieces_hybrid);
        if (whole.hi == kTop) factor_clone->count(piece, pieces_factor);
        if (last) break;
        a += step;
      }
      EXPECT_EQ(pieces_hybrid, once) << describe(whole, count);
      if (whole.hi == kTop) {
        EXPECT_EQ(pieces_factor, once) << describe(whole, count);
      }
    }
  }
}

}  // namespace
}  // namespace numfactors
