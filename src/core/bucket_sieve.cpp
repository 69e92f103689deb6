/// @file bucket_sieve.cpp
#include "core/bucket_sieve.hpp"

#include <bit>

namespace numfactors::sieve {

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
    slabs_.push_back(std::make_unique<Block[]>(kSlabBlocks));
    for (std::size_t i = 0; i < kSlabBlocks; ++i) release(&slabs_.back()[i]);
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

}  // namespace numfactors::sieve
