/// @file wheel_test.cpp
/// @brief The wheel kernel (only the m coprime to 6 sieved, the histogram rebuilt from
/// n = 2^a 3^b m) against references that share none of its reasoning: the Pollard-rho oracle
/// one number at a time, the direct sieve over every number, and for chunks of m far from 1 a
/// brute-force count of the n = d * m of the target by their definition. Ranges start at 1, 2, 3,
/// near 2^a 3^b and up to 2/3 of hi; hi has many factors 2 and 3; chunks cut m-space anywhere.
#include "numfactors/errors.hpp"
#include "core/wheel.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "core/kernel.hpp"
#include "core/plan.hpp"
#include "oracle.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

std::string describe(const Range& r, Count count, u64 chunk) {
  std::ostringstream s;
  s << "[" << r.lo << ", " << r.hi << "] " << to_string(count) << " chunk " << chunk;
  return s.str();
}

/// The wheel over every chunk of the plan, one after another; each chunk's total must be the
/// plan's numbers_in_chunk (what the checkpoint and the statistics rely on). The plan is made
/// directly: the wheel is exact on any range, also on those make_plan refuses as too costly.
Histogram wheel_histogram(const Range& r, Count count, u64 chunk) {
  Plan plan{r, count, KernelKind::wheel, chunk};
  if (chunk == 0) plan.chunk_size = default_chunk_size(plan.space(), 1);
  const auto kernel = make_kernel(plan);
  Histogram all;
  for (u64 i = 0; i < plan.chunk_count(); ++i) {
    Histogram h;
    kernel->count(plan.chunk(i), h);
    EXPECT_EQ(h.total(), plan.numbers_in_chunk(i)) << describe(r, count, chunk) << " chunk " << i;
    all += h;
  }
  return all;
}

Histogram direct_histogram(const Range& r, Count count) {
  Histogram h;
  make_kernel(KernelKind::sieve, count, r.hi)->count(r, h);
  return h;
}

/// hi with many factors 2 and 3: 2^a 3^b k, maybe +- 1, at most `top`.
u64 smooth_hi(std::mt19937_64& rng, u64 top) {
  u64 d = 1;
  while (true) {
    const u64 f = rng() % 2 ? 2 : 3;
    if (d > top / (4 * f)) break;
    d *= f;
    if (rng() % 8 == 0) break;
  }
  const u64 k = 1 + rng() % (top / d);
  const u64 n = d * k;
  const u64 delta = rng() % 3;  // n - 1, n or n + 1
  return std::clamp<u64>(n + delta - 1, 1, top);
}

/// lo for [lo, hi]: 1, 2, 3, small, next to a 2^a 3^b, or anywhere up to 2 hi / 3.
u64 some_lo(std::mt19937_64& rng, u64 hi) {
  u64 lo = 1;
  switch (rng() % 6) {
    case 0: lo = 1 + rng() % 3; break;
    case 1: lo = 1 + rng() % 1000; break;
    case 2: {
      u64 d = 1;
      for (u64 steps = rng() % 40; steps > 0 && d <= hi / 3; --steps) d *= rng() % 2 ? 2 : 3;
      lo = d + rng() % 3 - 1;  // d - 1, d, d + 1
      break;
    }
    case 3: lo = hi / 2 + rng() % 3 - 1; break;
    case 4: lo = hi / 3 * 2; break;
    default: lo = 1 + rng() % (hi / 3 * 2 + 1); break;
  }
  return std::clamp<u64>(lo, 1, hi);
}

TEST(Wheel, CellsAndCounts) {
  u64 cell = 0;
  for (u64 m = 1; m <= 10000; ++m) {
    const bool coprime = m % 2 != 0 && m % 3 != 0;
    if (coprime) {
      ASSERT_EQ(wheel::m_of(cell), m);
      ASSERT_EQ(m / 3, cell);
      ++cell;
    }
    ASSERT_EQ(wheel::cells_upto(m), cell) << m;
  }
  EXPECT_EQ(wheel::cells_upto(0), 0u);
  // 2^62 = 4 (mod 6): the last m coprime to 6 below it is 2^62 - 3.
  EXPECT_EQ(wheel::m_of(wheel::cells_upto(wheel::kMaxHi) - 1), wheel::kMaxHi - 2);
}

TEST(Wheel, WeightsByTheirDefinition) {
  std::mt19937_64 rng(test::test_seed(701));
  for (int i = 0; i < 60; ++i) {
    const u64 hi = smooth_hi(rng, 3000);
    const Range r{some_lo(rng, hi), hi};
    const Count count = rng() % 2 ? Count::distinct : Count::total;
    const wheel::Target target(r, count);
    u64 total = 0;
    for (u64 m = 1; m <= hi; ++m) {
      if (m % 2 == 0 || m % 3 == 0) continue;
      std::array<u64, 64> expected{};
      for (u64 d3 = 1, b = 0; d3 <= hi; d3 *= 3, ++b)
        for (u64 d = d3, a = 0; d <= hi; d *= 2, ++a)
          if (d * m >= r.lo && d * m <= r.hi)
            ++expected[count == Count::total ? a + b : (a > 0) + (b > 0)];
      std::array<u64, 64> w;
      const u64 next = target.weights_at(m, w);
      ASSERT_EQ(w, expected) << describe(r, count, 0) << " m " << m;
      ASSERT_GT(next, m);
      // Constant up to the next change.
      for (u64 m2 = m + 1; m2 < next && m2 <= m + 12; ++m2) {
        std::array<u64, 64> w2;
        target.weights_at(m2, w2);
        ASSERT_EQ(w2, w) << describe(r, count, 0) << " m " << m << " then " << m2;
      }
      for (const u64 x : w) total += x;
    }
    EXPECT_EQ(total, r.size()) << describe(r, count, 0);
    EXPECT_EQ(target.numbers_in(1, hi), r.size()) << describe(r, count, 0);
  }
}

TEST(Wheel, TinyRangesAgainstTheOracle) {
  for (const Count count : {Count::distinct, Count::total})
    for (u64 lo = 1; lo <= 40; ++lo)
      for (u64 hi = lo; hi <= 300; hi += 7)
        for (const u64 chunk : {u64{0}, u64{1}, u64{5}, u64{64}}) {
          const Range r{lo, hi};
          ASSERT_EQ(wheel_histogram(r, count, chunk), test::oracle_histogram(r, count))
              << describe(r, count, chunk);
        }
}

TEST(Wheel, RangesNearOneAgainstTheOracle) {
  std::mt19937_64 rng(test::test_seed(702));
  for (int i = 0; i < 40; ++i) {
    const u64 hi = smooth_hi(rng, i % 4 == 0 ? 2000 : 300000);
    const Range r{some_lo(rng, hi), hi};
    const Count count = rng() % 2 ? Count::distinct : Count::total;
    const u64 chunk = rng() % 3 == 0 ? 0 : 1 + rng() % (hi / 2 + 1);
    EXPECT_EQ(wheel_histogram(r, count, chunk), test::oracle_histogram(r, count))
        << describe(r, count, chunk);
  }
}

TEST(Wheel, ManySegmentsAgainstTheDirectSieve) {
  // Up to 6e7: ~40 segments of cells, bucket primes, weights that change inside segments.
  std::mt19937_64 rng(test::test_seed(703));
  for (int i = 0; i < 24; ++i) {
    const u64 hi = smooth_hi(rng, i % 2 ? 3'000'000 : 60'000'000);
    const Range r{some_lo(rng, hi), hi};
    const Count count = i % 4 < 2 ? Count::distinct : Count::total;
    const u64 chunk = i % 3 == 0 ? 0 : 1 + rng() % (hi / 3 + 1);
    EXPECT_EQ(wheel_histogram(r, count, chunk), direct_histogram(r, count))
        << describe(r, count, chunk);
  }
}

/// The n = d * m of `target` (d = 2^a 3^b) with m in [ma, mb], by definition, from the oracle.
Histogram chunk_by_definition(const Range& target, Count count, u64 ma, u64 mb) {
  Histogram h;
  for (u64 m = ma; m <= mb; ++m) {
    if (m % 2 == 0 || m % 3 == 0) continue;
    const unsigned key = test::oracle_count(m, count);
    // d * m is compared as d <= hi / m, d >= ceil(lo / m): no product can wrap.
    for (u64 d3 = 1, b = 0; d3 <= target.hi / m; d3 *= 3, ++b)
      for (u64 d = d3, a = 0; d <= target.hi / m; d *= 2, ++a)
        if (d >= (target.lo + m - 1) / m)
          h.add(key + static_cast<unsigned>(count == Count::total ? a + b : (a > 0) + (b > 0)));
  }
  return h;
}

TEST(Wheel, ChunksFarFromOneByDefinition) {
  // Targets up to 2^62-1: chunks of m next to hi / d (where weights change), with bucket primes
  // and strides 2p up to 2^32.
  std::mt19937_64 rng(test::test_seed(704));
  struct Case {
    Range target;
    u64 divisor;  // the chunk lies around target.hi / divisor
  };
  const u64 top = wheel::kMaxHi;
  const std::vector<Case> cases = {
      {{1, 1'000'000'000'000}, 2},         {{3, 999'999'999'999}, 1},
      {{500'000'000'000, 1'000'000'000'000}, 6}, {{1'000'000, 3'656'158'440'062'976}, 3},
      {{top / 2, top}, 1},                  {{top / 3, top - 2}, 4},
  };
  for (const Case& c : cases) {
    const Count count = rng() % 2 ? Count::distinct : Count::total;
    const u64 centre = c.target.hi / c.divisor;
    const u64 ma = centre - 1500 - rng() % 500;
    const u64 mb = std::min(centre + 1500 + rng() % 500, c.target.hi);
    const auto kernel = make_kernel(Plan{c.target, count, KernelKind::wheel, 1});
    Histogram h;
    kernel->count({ma, mb}, h);
    EXPECT_EQ(h, chunk_by_definition(c.target, count, ma, mb))
        << describe(c.target, count, 0) << " m in [" << ma << ", " << mb << "]";
    EXPECT_EQ(h.total(), wheel::Target(c.target, count).numbers_in(ma, mb));
  }
}

TEST(Wheel, RefusesWhatItCannotCount) {
  EXPECT_THROW(make_kernel(KernelKind::wheel, Count::distinct, 1000), std::logic_error);
  EXPECT_THROW(make_plan({1, wheel::kMaxHi + 1}, Count::distinct, KernelKind::wheel, 0, 1),
               KernelRangeError);
  EXPECT_THROW(make_plan({668, 999}, Count::distinct, KernelKind::wheel, 0, 1), KernelRangeError);
  EXPECT_NO_THROW(make_plan({667, 999}, Count::distinct, KernelKind::wheel, 0, 1));
  // "MIN-1 at most 2 MAX/3" exactly, also where 3 does not divide MAX: 2 * 50 / 3 = 33.3.
  EXPECT_NO_THROW(make_plan({34, 50}, Count::distinct, KernelKind::wheel, 0, 1));
  EXPECT_THROW(make_plan({35, 50}, Count::distinct, KernelKind::wheel, 0, 1), KernelRangeError);
  EXPECT_NO_THROW(make_plan({2, 2}, Count::distinct, KernelKind::wheel, 0, 1));
  // The default takes the wheel a little inside that bound (MIN-1 < 2 floor(MAX/3)).
  EXPECT_FALSE(wheel::pays_for({34, 50}));
  EXPECT_FALSE(wheel::pays_for({667, 999}));
  EXPECT_TRUE(wheel::pays_for({666, 999}));
  EXPECT_FALSE(wheel::pays_for({1, wheel::kMaxHi + 1}));
  EXPECT_TRUE(wheel::pays_for({wheel::kMaxHi / 3, wheel::kMaxHi}));
  const auto kernel = make_kernel(Plan{{1, 1000}, Count::distinct, KernelKind::wheel, 1});
  Histogram h;
  EXPECT_THROW(kernel->count({1, 1001}, h), std::logic_error);
  // A chunk without any m coprime to 6 counts nothing.
  kernel->count({4, 4}, h);
  EXPECT_TRUE(h.empty());
}

TEST(Wheel, PaysNearOneOnly) {
  EXPECT_EQ(default_kernel({2, 500000}), KernelKind::wheel);
  EXPECT_EQ(default_kernel({1, 1}), KernelKind::automatic);  // 0 < 0 is false: one number, direct
  EXPECT_EQ(default_kernel({2, 10'000'000'000}), KernelKind::wheel);
  EXPECT_EQ(default_kernel({6'000'000'000, 10'000'000'000}), KernelKind::wheel);
  EXPECT_EQ(default_kernel({7'000'000'000, 10'000'000'000}), KernelKind::automatic);
  EXPECT_EQ(default_kernel({1'000'000'000'000'000, 1'000'001'000'000'000}), KernelKind::automatic);
  EXPECT_EQ(default_kernel({2, wheel::kMaxHi}), KernelKind::wheel);
  EXPECT_EQ(default_kernel({2, wheel::kMaxHi + 1}), KernelKind::automatic);
}

}  // namespace
}  // namespace numfactors
