/// @file hybrid_kernel.hpp
/// @brief Sieve the small primes, factor what is left: the kernel for middle widths far from 1.
///
/// A chunk is walked in windows of kWindow numbers. Each window starts as n with its factors of 2
/// removed; every odd prime p <= B (the chunk's bound) is divided out of the cofactors of its
/// multiples, exactly, by multiplying with p's inverse mod 2^64 (factor64.hpp's OddDivisor), and
/// counted. A cofactor c > 1 left has no prime factor <= B: below B'^2 (B' the first prime above
/// B) it is prime, otherwise factor64 finishes it (BPSW, then rho or ECM). The sieve costs one
/// division per prime per chunk plus about ln ln B hits a number; what it buys is that the
/// per-number work starts above B.
///
/// Memory per worker: a window's cofactors and counts (9 bytes a number: 288 KiB) and one offset
/// per sieving prime; the primes up to kMaxBound (with their inverses) are shared by all clones.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/factor64.hpp"
#include "core/kernel.hpp"

namespace numfactors {

class HybridKernel final : public Kernel {
 public:
  /// Numbers a window: cofactors (8 bytes) and counts (1 byte) of a window stay within L2.
  static constexpr std::size_t kWindow = std::size_t{1} << 15;
  /// Largest sieving bound; also the most primes stored (6542 odd primes, 24 bytes each).
  static constexpr u64 kMaxBound = u64{1} << 16;
  static constexpr u64 kMinBound = 3;

  /// `bound` = 0: each chunk's bound is choose_bound(chunk); otherwise every chunk sieves the
  /// primes <= bound (clamped to [kMinBound, kMaxBound]). Chunks may reach 2^64-1.
  explicit HybridKernel(Count count, u64 bound = 0);

  /// The sieving bound for a chunk: large enough that the per-number work after it is small,
  /// small enough that one division per prime per chunk stays below it (measured; see the .cpp).
  static u64 choose_bound(const Range& r);

  void count(const Range& r, Histogram& out) override;
  std::unique_ptr<Kernel> clone() const override;

 private:
  struct SievePrime {
    u64 p;
    OddDivisor div;
  };
  using Primes = std::vector<SievePrime>;
  HybridKernel(Count count, u64 bound, std::shared_ptr<const Primes> primes);

  /// Counts [a, a + len) given, in offsets_, each sieving prime's first multiple's offset from a.
  void count_window(u64 a, std::size_t len, std::size_t primes, u64 rough, Histogram& out);

  Count count_;
  u64 bound_;
  std::shared_ptr<const Primes> primes_;  // odd primes <= kMaxBound, then the next prime
  std::vector<u64> cofactor_;
  std::vector<std::uint8_t> factors_;
  std::vector<std::uint32_t> offsets_;
};

}  // namespace numfactors
