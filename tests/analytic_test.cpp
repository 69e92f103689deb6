/// @file analytic_test.cpp
/// @brief The sublinear method against the segmented sieve (seeded random ranges, squares of
/// primes around the table's boundaries), the published histograms, primesieve's prime powers,
/// and itself split over threads and items.
#include "core/analytic.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <primesieve.hpp>
#include <random>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/analytic_leaves.hpp"
#include "core/analytic_quotient.hpp"
#include "core/analytic_sums.hpp"
#include "core/arith.hpp"
#include "core/kernel.hpp"
#include "numfactors/errors.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

u64 analytic_seed(u64 salt) { return test::test_seed(salt); }

Histogram sieve_histogram(const Range& r, Count count) {
  Histogram h;
  make_kernel(KernelKind::sieve, count, r.hi)->count(r, h);
  return h;
}

void expect_matches_sieve(const Range& r) {
  const FactorHistograms a = count_range(r);
  for (const Count count : {Count::distinct, Count::total})
    EXPECT_EQ(a.of(count), sieve_histogram(r, count))
        << "[" << r.lo << ", " << r.hi << "] " << to_string(count);
  EXPECT_EQ(a.distinct.total(), r.size());
  EXPECT_EQ(a.total.total(), r.size());
}

/// A ParallelFor over std::threads taking pieces from a shared counter, as an executor would.
ParallelFor thread_for(unsigned threads) {
  return [threads](u64 begin, u64 end, const RangeBody& body) {
    std::atomic<u64> next{begin};
    const u64 grain = std::max<u64>(1, (end - begin) / (threads * 16));
    auto work = [&] {
      for (u64 lo; (lo = next.fetch_add(grain)) < end;) body(lo, std::min(end, lo + grain));
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  };
}

/// floor(x^(1/k)) exactly, k >= 2.
u64 integer_root(u64 x, unsigned k) {
  auto pow_at_most = [&](u64 b) {  // b^k <= x, without overflow
    u64 v = 1;
    for (unsigned i = 0; i < k; ++i) {
      if (v > x / b) return false;
      v *= b;
    }
    return true;
  };
  u64 r = static_cast<u64>(std::pow(static_cast<double>(x), 1.0 / k));
  while (r > 1 && !pow_at_most(r)) --r;
  while (pow_at_most(r + 1)) ++r;
  return r;
}

/// Prime powers p^k (k >= 1) in [lo, hi], counted with primesieve.
u64 prime_powers(const Range& r) {
  u64 n = primesieve::count_primes(r.lo, r.hi);
  for (unsigned k = 2; k < 64; ++k) {
    const u64 top = integer_root(r.hi, k);
    if (top < 2) break;
    const u64 bottom = r.lo <= 1 ? 2 : integer_root(r.lo - 1, k) + 1;  // p^k >= lo
    if (bottom <= top) n += primesieve::count_primes(bottom, top);
  }
  return n;
}

TEST(Analytic, EveryPrefixUpTo3000MatchesTheSieve) {
  for (u64 hi = 1; hi <= 3000; ++hi) {
    const FactorHistograms a = count_prefix(hi);
    ASSERT_EQ(a.distinct, sieve_histogram({1, hi}, Count::distinct)) << hi;
    ASSERT_EQ(a.total, sieve_histogram({1, hi}, Count::total)) << hi;
  }
}

TEST(Analytic, RandomRangesMatchTheSieve) {
  std::mt19937_64 rng(analytic_seed(1));
  for (int i = 0; i < 40; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 36);
    const u64 lo = 1 + rng() % (u64{1} << bits);
    const u64 width = i % 4 == 0 ? rng() % 3 : rng() % 20000;  // tiny ranges too
    expect_matches_sieve({lo, lo + width});
  }
  expect_matches_sieve({1, 1});
  expect_matches_sieve({2, 2});
  expect_matches_sieve({3, 3});
}

/// The sum of all of a walk's items of one count, balanced (AnalyticWalk::run_item(k, count)),
/// completed.
Histogram balanced_sum(const AnalyticWalk& walk, Count count) {
  Histogram sum;
  for (std::size_t k = 0; k < walk.item_count(); ++k) sum += walk.run_item(k, count);
  AnalyticWalk::complete(sum, count);
  return sum;
}

TEST(Analytic, TheSumsThatBalanceBinsAreThoseOfTheirFactorizations) {
  // The sums of omega, Omega and 2^omega against factorizations by trial division, for every n
  // up to 3000.
  u64 omega_sum = 0, big_omega_sum = 0, two_to_omega = 0;
  for (u64 n = 1; n <= 3000; ++n) {
    unsigned omega = 0;
    for (u64 m = n, p = 2; m > 1; ++p) {
      if (p * p > m) p = m;
      if (m % p != 0) continue;
      ++omega;
      for (; m % p == 0; m /= p) ++big_omega_sum;
    }
    omega_sum += omega;
    two_to_omega += u64{1} << omega;
    PrimeCountTable table(n);
    table.build();
    ASSERT_EQ(factor_count_sum(table, Count::distinct), omega_sum) << n;
    ASSERT_EQ(factor_count_sum(table, Count::total), big_omega_sum) << n;
    ASSERT_TRUE(two_to_omega_sum(n) == two_to_omega) << n;
  }
  // Against the sieve's histograms, with 64-bit large keys too, and on threads.
  for (const u64 n : {u64{10'000'019}, u64{99'999'989}}) {
    PrimeCountTable table(n);
    table.build(thread_for(2));
    for (const Count count : {Count::distinct, Count::total}) {
      const Histogram h = sieve_histogram({1, n}, count);
      u64 moment = 0, powers = 0;
      for (unsigned k = 0; k <= Histogram::kMaxKey; ++k) {
        moment += k * h[k];
        powers += h[k] << k;
      }
      EXPECT_EQ(factor_count_sum(table, count), moment) << n << " " << to_string(count);
      if (count == Count::distinct) {
        EXPECT_TRUE(two_to_omega_sum(n, thread_for(2)) == powers) << n;
      }
    }
  }
  EXPECT_TRUE(two_to_omega_sum(0) == 0);
  // Every vector path's quotient sums against integer division, up to 2^52 - 1.
  std::mt19937_64 rng(analytic_seed(8));
  for (const QuotientSumPath& path : quotient_sum_paths())
    for (int i = 0; i < 400; ++i) {
      const u64 x = i == 0 ? (u64{1} << 52) - 1 : rng() % (u64{1} << (1 + i % 52));
      const u64 s = std::min<u64>(isqrt(x), i % 3 == 0 ? u64{1} << 16 : rng() % 40);
      u64 expected = 0;
      for (u64 j = 1; j <= s; ++j) expected += x / j;
      ASSERT_EQ(path.sum(static_cast<double>(x), s), expected) << path.name << " x " << x;
    }
}

TEST(Analytic, BalancedItemsAddUpToTheExactHistogram) {
  // Every n to 400 and random ones to 2^34. The walk of both counts (exact items) is what the
  // other tests hold against the sieve; each completed balanced sum must equal it.
  std::vector<u64> ns;
  for (u64 n = 1; n <= 400; ++n) ns.push_back(n);
  std::mt19937_64 rng(analytic_seed(7));
  for (int i = 0; i < 12; ++i) ns.push_back(1 + rng() % (u64{1} << (12 + i * 2)));
  for (const u64 n : ns) {
    PrimeCountTable table(n);
    table.build(thread_for(2));
    const AnalyticWalk walk(table, 256);
    FactorHistograms exact;
    for (std::size_t k = 0; k < walk.item_count(); ++k) exact += walk.run_item(k);
    for (const Count count : {Count::distinct, Count::total}) {
      ASSERT_EQ(balanced_sum(walk, count), exact.of(count)) << n << " " << to_string(count);
      if (walk.item_count() < 2) continue;
      // Any other set of items: exact outside the balanced bins, which hold what makes its
      // count and first moment 0 (mod 2^64), and omega's bins 62 and 63, which carry parts of
      // the sum of 2^omega.
      const AnalyticWalk::Bins b = AnalyticWalk::balanced_bins(count);
      Histogram some, some_exact;
      for (std::size_t k = 1; k < walk.item_count(); k += 2) {
        some += walk.run_item(k, count);
        some_exact += walk.run_item(k).of(count);
      }
      u64 numbers = 0, moment = 0;
      const unsigned last = count == Count::distinct ? 61 : Histogram::kMaxKey;
      for (unsigned j = 0; j <= last; ++j) {
        if (j < b.first || j >= b.first + b.size) {
          ASSERT_EQ(some[j], some_exact[j]) << n << " bin " << j;
        }
        numbers += some[j];
        moment += j * some[j];
      }
      EXPECT_EQ(numbers, 0u) << n;
      EXPECT_EQ(moment, 0u) << n;
    }
  }
}

TEST(Analytic, SquaresOfPrimesAroundTableBoundaries) {
  // r = floor(sqrt(N)) and the rounds change at p^2 and p^4; N with many small factors too.
  std::mt19937_64 rng(analytic_seed(2));
  std::vector<u64> primes;
  primesieve::generate_primes(400, &primes);
  std::vector<u64> ends{720720, 232792560, 5354228880ull,
                        2ull * 3 * 5 * 7 * 11 * 13 * 17 * 19 * 23};
  for (int i = 0; i < 8; ++i) {
    const u64 p = primes[rng() % primes.size()];
    for (const u64 n : {p * p, p * p * p * p, p * p * p * p * p})
      if (n <= 30'000'000'000ull)  // keeps the test short
        for (const u64 e : {n - 1, n, n + 1}) ends.push_back(e);
  }
  for (const u64 q : {65521ull, 65537ull, 99991ull}) {
    ends.push_back(q * q - 1);
    ends.push_back(q * q);
  }
  for (const u64 hi : ends) expect_matches_sieve({hi > 3000 ? hi - 3000 : 1, hi});
}

TEST(Analytic, SixtyFourBitLargeKeys) {
  // Above 2^34 the first large keys exceed 2^32 odd numbers and use 64-bit entries.
  std::mt19937_64 rng(analytic_seed(3));
  for (int i = 0; i < 2; ++i) {
    const u64 hi = (u64{1} << 35) + rng() % (u64{1} << 35);
    expect_matches_sieve({hi - 5000, hi});
  }
}

TEST(Analytic, PublishedHistograms) {
  std::ifstream in(std::string(NUMFACTORS_TEST_DATA) + "/omega_histograms.json");
  ASSERT_TRUE(in) << "tests/data/omega_histograms.json";
  const auto data = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& c : data.at("cases")) {
    const Range r{c.at("lo").get<u64>(), c.at("hi").get<u64>()};
    Histogram expected;
    for (const auto& [k, v] : c.at("histogram").items())
      expected.add(static_cast<unsigned>(std::stoul(k)), v.get<u64>());
    const Count count = c.at("count") == "total" ? Count::total : Count::distinct;
    EXPECT_EQ(count_range(r).of(count), expected) << "[" << r.lo << ", " << r.hi << "]";
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

TEST(Analytic, OneDistinctFactorMeansPrimePower) {
  std::mt19937_64 rng(analytic_seed(4));
  for (int i = 0; i < 12; ++i) {
    const u64 hi = 2 + rng() % (u64{1} << (8 + 2 * i));
    const u64 lo = 1 + rng() % hi;
    const FactorHistograms a = count_range({lo, hi});
    EXPECT_EQ(a.distinct[1], prime_powers({lo, hi})) << "[" << lo << ", " << hi << "]";
    EXPECT_EQ(a.total[1], primesieve::count_primes(lo, hi)) << "[" << lo << ", " << hi << "]";
    EXPECT_EQ(a.distinct.total(), hi - lo + 1);
  }
}

TEST(Analytic, ThreadsAndItemOrderGiveTheSameHistograms) {
  const u64 n = 3'000'000'000ull;
  const FactorHistograms serial = count_prefix(n);
  EXPECT_EQ(count_prefix(n, thread_for(3)), serial);
  // Items in reverse order, each on its own, summed: the same again, however finely cut (the
  // finer cuts split the heaviest q2 by blocks of q3).
  PrimeCountTable table(n);
  table.build(thread_for(2));
  for (const std::size_t target : {1, 64, 100000}) {
    const AnalyticWalk walk(table, target);
    FactorHistograms sum;
    for (std::size_t k = walk.item_count(); k-- > 0;) sum += walk.run_item(k);
    EXPECT_EQ(sum, serial) << target << " items asked, " << walk.item_count() << " made";
  }
  EXPECT_EQ(serial.distinct.total(), n);
}

TEST(Analytic, TableBuiltInTwoParitySharesEqualsTheWholeBuild) {
  // As two MPI ranks would: each builds the large keys of one parity of d, then they swap.
  for (const u64 n : {u64{1'000'003}, u64{98'765'432'109}, (u64{1} << 36) + 12345}) {
    PrimeCountTable whole(n), odd(n), even(n);
    whole.build();
    odd.build(serial_for, {}, PrimeCountTable::Share::odd);
    even.build(thread_for(2), {}, PrimeCountTable::Share::even);
    odd.import_large(PrimeCountTable::Share::even, even.export_large(PrimeCountTable::Share::even));
    even.import_large(PrimeCountTable::Share::odd, odd.export_large(PrimeCountTable::Share::odd));
    for (const PrimeCountTable* t : {&odd, &even}) {
      for (u64 d = 1; d <= whole.root(); ++d)
        ASSERT_EQ(t->odd_pi_large(d), whole.odd_pi_large(d)) << "n " << n << " d " << d;
      for (u64 v = 1; v <= whole.root(); ++v)
        ASSERT_EQ(t->odd_pi_small(v), whole.odd_pi_small(v)) << "n " << n << " v " << v;
    }
  }
}

/// The first round of the tail (rounds of p with p^3 > n, done in batches): until then a build
/// asks whether to stop before each round.
std::size_t first_tail_round(const PrimeCountTable& table) {
  std::size_t k = 1;
  while (k <= table.rounds() &&
         u64{table.primes()[k]} * table.primes()[k] <= table.n() / table.primes()[k])
    ++k;
  return k;
}

TEST(Analytic, ATableBuildStoppedAfterAnyRoundResumesFromItsKeys) {
  // The keys after k rounds, copied out and into a new table, go on to the whole build's keys:
  // stopped before any round up to the tail, and before any batch of the tail's rounds.
  std::mt19937_64 rng(test::test_seed(905));
  constexpr u64 kStep = 16;  // small steps, so that the tail comes in several batches
  for (const u64 n : {u64{10'007}, u64{1'000'003}, u64{98'765'432'109}}) {
    PrimeCountTable whole(n);
    std::size_t questions = 0;
    whole.build(serial_for, {}, PrimeCountTable::Share::all, PrimeCountTable::Role::leader, kStep,
                0, [&] { return ++questions == 0; });
    const std::size_t rounds = whole.rounds();
    const std::size_t tail = first_tail_round(whole);
    ASSERT_GT(rounds, 2u);
    // Rounds of p^2 <= r change the small keys, which are packed during them.
    std::size_t packed_rounds = 0;
    while (u64{whole.primes()[packed_rounds + 1]} * whole.primes()[packed_rounds + 1] <=
           whole.root())
      ++packed_rounds;
    ASSERT_GT(packed_rounds, 1u);
    std::vector<std::size_t> stops = {
        0, 1, 1 + rng() % (tail - 1), tail - 1, 1 + rng() % packed_rounds, packed_rounds};
    if (n > 1'000'000'000) {
      ASSERT_GT(questions, tail + 1) << n;  // the tail's rounds came in several batches
      stops.insert(stops.end(), {tail + rng() % (questions - tail), questions - 1});
    }
    for (const std::size_t stop_at : stops) {
      PrimeCountTable first(n);
      std::size_t asked = 0;
      const std::size_t done =
          first.build(serial_for, {}, PrimeCountTable::Share::all, PrimeCountTable::Role::leader,
                      kStep, 0, [&] { return asked++ == stop_at; });
      if (stop_at < tail)
        ASSERT_EQ(done, stop_at) << n;
      else
        ASSERT_TRUE(done >= tail && done < rounds) << n << " stopped after " << done;
      std::vector<unsigned char> saved(first.key_bytes());
      std::memcpy(saved.data(), first.keys(), saved.size());
      PrimeCountTable second(n);
      std::memcpy(second.keys(), saved.data(), saved.size());
      EXPECT_EQ(
          second.build(thread_for(2), {}, PrimeCountTable::Share::all,
                       PrimeCountTable::Role::leader, PrimeCountTable::kMinParallelStep, done),
          rounds);
      for (u64 d = 1; d <= whole.root(); ++d)
        ASSERT_EQ(second.odd_pi_large(d), whole.odd_pi_large(d)) << "n " << n << " d " << d;
      for (u64 v = 1; v <= whole.root(); ++v)
        ASSERT_EQ(second.odd_pi_small(v), whole.odd_pi_small(v)) << "n " << n << " v " << v;
    }
  }
}

TEST(Analytic, TableBuiltByALeaderAndAHelperSharingTheKeysEqualsTheWholeBuild) {
  // As two MPI ranks of one machine would: two tables on one block of keys (place_keys), each
  // built in its own thread, every step split between them behind a barrier, the short steps
  // run by the leader alone.
  for (const u64 n : {u64{1'000'003}, u64{98'765'432'109}, (u64{1} << 36) + 12345}) {
    PrimeCountTable whole(n), leader(n), helper(n);
    whole.build();
    std::shared_ptr<void> keys;
    leader.place_keys([&](std::size_t bytes) {
      keys = std::shared_ptr<std::uint64_t[]>(new std::uint64_t[bytes / 8 + 1]);
      return keys;
    });
    helper.place_keys([&](std::size_t) { return keys; });
    std::barrier<> step(2);
    std::atomic<u64> next{0};
    const auto shared_for = [&](bool lead) -> ParallelFor {
      return [&, lead](u64 begin, u64 end, const RangeBody& body) {
        if (lead) next = begin;
        step.arrive_and_wait();
        for (u64 lo; (lo = next.fetch_add(997)) < end;) body(lo, std::min(end, lo + 997));
        step.arrive_and_wait();
      };
    };
    std::thread second([&] {
      helper.build(shared_for(false), {}, PrimeCountTable::Share::all,
                   PrimeCountTable::Role::helper);
    });
    leader.build(shared_for(true));
    second.join();
    for (const PrimeCountTable* t : {&leader, &helper}) {
      for (u64 d = 1; d <= whole.root(); ++d)
        ASSERT_EQ(t->odd_pi_large(d), whole.odd_pi_large(d)) << "n " << n << " d " << d;
      for (u64 v = 1; v <= whole.root(); ++v)
        ASSERT_EQ(t->odd_pi_small(v), whole.odd_pi_small(v)) << "n " << n << " v " << v;
    }
  }
}

/// pi(floor(n/d)) for d in [1, r] and pi(v) for v in [1, r], r = isqrt(n): the textbook
/// Lucy_Hedgehog over every integer (no odd-only counts, no runs, no pending amounts), so that it
/// shares no shortcut with the table.
struct PlainLucy {
  std::vector<u64> large, small;  // large[d], small[v]
  /// The rounds of the primes p <= last_prime only, if given: the keys after those rounds.
  explicit PlainLucy(u64 n, u64 last_prime = ~u64{0}) {
    const u64 r = isqrt(n);
    large.assign(r + 1, 0);
    small.assign(r + 1, 0);
    for (u64 d = 1; d <= r; ++d) large[d] = n / d - 1;
    for (u64 v = 1; v <= r; ++v) small[v] = v - 1;
    for (u64 p = 2; p <= std::min(r, last_prime); ++p) {
      if (small[p] == small[p - 1]) continue;  // not prime
      const u64 c = small[p - 1], p2 = p * p;
      for (u64 d = 1; d <= r && n / d >= p2; ++d)
        large[d] -= (d * p <= r ? large[d * p] : small[n / (d * p)]) - c;
      for (u64 v = r; v >= p2; --v) small[v] -= small[v / p] - c;
    }
  }
};

TEST(Analytic, EveryKeyEqualsAPlainLucyHedgehog) {
  // Runs of keys sharing one small key take their amount as one pending subtraction per block
  // of keys: every key of the finished table must come out as the plain update gives it, with
  // steps cut at random places (threads and short steps), in parity shares, and above 2^33
  // where the first large keys are 64-bit (at 2^37 some of those read small keys).
  std::mt19937_64 rng(analytic_seed(9));
  std::vector<u64> sizes = {1000, 999'999, 123'456'789, (u64{1} << 33) + 77,
                            (u64{1} << 37) + 12345};
  for (int i = 0; i < 3; ++i) sizes.push_back(1'000'000 + rng() % 40'000'000'000ull);
  for (const u64 n : sizes) {
    const PlainLucy plain(n);
    PrimeCountTable threads(n), odd(n), even(n);
    threads.build(thread_for(2), {}, PrimeCountTable::Share::all, PrimeCountTable::Role::leader,
                  1 + rng() % 64);
    odd.build(serial_for, {}, PrimeCountTable::Share::odd);
    even.build(thread_for(2), {}, PrimeCountTable::Share::even, PrimeCountTable::Role::leader, 7);
    odd.import_large(PrimeCountTable::Share::even, even.export_large(PrimeCountTable::Share::even));
    for (const PrimeCountTable* t : {&threads, &odd}) {
      for (u64 d = 1; d <= t->root(); ++d)
        ASSERT_EQ(t->odd_pi_large(d) + 1, plain.large[d]) << "n " << n << " d " << d;
      for (u64 v = 2; v <= t->root(); ++v)
        ASSERT_EQ(t->odd_pi_small(v) + 1, plain.small[v]) << "n " << n << " v " << v;
    }
  }
}

TEST(Analytic, ABuildResumedAtAnyRoundOfTheTailGoesOnToTheWholeTable) {
  // A journal written before the tail's rounds came in batches holds the keys after any round.
  // Those keys (from the plain update stopped there; the small keys are final by then) resume
  // to the whole table, in one process and in parity shares.
  std::mt19937_64 rng(analytic_seed(13));
  for (const u64 n : {u64{1'000'003}, u64{98'765'432'109}, (u64{1} << 34) + 99}) {
    PrimeCountTable whole(n);
    whole.build();
    const std::size_t tail = first_tail_round(whole);
    for (const std::size_t done :
         {tail - 1, tail, tail + rng() % (whole.rounds() - tail), whole.rounds() - 1}) {
      const PlainLucy plain(n, whole.primes()[done]);
      const auto plain_share = [&](PrimeCountTable::Share share) {
        std::vector<std::uint64_t> values;
        for (u64 d = share == PrimeCountTable::Share::odd ? 1 : 2; d <= whole.root(); d += 2)
          values.push_back(plain.large[d] - 1);  // odd numbers only: 2 is not counted
        return values;
      };
      PrimeCountTable resumed(n), odd(n), even(n);
      for (PrimeCountTable* t : {&resumed, &odd, &even}) {
        t->build();  // final small keys, as they are after round tail - 1
        for (const auto share : {PrimeCountTable::Share::odd, PrimeCountTable::Share::even})
          t->import_large(share, plain_share(share));
      }
      EXPECT_EQ(resumed.build(thread_for(2), {}, PrimeCountTable::Share::all,
                              PrimeCountTable::Role::leader, 1 + rng() % 64, done),
                whole.rounds());
      odd.build(serial_for, {}, PrimeCountTable::Share::odd, PrimeCountTable::Role::leader,
                PrimeCountTable::kMinParallelStep, done);
      even.build(serial_for, {}, PrimeCountTable::Share::even, PrimeCountTable::Role::leader,
                 PrimeCountTable::kMinParallelStep, done);
      odd.import_large(PrimeCountTable::Share::even,
                       even.export_large(PrimeCountTable::Share::even));
      for (const PrimeCountTable* t : {&resumed, &odd})
        for (u64 d = 1; d <= whole.root(); ++d)
          ASSERT_EQ(t->odd_pi_large(d), whole.odd_pi_large(d))
              << "n " << n << " resumed after " << done << " d " << d;
    }
  }
}

TEST(Analytic, AWalkItemGivesUpOnAStopAndCountsAsBeforeWithout) {
  const u64 n = 3'000'000'000ull;
  PrimeCountTable table(n);
  table.build(thread_for(2));
  const AnalyticWalk walk(table);
  std::atomic<int> stop{0};
  // Item 1, the heaviest estimate, has internal nodes: set, the flag stops it at the first.
  EXPECT_EQ(walk.run_item(1, &stop), walk.run_item(1));
  stop = SIGTERM;
  EXPECT_THROW(walk.run_item(1, &stop), Stopped);
  // The flag set halfway through: the items before count as without it, every one after gives
  // up (each looks at the flag at its first node).
  std::atomic<int> later{0};
  for (std::size_t k = 1; k < walk.item_count(); ++k) {
    if (k == walk.item_count() / 2) later = SIGINT;
    if (later != 0) {
      EXPECT_THROW(walk.run_item(k, &later), Stopped) << "item " << k;
    } else {
      EXPECT_EQ(walk.run_item(k, &later), walk.run_item(k)) << "item " << k;
    }
  }
  // One count's items too, the root's sums (and their parts of 2^omega's) included.
  for (const Count count : {Count::distinct, Count::total})
    for (const std::size_t k : {std::size_t{0}, std::size_t{1}})
      EXPECT_THROW(walk.run_item(k, count, &stop), Stopped) << to_string(count) << " item " << k;
  EXPECT_THROW(factor_count_sum(table, Count::total, &stop), Stopped);
  EXPECT_THROW(two_to_omega_part(n, 1, 2, table.primes(), &stop), Stopped);
}

TEST(Analytic, TheCutsOfTwoToOmegasSumAreWholeNumbersAlike) {
  // In integers (every rank and every later run must cut the same parts), from 1 to sqrt(n)
  // + 1, growing by a sixteenth: also where sqrt(n) is a power of some whole number (10^16,
  // 2^48), which pow() might have missed by an ulp.
  for (const u64 n : {u64{0}, u64{1}, u64{3}, u64{4}, u64{1000}, u64{1} << 48,
                      u64{10'000'000'000'000'000}, ~u64{0}}) {
    const std::vector<u64> cuts = two_to_omega_cuts(n);
    ASSERT_GE(cuts.size(), 1u) << n;  // no part at all for n = 0
    EXPECT_EQ(cuts.front(), 1u) << n;
    EXPECT_EQ(cuts.back(), isqrt(n) + 1) << n;
    for (std::size_t j = 1; j < cuts.size(); ++j) {
      EXPECT_GT(cuts[j], cuts[j - 1]) << n;
      if (j + 1 < cuts.size()) {
        EXPECT_EQ(cuts[j] - cuts[j - 1], std::max<u64>(1, cuts[j - 1] / 16)) << n;
      }
    }
  }
  EXPECT_EQ(two_to_omega_cuts(1'000'000'000'000'000).size() - 1, 263u);
}

TEST(Analytic, TableGivesPrimeCounts) {
  const u64 n = 987'654'321'012ull;
  PrimeCountTable table(n);
  table.build();
  std::mt19937_64 rng(analytic_seed(5));
  for (int i = 0; i < 20; ++i) {
    const u64 d = 1 + rng() % table.root();
    EXPECT_EQ(table.pi(n / d), primesieve::count_primes(0, n / d)) << n / d;
  }
}

TEST(Analytic, DoubleQuotientsAreExactInTheirRanges) {
  // floor(x / m) < 2^32 as the table and the walk need it, against integer division, at random
  // and right at multiples (x = k m - 1, k m), where a rounding error would show.
  std::mt19937_64 rng(analytic_seed(6));
  const auto check = [](auto method, u64 limit, u64 x, u64 m) {
    if (x >= limit || m == 0 || x / m >= (u64{1} << 32)) return;
    const u64 got = quotient<decltype(method)::value>(x, static_cast<double>(x), m);
    ASSERT_EQ(got, x / m) << "x " << x << " m " << m;
  };
  using Plain = std::integral_constant<QuotientMethod, QuotientMethod::plain_double>;
  using Corrected = std::integral_constant<QuotientMethod, QuotientMethod::corrected_double>;
  for (int i = 0; i < 200000; ++i) {
    const unsigned bits = 40 + static_cast<unsigned>(rng() % 22);  // x in [2^40, 2^62)
    const u64 x = (u64{1} << bits) | (rng() & ((u64{1} << bits) - 1));
    const u64 m = (x >> 32) + 1 + rng() % std::max<u64>(1, x >> (32 + rng() % 20));
    const u64 k = x / m;
    for (const u64 y : {x, k * m, k * m - 1, k * m + m - 1}) {
      check(Plain{}, u64{1} << 52, y, m);
      check(Corrected{}, u64{1} << 62, y, m);
    }
  }
  EXPECT_EQ(quotient_method(1'000'000'000'000'000ull), QuotientMethod::plain_double);
  EXPECT_EQ(quotient_method(u64{1} << 52), QuotientMethod::corrected_double);
  EXPECT_EQ(quotient_method(u64{1} << 62), QuotientMethod::integer);
}

TEST(Analytic, ReciprocalQuotientsAreExactBelow2To51) {
  // floor(x / m) as the walk takes it below 2^51, (x + 1/2) times the rounded 1 / m, against
  // integer division: at random and at multiples (k m - 1, k m, k m + m - 1), where a rounding
  // error would show, with x right under 2^51 and m from 1 up to 2^32 - 5.
  std::mt19937_64 rng(analytic_seed(11));
  const auto check = [](u64 x, u64 m) {
    if (x >= kReciprocalLimit || m == 0) return;
    const double inverse = 1.0 / static_cast<double>(m);
    ASSERT_EQ(reciprocal_quotient(static_cast<double>(x) + 0.5, inverse), x / m)
        << "x " << x << " m " << m;
  };
  for (int i = 0; i < 200000; ++i) {
    const unsigned bits = 1 + static_cast<unsigned>(rng() % 51);  // x in [2^(bits-1), 2^bits)
    const u64 x = i % 4 == 0 ? kReciprocalLimit - 1 - rng() % 1000
                             : (u64{1} << (bits - 1)) | (rng() & ((u64{1} << (bits - 1)) - 1));
    const u64 m = i % 8 == 1 ? 0xFFFFFFFBull - rng() % 64 : 1 + rng() % std::min(x, u64{1} << 32);
    const u64 k = x / m;
    for (const u64 y : {x, k * m, k * m - 1, k * m + m - 1}) check(y, m);
  }
  for (u64 m = 1; m < 5000; ++m) check(kReciprocalLimit - 1, m);
}

TEST(Analytic, LeafSumsByDivisionAndByReciprocalAgree) {
  // The walk's innermost loop two ways, against a plain loop with integer division, on counts
  // that differ from entry to entry, with dividends up to 2^51 (reciprocal) and 2^52 (division)
  // and divisors that keep the quotients inside the counts.
  std::mt19937_64 rng(analytic_seed(12));
  constexpr u64 kEntries = u64{1} << 21;
  std::vector<std::uint32_t> small(kEntries);
  for (auto& s : small) s = static_cast<std::uint32_t>(rng());
  for (int trial = 0; trial < 300; ++trial) {
    const bool reciprocal = trial % 2 == 0;
    const u64 top = reciprocal ? kReciprocalLimit : kPlainDoubleLimit;
    const u64 x = top - 1 - (trial < 20 ? static_cast<u64>(trial) : rng() % (top / 2));
    const u64 lowest = x / (2 * kEntries) + 1;  // floor(x / d) < 2 * kEntries
    // The division's lanes take divisors as signed 32-bit numbers (primes <= sqrt(x) < 2^26).
    const u64 highest = reciprocal ? 0xFFFFFFFFull : 0x7FFFFFFFull;
    // The first 80 trials take every length from 1 to 40 leaves from the start, so that the
    // vector loops' tails (up to 15 leaves) are each taken; the others are of any length from
    // anywhere.
    const bool every_length = trial < 80;
    std::vector<std::uint32_t> divisors(every_length ? 1 + trial / 2 : 1 + rng() % 300);
    for (auto& d : divisors) d = static_cast<std::uint32_t>(lowest + rng() % (highest - lowest));
    std::vector<double> inverses;
    for (const auto d : divisors) inverses.push_back(1.0 / d);
    const u64 begin = every_length ? 0 : rng() % divisors.size();
    u64 expected = 0;
    for (u64 i = begin; i < divisors.size(); ++i) expected += small[(x / divisors[i] - 1) / 2];
    for (const LeafPath& path : leaf_paths()) {
      const u64 got = reciprocal
                          ? path.leaf_sum_reciprocal(small.data(), inverses.data(), begin,
                                                     divisors.size(), static_cast<double>(x) + 0.5)
                          : path.leaf_sum(small.data(), divisors.data(), begin, divisors.size(),
                                          static_cast<double>(x));
      ASSERT_EQ(got, expected) << "x " << x << " trial " << trial << " " << path.name;
    }
    const u64 picked =
        reciprocal ? small_leaf_sum_reciprocal(small.data(), inverses.data(), begin,
                                               divisors.size(), static_cast<double>(x) + 0.5)
                   : small_leaf_sum(small.data(), divisors.data(), begin, divisors.size(),
                                    static_cast<double>(x));
    ASSERT_EQ(picked, expected) << "x " << x << " trial " << trial;
  }
}

TEST(Analytic, EveryBuildOfTheTableSubtractionAgrees) {
  // The Lucy update of a run of large keys d in [begin, end) (every key, or every other) from
  // the small keys at floor(x / d), in each build this CPU runs (baseline, AVX2, AVX-512), on
  // 32-bit and 64-bit keys, from the small keys as they are and packed as bits and counts (as
  // the table keeps them while rounds change them), against a plain loop with integer division.
  std::mt19937_64 rng(analytic_seed(13));
  constexpr u64 kEntries = u64{1} << 20;
  std::vector<std::uint32_t> small(kEntries), packed(kEntries / 16);
  std::uint32_t count = 1000;  // above every c below
  for (u64 i = 0; i < kEntries; ++i) {
    if (i % 64 == 0) packed[4 * (i / 64) + 2] = count;
    const bool rises = rng() % 3 == 0;
    count += rises ? 1 : 0;
    small[i] = count;
    if (rises) packed[4 * (i / 64) + (i % 64) / 32] |= std::uint32_t{1} << (i % 32);
  }
  for (u64 i = 0; i < kEntries; i += 1 + rng() % 97)
    ASSERT_EQ(packed_count(packed.data(), i), small[i]) << i;
  for (int trial = 0; trial < 200; ++trial) {
    const u64 x =
        kPlainDoubleLimit - 1 - (trial < 10 ? static_cast<u64>(trial) : rng() % (u64{1} << 51));
    const u64 begin = x / (2 * kEntries) + 1 + rng() % 1000;  // floor(x / d) < 2 * kEntries
    const u64 end = begin + rng() % 200;
    const u64 stride = 1 + static_cast<u64>(trial % 2);
    const auto c = static_cast<std::uint32_t>(rng() % 1000);
    std::vector<std::uint64_t> start(end - begin);
    for (auto& v : start) v = u64{1} << 31 | rng() % (u64{1} << 30);
    std::vector<std::uint64_t> expected = start;
    for (u64 d = begin; d < end; d += stride) expected[d - begin] -= small[(x / d - 1) / 2] - c;
    const auto xd = static_cast<double>(x);
    for (const LeafPath& path : leaf_paths()) {
      for (const bool is_packed : {false, true}) {
        const std::uint32_t* keys = is_packed ? packed.data() : small.data();
        std::vector<std::uint64_t> keys64 = start;
        (is_packed ? path.packed64 : path.subtract64)(keys64.data(), keys, begin, end, stride, c,
                                                      xd);
        ASSERT_EQ(keys64, expected)
            << "x " << x << " trial " << trial << " " << path.name << " packed " << is_packed;
        std::vector<std::uint32_t> keys32(start.begin(), start.end());
        (is_packed ? path.packed32 : path.subtract32)(keys32.data(), keys, begin, end, stride, c,
                                                      xd);
        ASSERT_EQ(std::vector<std::uint64_t>(keys32.begin(), keys32.end()), expected)
            << "x " << x << " trial " << trial << " " << path.name << " packed " << is_packed;
      }
    }
  }
}

TEST(Analytic, TheDivisionsOfTablesAbove2To52GiveTheSameTableAndWalk) {
  // Tables from 2^52 on divide with corrected_double (or integer) by default, yet take the
  // vectorized plain-double loops wherever a dividend is below 2^52: a round's floor(n / p), a
  // node's x = n / m. Forcing those methods on small tables runs exactly that mix (every
  // dividend is below 2^52), against the plain table; one n has 64-bit large keys. Forced
  // integer division also runs the table's runs and tail through the integer path of rounds
  // above 2^52. Likewise the dividends from 2^51 on, which take the vectorized division instead
  // of the reciprocal in the leaves and the tail: a lower reciprocal limit runs them.
  for (const u64 n : {u64{10'000'000'019}, (u64{1} << 35) + 777}) {
    PrimeCountTable plain(n);
    plain.build();
    const AnalyticWalk plain_walk(plain, 512);
    FactorHistograms expected;
    for (std::size_t k = 0; k < plain_walk.item_count(); ++k) expected += plain_walk.run_item(k);
    for (const QuotientMethod method : {QuotientMethod::plain_double,
                                        QuotientMethod::corrected_double, QuotientMethod::integer})
      for (const u64 limit : {kReciprocalLimit, u64{1} << 20, u64{0}}) {
        if (method == QuotientMethod::plain_double && limit == kReciprocalLimit) continue;
        PrimeCountTable table(n);
        table.set_quotient_method(method);
        table.set_reciprocal_limit(limit);
        table.build(thread_for(2));
        for (u64 d = 1; d <= plain.root(); ++d)
          ASSERT_EQ(table.odd_pi_large(d), plain.odd_pi_large(d))
              << "n " << n << " d " << d << " method " << static_cast<int>(method) << " limit "
              << limit;
        const AnalyticWalk walk(table, 512);
        FactorHistograms sum;
        for (std::size_t k = 0; k < walk.item_count(); ++k) sum += walk.run_item(k);
        EXPECT_EQ(sum, expected) << "n " << n << " method " << static_cast<int>(method)
                                 << " limit " << limit;
        for (const Count count : {Count::distinct, Count::total})
          EXPECT_EQ(balanced_sum(walk, count), expected.of(count))
              << "n " << n << " method " << static_cast<int>(method) << " limit " << limit;
      }
  }
  PrimeCountTable big(u64{1} << 52, PrimeCountTable::kDefaultMaxBytes);
  EXPECT_THROW(big.set_quotient_method(QuotientMethod::plain_double), std::invalid_argument);
  EXPECT_THROW(big.set_reciprocal_limit(kReciprocalLimit + 1), std::invalid_argument);
}

TEST(Analytic, BuildReportsProgressUpToOne) {
  PrimeCountTable table(123'456'789'012ull);
  std::vector<double> seen;
  table.build(serial_for, [&](double f) { seen.push_back(f); });
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_LE(seen.size(), 102u);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
}

TEST(Analytic, MemoryLimitIsTableTooLarge) {
  EXPECT_THROW(PrimeCountTable(u64{1} << 40, 1 << 20), TableTooLarge);
  EXPECT_THROW(count_range({1, ~u64{0}}), InvalidRequest);
  // The budget the targets ask for: 10^15 within 512 MiB.
  EXPECT_LT(PrimeCountTable::memory_bytes(1'000'000'000'000'000ull), u64{512} << 20);
}

TEST(Analytic, CostModelPrefersTheSieveForNarrowWindows) {
  EXPECT_TRUE(analytic_is_cheaper({1, 1'000'000'000'000ull}));
  EXPECT_TRUE(analytic_is_cheaper({2, 100'000'000'000'000ull}));
  EXPECT_FALSE(analytic_is_cheaper({1'000'000'000'000ull, 1'000'000'100'000ull}));
  // Small prefixes too: the sieve's set-up alone (1 ms) is 40 times the analytic [1, 1000].
  EXPECT_TRUE(analytic_is_cheaper({1, 1000}));
  EXPECT_TRUE(analytic_is_cheaper({2, 500000}));
  EXPECT_FALSE(analytic_is_cheaper({1'000'000'000, 1'000'001'000}));
  EXPECT_FALSE(analytic_is_cheaper({1, ~u64{0}}));  // tables too large
}

}  // namespace
}  // namespace numfactors
