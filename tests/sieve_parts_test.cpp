/// @file sieve_parts_test.cpp
/// @brief The sieve kernel's parts, each against a direct computation: log weights, pre-sieve
/// patterns, the vectorized histogram pass and the bucket ring.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/arith.hpp"
#include "core/bucket_sieve.hpp"
#include "core/cell_histogram.hpp"
#include "core/presieve.hpp"
#include "core/sieve_cells.hpp"
#include "seed.hpp"

namespace numfactors::sieve {
namespace {

constexpr u64 kTop = std::numeric_limits<u64>::max();
__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin; -pedantic wants the marker

void expect_weight_bound(u64 p) {
  const long double exact = kLogScale * std::log2(static_cast<long double>(p));
  const long double w = weight_of(p);
  EXPECT_LE(w, exact) << p;
  EXPECT_LT(exact - w, kWeightError) << p;
}

TEST(Arith, IsqrtIsTheFloorOfTheRootAtEverySquareBoundary) {
  // r = isqrt(n) exactly when r^2 <= n < (r+1)^2, checked in 128 bits: at k^2 - 1, k^2, k^2 + 1
  // for k near 2^26 and 2^32 (where a double loses the low bits of n), at random k, and at 2^64-1.
  const auto check = [](u64 n) {
    const u128 r = isqrt(n);
    EXPECT_LE(r * r, n) << n;
    EXPECT_GT((r + 1) * (r + 1), n) << n;
  };
  std::mt19937_64 rng(test::test_seed(7103));
  std::vector<u64> roots;
  for (u64 d = 0; d < 2000; ++d)
    roots.insert(roots.end(), {d, (u64{1} << 26) + d - 1000, (u64{1} << 32) - 1 - d, rng() >> 32});
  for (const u64 k : roots) {
    check(k * k);
    if (k > 0) check(k * k - 1);
    if (k < 0xFFFFFFFFull) check(k * k + 1);
  }
  for (u64 d = 0; d < 1000; ++d) check(kTop - d);
  for (int i = 0; i < 100000; ++i) check(rng() >> (rng() % 64));
}

TEST(SieveWeights, EveryLeadingBitShiftsTheSameEightBitTable) {
  // weight_of reads one 256-entry table (k = 1) and adds c*(k - 1): the full formula must agree.
  for (unsigned k = 1; k < 64; ++k)
    for (unsigned m = 0; m < 256; ++m)
      ASSERT_EQ(weight_table_entry(k, m), weight_table_entry(1, m) + kLogScale * (k - 1))
          << "k " << k << " m " << m;
  for (unsigned k = 8; k < 64; ++k)
    for (unsigned m = 0; m < 256; ++m)
      ASSERT_EQ(weight_of((u64{256} + m) << (k - 8)), weight_table_entry(k, m)) << k << " " << m;
}

TEST(SieveWeights, LowerBoundWithinTheErrorBound) {
  for (u64 p = 2; p < (u64{1} << 16); ++p) expect_weight_bound(p);
  std::mt19937_64 rng(test::test_seed(501));
  for (int i = 0; i < 100000; ++i) expect_weight_bound(2 + rng() % (kTop - 1));
  for (unsigned k = 1; k < 64; ++k) {
    expect_weight_bound(u64{1} << k);
    expect_weight_bound((u64{1} << k) - 1 + (k == 1));
    expect_weight_bound((u64{1} << k) + 1);
  }
  expect_weight_bound(kTop);
}

TEST(SieveThreshold, NoMarginNearOneAndAmpleMarginHigher) {
  // Segments starting at 1 have log2(b/a) = log2(b): the test must refuse them.
  EXPECT_EQ(segment_threshold(1, 10, 3), -1);
  EXPECT_EQ(segment_threshold(1, u64{1} << 18, 512), -1);
  // A 2^18 segment at 2^22 or above always has the margin (sieve_cells.hpp).
  EXPECT_GE(segment_threshold(u64{1} << 22, (u64{1} << 22) + (u64{1} << 18) - 1, 2111), 0);
  EXPECT_GE(segment_threshold(kTop - (u64{1} << 18) + 1, kTop, 0xFFFFFFFFull), 0);
  // With the large primes of a pass at the top weighted as the smallest, 2^24 + 1 (the most error
  // a pass can add), the margin still holds; an error beyond c*log2(R) cannot.
  const double extra = 2 * (kLogScale * 32.0 - weight_of((u64{1} << 24) + 1));
  EXPECT_GE(segment_threshold(kTop - (u64{1} << 18) + 1, kTop, 0xFFFFFFFFull, extra), 0);
  EXPECT_EQ(segment_threshold(kTop - (u64{1} << 18) + 1, kTop, 0xFFFFFFFFull, 480), -1);
}

TEST(SieveThreshold, SeparatesTheTwoCasesOfTheProof) {
  // Whenever a threshold is given: t <= c log2(a) - 63 kWeightError (no cell without a prime
  // above R is flagged) and t > c log2(b) - c log2(R+1) (every cell with one is).
  std::mt19937_64 rng(test::test_seed(505));
  int checked = 0;
  for (int i = 0; i < 100000; ++i) {
    const u64 a = 1 + (rng() >> (rng() % 64));
    const u64 b = a + std::min<u64>(kTop - a, rng() % (u64{1} << 20));
    const u64 R = std::min<u64>(isqrt(b) + rng() % 3, 0xFFFFFFFFull);
    // Coarse weights of up to two large primes widen the error by `extra` (sieve_cells.hpp).
    const double extra = i % 2 ? 0.0 : static_cast<double>(rng() % 250);
    const int t = segment_threshold(a, b, R, extra);
    if (t < 0) continue;
    ++checked;
    const long double c = kLogScale;
    ASSERT_LE(t, c * std::log2(static_cast<long double>(a)) - 63 * kWeightError - extra)
        << a << " " << b << " " << extra;
    ASSERT_GT(t, c * std::log2(static_cast<long double>(b)) - c * std::log2(R + 1.0L))
        << a << " " << b;
  }
  EXPECT_GT(checked, 50000);
}

/// What the patterns must hold: the word of every covered prime power dividing n.
Cell pattern_sum(u64 n, Count count, const Presieve& presieve) {
  Cell sum = 0;
  for (const auto& [p, uncovered] : presieve.uncovered_powers()) {
    u64 q = p;
    for (unsigned e = 1; q < uncovered && n % q == 0; ++e, q *= p)
      sum = static_cast<Cell>(sum + weight_of(p) +
                              (e == 1 || count == Count::total ? kCountUnit : 0));
  }
  return sum;
}

TEST(SievePresieve, PatternsEqualDirectDivisibility) {
  std::mt19937_64 rng(test::test_seed(502));
  for (const Count count : {Count::distinct, Count::total}) {
    const Presieve presieve(count);
    for (const u64 a : {u64{1}, u64{2}, u64{21600}, kTop - 100000, rng() % (u64{1} << 40) + 1,
                        rng() % kTop + 1}) {
      const std::size_t len = static_cast<std::size_t>(std::min<u64>(kTop - a + 1, 100000));
      std::vector<Cell> cells(len);
      presieve.fill(a, cells.data(), len);
      for (std::size_t i = 0; i < len; ++i)
        ASSERT_EQ(cells[i], pattern_sum(a + i, count, presieve)) << "n = " << a + i;
    }
  }
}

TEST(SieveHistogramPass, EqualsScalarCounting) {
  std::mt19937_64 rng(test::test_seed(503));
  for (int round = 0; round < 50; ++round) {
    const std::size_t len = 1 + rng() % 20000;
    const int threshold = static_cast<int>(rng() % 1100) - 30;
    std::vector<Cell> cells(len);
    for (Cell& c : cells)
      c = static_cast<Cell>(((rng() % 20) << kCountShift) | (rng() % (kLogMask + 1)));
    Bins fast{}, slow{};
    add_cell_keys(cells.data(), len, threshold, fast);
    for (const Cell c : cells)
      slow[(c >> kCountShift) + (static_cast<int>(c & kLogMask) < threshold)]++;
    EXPECT_EQ(fast, slow) << "len " << len << " threshold " << threshold;
  }
}

TEST(SieveBuckets, EveryEntryComesBackOnceInItsSegmentAcrossTheRing) {
  Buckets buckets;
  std::mt19937_64 rng(test::test_seed(504));
  for (int round = 0; round < 3; ++round) {  // reset() must recycle blocks and forget entries
    buckets.reset(100);
    std::vector<std::vector<std::uint32_t>> expected(1000);
    for (std::uint32_t i = 0; i < 20000; ++i) {
      const u64 segment = rng() % 100;  // within one ring turn of segment 0
      expected[segment].push_back(i);
      buckets.push(segment, {i, 0});
    }
    for (u64 segment = 0; segment < 1000; ++segment) {
      std::vector<std::uint32_t> got;
      buckets.drain(segment, [&](BucketEntry e) {
        got.push_back(e.prime);
        // Re-push up to 100 segments ahead, as a sieve would.
        const u64 ahead = segment + 1 + e.prime % 100;
        if (ahead < 1000) {
          expected[ahead].push_back(e.prime);
          buckets.push(ahead, e);
        }
      });
      std::sort(got.begin(), got.end());
      std::sort(expected[segment].begin(), expected[segment].end());
      ASSERT_EQ(got, expected[segment]) << "segment " << segment;
    }
  }
}

TEST(SieveHitLists, EveryOffsetComesBackOnceInItsList) {
  HitLists lists;
  std::mt19937_64 rng(test::test_seed(505));
  for (int round = 0; round < 3; ++round) {  // reset() must recycle blocks and forget entries
    const std::size_t n = 1 + rng() % 40;
    lists.reset(n);
    std::vector<std::vector<std::uint16_t>> expected(n);
    for (int i = 0; i < 100000; ++i) {  // several 4 KB blocks a list
      const u64 offset = rng() % (n << HitLists::kLog2ListCells);
      expected[offset >> HitLists::kLog2ListCells].push_back(static_cast<std::uint16_t>(offset));
      lists.push(offset);
    }
    for (std::size_t list = 0; list < n; list += 1 + round) {  // some lists left to reset()
      std::vector<std::uint16_t> got;
      lists.drain(list, [&](std::uint16_t o) { got.push_back(o); });
      std::sort(got.begin(), got.end());
      std::sort(expected[list].begin(), expected[list].end());
      ASSERT_EQ(got, expected[list]) << "list " << list;
    }
  }
}

TEST(SieveFirstMultiples, OffsetsEqualTheDivisionsAnywhereBelow2To64) {
  // The double quotient is off by one at times; the corrections must make every offset exact,
  // for starts at multiples (offset 0), just after them, and up to 2^64 - 1.
  std::mt19937_64 rng(test::test_seed(506));
  std::vector<std::uint32_t> primes;
  for (const u64 start : {u64{1} << 22, (u64{1} << 31) - 1000, (u64{1} << 32) - 3000})
    for (u64 p = start, want = primes.size() + 101; primes.size() < want && p < (u64{1} << 32);
         ++p) {
      bool prime = p % 2 == 1;
      for (u64 d = 3; prime && d * d <= p; d += 2) prime = p % d != 0;
      if (prime) primes.push_back(static_cast<std::uint32_t>(p));
    }
  std::vector<std::uint32_t> offsets(primes.size());
  std::vector<u64> starts = {1, 2, ~u64{0}, ~u64{0} - 1, u64{1} << 63};
  for (int i = 0; i < 200; ++i) starts.push_back(rng() >> (rng() % 40));
  for (const std::uint32_t p : {primes.front(), primes.back()}) {
    starts.push_back(~u64{0} / p * p);  // the last multiple below 2^64, and the number after it
    starts.push_back(~u64{0} / p * p + 1);
  }
  for (const u64 a : starts) {
    first_multiple_offsets(a, primes.data(), primes.size(), offsets.data());
    std::vector<std::uint32_t> expected;  // the offsets below `cells`, for single_hits
    const u64 cells = u64{1} << 22;       // every prime here is at least that: one hit at most
    for (std::size_t i = 0; i < primes.size(); ++i) {
      const u64 r = a % primes[i];
      ASSERT_EQ(offsets[i], r == 0 ? 0 : primes[i] - r) << a << " mod " << primes[i];
      if (offsets[i] < cells) expected.push_back(offsets[i]);
    }
    // single_hits gathers the same hits (8 primes at a time where the CPU can; the count is no
    // multiple of 8, so the rest goes the portable way).
    std::vector<std::uint32_t> hits(primes.size());
    hits.resize(single_hits(a, primes.data(), primes.size(), cells, hits.data()));
    std::sort(hits.begin(), hits.end());
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(hits, expected) << a;
  }
}

TEST(SieveFirstMultiples, OffsetsOfPrimesAndSquaresEqualTheDivisionsBelow2To53) {
  // The sieve's stored primes (below 2^26) for chunks starting below 2^53: every offset of p and
  // of p^2 against integer division, at multiples (offset 0), next to them, and at the top.
  std::mt19937_64 rng(test::test_seed(507));
  std::vector<std::uint32_t> primes;
  for (const u64 start : {u64{2}, u64{1} << 16, (u64{1} << 26) - 2000})
    for (u64 p = start, want = primes.size() + 101; primes.size() < want; ++p) {
      bool prime = p >= 2;
      for (u64 d = 2; prime && d * d <= p; ++d) prime = p % d != 0;
      if (prime) primes.push_back(static_cast<std::uint32_t>(p));
    }
  ASSERT_LT(u64{primes.back()}, u64{1} << 26);
  const u64 top = (u64{1} << 53) - 1;
  std::vector<u64> starts = {1, 2, 3, top, top - 1};
  for (int i = 0; i < 200; ++i) starts.push_back((rng() >> 11) >> (rng() % 40) | 1);
  for (const std::uint32_t p : {primes[0], primes[150], primes.back()})
    for (const u64 m : {u64{p}, u64{p} * p})
      for (const u64 a :
           {top / m * m, top / m * m - 1, top / m * m + 1, m, m + 1, (top / 3) / m * m + m})
        starts.push_back(a);
  std::vector<u64> offsets(primes.size()), squares(primes.size());
  for (const u64 a : starts) {
    ASSERT_GE(a, 1u);
    ASSERT_LE(a, top);
    first_multiple_offsets_exact(a, primes.data(), primes.size(), offsets.data(), squares.data());
    for (std::size_t i = 0; i < primes.size(); ++i) {
      const u64 p = primes[i], r = a % p, r2 = a % (p * p);
      ASSERT_EQ(offsets[i], r == 0 ? 0 : p - r) << a << " mod " << p;
      ASSERT_EQ(squares[i], r2 == 0 ? 0 : p * p - r2) << a << " mod " << p << "^2";
    }
  }
}

}  // namespace
}  // namespace numfactors::sieve
