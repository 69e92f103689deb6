/// @file wheel.hpp
/// @brief The 6-wheel: a range near 1 counted through the numbers coprime to 6.
///
/// Every n >= 1 is n = 2^a 3^b m in exactly one way with gcd(m, 6) = 1, and
/// omega(n) = omega(m) + [a > 0] + [b > 0] (Omega(n) = Omega(m) + a + b). So, with d = 2^a 3^b,
/// the n of [lo, hi] are exactly the d * m with d <= hi and (lo-1)/d < m <= hi/d (floors; an
/// integer m satisfies d*m in [lo, hi] iff floor((lo-1)/d) < m <= floor(hi/d)). Counting m once,
/// with the weight w_s(m) = #{d with shift s(d) whose interval holds m}, gives hist[lo, hi]
/// exactly: sum over m of w_s(m) * [key(m) = k - s]. The weights are piecewise constant in m and
/// change only at the breakpoints floor(hi/d) + 1 and floor((lo-1)/d) + 1 (~2 log2(hi) log3(hi) / 2
/// of them, 700 for hi = 10^10, nearly all at small m).
///
/// Cells: the m coprime to 6 are 1, 5, 7, 11, 13, ...; cell i holds m = 3i + 1 + (i & 1), and
/// m's cell is floor(m / 3). Sieving them instead of every number costs a third of the cells and
/// of the hits (a prime p >= 5 divides the same share 1/p of them).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors::wheel {

/// The largest hi the wheel takes: strides 2p of primes p <= sqrt(hi) must fit the sieve's 32-bit
/// entries (2 * 2^31 = 2^32 would not), and 3 * cell + 2 must not wrap.
constexpr u64 kMaxHi = (u64{1} << 62) - 1;

/// m of cell i (i < 2^62 / 3 + 1, so no wrap).
inline u64 m_of(u64 cell) { return 3 * cell + 1 + (cell & 1); }
/// How many m coprime to 6 are <= x; also the cell of the first such m > x.
inline u64 cells_upto(u64 x) { return 2 * (x / 6) + (x % 6 >= 1) + (x % 6 >= 5); }

/// The cells of the first multiples of q (gcd(q, 6) = 1, q <= kMaxHi): m = q k with k = 1 or 5
/// (mod 6) sit at cells q/3 and 5q/3 (formed as q + 2q/3, without wrapping), then every 2q cells.
inline std::array<u64, 2> multiple_cells(u64 q) { return {q / 3, q + 2 * q / 3}; }

/// The offsets from cell a to the first cells at or after a that hold multiples of q (as
/// multiple_cells), from one division.
inline std::array<u64, 2> multiple_offsets(u64 a, u64 q) {
  const u64 stride = 2 * q;
  const u64 r = a % stride;
  std::array<u64, 2> o = multiple_cells(q);  // both < stride
  for (u64& c : o) c = c >= r ? c - r : c + stride - r;
  return o;
}

/// Whether the wheel pays for [lo, hi]: it sieves the hi / 3 cells of [1, hi] instead of the
/// hi - lo + 1 numbers, so it wins when lo - 1 < 2 hi / 3; windows far from 1 stay direct.
bool pays_for(const Range& r);

/// The weights of a target range [lo, hi] over m: one entry per d = 2^a 3^b <= hi.
class Target {
 public:
  /// r.hi <= kMaxHi. `count` sets the shift: [a > 0] + [b > 0] (distinct) or a + b (total).
  Target(const Range& r, Count count);

  const Range& range() const { return range_; }

  /// w[s] = the weight of shift s at m (every other entry 0); returns the smallest m' > m at which
  /// some weight changes (~0 when none does up to hi).
  u64 weights_at(u64 m, std::array<u64, 64>& w) const;

  /// Numbers n of [lo, hi] whose m lies in [ma, mb]: the total of that m-range's histogram. O(#d).
  u64 numbers_in(u64 ma, u64 mb) const;

 private:
  struct Divisor {
    u64 low;    // floor((lo - 1) / d): m must exceed it
    u64 high;   // floor(hi / d): m must not exceed it
    unsigned shift;
  };
  Range range_;
  std::vector<Divisor> divisors_;
};

/// Exact keys (omega(m) or Omega(m)) of the cells [first, first + len): the plain product sieve
/// in cell space, for the segments near 1 where the log-threshold test has no margin. `primes`
/// holds every prime <= sqrt(m of the last cell), ascending. Cost: a multiply per hit.
void exact_keys(u64 first, std::size_t len, std::span<const std::uint32_t> primes, Count count,
                std::uint8_t* keys);

}  // namespace numfactors::wheel
