/// @file hybrid_kernel.cpp
/// @brief The hybrid kernel: small primes divided out by a sieve, cofactors finished by factor64.
///
/// Exactness: after a window's sieve, cofactor_[i] * prod(p^e over the primes p <= B found) is
/// n = a + i, factors_[i] counts those primes (with multiplicity for Count::total), and no prime
/// <= B divides cofactor_[i]: every multiple of every such p in the window was visited (offsets
/// carried exactly from window to window, or found from the chunk's start when it is one window)
/// and p was divided out while it divided.
#include "core/hybrid_kernel.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <primesieve.hpp>

#include "core/arith.hpp"
#include "core/factor64.hpp"

namespace numfactors {

HybridKernel::HybridKernel(Count count, u64 max_hi, u64 bound, u64 largest_bound)
    : HybridKernel(count, bound == 0 ? 0 : std::clamp(bound, kMinBound, kMaxBound), nullptr) {
  const u64 limit = std::clamp(std::min(isqrt(max_hi) + 1, largest_bound), kMinBound, kMaxBound);
  auto primes = std::make_shared<Primes>();
  std::vector<std::uint32_t>& p = primes->p;
  // The odd primes <= limit and one more: the smallest prime a cofactor can hold. Every gap
  // between primes below 2^23 is under 200. Reserved (pi(x) < 1.25506 x / ln x, Rosser and
  // Schoenfeld), so that the vector does not grow in steps, each a fresh copy.
  const double top = static_cast<double>(limit + 200);
  p.reserve(static_cast<std::size_t>(1.25506 * top / std::log(top)) + 1);
  primesieve::generate_primes(3, limit + 200, &p);
  p.resize(static_cast<std::size_t>(std::upper_bound(p.begin(), p.end(), limit) - p.begin()) + 1);
  primes_ = std::move(primes);
}

HybridKernel::HybridKernel(Count count, u64 bound, std::shared_ptr<Primes> primes)
    : count_(count), bound_(bound), primes_(std::move(primes)) {}

const std::vector<u64>& HybridKernel::Primes::inverses() {
  std::call_once(made_, [this] {
    inverse_.resize(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) inverse_[i] = OddDivisor::inverse_of(p[i]);
  });
  return inverse_;
}

std::unique_ptr<Kernel> HybridKernel::clone() const {
  return std::unique_ptr<Kernel>(new HybridKernel(count_, bound_, primes_));
}

namespace {

/// The distance from a to the first multiple of p at or after a: one division.
std::uint32_t first_offset(u64 a, std::uint32_t p) {
  const u64 rem = a % p;
  return static_cast<std::uint32_t>(rem == 0 ? 0 : p - rem);
}

/// The cost model behind choose_bound, measured by tests/bench/factor_bench.cpp (mode model):
/// a chunk of w numbers below hi sieving the primes <= B costs about
///   kNsPerPrime * pi(B) / w + g(B, hi)  ns a number,
/// the first term the primes' set-up (a division each, a visit per window), g the rest: the
/// sieve's hits and factor64's work on the cofactors, which falls as B grows and drops at the
/// cube root of hi, where no cofactor needs splitting any more.
constexpr double kNsPerPrime = 3.46;
/// g by row (B = 2^8, 2^10, ..., 2^22, then the cube root and the square root of hi, each cut to
/// [kMinBound, min(kMaxBound, sqrt(hi) + 1)]) and column (hi = 2^32, 2^40, 2^48, 2^56, 2^64).
constexpr int kBoundRows = 10;
constexpr int kHeights = 5;
constexpr double kG[kBoundRows][kHeights] = {
    {381, 1199, 2450, 4296, 7174},  // 2^8
    {271, 1110, 2374, 4270, 7145},  // 2^10
    {104, 656, 1907, 3858, 6746},   // 2^12
    {52, 137, 1105, 3067, 6143},    // 2^14
    {6, 94, 180, 1963, 4887},       // 2^16
    {5, 52, 134, 766, 3380},        // 2^18
    {6, 8, 93, 175, 1721},          // 2^20
    {6, 8, 59, 133, 220},           // 2^22
    {138, 157, 176, 201, 231},      // cube root
    {5, 9, 59, 138, 215},           // square root
};

/// The smallest c with c^3 > n.
u64 cube_root_above(u64 n) {
  __extension__ typedef unsigned __int128 u128;
  auto cube = [](u64 x) { return static_cast<u128>(x) * x * x; };
  u64 c = static_cast<u64>(std::cbrt(static_cast<double>(n)));
  while (c > 0 && cube(c) > n) --c;
  while (cube(c) <= n) ++c;
  return c;
}

/// About pi(b), the primes <= b (within a few percent from b = 100 up; b / 3 below).
double approx_prime_count(u64 b) {
  const double x = static_cast<double>(b);
  return b < 100 ? x / 3 : x / (std::log(x) - 1.1);
}

/// The bound with the least modeled cost for r, and that cost in ns a number.
std::pair<u64, double> best_bound(const Range& r) {
  const double width = static_cast<double>(r.hi - r.lo) + 1;
  // Position between the measured heights, by log2(hi), held within [2^32, 2^64].
  const double bits = std::clamp(std::log2(static_cast<double>(r.hi)), 32.0, 64.0);
  const int col = std::min(static_cast<int>((bits - 32) / 8), kHeights - 2);
  const double frac = (bits - 32) / 8 - col;
  // Primes above sqrt(hi) gain nothing.
  const u64 most = std::clamp(isqrt(r.hi) + 1, HybridKernel::kMinBound, HybridKernel::kMaxBound);
  u64 best_bound = HybridKernel::kMinBound;
  double best = 1e300;
  for (int row = 0; row < kBoundRows; ++row) {
    u64 b = row < 8 ? u64{1} << (8 + 2 * row) : row == 8 ? cube_root_above(r.hi) : most;
    b = std::clamp(b, HybridKernel::kMinBound, most);
    const double primes = approx_prime_count(b);
    const double g = kG[row][col] + frac * (kG[row][col + 1] - kG[row][col]);
    const double cost = kNsPerPrime * primes / width + g;
    if (cost < best) best = cost, best_bound = b;
  }
  return {best_bound, best};
}

}  // namespace

u64 HybridKernel::choose_bound(const Range& r) { return best_bound(r).first; }

double HybridKernel::model_seconds(const Range& r) {
  return best_bound(r).second * 1e-9 * static_cast<double>(r.size());
}

void HybridKernel::count(const Range& r, Histogram& out) {
  const u64 wanted = bound_ != 0 ? bound_ : choose_bound(r);
  // The table ends with the first prime above its limit, so a prime above the bound is found.
  const auto& p = primes_->p;
  const std::size_t sieving =
      static_cast<std::size_t>(std::upper_bound(p.begin(), p.end() - 1, wanted) - p.begin());
  const u64 rough = p[sieving];  // every prime factor of a cofactor is >= rough

  std::array<u64, Histogram::kMaxKey + 1> bins{};
  if (r.hi - r.lo < kWindow) {
    const auto len = static_cast<std::size_t>(r.hi - r.lo) + 1;
    if (cofactor_.size() < len) cofactor_.resize(len), factors_.resize(len);
    check_stop();
    count_window<false>(r.lo, len, sieving, rough, bins.data());
  } else {
    offsets_.resize(sieving);
    for (std::size_t i = 0; i < sieving; ++i) offsets_[i] = first_offset(r.lo, p[i]);
    cofactor_.resize(kWindow);
    factors_.resize(kWindow);
    // Windows by offset from r.lo: r.hi may be 2^64-1, where a + len would wrap.
    for (u64 a = r.lo;;) {
      const u64 after = r.hi - a;  // numbers of the chunk after a
      const std::size_t len = static_cast<std::size_t>(std::min<u64>(after, kWindow - 1)) + 1;
      check_stop();
      count_window<true>(a, len, sieving, rough, bins.data());
      if (after < kWindow) break;
      a += kWindow;
    }
  }
  for (unsigned key = 0; key <= Histogram::kMaxKey; ++key)
    if (bins[key] != 0) out.add(key, bins[key]);
}

template <bool kCarried>
void HybridKernel::count_window(u64 a, std::size_t len, std::size_t sieving, u64 rough, u64* bins) {
  const bool total = count_ == Count::total;
  u64* cof = cofactor_.data();
  std::uint8_t* k = factors_.data();
  for (std::size_t i = 0; i < len; ++i) {
    const u64 n = a + i;                // <= r.hi: no wrap
    const int z = std::countr_zero(n);  // n >= 1
    cof[i] = n >> z;
    k[i] = static_cast<std::uint8_t>(total ? z : (z != 0));
  }
  const std::uint32_t* primes = primes_->p.data();
  const u64* inverses = kCarried ? primes_->inverses().data() : nullptr;
  for (std::size_t j = 0; j < sieving; ++j) {
    const std::size_t p = primes[j];
    std::size_t o = kCarried ? offsets_[j] : first_offset(a, primes[j]);
    if (!kCarried && o >= len) continue;
    const u64 inv = kCarried ? inverses[j] : OddDivisor::inverse_of(p);
    for (; o < len; o += p) {
      // p divides n, hence its cofactor: c * p^-1 mod 2^64 is the exact quotient. It divides
      // again iff the next quotient times p does not pass 2^64.
      u64 c = cof[o] * inv;
      unsigned e = 1;
      u64 next;
      while (!__builtin_mul_overflow(c * inv, p, &next)) {
        c *= inv;
        ++e;
      }
      cof[o] = c;
      k[o] = static_cast<std::uint8_t>(k[o] + (total ? e : 1));
    }
    if constexpr (kCarried)
      offsets_[j] = static_cast<std::uint32_t>(o - len);  // < p: the next window's first multiple
  }
  // Below rough^2 a cofactor > 1 is prime (rough < 2^23, so rough^2 fits); the others go to
  // factor64 together.
  const u64 prime_below = rough * rough;
  hard_.clear();
  hard_index_.clear();
  for (std::size_t i = 0; i < len; ++i) {
    const u64 c = cof[i];
    if (c >= prime_below) {
      hard_.push_back(c);
      hard_index_.push_back(static_cast<std::uint32_t>(i));
    } else {
      ++bins[k[i] + (c > 1)];
    }
  }
  hard_count_.resize(hard_.size());
  // Near 2^64 most of a window's time is here: the flag is looked at every 64 cofactors (half a
  // millisecond), as hundreds of workers may share a core.
  constexpr std::size_t kBetweenStopChecks = 64;
  for (std::size_t h = 0; h < hard_.size(); h += kBetweenStopChecks) {
    check_stop();
    rough_factor_counts(hard_.data() + h, std::min(kBetweenStopChecks, hard_.size() - h), rough,
                        count_, hard_count_.data() + h);
  }
  for (std::size_t h = 0; h < hard_.size(); ++h) ++bins[k[hard_index_[h]] + hard_count_[h]];
}

}  // namespace numfactors
