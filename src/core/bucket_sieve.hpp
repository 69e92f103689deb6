/// @file bucket_sieve.hpp
/// @brief Bucket sieving for primes longer than a segment: each such prime hits a segment at most
/// once, so instead of visiting every prime in every segment (a division each), a prime waits in
/// the bucket of the segment holding its next multiple and is touched only when it hits.
///
/// Buckets form a ring indexed by segment number modulo a power of two larger than the longest
/// stride (R / L + 1 segments), so a push never lands in the bucket being drained. Entries live in
/// pooled fixed-size blocks reused across segments and chunks: memory is the number of primes in
/// flight (at most one entry each) times 8 bytes, rounded up to whole blocks.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/sieve_cells.hpp"

namespace nf::sieve {

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
    if (b.tail == kNone || blocks_[b.tail].size == kBlockEntries) append_block(b);
    Block& block = blocks_[b.tail];
    block.entries[block.size++] = e;
  }

  /// Calls f(entry) for every entry of `segment`'s bucket, then empties it. f may push entries to
  /// other segments (never to this one: strides are at least one segment and shorter than the ring).
  template <class F>
  void drain(u64 segment, F&& f) {
    Bucket& b = ring_[segment & mask_];
    std::uint32_t block = b.head;
    b = Bucket{};
    while (block != kNone) {
      const Block& blk = blocks_[block];  // a deque element: pushes by f do not move it
      const std::uint32_t size = blk.size;  // f never pushes to this bucket: read once
      for (std::uint32_t i = 0; i < size; ++i) f(blk.entries[i]);
      const std::uint32_t next = blk.next;
      release(block);
      block = next;
    }
  }

  /// Bytes held by the pool (for tests and reports).
  std::size_t pooled_bytes() const { return blocks_.size() * sizeof(Block); }

 private:
  static constexpr std::uint32_t kBlockEntries = 1024;
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  struct Block {
    BucketEntry entries[kBlockEntries];
    std::uint32_t next;  // the next block of the same bucket, or kNone
    std::uint32_t size;  // entries used
  };
  struct Bucket {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
  };

  void append_block(Bucket& b);
  void release(std::uint32_t block) {
    blocks_[block].next = free_;
    free_ = block;
  }

  std::vector<Bucket> ring_;
  std::deque<Block> blocks_;
  std::uint32_t free_ = kNone;
  u64 mask_ = 0;
};

}  // namespace nf::sieve
