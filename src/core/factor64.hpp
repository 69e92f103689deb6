/// @file factor64.hpp
/// @brief omega(n) and Omega(n) of one 64-bit n without sieving: trial division by the small
/// primes, a deterministic primality test (BPSW), Pollard-Brent rho and ECM in Montgomery
/// arithmetic.
///
/// Exact for every n in [1, 2^64-1]. The building blocks the hybrid kernel needs (the exact
/// division test and the count of a cofactor free of small primes) are public too.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// Divisibility by an odd d without dividing. For odd d, `inverse` * d == 1 mod 2^64, and
/// n -> n * inverse mod 2^64 maps each multiple of d to n / d, in [0, floor((2^64-1)/d)], and
/// every other n above that bound: d | n iff n * inverse <= limit, the quotient then n * inverse.
struct OddDivisor {
  u64 inverse = 1;
  u64 limit = ~u64{0};

  /// d must be odd.
  static constexpr OddDivisor of(u64 d) { return {inverse_of(d), ~u64{0} / d}; }
  /// d^-1 mod 2^64 for odd d: (3d) xor 2 is right in its 5 low bits, and each Newton step
  /// x (2 - d x) doubles them: 4 steps give 80 >= 64.
  static constexpr u64 inverse_of(u64 d) {
    u64 inv = (3 * d) ^ 2;
    for (int i = 0; i < 4; ++i) inv *= 2 - d * inv;
    return inv;
  }
  constexpr bool divides(u64 n) const { return n * inverse <= limit; }
  /// n / d, exact when d | n.
  constexpr u64 exact_quotient(u64 n) const { return n * inverse; }
};

/// Deterministic for every n < 2^64 (BPSW; the reason it is proven is in factor64.cpp).
bool is_prime_u64(u64 n);

/// The two halves of BPSW, for tests: the strong probable-prime test to base 2 (odd n > 2), and
/// the strong Lucas test with Selfridge's parameters (odd n > 50, not a square, no prime factor
/// below 50). A prime passes both; the composites that pass one are its pseudoprimes.
bool is_strong_probable_prime_base2(u64 n);
bool is_strong_lucas_probable_prime(u64 n);

/// omega(n) (Count::distinct) or Omega(n) (Count::total); 0 for n = 1. n must be >= 1.
unsigned factor_count(u64 n, Count count);

/// The prime factors of n >= 1 and their exponents, primes ascending. At most 15 distinct
/// primes: the product of the first 16 primes exceeds 2^64.
struct Factorization {
  static constexpr unsigned kMaxPrimes = 15;
  std::array<u64, kMaxPrimes> primes{};
  std::array<unsigned, kMaxPrimes> exponents{};
  unsigned size = 0;
};
Factorization factorize(u64 n);

/// omega(m) or Omega(m) for an m >= 1 with no prime factor below `rough` (2 <= rough <= 2^32):
/// the cofactor left once the primes below `rough` are divided out. Uses that an m < rough^2 is 1
/// or prime, and that a composite m < rough^3 is a product of exactly two primes.
unsigned rough_factor_count(u64 m, u64 rough, Count count);

/// rough_factor_count of each of m[0..size) into counts[0..size), for one `rough`: the same
/// results, faster per number, the primality tests of several numbers interleaved.
void rough_factor_counts(const u64* m, std::size_t size, u64 rough, Count count, unsigned* counts);

}  // namespace numfactors
