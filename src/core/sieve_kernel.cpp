/// @file sieve_kernel.cpp
/// @brief Segmented omega/Omega sieve.
///
/// For a segment [a, b], every prime p <= sqrt(b) is sieved: each multiple of p gets one factor,
/// and each multiple of p^j (j >= 2, p^j <= b) gets p once more in its smooth part (and one more
/// factor when counting with multiplicity). Afterwards smooth(n) is the part of n made of primes
/// <= sqrt(b), exactly, so n / smooth(n) has only prime factors > sqrt(b) >= sqrt(n). Two of those
/// would multiply to more than n, so the cofactor is 1 or a single prime q with q^2 > n: n has one
/// more factor exactly when smooth(n) != n. The product never overflows: it divides n.
#include "core/sieve_kernel.hpp"

#include <algorithm>
#include <bit>

#include <primesieve.hpp>

#include "core/arith.hpp"

namespace nf {
namespace {

constexpr std::size_t kMinSegment = std::size_t{1} << 15;
constexpr std::size_t kMaxSegment = std::size_t{1} << 21;

/// Offset of the first multiple of m at or after a, or a value > len if none is in [a, a + len).
/// Computed without forming the multiple itself, which could pass 2^64-1.
inline u64 first_offset(u64 a, u64 m) {
  const u64 r = a % m;
  return r == 0 ? 0 : m - r;
}

}  // namespace

SieveKernel::SieveKernel(Count count, u64 max_hi) : count_(count) {
  auto primes = std::make_shared<Primes>();
  primesieve::generate_primes(isqrt(max_hi), primes.get());
  // Primes larger than a segment cost one division per segment whether they hit or not; a segment
  // about as long as the prime list keeps that below one division per number. Capped for memory.
  segment_length_ = std::clamp(std::bit_ceil(primes->size()), kMinSegment, kMaxSegment);
  primes_ = std::move(primes);
}

SieveKernel::SieveKernel(Count count, std::shared_ptr<const Primes> primes,
                         std::size_t segment_length)
    : count_(count), primes_(std::move(primes)), segment_length_(segment_length) {}

std::unique_ptr<Kernel> SieveKernel::clone() const {
  return std::unique_ptr<Kernel>(new SieveKernel(count_, primes_, segment_length_));
}

void SieveKernel::count(const Range& r, Histogram& out) {
  factors_.resize(segment_length_);
  smooth_.resize(segment_length_);
  for (u64 a = r.lo;;) {
    const u64 left = r.hi - a;  // cells after a; never wraps
    const std::size_t len = left < segment_length_ ? left + 1 : segment_length_;
    if (count_ == Count::distinct)
      sieve_segment<Count::distinct>(a, len, out);
    else
      sieve_segment<Count::total>(a, len, out);
    if (left < segment_length_) break;
    a += len;
  }
}

template <Count kCount>
void SieveKernel::sieve_segment(u64 a, std::size_t len, Histogram& out) {
  std::uint8_t* factors = factors_.data();
  u64* smooth = smooth_.data();
  std::fill_n(factors, len, std::uint8_t{0});
  std::fill_n(smooth, len, u64{1});
  const u64 b = a + (len - 1);
  const u64 root = isqrt(b);

  for (const std::uint32_t p32 : *primes_) {
    const u64 p = p32;
    if (p > root) break;
    for (u64 i = first_offset(a, p); i < len; i += p) {
      ++factors[i];
      smooth[i] *= p;
    }
    // p <= sqrt(b), so p^2 <= b; q * p is formed only after checking q <= b / p.
    for (u64 q = p * p;; q *= p) {
      for (u64 i = first_offset(a, q); i < len; i += q) {
        if constexpr (kCount == Count::total) ++factors[i];
        smooth[i] *= p;
      }
      if (q > b / p) break;
    }
  }

  std::array<u64, Histogram::kMaxKey + 1> bins{};
  for (std::size_t i = 0; i < len; ++i) bins[factors[i] + (smooth[i] != a + i)]++;
  for (unsigned k = 0; k <= Histogram::kMaxKey; ++k) out.add(k, bins[k]);
}

}  // namespace nf
