/// @file bucket_sieve.cpp
#include "core/bucket_sieve.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace numfactors::sieve {

Slabs::~Slabs() {
  for (void* slab : slabs_) std::free(slab);
}

void* Slabs::add() {
  void* const slab = std::aligned_alloc(kSlabBytes, kSlabBytes);
  if (slab == nullptr) throw std::bad_alloc();
  // Only a hint: without huge pages the blocks work the same, with more TLB misses.
  (void)madvise(slab, kSlabBytes, MADV_HUGEPAGE);
  slabs_.push_back(slab);
  return slab;
}

/// Why the double quotient is within one of floor(a / p), for 2^22 <= p < 2^32 and a < 2^64:
/// (double)a is within 2^10 of a (half a unit in the last place below 2^64), so a / p moves by at
/// most 2^10 / 2^22; the quotient, below 2^42, is rounded by at most 2^-11. Both together are
/// far below 1, so trunc(q) is floor(a / p) - 1, floor(a / p) or floor(a / p) + 1, and
/// a - trunc(q) * p (formed mod 2^64, its true value in [-p, 2p), far inside int64) needs one
/// correction either way.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
first_multiple_offsets(u64 a, const std::uint32_t* primes, std::size_t n, std::uint32_t* offsets) {
  const double da = static_cast<double>(a);
  for (std::size_t i = 0; i < n; ++i) {
    const auto p = static_cast<std::int64_t>(primes[i]);
    const auto q = static_cast<std::int64_t>(da / static_cast<double>(p));
    auto r = static_cast<std::int64_t>(a - static_cast<u64>(q) * static_cast<u64>(p));
    r += r < 0 ? p : 0;
    r -= r >= p ? p : 0;
    offsets[i] = static_cast<std::uint32_t>(r == 0 ? 0 : p - r);
  }
}

}  // namespace numfactors::sieve
