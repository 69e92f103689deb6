/// @file sieve_cells.hpp
/// @brief What a sieve cell holds, the integer log weights, and why the one-division-free test for
/// the prime factor above sqrt(hi) is exact.
///
/// A cell is 16 bits: the factors found so far in bits 10..15 (Omega(n) <= 63 fits in 6 bits) and,
/// in bits 0..9, the sum of w(p) over every prime power p^j (j >= 1) dividing n that was sieved,
/// where w(p) is a lower bound of kLogScale * log2(p) within kWeightError (see weight_of). One add
/// of a precomputed word records a hit, so a hit costs one 16-bit read-modify-write.
///
/// Exactness (the threshold test, see segment_threshold). Let all primes <= R be sieved into a
/// segment [a, b] with b < (R+1)^2. For n in [a, b] let s(n) be the part of n made of those primes
/// and S(n) the cell's log sum. Then n / s(n) is 1 or a single prime q >= R+1 (two such primes
/// would exceed b). With T <= 63 prime-power terms in s(n) and 0 <= error per term < kWeightError:
///   q absent:  S = c*log2(n) - E  >  c*log2(a) - 63*kWeightError
///   q present: S <= c*log2(n/q)   <= c*log2(b) - c*log2(R+1)   (equal only for n = b, q = R+1)
/// (c = kLogScale). With t = floor(c*log2(b) - c*log2(R+1)) + 1 > that bound, every "present"
/// cell has S < t.
/// If also t <= c*log2(a) - 63*kWeightError, no "absent" cell does, so "S < t" is exactly "q
/// present". That holds when c*log2(R+1) - c*log2(b/a) >= 63*kWeightError + 2 (kExactMargin, with
/// room for rounding of the long double logs); segments that fail it (only those with a tiny
/// start, a < ~2^11 sqrt-wise) take the exact product path instead. The sum never carries into
/// the count bits: S <= c*log2(n) < 15*64 = 960 < 1024.
///
/// Coarser weights. A pass may add one word for all its large primes p > P (bucket_sieve.hpp,
/// HitLists): the count and w(P+1), a lower bound of each one's c*log2(p), at most
/// e = c*log2(R+1) - w(P+1) below it. With P >= 2^22 > 2^(64/3) a number below 2^64 has at most
/// two such primes, so E grows by at most 2e: "q absent" gives S > c*log2(a) - 63*kWeightError
/// - 2e, and the margin needed grows by 2e (extra_error below). "q present" is unchanged: the
/// words stay lower bounds.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "numfactors/histogram.hpp"

namespace numfactors::sieve {

using Cell = std::uint16_t;

constexpr unsigned kCountShift = 10;
constexpr Cell kCountUnit = Cell{1} << kCountShift;
constexpr Cell kLogMask = kCountUnit - 1;
constexpr unsigned kLogScale = 15;
/// Per-term bound on c*log2(p) - w(p): at most 1 + 1e-9 from flooring (a value that is exactly an
/// integer, as at powers of two, loses a whole unit to the hair taken off in weight_table_entry)
/// plus < c*log2(1 + 1/256) = 0.085 from reading only 8 mantissa bits; 1.1 covers both.
constexpr double kWeightError = 1.1;
constexpr double kExactMargin = 63 * kWeightError + 2;

/// floor(c * (k + log2(1 + m/256))) - with a hair taken off so that rounding of log2 never lifts
/// it above the true value - for k < 64, m < 256: a lower bound of c*log2(p) for every p whose
/// leading bit is k and next 8 bits are m.
std::uint16_t weight_table_entry(unsigned k, unsigned m);

/// The table behind weight_of: entry m is weight_table_entry(1, m). Since c*k is an integer,
/// weight_table_entry(k, m) = entry m + c*(k - 1) for every k >= 1 (a test checks all 63 * 256),
/// so 256 logs at start-up do instead of 16384 (those took longer than the default job's sieve).
/// Filled by a dynamic initializer before main (no guard on each use), so no kernel may be made
/// by another file's static initializer.
extern const std::array<std::uint16_t, 256> kWeightTable;

/// w(p): a lower bound of kLogScale * log2(p), at most kWeightError below it (p >= 2).
inline std::uint16_t weight_of(u64 p) {
  const unsigned k = static_cast<unsigned>(std::bit_width(p)) - 1;
  const unsigned m = k >= 8 ? static_cast<unsigned>(p >> (k - 8)) & 255u
                            : static_cast<unsigned>(p << (8 - k)) & 255u;
  return static_cast<std::uint16_t>(kWeightTable[m] + kLogScale * (k - 1));
}

/// The threshold t for segment [a, b] with all primes <= R sieved (b < (R+1)^2), or -1 when the
/// margin of the proof above is not met and the segment must be counted exactly another way.
/// extra_error: how much more than 63*kWeightError the log sums may fall short (the coarse
/// weights above: 2e).
int segment_threshold(u64 a, u64 b, u64 R, double extra_error = 0);

}  // namespace numfactors::sieve
