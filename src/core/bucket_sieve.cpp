/// @file bucket_sieve.cpp
#include "core/bucket_sieve.hpp"

#include <bit>

namespace nf::sieve {

void Buckets::reset(u64 max_stride) {
  for (Bucket& b : ring_) {
    for (std::uint32_t block = b.head; block != kNone;) {
      const std::uint32_t next = blocks_[block].next;
      release(block);
      block = next;
    }
  }
  ring_.assign(std::bit_ceil(max_stride + 1), Bucket{});
  mask_ = ring_.size() - 1;
}

void Buckets::append_block(Bucket& b) {
  std::uint32_t block = free_;
  if (block != kNone) {
    free_ = blocks_[block].next;
  } else {
    block = static_cast<std::uint32_t>(blocks_.size());
    blocks_.emplace_back();
  }
  blocks_[block].next = kNone;
  blocks_[block].size = 0;
  if (b.tail == kNone)
    b.head = block;
  else
    blocks_[b.tail].next = block;
  b.tail = block;
}

}  // namespace nf::sieve
