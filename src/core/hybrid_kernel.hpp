/// @file hybrid_kernel.hpp
/// @brief Sieve the small primes, factor what is left: the kernel for middle widths far from 1.
///
/// A chunk is walked in windows of kWindow numbers. Each window starts as n with its factors of 2
/// removed; every odd prime p <= B (the chunk's bound) is divided out of the cofactors of its
/// multiples, exactly, by multiplying with p's inverse mod 2^64, and counted. A cofactor c > 1
/// left has no prime factor <= B: below B'^2 (B' the first prime above B) it is prime; otherwise
/// factor64 finishes it, and when B'^3 > c no splitting is needed (c is prime, p^2 or p * q, which
/// BPSW and a square test tell apart). So B near the cube root of hi leaves one primality test
/// for some of the numbers; a smaller B leaves rho or ECM for some, a larger one costs more
/// primes per chunk. The sieve costs one division per prime per chunk, one visit per prime per
/// window, and about ln ln B hits a number.
///
/// Memory per worker: a window's cofactors and counts (9 bytes a number: 288 KiB), one offset per
/// sieving prime (4 bytes: 1.2 MB for 2^22), the cofactors left for factor64 (16 bytes each, at
/// most a window's); shared by all clones: the odd primes up to min(kMaxBound, sqrt(max_hi)) with
/// their inverses (12 bytes each: 3.5 MB for 2^22). A chunk of one window needs neither the
/// offsets nor the inverses (most of its primes do not hit it; those that do get their inverse
/// then), and its arrays are its own length: a short run near 2^64 makes only the primes, as
/// fresh memory is most of its time (on some virtual machines a page's first touch costs 15 us).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/kernel.hpp"

namespace numfactors {

class HybridKernel final : public Kernel {
 public:
  /// Numbers a window: cofactors (8 bytes) and counts (1 byte) of a window stay within L2.
  static constexpr std::size_t kWindow = std::size_t{1} << 15;
  /// Largest sieving bound: above the cube root of 2^64 (2642245.9).
  static constexpr u64 kMaxBound = u64{1} << 22;
  static constexpr u64 kMinBound = 3;

  /// For chunks whose numbers are all <= max_hi (up to 2^64-1). `bound` = 0: each chunk's bound
  /// is choose_bound(chunk); otherwise every chunk sieves the primes <= bound. Either way the
  /// bound is kept within [kMinBound, kMaxBound], below sqrt(max_hi) + 1 (no number <= max_hi
  /// gains from primes above that) and at most largest_bound: the shared table (its making is
  /// most of a short run's time) holds the primes up to there only.
  explicit HybridKernel(Count count, u64 max_hi, u64 bound = 0, u64 largest_bound = kMaxBound);

  /// The sieving bound for a chunk, from a cost model (hybrid_kernel.cpp): primes per chunk
  /// against the per-number work they save, as measured at several heights.
  static u64 choose_bound(const Range& r);
  /// The model's seconds (one core) for a chunk r at its bound, set-up of the shared table aside.
  static double model_seconds(const Range& r);

  void count(const Range& r, Histogram& out) override;
  std::unique_ptr<Kernel> clone() const override;

 private:
  /// The odd primes up to the table's limit and the next prime after them, and, made by the
  /// first chunk longer than a window (once, for all clones), p^-1 mod 2^64.
  struct Primes {
    std::vector<std::uint32_t> p;
    const std::vector<u64>& inverses();

   private:
    std::once_flag made_;
    std::vector<u64> inverse_;
  };
  HybridKernel(Count count, u64 bound, std::shared_ptr<Primes> primes);

  /// Sieves [a, a + len) with primes [0, sieving), then adds every number's count to bins. With
  /// `carried`, offsets_ holds their first multiples' offsets from a and is left holding them
  /// from a + len; without, a is the chunk's start and len its length (one window).
  template <bool kCarried>
  void count_window(u64 a, std::size_t len, std::size_t sieving, u64 rough, u64* bins);

  Count count_;
  u64 bound_;
  std::shared_ptr<Primes> primes_;
  std::vector<u64> cofactor_;
  std::vector<std::uint8_t> factors_;
  std::vector<std::uint32_t> offsets_;
  std::vector<u64> hard_;  // cofactors >= rough^2, for factor64
  std::vector<std::uint32_t> hard_index_;
  std::vector<unsigned> hard_count_;
};

}  // namespace numfactors
