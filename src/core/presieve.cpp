/// @file presieve.cpp
#include "core/presieve.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>

#include "core/wheel.hpp"

namespace numfactors::sieve {
namespace {

struct PrimePower {
  unsigned prime;
  unsigned exponent;  // the pattern covers p, p^2, ..., p^exponent
};

/// Groups whose product stays <= ~2^17 words (their patterns stay in L2 beside a segment). More
/// groups (53..97 in pairs) were measured: a stream more per cell cost what the hits saved.
const std::array<std::vector<PrimePower>, Presieve::kPatterns> kGroups = {{
    {{2, 5}, {3, 3}, {5, 2}},             // 21600
    {{7, 2}, {11, 1}, {13, 1}, {17, 1}},  // 119119
    {{19, 1}, {23, 1}, {29, 1}},          // 12673
    {{31, 1}, {37, 1}, {41, 1}},          // 47027
    {{43, 1}, {47, 1}},                   // 2021
}};

/// The wheel's groups: 2 and 3 divide no cell, and a group of product P repeats every 2P cells,
/// so the products stay <= ~2^16 (periods of at most 130462 cells, as long as the largest above).
/// Freed of 2^5 3^3, the five streams also take 53 and 59 (~0.036 hits a cell fewer).
const std::array<std::vector<PrimePower>, Presieve::kPatterns> kWheelGroups = {{
    {{5, 2}, {7, 2}, {47, 1}},            // 57575
    {{11, 1}, {13, 1}, {17, 1}, {19, 1}},  // 46189
    {{23, 1}, {29, 1}, {31, 1}},          // 20677
    {{37, 1}, {41, 1}, {43, 1}},          // 65231
    {{53, 1}, {59, 1}},                   // 3127
}};

}  // namespace

std::shared_ptr<const Presieve> Presieve::shared(Count count, Layout layout) {
  // Without a lock, so that a process forked while another thread makes one (Python's
  // multiprocessing forks) never waits on it: two threads may each make one; one is kept, for
  // the life of the process.
  static std::array<std::atomic<const Presieve*>, 4> made{};
  std::atomic<const Presieve*>& slot =
      made[(count == Count::total ? 2 : 0) + (layout == Layout::wheel ? 1 : 0)];
  const Presieve* kept = slot.load(std::memory_order_acquire);
  if (kept == nullptr) {
    auto fresh = std::make_unique<const Presieve>(count, layout);
    if (slot.compare_exchange_strong(kept, fresh.get(), std::memory_order_acq_rel))
      kept = fresh.release();
  }
  return {std::shared_ptr<const Presieve>(), kept};  // shares no ownership: it is never freed
}

Presieve::Presieve(Count count, Layout layout)
    : largest_prime_(layout == Layout::wheel ? kWheelLargestPrime : kLargestPrime) {
  const bool wheel = layout == Layout::wheel;
  for (const auto& group : wheel ? kWheelGroups : kGroups) {
    Pattern pattern{1, {}};
    for (const PrimePower& pp : group)
      for (unsigned e = 0; e < pp.exponent; ++e) pattern.period *= pp.prime;
    if (wheel) pattern.period *= 2;
    pattern.words.reserve(pattern.period + kMaxRun);  // one allocation: fresh pages cost
    pattern.words.assign(pattern.period, 0);
    for (const PrimePower& pp : group) {
      const Cell prime_word = static_cast<Cell>(kCountUnit + weight_of(pp.prime));
      const Cell power_word =
          static_cast<Cell>((count == Count::total ? kCountUnit : 0) + weight_of(pp.prime));
      u64 q = 1;
      for (unsigned e = 1; e <= pp.exponent; ++e) {
        q *= pp.prime;
        const Cell word = e == 1 ? prime_word : power_word;
        if (!wheel) {
          for (u64 r = 0; r < pattern.period; r += q) pattern.words[r] += word;
        } else {
          for (const u64 start : wheel::multiple_cells(q))
            for (u64 r = start; r < pattern.period; r += 2 * q) pattern.words[r] += word;
        }
      }
      uncovered_.push_back({pp.prime, q * pp.prime});
    }
    // One run more than a period, so that any kMaxRun words from any start are contiguous.
    for (std::size_t i = 0; i < kMaxRun; ++i)
      pattern.words.push_back(pattern.words[i % pattern.period]);
    patterns_.push_back(std::move(pattern));
  }
  std::sort(uncovered_.begin(), uncovered_.end());
}

void Presieve::fill(u64 a, Cell* cells, std::size_t len) const {
  for (std::size_t i = 0; i < len; i += kMaxRun) {
    const u64 start = a + i;  // i < len, so a + i is a number of the range: no wrap
    const Cell* src[kPatterns];
    for (std::size_t k = 0; k < kPatterns; ++k)
      src[k] = patterns_[k].words.data() + start % patterns_[k].period;
    sum_patterns(cells + i, src, std::min(kMaxRun, len - i));
  }
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void sum_patterns(
    Cell* dst, const Cell* const* src, std::size_t n) {
  static_assert(Presieve::kPatterns == 5, "one stream per pattern below");
  const Cell* s0 = src[0];
  const Cell* s1 = src[1];
  const Cell* s2 = src[2];
  const Cell* s3 = src[3];
  const Cell* s4 = src[4];
  for (std::size_t i = 0; i < n; ++i)
    dst[i] = static_cast<Cell>(s0[i] + s1[i] + s2[i] + s3[i] + s4[i]);
}

}  // namespace numfactors::sieve
