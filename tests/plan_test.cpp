/// @file plan_test.cpp
/// @brief Chunking: the chunks of a Plan partition its range exactly (no gap, no overlap, no wrap
/// at 2^64-1), checked chunk by chunk for small counts and arithmetically for huge ones; and the
/// default chunk size gives every worker many chunks.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include "numfactors/errors.hpp"
#include "core/plan.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin; -pedantic wants the marker
constexpr u64 kTop = std::numeric_limits<u64>::max();

std::string describe(const Plan& p) {
  std::ostringstream s;  // not operator+ on strings: GCC 12 gives a false -Wrestrict there
  s << "[" << p.range.lo << ", " << p.range.hi << "] chunk_size " << p.chunk_size;
  return s.str();
}

/// ceil(size / chunk_size), computed in 128 bits.
u64 expected_chunk_count(const Plan& p) {
  const u128 size = u128{p.range.hi} - p.range.lo + 1;
  return static_cast<u64>((size + p.chunk_size - 1) / p.chunk_size);
}

/// Every chunk in order: each starts right after the previous one ends, all but the last have
/// chunk_size numbers, the last ends at range.hi, and the sizes add up to the range's size.
void expect_exact_partition(const Plan& p) {
  const u64 n = p.chunk_count();
  ASSERT_EQ(n, expected_chunk_count(p)) << describe(p);
  u128 covered = 0;
  u128 next_lo = p.range.lo;
  for (u64 i = 0; i < n; ++i) {
    const Range c = p.chunk(i);
    ASSERT_EQ(c.lo, next_lo) << describe(p) << " chunk " << i;
    ASSERT_LE(c.lo, c.hi) << describe(p) << " chunk " << i;
    ASSERT_LE(c.hi, p.range.hi) << describe(p) << " chunk " << i;
    if (i + 1 < n) {
      ASSERT_EQ(c.size(), p.chunk_size) << describe(p) << " chunk " << i;
    }
    covered += c.size();
    next_lo = u128{c.hi} + 1;
  }
  EXPECT_EQ(p.chunk(n - 1).hi, p.range.hi) << describe(p);
  EXPECT_TRUE(covered == u128{p.range.hi} - p.range.lo + 1) << describe(p);
}

/// The same without visiting every chunk: the first and last `edge` chunks are checked as above,
/// and the middle follows from chunk i starting at lo + i * chunk_size (checked at a few samples).
void expect_exact_partition_sampled(const Plan& p, u64 edge = 4) {
  const u64 n = p.chunk_count();
  ASSERT_EQ(n, expected_chunk_count(p)) << describe(p);
  ASSERT_EQ(p.chunk(0).lo, p.range.lo) << describe(p);
  const auto check = [&](u64 i) {
    const Range c = p.chunk(i);
    ASSERT_TRUE(u128{c.lo} == u128{p.range.lo} + u128{i} * p.chunk_size) << describe(p) << " chunk " << i;
    ASSERT_LE(c.lo, c.hi) << describe(p) << " chunk " << i;
    if (i + 1 < n) {
      ASSERT_EQ(c.size(), p.chunk_size) << describe(p) << " chunk " << i;
      ASSERT_EQ(p.chunk(i + 1).lo, c.hi + 1) << describe(p) << " chunk " << i;
    } else {
      ASSERT_EQ(c.hi, p.range.hi) << describe(p);
    }
  };
  for (u64 i = 0; i < std::min(n, edge); ++i) check(i);
  for (u64 i = n - std::min(n, edge); i < n; ++i) check(i);
  for (u64 i : {n / 3, n / 2, n - n / 3}) check(std::min(i, n - 1));
  // (n - 1) full chunks plus the last one cover the range exactly.
  const u128 covered = u128{n - 1} * p.chunk_size + p.chunk(n - 1).size();
  EXPECT_TRUE(covered == u128{p.range.hi} - p.range.lo + 1) << describe(p);
}

Plan plan_of(u64 lo, u64 hi, u64 chunk_size) { return Plan{{lo, hi}, Count::distinct, KernelKind::sieve, chunk_size}; }

TEST(Plan, SmallCasesByHand) {
  const Plan p = plan_of(2, 10, 4);
  ASSERT_EQ(p.chunk_count(), 3u);
  EXPECT_EQ(p.chunk(0), (Range{2, 5}));
  EXPECT_EQ(p.chunk(1), (Range{6, 9}));
  EXPECT_EQ(p.chunk(2), (Range{10, 10}));
  EXPECT_EQ(plan_of(7, 7, 1).chunk_count(), 1u);
  EXPECT_EQ(plan_of(7, 7, 1).chunk(0), (Range{7, 7}));
}

TEST(Plan, ChunkSizeOneAndChunkSizeAtLeastTheRange) {
  expect_exact_partition(plan_of(1, 1000, 1));
  expect_exact_partition(plan_of(kTop - 999, kTop, 1));
  for (u64 cs : {u64{1000}, u64{1001}, u64{1} << 40, kTop - 1, kTop}) {
    const Plan p = plan_of(kTop - 999, kTop, cs);
    EXPECT_EQ(p.chunk_count(), 1u) << describe(p);
    EXPECT_EQ(p.chunk(0), p.range) << describe(p);
    expect_exact_partition(plan_of(5, 1004, cs));
  }
}

TEST(Plan, WholeRangeUpTo2To64Minus1) {
  // [1, 2^64-1] has 2^64-1 numbers.
  const Plan one = plan_of(1, kTop, kTop);
  EXPECT_EQ(one.chunk_count(), 1u);
  EXPECT_EQ(one.chunk(0), (Range{1, kTop}));

  const Plan halves = plan_of(1, kTop, u64{1} << 63);
  ASSERT_EQ(halves.chunk_count(), 2u);
  EXPECT_EQ(halves.chunk(0), (Range{1, u64{1} << 63}));
  EXPECT_EQ(halves.chunk(1), (Range{(u64{1} << 63) + 1, kTop}));

  // 2^64-1 = (2^32+1) * (2^32-1): exactly 2^32+1 chunks, the last one full too.
  const Plan big = plan_of(1, kTop, (u64{1} << 32) - 1);
  EXPECT_EQ(big.chunk_count(), (u64{1} << 32) + 1);
  EXPECT_EQ(big.chunk(big.chunk_count() - 1), (Range{kTop - ((u64{1} << 32) - 2), kTop}));
  expect_exact_partition_sampled(big);

  for (u64 cs : {u64{1} << 28, u64{3}, u64{1000003}, (u64{1} << 63) - 1, (u64{1} << 63) + 1, kTop - 1})
    expect_exact_partition_sampled(plan_of(1, kTop, cs));
  expect_exact_partition_sampled(plan_of(2, kTop, 2));
  expect_exact_partition_sampled(plan_of(kTop, kTop, 5));
}

TEST(Plan, RandomRangesAndChunkSizes) {
  std::mt19937_64 rng(test::test_seed(201));
  for (int i = 0; i < 3000; ++i) {
    // Range ends anywhere, often at or near 2^64-1; sizes from 1 to 2^64-1.
    const u64 hi = i % 3 == 0 ? kTop - rng() % 3 : std::max<u64>(1, rng() >> (rng() % 64));
    const u64 size = 1 + rng() % (rng() % 2 ? 5000 : hi);
    const u64 lo = hi - std::min(size, hi) + 1;
    const u64 range_size = hi - lo + 1;
    u64 cs;
    switch (rng() % 4) {
      case 0: cs = 1 + rng() % 64; break;
      case 1: cs = 1 + rng() % range_size; break;
      case 2: cs = range_size > kTop - 100 ? kTop : range_size + rng() % 100; break;
      default: cs = std::max<u64>(1, rng() >> (rng() % 64)); break;
    }
    const Plan p = plan_of(lo, hi, cs);
    if (p.chunk_count() <= 5000)
      expect_exact_partition(p);
    else
      expect_exact_partition_sampled(p, 16);
    if (HasFatalFailure()) return;
  }
}

TEST(Plan, DefaultChunkSizeGivesEveryWorkerManyChunks) {
  const Range big_ranges[] = {{2, 1000000000},  {2, 10000000000},    {1, u64{1} << 40},
                              {1, kTop},        {kTop - (u64{1} << 40), kTop}, {1000000000000, 1100000000000}};
  for (const Range& r : big_ranges)
    for (unsigned workers : {1u, 2u, 3u, 4u, 8u, 16u}) {
      const u64 cs = default_chunk_size(r, workers);
      const Plan p = plan_of(r.lo, r.hi, cs);
      EXPECT_GE(p.chunk_count(), 16u * workers) << describe(p) << " for " << workers << " workers";
      expect_exact_partition_sampled(p);
    }
}

TEST(Plan, DefaultChunkSizeForSmallRanges) {
  for (const Range& r : {Range{1, 1}, Range{2, 10}, Range{kTop, kTop}, Range{2, 500000}})
    for (unsigned workers : {0u, 1u, 2u, 64u}) {
      // At least 2^16 numbers a chunk, so a range this small is one chunk.
      const u64 cs = default_chunk_size(r, workers);
      EXPECT_GE(cs, u64{1} << 16);
      EXPECT_EQ(plan_of(r.lo, r.hi, cs).chunk_count(), r.size() <= (u64{1} << 16) ? 1u : 8u);
      expect_exact_partition(plan_of(r.lo, r.hi, cs));
    }
}

TEST(Plan, MakePlanFillsAndValidates) {
  const Plan given = make_plan({2, 100}, Count::total, KernelKind::trial, 7, 3);
  EXPECT_EQ(given.range, (Range{2, 100}));
  EXPECT_EQ(given.count, Count::total);
  EXPECT_EQ(given.kernel, KernelKind::trial);
  EXPECT_EQ(given.chunk_size, 7u);
  const Range r{2, 1000000000};
  EXPECT_EQ(make_plan(r, Count::distinct, KernelKind::sieve, 0, 4).chunk_size,
            default_chunk_size(r, KernelKind::sieve, 4));
  EXPECT_EQ(make_plan(r, Count::distinct, KernelKind::trial, 0, 4).chunk_size,
            default_chunk_size(r, 4));
  EXPECT_THROW(make_plan({0, 10}, Count::distinct, KernelKind::sieve, 1, 1), RangeError);
  EXPECT_THROW(make_plan({11, 10}, Count::distinct, KernelKind::sieve, 1, 1), RangeError);
}

}  // namespace
}  // namespace numfactors
