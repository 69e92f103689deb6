/// @file sieve_kernel.hpp
/// @brief Segmented sieve for omega(n) / Omega(n) over any window below 2^64.
///
/// Memory: one segment (9 bytes a cell) plus the primes <= sqrt(max_hi) as 32-bit words, shared
/// by all clones; never O(hi - lo).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/kernel.hpp"

namespace nf {

class SieveKernel final : public Kernel {
 public:
  /// Generates (with primesieve) the primes <= floor(sqrt(max_hi)).
  SieveKernel(Count count, u64 max_hi);

  void count(const Range& r, Histogram& out) override;
  std::unique_ptr<Kernel> clone() const override;

  /// Cells per segment, chosen from the number of sieving primes (see the constructor).
  std::size_t segment_length() const { return segment_length_; }

 private:
  using Primes = std::vector<std::uint32_t>;
  SieveKernel(Count count, std::shared_ptr<const Primes> primes, std::size_t segment_length);

  template <Count kCount>
  void sieve_segment(u64 a, std::size_t len, Histogram& out);

  Count count_;
  std::shared_ptr<const Primes> primes_;
  std::size_t segment_length_;
  std::vector<std::uint8_t> factors_;  // per cell: prime factors found so far
  std::vector<u64> smooth_;            // per cell: product of the prime powers found so far
};

}  // namespace nf
