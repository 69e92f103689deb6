/// @file analytic_pi_bits.hpp
/// @brief pi(v) for v <= r from one bit per odd number: 16 bytes per 128 numbers.
///
/// The walk reads pi(v) for v <= sqrt(N) about N^(3/4) / log N times in no cache-friendly order;
/// a 32-bit count for every odd v (63 MiB at N = 10^15) misses the caches on most reads, this
/// table (4 MiB there) mostly hits them. A word holds the flags of the odd numbers
/// 128 w + 1, 128 w + 3, ..., 128 w + 127 and the number of odd primes below 128 w + 1.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "core/range.hpp"

namespace nf {

class PrimeBits {
 public:
  PrimeBits() = default;

  /// From the primes <= limit in increasing order (others are ignored).
  PrimeBits(const std::vector<std::uint32_t>& primes, u64 limit) : words_(limit / 128 + 1) {
    for (const std::uint32_t p : primes) {
      if (p > limit) break;
      if (p == 2) continue;
      const u64 t = p >> 1;  // odd p = 2 t + 1
      words_[t >> 6].bits |= u64{1} << (t & 63);
    }
    std::uint32_t below = 0;  // < 2^32: pi(2^32) fits
    for (Word& w : words_) {
      w.below = below;
      below += static_cast<std::uint32_t>(std::popcount(w.bits));
    }
  }

  /// Number of odd primes <= v, for 1 <= v <= limit.
  u64 odd_pi(u64 v) const {
    const u64 t = (v - 1) >> 1;  // the largest odd number <= v is 2 t + 1
    const Word& w = words_[t >> 6];
    return w.below + static_cast<u64>(std::popcount(w.bits & (~u64{0} >> (63 - (t & 63)))));
  }

  u64 bytes() const { return words_.size() * sizeof(Word); }

 private:
  struct alignas(16) Word {
    u64 bits = 0;
    std::uint32_t below = 0;
  };
  std::vector<Word> words_;
};

}  // namespace nf
