/// @file wheel.cpp
#include "core/wheel.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/arith.hpp"

namespace numfactors::wheel {

bool pays_for(const Range& r) {
  // lo - 1 < 2 hi / 3, written without forming 2 hi (hi may be near 2^64).
  return r.hi <= kMaxHi && r.lo - 1 < r.hi / 3 * 2;
}

Target::Target(const Range& r, Count count) : range_(r) {
  if (r.hi > kMaxHi) throw std::logic_error("the wheel counts up to 2^62-1 only");
  // d = 2^a 3^b <= hi; d * 3 and d * 2 are formed only below hi / 3 and hi / 2 (hi < 2^62).
  for (u64 d3 = 1, b = 0;; d3 *= 3, ++b) {
    for (u64 d = d3, a = 0;; d *= 2, ++a) {
      const unsigned shift = count == Count::total ? static_cast<unsigned>(a + b)
                                                   : static_cast<unsigned>((a > 0) + (b > 0));
      divisors_.push_back({(r.lo - 1) / d, r.hi / d, shift});
      if (d > r.hi / 2) break;
    }
    if (d3 > r.hi / 3) break;
  }
}

u64 Target::weights_at(u64 m, std::array<u64, 64>& w) const {
  w.fill(0);
  u64 next = ~u64{0};
  for (const Divisor& d : divisors_) {
    if (d.low < m && m <= d.high) ++w[d.shift];
    // high, low <= hi < 2^62: + 1 cannot wrap.
    if (d.high >= m) next = std::min(next, d.high + 1);
    if (d.low >= m) next = std::min(next, d.low + 1);
  }
  return next;
}

u64 Target::numbers_in(u64 ma, u64 mb) const {
  u64 n = 0;
  for (const Divisor& d : divisors_) {
    const u64 below = std::max(ma - 1, d.low);  // m > below
    const u64 top = std::min(mb, d.high);       // m <= top
    if (top > below) n += cells_upto(top) - cells_upto(below);
  }
  return n;
}

void exact_keys(u64 first, std::size_t len, std::span<const std::uint32_t> primes, Count count,
                std::uint8_t* keys) {
  std::vector<std::uint8_t> factors(len, 0);
  std::vector<u64> smooth(len, 1);
  const u64 last_m = m_of(first + (len - 1));
  const u64 root = isqrt(last_m);
  for (const std::uint32_t p32 : primes) {
    const u64 p = p32;
    if (p < 5) continue;  // 2 and 3 divide no cell
    if (p > root) break;
    // p <= sqrt(last_m): every q here is <= last_m < 2^62, so 2q and q * p (after the check) fit.
    for (u64 q = p;; q *= p) {
      const u64 stride = 2 * q;
      for (u64 i : multiple_offsets(first, q)) {
        for (; i < len; i += stride) {
          if (q == p || count == Count::total) ++factors[i];
          smooth[i] *= p;
        }
      }
      if (q > last_m / p) break;
    }
  }
  // m / smooth(m) is 1 or one prime above sqrt(m): one more factor exactly when it is not 1.
  for (std::size_t i = 0; i < len; ++i)
    keys[i] = static_cast<std::uint8_t>(factors[i] + (smooth[i] != m_of(first + i)));
}

}  // namespace numfactors::wheel
