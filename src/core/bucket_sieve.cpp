/// @file bucket_sieve.cpp
#include "core/bucket_sieve.hpp"

#include <sys/mman.h>

#include <bit>
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

void Buckets::reset(u64 max_stride) {
  for (Bucket& b : ring_) {
    for (Block* block = b.head; block != nullptr;) {
      Block* const next = block->next;
      release(block);
      block = next;
    }
  }
  ring_.assign(std::bit_ceil(max_stride + 1), Bucket{});
  mask_ = ring_.size() - 1;
}

Buckets::Block* Buckets::append_block(Bucket& b) {
  if (free_ == nullptr) {
    Block* const slab = static_cast<Block*>(slabs_.add());
    for (std::size_t i = 0; i < Slabs::kSlabBytes / sizeof(Block); ++i) release(slab + i);
  }
  Block* const block = free_;
  free_ = block->next;
  block->next = nullptr;
  block->size = 0;
  if (b.tail == nullptr)
    b.head = block;
  else
    b.tail->next = block;
  b.tail = block;
  return block;
}

void HitLists::reset(std::size_t lists) {
  for (std::size_t i = 0; i < head_.size(); ++i) drain(i, [](std::uint16_t) {});
  cursor_.assign(lists, 0);
  head_.assign(lists, nullptr);
}

void HitLists::append_block(std::size_t list) {
  if (free_ == nullptr) {
    Block* const slab = static_cast<Block*>(slabs_.add());
    for (std::size_t i = 0; i < Slabs::kSlabBytes / sizeof(Block); ++i) release(slab + i);
  }
  Block* const block = free_;
  free_ = block->next;
  block->next = nullptr;
  if (cursor_[list] == 0)
    head_[list] = block;
  else  // the cursor is at the end of the list's last block
    reinterpret_cast<Block*>(cursor_[list] - kBlockBytes)->next = block;
  cursor_[list] = reinterpret_cast<std::uintptr_t>(block->entries);
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
