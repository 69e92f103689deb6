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

#include <bit>
#include <cstdint>
#include <vector>

#include "core/sieve_cells.hpp"

namespace numfactors::sieve {

/// One prime waiting for its next multiple: the prime, and its offset in the target segment (low
/// kOffsetBits) with the word its hit adds to a cell above it (a count and the prime's log
/// weight: at most 2^10 + 15 * 32 < 2^12).
struct BucketEntry {
  std::uint32_t prime;
  std::uint32_t offset_word;
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
  std::size_t bytes() const { return slabs_.size() * kSlabBytes; }

 private:
  std::vector<void*> slabs_;
};

/// Lists of entries in pooled blocks of kBlockBytes (aligned to their size, reused from list to
/// list): the storage of the buckets and of the hit lists. A push reads and writes only its
/// list's cursor (a dense array, in L1) and the entry: a block is full when the cursor reaches a
/// block boundary, so no block header is read on the way. Memory: the entries held, rounded up
/// to whole blocks, in 2 MiB slabs kept for reuse.
template <class Entry, std::size_t kBlockBytes>
class BlockLists {
 public:
  BlockLists() = default;
  BlockLists(const BlockLists&) = delete;
  BlockLists& operator=(const BlockLists&) = delete;

  /// Empties every list and makes `lists` of them.
  void reset(std::size_t lists) {
    for (std::size_t i = 0; i < head_.size(); ++i) drain(i, [](const Entry&) {});
    cursor_.assign(lists, 0);
    head_.assign(lists, nullptr);
  }
  std::size_t size() const { return head_.size(); }
  /// The memory held: the slabs and the lists' cursors and heads.
  std::size_t bytes() const {
    return slabs_.bytes() + cursor_.capacity() * sizeof(std::uintptr_t) +
           head_.capacity() * sizeof(Block*);
  }

  void push(std::size_t list, const Entry& e) {
    std::uintptr_t c = cursor_[list];
    if ((c & (kBlockBytes - 1)) == 0) c = append_block(list);
    *reinterpret_cast<Entry*>(c) = e;
    cursor_[list] = c + sizeof(Entry);
  }

  /// Calls f(entry) for every entry of `list`, then empties it. f may push to other lists, never
  /// to this one.
  template <class F>
  void drain(std::size_t list, F&& f) {
    drain_runs(list, [&f](const Entry* e, const Entry* end) {
      for (; e < end; ++e) f(*e);
    });
  }

  /// The same a run of consecutive entries at a time: g(begin, end) for each block's entries.
  template <class G>
  void drain_runs(std::size_t list, G&& g) {
    Block* block = head_[list];
    const std::uintptr_t end_of_last = cursor_[list];  // f never pushes here: read once
    head_[list] = nullptr;
    cursor_[list] = 0;
    while (block != nullptr) {
      Block* const next = block->next;
      const Entry* const end = next != nullptr ? block->entries + kBlockEntries
                                               : reinterpret_cast<const Entry*>(end_of_last);
      g(static_cast<const Entry*>(block->entries), end);
      block->next = free_;
      free_ = block;
      block = next;
    }
  }

 private:
  static constexpr std::size_t kBlockEntries = (kBlockBytes - sizeof(void*)) / sizeof(Entry);
  struct alignas(kBlockBytes) Block {
    Block* next;
    Entry entries[kBlockEntries];
  };
  static_assert(sizeof(Block) == kBlockBytes && Slabs::kSlabBytes % kBlockBytes == 0);

  /// Gives `list` a new last block; returns the cursor, at its first entry.
  std::uintptr_t append_block(std::size_t list) {
    if (free_ == nullptr) {
      Block* const slab = static_cast<Block*>(slabs_.add());
      for (std::size_t i = 0; i < Slabs::kSlabBytes / kBlockBytes; ++i) {
        slab[i].next = free_;
        free_ = &slab[i];
      }
    }
    Block* const block = free_;
    free_ = block->next;
    block->next = nullptr;
    if (cursor_[list] == 0)
      head_[list] = block;
    else  // the cursor is at the end of the list's last block
      reinterpret_cast<Block*>(cursor_[list] - kBlockBytes)->next = block;
    return cursor_[list] = reinterpret_cast<std::uintptr_t>(block->entries);
  }

  /// The address of each list's next entry; 0 (a block boundary, so "full") when the list has no
  /// block.
  std::vector<std::uintptr_t> cursor_;
  std::vector<Block*> head_;
  Slabs slabs_;
  Block* free_ = nullptr;
};

/// The buckets: a ring of lists indexed by segment modulo a power of two above the longest
/// stride.
class Buckets {
 public:
  /// Empties every bucket; the ring gets at least `max_stride + 1` buckets.
  void reset(u64 max_stride) {
    const std::size_t size = std::bit_ceil(max_stride + 1);
    lists_.reset(size);
    mask_ = size - 1;
  }

  void push(u64 segment, BucketEntry e) { lists_.push(segment & mask_, e); }
  /// push(segment, e) for the bucket segment & mask(), found by the caller: a loop of pushes
  /// keeps the mask in a register, where reading mask_ would follow every push's store.
  void push_to(std::size_t bucket, BucketEntry e) { lists_.push(bucket, e); }
  /// The ring's size - 1: push(s) goes to bucket s & mask().
  std::uint32_t mask() const { return mask_; }
  std::size_t bytes() const { return lists_.bytes(); }

  /// Calls f(entry) for every entry of `segment`'s bucket, then empties it. f may push entries to
  /// other segments (never to this one: strides are at least one segment and shorter than the
  /// ring).
  template <class F>
  void drain(u64 segment, F&& f) {
    lists_.drain(segment & mask_, f);
  }
  /// The same a run of consecutive entries at a time (BlockLists::drain_runs).
  template <class G>
  void drain_runs(u64 segment, G&& g) {
    lists_.drain_runs(segment & mask_, g);
  }

 private:
  BlockLists<BucketEntry, 8192> lists_;
  // Not a u64: a push stores a cursor (a uintptr_t, the same type as u64), which could alias a
  // u64 mask and make every push read it again.
  std::uint32_t mask_ = 0;
};

/// The hits of one pass by the primes too large to carry from segment to segment (each hits a
/// pass a few times at most, most of them never): one list per 2^16 cells of the pass, an entry
/// the 16-bit offset of a hit inside its list's cells. The word a hit adds is the same for all
/// (the caller's: a count and a lower bound of every such prime's weight), so an entry holds no
/// prime and no weight: 2 bytes a hit, where a bucket entry takes 8.
class HitLists {
 public:
  static constexpr unsigned kLog2ListCells = 16;

  /// Empties every list; offsets up to lists * 2^16 - 1 may be pushed.
  void reset(std::size_t lists) { lists_.reset(lists); }
  std::size_t size() const { return lists_.size(); }
  std::size_t bytes() const { return lists_.bytes(); }

  void push(u64 offset) {
    lists_.push(offset >> kLog2ListCells, static_cast<std::uint16_t>(offset));
  }

  /// Calls f(offset inside the list's cells) for every entry of list `list`, then empties it.
  template <class F>
  void drain(std::size_t list, F&& f) {
    lists_.drain(list, f);
  }
  /// The same a run of consecutive entries at a time (BlockLists::drain_runs).
  template <class G>
  void drain_runs(std::size_t list, G&& g) {
    lists_.drain_runs(list, g);
  }

 private:
  BlockLists<std::uint16_t, 4096> lists_;
};

/// offsets[i] = the distance from a up to the first multiple of primes[i] at or after a, for
/// 2^22 <= primes[i] < 2^32 (any a). One double division a prime instead of an integer one (the
/// price every large prime pays per pass), vectorized for the running CPU where it can be.
void first_multiple_offsets(u64 a, const std::uint32_t* primes, std::size_t n,
                            std::uint32_t* offsets);

/// For a < 2^53 and primes[i] < 2^26.5 (so that a, p and p^2 are exact doubles): offsets[i] and
/// square_offsets[i] = the distances from a up to the first multiples of primes[i] and of its
/// square. The price each sieving prime pays per chunk, two double divisions instead of two
/// integer ones, vectorized for the running CPU where it can be.
void first_multiple_offsets_exact(u64 a, const std::uint32_t* primes, std::size_t n, u64* offsets,
                                  u64* square_offsets);

/// For primes >= cells (each hits [a, a + cells) once at most; 2^22 <= primes[i] < 2^32): writes
/// the offsets of those that hit to hits[0..k) in no particular order and returns k. With
/// AVX-512 the offsets are found and gathered 8 primes at a time without a branch (a prime near
/// 2^32 hits a pass of 2^27 cells one time in 32: no predictor learns which).
std::size_t single_hits(u64 a, const std::uint32_t* primes, std::size_t n, u64 cells,
                        std::uint32_t* hits);

}  // namespace numfactors::sieve
