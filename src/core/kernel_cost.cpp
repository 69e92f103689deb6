/// @file kernel_cost.cpp
#include "core/kernel_cost.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "core/arith.hpp"
#include "core/hybrid_kernel.hpp"
#include "core/sieve_kernel.hpp"

namespace numfactors::cost {
namespace {

/// Measured constants: thread CPU time, one core of the development machine (Intel Xeon, 2
/// vCPUs, AVX-512, shared with other work), Release build, numfactors_factor_bench costs. The
/// tables are by log2(hi) at 0, 4, 8, ..., 64, read with linear interpolation.
using ByBits = std::array<double, 17>;

/// factor64, ns a number (the mean over windows of consecutive numbers below that height).
constexpr ByBits kFactorNs = {10,  10,   10,   11,   28,   48,   146,  222, 400,
                              700, 1250, 1800, 2600, 3400, 4350, 5650, 7400};
/// The sieve's work a number beyond its prime visits: hits, pattern fill, counting, and near the
/// top the large primes' hit lists (ns).
constexpr ByBits kSieveNs = {0.35, 0.35, 0.35, 0.35, 0.39, 0.49, 0.65, 0.83, 0.98,
                             1.13, 1.45, 1.65, 1.75, 3.0,  4.6,  4.6,  4.5};
/// The sieve's visit of one prime a pass: a carried one (a division, a bucket entry, its powers),
/// a large one (a double division, its hits gathered), and primesieve's generation of one above
/// the stored limit (ns).
constexpr double kCarriedPrimeNs = 6.0;
constexpr double kLargePrimeNs = 0.9;
constexpr double kGeneratedPrimeNs = 2.6;
/// A sieve chunk's fixed cost (buffers, patterns of its first segment), seconds.
constexpr double kSieveChunkSeconds = 20e-6;
/// The sieve's shared table: primesieve's generation, ns a stored prime, plus a kernel's
/// patterns and buffers (seconds), and the first slab of bucket blocks when primes pass a
/// segment (2 MiB, faulted in once a process). Measured cold, in fresh processes: 0.9 ms in all
/// below 2^32, 2.0 ms at 2^40, 8.1 ms at 2^48, 15 ms at 2^50.
constexpr double kStoredPrimeNs = 2.0;
constexpr double kSieveSetupSeconds = 0.85e-3;
constexpr double kBucketSlabSeconds = 0.4e-3;
/// The hybrid's shared table: ns a prime (generation and inverse, as measured; a run of chunks of
/// one window makes no inverses and pays less), plus its buffers (seconds).
constexpr double kHybridTablePrimeNs = 12.0;
constexpr double kHybridSetupSeconds = 0.05e-3;
/// A hybrid chunk's fixed cost beyond its model (window buffers), seconds.
constexpr double kHybridChunkSeconds = 5e-6;

double by_bits(const ByBits& t, u64 hi) {
  const double bits = std::clamp(std::log2(static_cast<double>(hi)), 0.0, 64.0);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(bits / 4), t.size() - 2);
  const double frac = bits / 4 - static_cast<double>(i);
  return t[i] + frac * (t[i + 1] - t[i]);
}

/// About pi(x), the primes <= x (x / (ln x - 1.1) is within a few percent from 100 up).
double prime_count(u64 x) {
  if (x < 2) return 0;
  const double v = static_cast<double>(x);
  return x < 100 ? v / 3 : v / (std::log(v) - 1.1);
}

double sieve_chunk_seconds(const Range& r) {
  const u64 root = isqrt(r.hi);
  const SieveKernel::PassPlan plan = SieveKernel::pass_plan(root, false);
  const double passes = std::ceil(static_cast<double>(r.size()) / static_cast<double>(plan.cells));
  const u64 carried = std::min(root, plan.large_from);
  double visit_ns = prime_count(carried) * kCarriedPrimeNs +
                    (prime_count(root) - prime_count(carried)) * kLargePrimeNs;
  if (root > SieveKernel::kStoredPrimeLimit)
    visit_ns +=
        (prime_count(root) - prime_count(SieveKernel::kStoredPrimeLimit)) * kGeneratedPrimeNs;
  return kSieveChunkSeconds + passes * visit_ns * 1e-9 +
         static_cast<double>(r.size()) * by_bits(kSieveNs, r.hi) * 1e-9;
}

}  // namespace

double chunk_seconds(KernelKind kind, const Range& r) {
  switch (kind) {
    case KernelKind::factor:
      return static_cast<double>(r.size()) * by_bits(kFactorNs, r.hi) * 1e-9;
    case KernelKind::hybrid:
      return kHybridChunkSeconds + HybridKernel::model_seconds(r);
    default:
      return sieve_chunk_seconds(r);
  }
}

double setup_seconds(KernelKind kind, const Range& top) {
  const u64 root = isqrt(top.hi);
  switch (kind) {
    case KernelKind::factor:
      return 0;
    case KernelKind::hybrid: {
      const u64 limit =
          std::min({root + 1, HybridKernel::kMaxBound, HybridKernel::choose_bound(top)});
      return kHybridSetupSeconds + prime_count(limit) * kHybridTablePrimeNs * 1e-9;
    }
    default:
      return kSieveSetupSeconds +
             (root > SieveKernel::kDirectModulusLimit ? kBucketSlabSeconds : 0) +
             prime_count(std::min(root, SieveKernel::kStoredPrimeLimit)) * kStoredPrimeNs * 1e-9;
  }
}

KernelKind cheapest_direct(const Range& r, const Range& top, u64 chunks) {
  const double share = 1.0 / static_cast<double>(std::max<u64>(chunks, 1));
  KernelKind best = KernelKind::factor;
  double best_seconds = chunk_seconds(KernelKind::factor, r);
  for (const KernelKind kind : {KernelKind::hybrid, KernelKind::sieve}) {
    const double s = chunk_seconds(kind, r) + setup_seconds(kind, top) * share;
    if (s < best_seconds) best = kind, best_seconds = s;
  }
  return best;
}

double run_seconds(KernelKind kind, const Range& range, u64 chunk_size) {
  chunk_size = std::min(chunk_size, range.size());
  const u64 chunks = (range.size() - 1) / chunk_size + 1;
  const Range top{range.hi - (chunk_size - 1), range.hi};  // the widest chunk, highest
  bool hybrid = kind == KernelKind::hybrid, sieve = kind == KernelKind::sieve;  // set-ups to pay
  const auto seconds = [&](const Range& c) {
    KernelKind k = kind;
    if (kind == KernelKind::automatic) {
      k = cheapest_direct(c, top, chunks);
      hybrid = hybrid || k == KernelKind::hybrid;
      sieve = sieve || k == KernelKind::sieve;
    }
    return chunk_seconds(k, c);
  };
  // The first and the last full chunk bracket the others (costs change slowly with the
  // position); the last chunk may be shorter. lo + full * chunk_size - 1 <= hi: no wrap.
  const u64 full = range.size() / chunk_size;
  double total = 0;
  if (full >= 1) {
    const double first = seconds({range.lo, range.lo + chunk_size - 1});
    const double last =
        seconds({range.lo + (full - 1) * chunk_size, range.lo + full * chunk_size - 1});
    total += static_cast<double>(full) * (first + last) / 2;
  }
  if (full * chunk_size < range.size()) total += seconds({range.lo + full * chunk_size, range.hi});
  if (hybrid) total += setup_seconds(KernelKind::hybrid, top);
  if (sieve) total += setup_seconds(KernelKind::sieve, top);
  return total;
}

u64 chunk_size_for(KernelKind kind, const Range& range, unsigned workers) {
  const u64 size = range.size();
  const u64 w = std::max(workers, 1u);
  // Powers of 4, and the range split evenly into w * 2^j chunks.
  std::vector<u64> candidates;
  for (unsigned k = 0; k <= 40; k += 2) candidates.push_back(std::min(u64{1} << k, size));
  for (u64 j = 1; j <= 64; j *= 2) candidates.push_back((size - 1) / std::min(w * j, size) + 1);
  std::sort(candidates.begin(), candidates.end());  // a small range repeats sizes: each once
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  struct Option {
    u64 chunk;
    u64 chunks;
    double finish;
  };
  std::vector<Option> options;
  double best = 1e300;
  for (const u64 c : candidates) {
    const u64 n = (size - 1) / c + 1;
    const double total = run_seconds(kind, range, c) + static_cast<double>(n) * kChunkSeconds;
    // n equal chunks on w workers: ceil(n / w) rounds of a chunk each (not (n + w - 1) / w,
    // which wraps for the 2^64-1 chunks of one number of [1, 2^64-1] and made them look free).
    const double rounds = static_cast<double>(n / w + (n % w != 0));
    const double finish = rounds * total / static_cast<double>(n);
    options.push_back({c, n, finish});
    best = std::min(best, finish);
  }
  const double want = static_cast<double>(32 * w);
  u64 chosen = size;
  double distance = 1e300;
  for (const Option& o : options) {
    if (o.finish > 1.05 * best) continue;
    const double d = std::abs(std::log(static_cast<double>(o.chunks) / want));
    if (d < distance) distance = d, chosen = o.chunk;
  }
  return chosen;
}

double best_run_seconds(KernelKind kind, const Range& range) {
  return run_seconds(kind, range, chunk_size_for(kind, range, 1));
}

}  // namespace numfactors::cost
