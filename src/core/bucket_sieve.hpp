/// @file bucket_sieve.hpp
/// @brief Bucket sieving for primes longer than a segment: each such prime hits a segment at most
/// once, so instead of visiting every prime in every segment (a division each), a prime waits in
/// the bucket of the segment holding its next multiple and is touched only when it hits. The
/// largest primes, which hit a pass a few times at most, are not carried at all: their hits of a
/// pass are listed alone, in 16 bits each (HitLists).
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

/// Memory for blocks, 2 MiB at a time, on huge pages where the kernel grants them
/// (madvise(MADV_HUGEPAGE)): a pass pushes into thousands of blocks at once, and on 4 KB pages
/// nearly every push would miss the TLB.
class Slabs {
 public:
  static constexpr std::size_t kSlabBytes = std::size_t{2} << 20;
  Slabs() = default;
  Slabs(const Slabs&) = delete;
  Slabs& operator=(const Slabs&) = delete;
  ~Slabs();
  /// A new slab of kSlabBytes, aligned to kSlabBytes.
  void* add();

 private:
  std::vector<void*> slabs_;
};

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
  Slabs slabs_;  // stable addresses: pushes never move a block
  Block* free_ = nullptr;
  u64 mask_ = 0;
};

/// The hits of one pass by the primes too large to carry from segment to segment (each hits a
/// pass a few times at most, most of them never): one list per 2^16 cells of the pass, an entry
/// the 16-bit offset of a hit inside its list's cells. The word a hit adds is the same for all
/// (the caller's: a count and a lower bound of every such prime's weight), so an entry holds no
/// prime and no weight: 2 bytes a hit, where a bucket entry takes 8. Entries live in pooled 4 KB
/// blocks, reused from pass to pass. A push reads and writes only its list's cursor (a dense
/// array, in L1) and the entry: a block is full when the cursor reaches a 4 KB boundary.
class HitLists {
 public:
  static constexpr unsigned kLog2ListCells = 16;

  /// Empties every list; offsets up to lists * 2^16 - 1 may be pushed.
  void reset(std::size_t lists);
  std::size_t size() const { return cursor_.size(); }

  void push(u64 offset) {
    std::uintptr_t& c = cursor_[offset >> kLog2ListCells];
    if ((c & (kBlockBytes - 1)) == 0) append_block(offset >> kLog2ListCells);
    *reinterpret_cast<std::uint16_t*>(c) = static_cast<std::uint16_t>(offset);
    c += sizeof(std::uint16_t);
  }

  /// Calls f(offset inside the list's cells) for every entry of list `list`, then empties it.
  template <class F>
  void drain(std::size_t list, F&& f) {
    for (Block* block = head_[list]; block != nullptr;) {
      Block* const next = block->next;
      const std::uint16_t* const end = next != nullptr
                                           ? block->entries + kBlockEntries
                                           : reinterpret_cast<const std::uint16_t*>(cursor_[list]);
      for (const std::uint16_t* e = block->entries; e < end; ++e) f(*e);
      release(block);
      block = next;
    }
    head_[list] = nullptr;
    cursor_[list] = 0;
  }

 private:
  static constexpr std::size_t kBlockBytes = 4096;
  static constexpr std::size_t kBlockEntries = (kBlockBytes - sizeof(void*)) / 2;
  struct alignas(kBlockBytes) Block {
    Block* next;
    std::uint16_t entries[kBlockEntries];
  };
  static_assert(sizeof(Block) == kBlockBytes);

  void append_block(std::size_t list);
  void release(Block* block) {
    block->next = free_;
    free_ = block;
  }

  /// The address of each list's next entry; 0 (a multiple of kBlockBytes, so "full") when the
  /// list has no block.
  std::vector<std::uintptr_t> cursor_;
  std::vector<Block*> head_;
  Slabs slabs_;
  Block* free_ = nullptr;
};

/// offsets[i] = the distance from a up to the first multiple of primes[i] at or after a, for
/// 2^22 <= primes[i] < 2^32 (any a). One double division a prime instead of an integer one (the
/// price every large prime pays per pass), vectorized for the running CPU where it can be.
void first_multiple_offsets(u64 a, const std::uint32_t* primes, std::size_t n,
                            std::uint32_t* offsets);

}  // namespace numfactors::sieve
