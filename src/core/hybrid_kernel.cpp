/// @file hybrid_kernel.cpp
/// @brief The hybrid kernel: small primes divided out by a sieve, cofactors finished by factor64.
///
/// Exactness: after a window's sieve, cofactor_[i] * prod(p^e over the primes p <= B found) is
/// n = a + i, factors_[i] counts those primes (with multiplicity for Count::total), and no prime
/// <= B divides cofactor_[i]: every multiple of every such p in the window was visited (offsets
/// carried exactly from window to window) and p was divided out while it divided.
#include "core/hybrid_kernel.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <primesieve.hpp>

namespace numfactors {

HybridKernel::HybridKernel(Count count, u64 bound)
    : HybridKernel(count, bound == 0 ? 0 : std::clamp(bound, kMinBound, kMaxBound), nullptr) {
  std::vector<std::uint32_t> p;
  // The odd primes <= kMaxBound and one more: the smallest prime a cofactor can hold.
  primesieve::generate_primes(3, kMaxBound + 100, &p);
  auto primes = std::make_shared<Primes>();
  primes->reserve(p.size());
  for (const std::uint32_t q : p) {
    primes->push_back({q, OddDivisor::of(q)});
    if (q > kMaxBound) break;
  }
  primes_ = std::move(primes);
}

HybridKernel::HybridKernel(Count count, u64 bound, std::shared_ptr<const Primes> primes)
    : count_(count), bound_(bound), primes_(std::move(primes)) {}

std::unique_ptr<Kernel> HybridKernel::clone() const {
  return std::unique_ptr<Kernel>(new HybridKernel(count_, bound_, primes_));
}

u64 HybridKernel::choose_bound(const Range& r) {
  // Placeholder until measured: about the width, within [2^10, kMaxBound].
  return std::clamp<u64>(r.hi - r.lo, u64{1} << 10, kMaxBound);
}

void HybridKernel::count(const Range& r, Histogram& out) {
  const u64 bound = bound_ != 0 ? bound_ : choose_bound(r);
  // primes_ ends with the first prime above kMaxBound, so the search always finds one above bound.
  const auto end = std::upper_bound(primes_->begin(), primes_->end(), bound,
                                    [](u64 b, const SievePrime& s) { return b < s.p; });
  const std::size_t sieving = static_cast<std::size_t>(end - primes_->begin());
  const u64 rough = end->p;  // every prime factor of a cofactor is >= rough

  offsets_.resize(sieving);
  for (std::size_t i = 0; i < sieving; ++i) {
    const u64 p = (*primes_)[i].p;
    const u64 rem = r.lo % p;  // one division per prime per chunk
    offsets_[i] = static_cast<std::uint32_t>(rem == 0 ? 0 : p - rem);
  }
  cofactor_.resize(kWindow);
  factors_.resize(kWindow);
  Histogram h;
  // Windows by offset from r.lo: r.hi may be 2^64-1, where a + len would wrap.
  for (u64 a = r.lo;;) {
    const u64 after = r.hi - a;  // numbers of the chunk after a
    const std::size_t len = static_cast<std::size_t>(std::min<u64>(after, kWindow - 1)) + 1;
    count_window(a, len, sieving, rough, h);
    if (after < kWindow) break;
    a += kWindow;
  }
  out += h;
}

void HybridKernel::count_window(u64 a, std::size_t len, std::size_t sieving, u64 rough,
                                Histogram& out) {
  const bool total = count_ == Count::total;
  u64* cof = cofactor_.data();
  std::uint8_t* k = factors_.data();
  for (std::size_t i = 0; i < len; ++i) {
    const u64 n = a + i;                // <= r.hi: no wrap
    const int z = std::countr_zero(n);  // n >= 1
    cof[i] = n >> z;
    k[i] = static_cast<std::uint8_t>(total ? z : (z != 0));
  }
  for (std::size_t j = 0; j < sieving; ++j) {
    const SievePrime& s = (*primes_)[j];
    const std::size_t p = static_cast<std::size_t>(s.p);
    std::size_t o = offsets_[j];
    for (; o < len; o += p) {
      u64 c = s.div.exact_quotient(cof[o]);  // p divides n, hence its cofactor
      unsigned e = 1;
      while (s.div.divides(c)) {
        c = s.div.exact_quotient(c);
        ++e;
      }
      cof[o] = c;
      k[o] = static_cast<std::uint8_t>(k[o] + (total ? e : 1));
    }
    offsets_[j] = static_cast<std::uint32_t>(o - len);  // < p: the next window's first multiple
  }
  // Below rough^2 a cofactor > 1 is prime; rough <= kMaxBound + 100, so rough^2 fits in 64 bits.
  const u64 prime_below = rough * rough;
  std::array<u64, Histogram::kMaxKey + 1> bins{};
  for (std::size_t i = 0; i < len; ++i) {
    const u64 c = cof[i];
    unsigned key = k[i];
    if (c >= prime_below)
      key += rough_factor_count(c, rough, count_);
    else
      key += c > 1;
    ++bins[key];
  }
  for (unsigned key = 0; key <= Histogram::kMaxKey; ++key)
    if (bins[key] != 0) out.add(key, bins[key]);
}

}  // namespace numfactors
