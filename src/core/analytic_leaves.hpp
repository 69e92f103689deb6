/// @file analytic_leaves.hpp
/// @brief The two innermost loops, a sum of prime counts pi(x / q) over a run of primes q (the
/// walk's leaves) and the table update of a run of 32-bit large keys from small keys.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "numfactors/histogram.hpp"

namespace numfactors {

/// Sum over i in [begin, end) of small[(floor(x / primes[i]) - 1) / 2] (the odd prime counts of
/// the small keys), for x < 2^52 given as the double xd (exact) and every quotient in
/// [1, 2^31). The quotients are exact double divisions (analytic_quotient.hpp, plain_double).
/// Runs four lanes at once on CPUs with AVX2 (the reciprocal sum eight with AVX-512), chosen
/// once at start-up.
u64 small_leaf_sum(const std::uint32_t* small, const std::uint32_t* primes, u64 begin, u64 end,
                   double xd);

/// The same sum for x < 2^51, given as x_half = x + 0.5, with the quotients taken by the primes'
/// inverses (PrimeCountTable::prime_inverses; reciprocal_quotient in analytic_quotient.hpp).
u64 small_leaf_sum_reciprocal(const std::uint32_t* small, const double* inverses, u64 begin,
                              u64 end, double x_half);

/// For d = begin, begin + stride, ... < end: large[d - begin] -= small[(floor(x / d) - 1) / 2]
/// - c, the Lucy_Hedgehog update of 32-bit large keys from small keys, with x = floor(n / p)
/// (floor(x / d) = floor(n / (d p))). x < 2^52 given as the double xd, every quotient in
/// [1, 2^31). Vectorized like small_leaf_sum.
void subtract_small_counts(std::uint32_t* large, const std::uint32_t* small, u64 begin, u64 end,
                           u64 stride, std::uint32_t c, double xd);
/// The same for 64-bit large keys.
void subtract_small_counts(std::uint64_t* large, const std::uint32_t* small, u64 begin, u64 end,
                           u64 stride, std::uint32_t c, double xd);

/// Small keys packed (PrimeCountTable, while rounds change them): block b of 4 words from
/// packed + 4 b holds the odd numbers 2i + 1, i in [64 b, 64 b + 64), the bits (words 0 and 1,
/// bit i - 64 b set where the count rises at i) and the count before the block (word 2). The
/// count of entry i:
inline u64 packed_count(const std::uint32_t* packed, u64 i) {
  const std::uint32_t* block = packed + 4 * (i >> 6);
  std::uint64_t bits = 0;
  std::memcpy(&bits, block, sizeof bits);
  return block[2] + static_cast<u64>(std::popcount(bits & (~std::uint64_t{0} >> (63 - (i & 63)))));
}

/// subtract_small_counts from packed small keys: for d = begin, begin + stride, ... < end,
/// large[d - begin] -= packed_count(packed, (floor(x / d) - 1) / 2) - c. Vectorized with AVX2
/// (a popcount by nibbles) and with AVX-512's own popcount where the CPU has it.
void subtract_packed_counts(std::uint32_t* large, const std::uint32_t* packed, u64 begin, u64 end,
                            u64 stride, std::uint32_t c, double xd);
void subtract_packed_counts(std::uint64_t* large, const std::uint32_t* packed, u64 begin, u64 end,
                            u64 stride, std::uint32_t c, double xd);

/// One build of the loops above.
struct LeafPath {
  const char* name;
  u64 (*leaf_sum)(const std::uint32_t*, const std::uint32_t*, u64, u64, double);
  u64 (*leaf_sum_reciprocal)(const std::uint32_t*, const double*, u64, u64, double);
  void (*subtract32)(std::uint32_t*, const std::uint32_t*, u64, u64, u64, std::uint32_t, double);
  void (*subtract64)(std::uint64_t*, const std::uint32_t*, u64, u64, u64, std::uint32_t, double);
  void (*packed32)(std::uint32_t*, const std::uint32_t*, u64, u64, u64, std::uint32_t, double);
  void (*packed64)(std::uint64_t*, const std::uint32_t*, u64, u64, u64, std::uint32_t, double);
};

/// The builds this CPU runs, baseline first; the functions above call the last. For the tests,
/// which check every one.
std::vector<LeafPath> leaf_paths();

}  // namespace numfactors
