/// @file sieve_kernel_test.cpp
/// @brief The sieve kernel where its mechanisms meet edges: tiny hi (the log test's fallback),
/// powers of two, segment and pass boundaries, bucket primes, squares of primes next to sqrt(hi),
/// windows straddling 2^32 and ending at 2^64-1. References: trial division for small n, the
/// plain product sieve (exact_segment, no log weights, no buckets) and the Pollard-rho oracle.
#include "core/sieve_kernel.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <limits>
#include <primesieve.hpp>
#include <random>
#include <sstream>

#include "core/arith.hpp"
#include "core/exact_segment.hpp"
#include "core/huge_pages.hpp"
#include "core/kernel.hpp"
#include "core/trial_kernel.hpp"
#include "oracle.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

using test::oracle_histogram;

constexpr u64 kTop = std::numeric_limits<u64>::max();
constexpr u64 kSegment = SieveKernel::kSegmentCells;

Histogram sieve_histogram(const Range& r, Count count) {
  Histogram h;
  make_kernel(KernelKind::sieve, count, r.hi)->count(r, h);
  return h;
}

/// The product sieve over [r.lo, r.hi] in one segment.
Histogram product_histogram(const Range& r, Count count) {
  std::vector<std::uint32_t> primes;
  primesieve::generate_primes(isqrt(r.hi), &primes);
  Histogram h;
  sieve::count_segment_exactly(r.lo, r.size(), primes, count, h);
  return h;
}

std::string describe(const Range& r, Count count) {
  std::ostringstream s;  // (operator+ chains trip a false -Wrestrict in GCC 12)
  s << "[" << r.lo << ", " << r.hi << "] " << to_string(count);
  return s.str();
}

/// This process's address space in bytes (/proc/self/statm's first field, in pages).
u64 address_space() {
  std::ifstream statm("/proc/self/statm");
  u64 pages = 0;
  statm >> pages;
  return pages * static_cast<u64>(sysconf(_SC_PAGESIZE));
}

TEST(HugePages, ABlockIsAlignedAndMapsExactlyItsWholePages) {
  // The planner counts a segment as its huge page under ulimit -v: glibc's aligned_alloc had
  // kept a huge page more of address space beside each block.
  for (const std::size_t bytes : {std::size_t{1}, std::size_t{1} << 20, kHugePageBytes,
                                  kHugePageBytes + 1, 3 * kHugePageBytes - 5}) {
    const u64 before = address_space();
    auto* const block = static_cast<unsigned char*>(huge_page_alloc(bytes));
    EXPECT_EQ(address_space() - before, huge_page_round(bytes)) << bytes;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % kHugePageBytes, 0u) << bytes;
    EXPECT_EQ(block[0] + block[bytes - 1], 0);  // fresh memory reads as zero
    block[0] = block[bytes - 1] = 1;
    huge_page_free(block, bytes);
    EXPECT_EQ(address_space(), before) << bytes;
  }
  EXPECT_THROW(huge_page_alloc(~std::size_t{0} - 5), std::bad_alloc);
  std::vector<int, HugePageAllocator<int>> v(1000, 7);
  v.resize(1 << 20, 8);
  EXPECT_EQ(v[999] + v[(1 << 20) - 1], 15);
}

TEST(SieveKernelEdges, EveryTinyRangeAgainstTrialDivision) {
  for (const Count count : {Count::distinct, Count::total})
    for (u64 lo = 1; lo <= 40; ++lo)
      for (u64 hi = lo; hi <= 300; hi += 7) {
        Histogram trial;
        for (u64 n = lo; n <= hi; ++n) trial.add(trial_factor_count(n, count));
        ASSERT_EQ(sieve_histogram({lo, hi}, count), trial) << describe({lo, hi}, count);
      }
}

TEST(SieveKernelEdges, PrefixesAroundPowersOfTwo) {
  for (const Count count : {Count::distinct, Count::total})
    for (unsigned k = 2; k <= 21; ++k)
      for (const u64 hi : {(u64{1} << k) - 1, u64{1} << k, (u64{1} << k) + 1}) {
        const Range r{1, hi};
        EXPECT_EQ(sieve_histogram(r, count), product_histogram(r, count)) << describe(r, count);
      }
}

TEST(SieveKernelEdges, SegmentBoundariesAndBucketPrimes) {
  // Windows of a few segments at heights where R = isqrt(hi) is below, near and above a segment
  // (direct entries only, both, buckets with strides of many segments).
  std::mt19937_64 rng(test::test_seed(511));
  for (const unsigned bits : {24u, 34u, 36u, 37u, 40u, 46u, 50u}) {
    const u64 lo = (u64{1} << bits) + rng() % (u64{1} << (bits - 1));
    const Range r{lo, lo + 2 * kSegment + rng() % kSegment};
    const Count count = bits % 2 ? Count::total : Count::distinct;
    EXPECT_EQ(sieve_histogram(r, count), product_histogram(r, count)) << describe(r, count);
  }
}

TEST(SieveKernelEdges, WindowStraddling2To32) {
  const Range r{(u64{1} << 32) - kSegment - 777, (u64{1} << 32) + kSegment + 555};
  EXPECT_EQ(sieve_histogram(r, Count::total), product_histogram(r, Count::total));
}

TEST(SieveKernelEdges, SquaresOfPrimesNextToTheRoot) {
  // hi = p^2 - 1, p^2, p^2 + 1 for primes p around 2^20 and 2^31: p is then just above, at or
  // below isqrt(hi); the cells around p^2 must count p^2 as one prime (twice with multiplicity).
  for (const u64 near : {u64{1} << 20, u64{1} << 31}) {
    primesieve::iterator it(near);
    const u64 p = it.next_prime();
    for (const u64 hi : {p * p - 1, p * p, p * p + 1})
      for (const Count count : {Count::distinct, Count::total}) {
        const Range r{hi - 300, hi};
        EXPECT_EQ(sieve_histogram(r, count), oracle_histogram(r, count)) << describe(r, count);
      }
  }
}

TEST(SieveKernelEdges, LargePrimesTheirSquaresAndProductsOfTwo) {
  // Above a pass's carried primes, the large ones are found anew each pass and listed with a
  // common lower-bound weight, and their squares p^2 j by their cofactor j: windows holding the
  // smallest large prime's square times a large j, a product of two large primes, and the square
  // of the largest prime below the root, at three heights.
  for (const u64 hi : {(u64{1} << 54) + 12345, (u64{1} << 60) + 999, kTop}) {
    const u64 root = isqrt(hi);
    const u64 large_from = SieveKernel::pass_plan(root, false).large_from;
    ASSERT_LT(large_from, root) << hi;
    primesieve::iterator it(large_from + 1);
    const u64 p = it.next_prime(), q = it.next_prime();  // the smallest large primes
    std::vector<u64> centers = {hi / (p * p) * (p * p), hi / (p * q) * (p * q)};
    primesieve::iterator down(root + 1);
    const u64 r = down.prev_prime();  // r^2 <= hi
    centers.push_back(r * r);
    primesieve::iterator big(hi / p / 2);  // p times a large prime near hi / 2
    centers.push_back(p * big.next_prime());
    // Up here a window is a pass over all 203M primes below 2^32: one count only.
    const Count count = hi == kTop ? Count::distinct : Count::total;
    auto kernel = make_kernel(KernelKind::sieve, count, hi);
    for (const u64 c : centers) {
      const Range w{c - 150, std::min(hi, c + 150)};
      Histogram h;
      kernel->count(w, h);
      EXPECT_EQ(h, oracle_histogram(w, count)) << describe(w, count);
    }
  }
}

TEST(SieveKernelEdges, SplitsDoNotChangeTheHistogramNear2To60AndAtTheTop) {
  // One call spanning segments and passes (2^24 cells per pass this high) against uneven pieces;
  // the pieces themselves are checked against the oracle by kernel_test.cpp.
  for (const Range whole :
       {Range{(u64{1} << 60) + 12345, (u64{1} << 60) + 12345 + (u64{1} << 24) + 3 * kSegment},
        Range{kTop - 2 * kSegment - 999, kTop}}) {
    auto kernel = make_kernel(KernelKind::sieve, Count::total, whole.hi);
    Histogram once, pieces;
    kernel->count(whole, once);
    const u64 step = whole.size() / 3 + 4321;
    for (u64 a = whole.lo;; a += step) {
      const bool last = whole.hi - a < step;
      kernel->count({a, last ? whole.hi : a + step - 1}, pieces);
      if (last) break;
    }
    EXPECT_EQ(once, pieces) << describe(whole, Count::total);
    EXPECT_EQ(once.total(), whole.size());
  }
}

TEST(SieveKernelEdges, OracleAcrossASegmentBoundaryAtTheTop) {
  // The last 300 numbers of one segment and the first 300 of the next, near 2^64 - 1.
  const u64 lo = kTop - kSegment - 300;
  auto kernel = make_kernel(KernelKind::sieve, Count::distinct, kTop);
  Histogram whole, head;
  kernel->count({lo, kTop}, whole);
  kernel->count({lo + 600, kTop}, head);
  whole -= head;  // [lo, lo + 599]: 300 cells either side of the boundary at lo + 2^18
  EXPECT_EQ(whole, oracle_histogram({lo, lo + 599}, Count::distinct));
}

}  // namespace
}  // namespace numfactors

namespace numfactors {
namespace {

TEST(SieveKernelContract, AChunkAboveMaxHiIsRefusedNotMiscounted) {
  // Made for numbers <= 100, the kernel holds primes <= 10 only: [1, 10^6] would need primes
  // up to 1000, so it must throw rather than return a wrong histogram.
  auto kernel = make_kernel(KernelKind::sieve, Count::distinct, 100);
  Histogram h;
  EXPECT_THROW(kernel->count({1, 1'000'000}, h), std::logic_error);
  Histogram within;
  kernel->count({1, 100}, within);
  EXPECT_EQ(within.total(), 100u);
  EXPECT_EQ(within[1], 35u);  // 25 primes + 10 prime powers (4 8 16 32 64 9 27 81 25 49) in [1, 100]
}

TEST(SieveKernelContract, AWorkerHoldsWhatItsEstimateSays) {
  // The planner refuses more workers than memory holds by worker_bytes: it must bound what a
  // kernel holds after a chunk, and not by so much that runs that fit are refused. Chunks of
  // numbers near 10^12 (no buckets), 10^15 (buckets and large primes) and 10^18 (a pass of the
  // memory bound is longer than the chunk), and of the wheel near 10^11.
  struct Case {
    u64 lo, cells;
    bool wheel;
  };
  for (const Case& c :
       {Case{1'000'000'000'000, u64{1} << 24, false},
        Case{1'000'000'000'000'000, u64{1} << 26, false},
        Case{1'000'000'000'000'000'000, u64{1} << 25, false}, Case{1, u64{1} << 26, true}}) {
    const u64 hi = c.wheel ? 100'000'000'000 : c.lo + (c.cells - 1);
    SieveKernel kernel =
        c.wheel ? SieveKernel(Count::distinct, Range{2, hi}) : SieveKernel(Count::distinct, hi);
    Histogram h;
    // A wheel chunk of m values: a third of them are cells.
    kernel.count(c.wheel ? Range{1, 3 * c.cells} : Range{c.lo, hi}, h);
    const u64 held = kernel.held_bytes();
    const u64 bound = SieveKernel::worker_bytes(hi, c.cells, c.wheel);
    EXPECT_LE(held, bound) << c.lo;
    EXPECT_LE(bound, 2 * held + (u64{4} << 20)) << c.lo;
  }
}

}  // namespace
}  // namespace numfactors
