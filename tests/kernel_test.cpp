/// @file kernel_test.cpp
/// @brief Every kernel made by make_kernel (sieve, trial, factor, hybrid, auto) against the
/// independent oracle on seeded random windows, at lo = 1 and up to 2^64-1, for both counts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <random>

#include "core/kernel.hpp"
#include "core/trial_kernel.hpp"
#include "oracle.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

using test::oracle_histogram;

constexpr u64 kTop = std::numeric_limits<u64>::max();

u64 test_seed() { return test::test_seed(0); }

Histogram kernel_histogram(KernelKind kind, const Range& r, Count count) {
  Histogram h;
  make_kernel(kind, count, r.hi)->count(r, h);
  return h;
}

struct Case {
  KernelKind kind;
  Count count;
};

class KernelVsOracle : public ::testing::TestWithParam<Case> {};

TEST_P(KernelVsOracle, WindowsAtOne) {
  const auto [kind, count] = GetParam();
  for (u64 hi : {1, 2, 3, 4, 10, 100, 1000, 65536, 100003})
    EXPECT_EQ(kernel_histogram(kind, {1, hi}, count), oracle_histogram({1, hi}, count)) << hi;
}

TEST_P(KernelVsOracle, RandomWindowsBelow2To40) {
  const auto [kind, count] = GetParam();
  std::mt19937_64 rng(test_seed());
  for (int i = 0; i < 40; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 40);
    const u64 lo = 1 + rng() % (u64{1} << bits);
    const u64 width = rng() % (kind == KernelKind::trial ? 300 : 5000);
    const Range r{lo, lo + width};
    EXPECT_EQ(kernel_histogram(kind, r, count), oracle_histogram(r, count))
        << "[" << r.lo << ", " << r.hi << "]";
  }
}

TEST_P(KernelVsOracle, WindowsEndingAt2To64Minus1) {
  const auto [kind, count] = GetParam();
  // Trial division of a prime near 2^64 takes ~2^31 divisions: keep its window tiny. The oracle
  // takes about a millisecond a number up here: the factoring kernels, checked against the sieve
  // over wider windows in factor_test.cpp, get 2000.
  const u64 width = kind == KernelKind::trial ? 2 : kind == KernelKind::sieve ? 20000 : 2000;
  const Range r{kTop - width, kTop};
  EXPECT_EQ(kernel_histogram(kind, r, count), oracle_histogram(r, count));
}

INSTANTIATE_TEST_SUITE_P(Kernels, KernelVsOracle,
                         ::testing::Values(Case{KernelKind::sieve, Count::distinct},
                                           Case{KernelKind::sieve, Count::total},
                                           Case{KernelKind::trial, Count::distinct},
                                           Case{KernelKind::trial, Count::total},
                                           Case{KernelKind::factor, Count::distinct},
                                           Case{KernelKind::factor, Count::total},
                                           Case{KernelKind::hybrid, Count::distinct},
                                           Case{KernelKind::hybrid, Count::total},
                                           Case{KernelKind::automatic, Count::distinct},
                                           Case{KernelKind::automatic, Count::total}),
                         [](const auto& info) {
                           return to_string(info.param.kind) + "_" + to_string(info.param.count);
                         });

TEST(TrialFactorCount, SmallValuesByHand) {
  EXPECT_EQ(trial_factor_count(1, Count::distinct), 0u);
  EXPECT_EQ(trial_factor_count(2, Count::distinct), 1u);
  EXPECT_EQ(trial_factor_count(12, Count::distinct), 2u);
  EXPECT_EQ(trial_factor_count(12, Count::total), 3u);
  EXPECT_EQ(trial_factor_count(u64{1} << 63, Count::total), 63u);
  EXPECT_EQ(trial_factor_count(kTop, Count::distinct), 7u);  // 3*5*17*257*641*65537*6700417
  EXPECT_EQ(trial_factor_count(65521ull * 65521 * 65521 * 65521, Count::total), 4u);  // p^4 ~ 2^64
  EXPECT_EQ(trial_factor_count(65521ull * 65521 * 65521 * 65521, Count::distinct), 1u);
}

TEST(SieveKernel, RandomWindowsNear2To64) {
  // One kernel (its primes up to 2^32 generated once) for every window, both counts.
  std::mt19937_64 rng(test_seed() + 1);
  for (const Count count : {Count::distinct, Count::total}) {
    auto kernel = make_kernel(KernelKind::sieve, count, kTop);
    for (int i = 0; i < 3; ++i) {
      const u64 lo = kTop - rng() % (u64{1} << 40) - 3000;
      const Range r{lo, lo + 2000 + rng() % 1000};
      Histogram h;
      kernel->count(r, h);
      EXPECT_EQ(h, oracle_histogram(r, count)) << "[" << r.lo << ", " << r.hi << "] " << to_string(count);
    }
  }
}

TEST(SieveKernel, ChunkSplitDoesNotChangeTheHistogram) {
  // Counting [lo, hi] at once equals counting it in uneven pieces with one kernel.
  const Range whole{999'000, 1'300'000};
  auto kernel = make_kernel(KernelKind::sieve, Count::total, whole.hi);
  Histogram once, pieces;
  kernel->count(whole, once);
  for (u64 a = whole.lo; a <= whole.hi; a += 77'777)
    kernel->count({a, std::min(whole.hi, a + 77'776)}, pieces);
  EXPECT_EQ(once, pieces);
  EXPECT_EQ(once.total(), whole.size());
}

}  // namespace
}  // namespace numfactors
