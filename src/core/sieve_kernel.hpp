/// @file sieve_kernel.hpp
/// @brief Segmented sieve for omega(n) / Omega(n) over any window below 2^64.
///
/// A chunk [lo, hi] is counted in passes (each one visit of the sieving primes), a pass in
/// segments of kSegmentCells 16-bit cells (sieve_cells.hpp), a segment in L1 blocks. Each block
/// starts as the sum of the pre-sieve patterns of 2..47 (presieve.hpp) and takes the hits of the
/// moduli <= kBlockedModulusLimit; the other primes (and prime powers) up to about a segment length
/// (kDirectModulusLimit) are sieved once a segment with offsets carried from segment to segment,
/// in bands of equal hit counts; longer primes wait in buckets (bucket_sieve.hpp); powers p^j
/// longer than that are listed per pass (they are rare). The prime above sqrt(hi) is found by the
/// log-sum threshold, exactly.
///
/// The wheel kernel (wheel.hpp) is the same machine over the cells of the m coprime to 6: a
/// modulus q >= 5 hits two progressions of stride 2q there, and each segment's key histogram is
/// added with the target range's weights, shifted by the factors of 2 and 3 (~3x fewer cells).
///
/// Costs (one worker): ~0.7 ns a number near 10^10, where ~1 hit a number from the primes
/// 53..sqrt(hi) dominates; ~2 ns near 10^15 (buckets); near 2^64 each pass also visits every
/// prime up to 2^32 (203M: primesieve generates them, a double division each finds the first
/// multiple), which is why passes there are as long as the memory bound allows.
///
/// Memory per worker: one segment (2 MiB, a huge page), the carried offsets of primes
/// below a segment, bucket entries (8 bytes per carried prime), the large primes' hits of a pass (2
/// bytes each, see pass_plan), the rare power hits of a pass, and the shared table of primes up to
/// min(sqrt(max_hi), kStoredPrimeLimit) (4 bytes each, one copy for all clones). Primes above
/// that limit are generated in pieces per pass and never stored together.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/bucket_sieve.hpp"
#include "core/cell_histogram.hpp"
#include "core/huge_pages.hpp"
#include "core/kernel.hpp"
#include "core/presieve.hpp"
#include "core/wheel.hpp"

namespace numfactors {

class SieveKernel final : public Kernel {
 public:
  /// 2 MiB of cells, twice the L2 of the machines measured: a longer segment carries fewer primes
  /// in buckets, whose entries' traffic costs more than the cells' misses (2^19 and 2^21 were
  /// slower, README).
  static constexpr unsigned kLog2SegmentCells = 20;
  static constexpr std::size_t kSegmentCells = std::size_t{1} << kLog2SegmentCells;
  /// Moduli up to here are sieved directly, once a segment: a segment, or what a direct entry's
  /// 20 bits hold.
  static constexpr std::size_t kDirectModulusLimit =
      std::min(kSegmentCells, std::size_t{sieve::kOffsetMask});
  /// Cells sieved together by the smallest moduli: 32 KB, inside a 48 KB L1.
  static constexpr std::size_t kBlockCells = std::size_t{1} << 14;
  /// Moduli up to here are sieved block by block (several hits a block); larger ones, which
  /// would pay their loop set-up per block for a hit or two, once per segment.
  static constexpr std::size_t kBlockedModulusLimit = std::size_t{1} << 13;
  /// Primes up to here are generated once and shared; 2^26 holds 3.9M primes (16 MB) and covers
  /// every hi < 2^52 without generating any per chunk.
  static constexpr u64 kStoredPrimeLimit = u64{1} << 26;
  /// Chunks that start below here find their primes' first multiples by double division.
  static constexpr u64 kExactDoubleLimit = u64{1} << 53;
  /// Bucket and hit-list memory per worker as pass_plan estimates it, which sets the pass length:
  /// every pass visits every prime <= sqrt(hi), 203M near 2^64. The estimate runs about 10% above
  /// what a worker holds (measured: 2 workers on [2^64-10^9, 2^64-1] peak at 229 MiB with the
  /// shared primes); the budget keeps 2 workers under 256 MiB at any height. Below ~2^50 a pass
  /// is a whole chunk.
  static constexpr double kPassBudgetBytes = 112.0 * (1 << 20);
  /// The smallest large prime (pass_plan): above 2^(64/3), so that a number has at most two
  /// prime factors there, and p^2 is the only power of such a prime below 2^64.
  static constexpr u64 kMinLargeFrom = u64{1} << 24;

  /// How a chunk is cut into passes: `cells` a pass, and the primes above `large_from` (when
  /// below sqrt(hi)) are large: each pass finds their first multiples anew and lists their hits
  /// in 2 bytes each (sieve::HitLists), instead of carrying them in 8-byte bucket entries. A pass
  /// of C cells then holds 8 pi(large_from) + 2 C ln(ln R / ln large_from) bytes (Mertens), least
  /// for large_from = C / 4; the largest C (a power of two times 1, 1.25, 1.5 or 1.75) within
  /// kPassBudgetBytes is taken. The wheel has no
  /// large primes (its R stays small in practice): its passes keep every bucket entry under the
  /// budget.
  struct PassPlan {
    u64 cells;
    u64 large_from;
  };
  static PassPlan pass_plan(u64 root, bool wheel);

  /// The most memory one worker's kernel holds while it counts chunks of at most `chunk_cells`
  /// cells with numbers up to max_hi (the wheel: m up to max_hi): its segment, its direct
  /// entries, and a pass's buckets, hit lists and rare hits, in whole slabs. Over-estimated by a
  /// few MiB at most; the memory its clones share is shared_bytes.
  static u64 worker_bytes(u64 max_hi, u64 chunk_cells, bool wheel);
  /// The memory every clone of a kernel for numbers up to max_hi shares: its stored primes and
  /// pre-sieve patterns.
  static u64 shared_bytes(u64 max_hi);

  /// Generates (with primesieve) the primes <= min(floor(sqrt(max_hi)), kStoredPrimeLimit).
  SieveKernel(Count count, u64 max_hi);
  /// The wheel kernel for `target` (target.hi <= wheel::kMaxHi): count(r) takes a range r of m
  /// (r.hi <= target.hi) and adds omega(n) (Omega(n)) of every n = 2^a 3^b m of the target with
  /// m in r; chunks of [1, target.hi] thus add up to the target's histogram.
  SieveKernel(Count count, const Range& target);

  void count(const Range& r, Histogram& out) override;
  std::unique_ptr<Kernel> clone() const override;
  /// The memory this kernel holds now, beside what its clones share: what worker_bytes bounds.
  u64 held_bytes() const;

 private:
  /// On huge pages: the first touch of millions of primes on 4 KB pages faults a page every 1024
  /// of them (a slow step on virtual machines), and chunks read them all.
  using Primes = std::vector<std::uint32_t, HugePageAllocator<std::uint32_t>>;
  /// pass_plan's estimate of a worker's buckets, hit lists and rare hits for a pass of c cells.
  static double pass_bytes(double c, u64 root, u64 large_from, bool wheel);
  /// `presieve` null: the kernel makes its own (its clones share it, as it is read only).
  SieveKernel(Count count, std::shared_ptr<const Primes> primes, u64 stored_limit,
              std::shared_ptr<const wheel::Target> wheel,
              std::shared_ptr<const sieve::Presieve> presieve = nullptr);

  /// A modulus sieved directly: its next offset carries to the next segment. The modulus (below
  /// 2^20) and its word (below 2^12) share 32 bits as in a bucket entry: 8 bytes an entry instead
  /// of 12, as the ~82 thousand of them near 10^15 stream through the caches once a segment.
  struct DirectEntry {
    std::uint32_t modulus_word;
    std::uint32_t next;
    DirectEntry(u64 modulus, u64 next_offset, sieve::Cell word)
        : modulus_word(static_cast<std::uint32_t>(modulus) |
                       (std::uint32_t{word} << sieve::kOffsetBits)),
          next(static_cast<std::uint32_t>(next_offset)) {}
    std::size_t modulus() const { return modulus_word & sieve::kOffsetMask; }
    sieve::Cell word() const {
      return static_cast<sieve::Cell>(modulus_word >> sieve::kOffsetBits);
    }
    static bool by_modulus(const DirectEntry& x, const DirectEntry& y) {
      return x.modulus() < y.modulus();
    }
  };
  static_assert(kDirectModulusLimit <= sieve::kOffsetMask && kDirectModulusLimit <= kSegmentCells &&
                kBlockedModulusLimit <= kBlockCells);
  /// Direct entries that hit a full segment (block) at most this many times are sieved by bands
  /// of equal hit counts (sieve_band).
  static constexpr unsigned kMaxBand = 16;
  /// Entries sorted by modulus, and where each band starts: bands[k] (k <= kMaxBand) is the first
  /// entry with a modulus above full / (k + 1) for the full length `full`, bands[0] the end.
  using Bands = std::array<std::size_t, kMaxBand + 1>;
  /// Merges the entries [first, last) (sorted) into d's (primes' entries, pushed ascending), and
  /// sets the bands.
  static void set_bands(std::vector<DirectEntry>& d, const DirectEntry* first,
                        const DirectEntry* last, std::size_t full, Bands& bands);
  /// Sieves d's entries into cells[0, len): by their bands when len is the full length.
  static void sieve_direct(sieve::Cell* cells, std::size_t len, std::size_t full,
                           std::vector<DirectEntry>& d, const Bands& bands);
  /// A hit of a prime power longer than a segment, by offset in the chunk.
  struct RareHit {
    u64 offset;
    sieve::Cell word;
    bool operator<(const RareHit& o) const { return offset < o.offset; }
  };

  /// The number held by cell c: c itself, or in the wheel layout the m of cell c.
  u64 number_of(u64 c) const { return wheel_ ? wheel::m_of(c) : c; }
  /// Counts the cells [r.lo, r.hi] (numbers, or wheel cells) in one pass.
  void count_pass(const Range& r, u64 large_from, Histogram& out);
  /// Adds a wheel segment's keys, piece by piece of constant weights, into bins.
  void add_wheel_segment(u64 a, std::size_t len, int threshold, sieve::Bins& bins);
  void prepare_chunk(const Range& r, u64 large_from);
  /// Lists the hits in r of the primes in (large_from, root] and of their squares.
  void add_large_primes(const Range& r, u64 large_from, u64 root);
  /// Lists the hits in r of the n ascending primes (all large).
  void add_large_batch(const Range& r, const std::uint32_t* primes, std::size_t n);
  void add_prime(u64 p, const Range& r);
  void add_prime_at(u64 p, u64 offset, u64 square_offset, const Range& r);
  void add_powers(u64 p, u64 first_power, const Range& r);
  void add_power_progression(u64 stride, u64 first, sieve::Cell word, u64 chunk_cells);
  bool add_prime_progression(u64 stride, u64 first, std::uint32_t weight, u64 chunk_cells);
  void sieve_segment(u64 segment, u64 a, std::size_t len);

  Count count_;
  std::shared_ptr<const Primes> primes_;  // every prime <= stored_limit_, ascending
  u64 stored_limit_;
  std::shared_ptr<const wheel::Target> wheel_;  // null: cells are the numbers themselves
  std::shared_ptr<const sieve::Presieve> presieve_;
  sieve::Cell prime_word_base_;            // count unit: every prime hit adds one factor
  sieve::Cell power_word_base_;            // a power hit adds one factor only with multiplicity
  std::vector<DirectEntry> direct_small_;  // moduli <= kBlockedModulusLimit, ascending
  std::vector<DirectEntry> direct_;        // moduli up to kDirectModulusLimit, ascending
  std::vector<DirectEntry> direct_powers_;  // powers' entries of both, until merged in
  Bands small_bands_{};                     // direct_small_'s, for a block
  Bands bands_{};                           // direct_'s, for a segment
  std::vector<RareHit> rare_;
  std::size_t rare_next_ = 0;
  sieve::Buckets buckets_;
  sieve::HitLists hits_;                // the large primes' hits of the pass
  sieve::Cell large_word_ = 0;          // what such a hit adds: a count and the least large weight
  double large_error_ = 0;              // the most that weight is below c*log2(p) of a large p
  bool large_ = false;                  // the pass has large primes
  std::vector<std::uint32_t> offsets_;  // first multiples of a batch of large primes
  std::vector<std::uint32_t> batch_;    // generated large primes, gathered
  u64 segments_in_chunk_ = 0;
  std::vector<sieve::Cell, HugePageAllocator<sieve::Cell>> cells_;  // a segment
  std::vector<std::uint8_t> keys_;  // a wheel segment's exact keys, near 1
};

}  // namespace numfactors
