/// @file bucket_sieve.hpp
/// @brief Bucket sieving for primes longer than a segment: each such prime hits a segment at most
/// once, so instead of visiting every prime in every segment (a division each), a prime waits in
/// the bucket of the segment holding its next multiple and is touched only when it hits.
///
/// Buckets form a ring indexed by segment number modulo a power of two larger than the longest
/// stride (R / L + 1 segments), so a push never lands in the bucket being drained. Entries live in
/// pooled fixed-size blocks (8 KB) reused across segments and chunks: memory is the number of
/// primes in flight (at most one entry each) times 8 bytes, rounded up to whole blocks.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/sieve_cells.hpp"

namespace numfactors::sieve {

/// One prime waiting for its next multiple: the prime, and its offset in the target segment (low
/// kOffsetBits) with the prime's log weight above it.
struct BucketEntry {
  std::uint32_t prime;
  std::uint32_t offset_weight;
};

constexpr unsigned kOffsetBits = 20;  // segments are at most 2^20 cells
constexpr std::uint32_t kOffsetMask = (std::uint32_t{1} << kOffsetBits) - 1;

class Buckets {
 public:
  /// Empties every bucket; the ring gets at least `max_stride + 1` buckets.
  void reset(u64 max_stride);

  void push(u64 segment, BucketEntry e) {
    Bucket& b = ring_[segment & mask_];
    Block* tail = b.tail;
    if (tail == nullptr || tail->size == kBlockEntries) tail = append_block(b);
    tail->entries[tail->size++] = e;
  }

  /// Calls f(entry) for every entry of `segment`'s bucket, then empties it. f may push entries to
  /// other segments (never to this one: strides are at least one segment and shorter than the
  /// ring).
  template <class F>
  void drain(u64 segment, F&& f) {
    Bucket& b = ring_[segment & mask_];
    Block* block = b.head;
    b = Bucket{};
    while (block != nullptr) {
      const std::uint32_t size = block->size;  // f never pushes to this bucket: read once
      for (std::uint32_t i = 0; i < size; ++i) f(block->entries[i]);
      Block* const next = block->next;
      release(block);
      block = next;
    }
  }

 private:
  static constexpr std::uint32_t kBlockEntries = 1023;
  static constexpr std::size_t kSlabBlocks = 64;  // blocks are allocated 64 at a time (512 KB)
  struct Block {
    Block* next;         // the next block of the same bucket, or of the free list
    std::uint32_t size;  // entries used
    BucketEntry entries[kBlockEntries];
  };
  struct Bucket {
    Block* head = nullptr;
    Block* tail = nullptr;
  };

  Block* append_block(Bucket& b);
  void release(Block* block) {
    block->next = free_;
    free_ = block;
  }

  std::vector<Bucket> ring_;
  std::vector<std::unique_ptr<Block[]>> slabs_;  // stable addresses: pushes never move a block
  Block* free_ = nullptr;
  u64 mask_ = 0;
};

}  // namespace numfactors::sieve
