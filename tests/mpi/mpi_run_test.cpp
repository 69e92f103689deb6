/// @file mpi_run_test.cpp
/// @brief run_mpi at whatever rank count mpiexec gave: static, dynamic and hybrid (2 threads a
/// rank) runs give the serial histogram (and the oracle's) on seeded random ranges, a window
/// ending at 2^64-1, more ranks than chunks and one number; rank 0 gets every rank's statistics
/// and timeline; the static schedule runs the chunks its Deal names, and the Deal is balanced.
#include <gtest/gtest.h>

#include <set>

#include <algorithm>
#include <thread>
#include <memory>
#include <chrono>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>

#include "exec/executor.hpp"
#include "exec/mpi.hpp"
#include "../seed.hpp"
#include "exec/mpi_deal.hpp"
#include "../oracle.hpp"
#include "../run_checks.hpp"
#include "test_session.hpp"

namespace numfactors {
namespace {

using test::run_plan;

using test::oracle_histogram;

constexpr u64 kTop = std::numeric_limits<u64>::max();

/// The same on every rank (mpiexec passes the environment on), so every rank draws the same plans.
u64 seed(u64 salt) { return test::test_seed(salt, test::test_session().rank() == 0); }

int rank() { return test::test_session().rank(); }
int ranks() { return test::test_session().size(); }

struct Layout {
  Schedule schedule;
  unsigned threads;
  const char* name;
};

constexpr Layout kLayouts[] = {{Schedule::static_cyclic, 1, "static"},
                               {Schedule::dynamic, 1, "dynamic"},
                               {Schedule::static_cyclic, 2, "static, 2 threads a rank"},
                               {Schedule::dynamic, 2, "dynamic, 2 threads a rank"}};

RunResult run_layout(const Plan& plan, const Layout& layout, const Kernel& kernel) {
  RunOptions o;
  o.mode = Mode::mpi;
  o.schedule = layout.schedule;
  o.threads = layout.threads;
  o.timeline = true;
  return run_plan(plan, o, kernel);
}

std::string worker_name(int r, unsigned t) {
  return "rank " + std::to_string(r) + " thread " + std::to_string(t);
}

/// On rank 0: every rank's workers in rank order, each chunk run once, and in the static schedule
/// by the rank its Deal gives it. On other ranks: their own workers only.
void expect_parts(const Plan& plan, const Layout& layout, const RunResult& r) {
  if (rank() != 0) {
    ASSERT_EQ(r.workers.size(), layout.threads);
    for (unsigned t = 0; t < layout.threads; ++t) EXPECT_EQ(r.workers[t].name, worker_name(rank(), t));
    return;
  }
  ASSERT_EQ(r.workers.size(), static_cast<std::size_t>(ranks()) * layout.threads);
  for (std::size_t w = 0; w < r.workers.size(); ++w)
    EXPECT_EQ(r.workers[w].name, worker_name(static_cast<int>(w / layout.threads),
                                             static_cast<unsigned>(w % layout.threads)));
  test::expect_every_chunk_once(plan, r, [&](const ChunkEvent& e) {
    if (layout.schedule != Schedule::static_cyclic) return;
    const u64 owner = e.worker / layout.threads;
    const Deal deal{plan.chunk_count(), static_cast<u64>(ranks()), owner};
    bool dealt = false;
    for (u64 round = 0; const auto c = deal.chunk(round); ++round) dealt |= *c == e.chunk;
    EXPECT_TRUE(dealt) << "chunk " << e.chunk << " ran on rank " << owner;
  });
}

TEST(MpiRun, SeededRandomRangesGiveTheSerialHistogram) {
  std::mt19937_64 rng(seed(41));
  for (int i = 0; i < 6; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 40);
    const u64 lo = 1 + rng() % (u64{1} << bits);
    const u64 size = 1 + rng() % 400000;
    const Range range{lo, lo + size - 1};
    const Count count = rng() % 2 ? Count::total : Count::distinct;
    const u64 chunk = std::max<u64>(1, size / (1 + rng() % 50));
    const Plan plan = make_plan(range, count, KernelKind::sieve, chunk, 1);
    const auto kernel = make_kernel(plan.kernel, count, range.hi);
    const Histogram serial = rank() == 0 ? test::serial_histogram(plan, *kernel) : Histogram{};
    for (const Layout& layout : kLayouts) {
      std::ostringstream trace;
      trace << "[" << range.lo << ", " << range.hi << "] chunk " << chunk << ", " << layout.name;
      SCOPED_TRACE(trace.str());
      const RunResult r = run_layout(plan, layout, *kernel);
      if (rank() == 0) {
        EXPECT_EQ(r.histogram, serial);
      }
      expect_parts(plan, layout, r);
    }
  }
}

TEST(MpiRun, TheWheelMatchesTheDirectSieve) {
  // Chunks of m-space, numbers from Plan::numbers_in_chunk: every layout and schedule must give
  // the direct sieve's histogram and statistics adding up to the range.
  std::mt19937_64 rng(seed(43));
  for (int i = 0; i < 4; ++i) {
    const u64 hi = 1 + rng() % 2'000'000;
    const Range range{1 + rng() % (hi / 3 * 2 + 1), hi};
    const Count count = i % 2 ? Count::total : Count::distinct;
    const u64 chunk = std::max<u64>(1, hi / (1 + rng() % 50));
    const Plan plan = make_plan(range, count, KernelKind::wheel, chunk, 1);
    const auto kernel = make_kernel(plan);
    Histogram direct;
    if (rank() == 0) make_kernel(KernelKind::sieve, count, hi)->count(range, direct);
    for (const Layout& layout : kLayouts) {
      std::ostringstream trace;
      trace << "wheel [" << range.lo << ", " << range.hi << "] chunk " << chunk << ", " << layout.name;
      SCOPED_TRACE(trace.str());
      const RunResult r = run_layout(plan, layout, *kernel);
      if (rank() == 0) {
        EXPECT_EQ(r.histogram, direct);
      }
      expect_parts(plan, layout, r);
    }
  }
}

TEST(MpiRun, TheTrialKernelMatchesTheOracle) {
  for (const Count count : {Count::distinct, Count::total}) {
    const Plan plan = make_plan({1, 4000}, count, KernelKind::trial, 101, 1);
    const auto kernel = make_kernel(plan.kernel, count, plan.range.hi);
    const Histogram expected = oracle_histogram(plan.range, count);
    for (const Layout& layout : kLayouts) {
      const RunResult r = run_layout(plan, layout, *kernel);
      if (rank() == 0) {
        EXPECT_EQ(r.histogram, expected) << layout.name;
      }
    }
  }
}

TEST(MpiRun, MoreRanksThanChunksAndOneNumber) {
  // [2, 11] in chunks of 5 is two chunks: fewer than 3 ranks, or 2 ranks of 2 threads.
  const u64 prime = (u64{1} << 31) - 1;
  for (const Range range : {Range{2, 11}, Range{1, 1}, Range{2, 2}, Range{prime, prime}}) {
    const Plan plan = make_plan(range, Count::total, KernelKind::sieve, 5, 1);
    const auto kernel = make_kernel(plan.kernel, plan.count, range.hi);
    const Histogram expected = oracle_histogram(range, Count::total);
    for (const Layout& layout : kLayouts) {
      const RunResult r = run_layout(plan, layout, *kernel);
      if (rank() == 0) {
        EXPECT_EQ(r.histogram, expected) << range.lo << ", " << layout.name;
      }
      expect_parts(plan, layout, r);
    }
  }
}

TEST(MpiRun, AWindowEndingAt2To64Minus1) {
  // Near 2^64 the sieving primes go up to 2^32 and each chunk costs a pass over them (about a
  // second), so: two chunks, one static run and one dynamic hybrid run.
  const Range range{kTop - 599, kTop};
  const Plan plan = make_plan(range, Count::distinct, KernelKind::sieve, 300, 1);
  const auto kernel = make_kernel(plan.kernel, plan.count, kTop);
  const Histogram expected = rank() == 0 ? oracle_histogram(range, Count::distinct) : Histogram{};
  for (const Layout& layout : {kLayouts[0], kLayouts[3]}) {
    const RunResult r = run_layout(plan, layout, *kernel);
    if (rank() == 0) {
      EXPECT_EQ(r.histogram, expected) << layout.name;
    }
    expect_parts(plan, layout, r);
  }
}

TEST(MpiRun, TheAutomaticKernelChoosesPerChunk) {
  // Chunks of thousands of numbers at 10^12 (hybrid or sieve) and a last chunk of a few
  // (factor): each rank's clones make only the kernels their chunks need. Also the factor and
  // hybrid kernels by name, in chunks of uneven size.
  for (const u64 chunk : {u64{20'000}, u64{50'000}, u64{200'000}}) {
    const Range range{1'000'000'000'000, 1'000'000'000'000 + 3 * chunk + 4};
    const Plan plan = make_plan(range, Count::total, KernelKind::automatic, chunk, 1);
    if (chunk_kernels(plan).size() < 2) continue;
    Histogram direct;
    if (rank() == 0) make_kernel(KernelKind::sieve, Count::total, range.hi)->count(range, direct);
    const auto kernel = make_kernel(plan);
    for (const Layout& layout : {kLayouts[0], kLayouts[3]}) {
      const RunResult r = run_layout(plan, layout, *kernel);
      if (rank() == 0) {
        EXPECT_EQ(r.histogram, direct) << layout.name;
      }
      expect_parts(plan, layout, r);
    }
    for (const KernelKind kind : {KernelKind::factor, KernelKind::hybrid}) {
      const Plan named = make_plan({range.lo, range.lo + 3000}, Count::distinct, kind, 777, 1);
      const Histogram want =
          rank() == 0 ? oracle_histogram(named.range, Count::distinct) : Histogram{};
      const RunResult r = run_layout(named, kLayouts[1], *make_kernel(named));
      if (rank() == 0) {
        EXPECT_EQ(r.histogram, want) << to_string(kind);
      }
    }
    return;
  }
  ADD_FAILURE() << "no chunk size at 10^12 gives chunks of different kernels";
}

TEST(MpiRun, RankZeroComputesInTheDynamicSchedule) {
  const Plan plan = make_plan({2, 2000000}, Count::distinct, KernelKind::sieve, 20000, 1);
  const auto kernel = make_kernel(plan.kernel, plan.count, plan.range.hi);
  const RunResult r = run_layout(plan, kLayouts[1], *kernel);
  if (rank() == 0) {
    EXPECT_GT(r.workers.at(0).chunks, 0u);
  }
}

TEST(MpiRun, TheDynamicScheduleHandsOutBatchesThatShrink) {
  // 4000 chunks: a rank other than 0 gets them in batches (a share of what is left), so most of
  // its chunks come with the next index in the same batch, where one chunk a request would make
  // that rare; and the batches shrink to single chunks at the end, so each rank runs some of
  // the last hundred.
  const Plan plan = make_plan({1, 4'000'000}, Count::distinct, KernelKind::sieve, 1000, 1);
  const auto kernel = make_kernel(plan.kernel, plan.count, plan.range.hi);
  const RunResult r = run_layout(plan, {Schedule::dynamic, 1, "dynamic"}, *kernel);
  if (rank() != 0 || ranks() < 2) return;
  std::vector<int> owner(plan.chunk_count(), -1);
  for (const ChunkEvent& e : r.timeline) owner[e.chunk] = static_cast<int>(e.worker);
  std::size_t mine = 0, followed = 0;
  for (u64 i = 0; i + 1 < owner.size(); ++i) {
    if (owner[i] != 1) continue;
    ++mine;
    followed += owner[i + 1] == 1;
  }
  ASSERT_GE(mine, 20u);
  EXPECT_GT(2 * followed, mine) << followed << " of rank 1's " << mine << " chunks";
}

TEST(MpiDeal, EveryChunkOnceAndBalancedForCostGrowingWithN) {
  for (u64 n_ranks = 1; n_ranks <= 7; ++n_ranks)
    for (u64 chunks = 1; chunks <= 60; ++chunks) {
      std::vector<int> seen(chunks, 0);
      u64 most = 0, least = ~u64{0}, most_cost = 0, least_cost = ~u64{0};
      for (u64 p = 0; p < n_ranks; ++p) {
        DealtSource source(Deal{chunks, n_ranks, p});
        u64 count = 0, cost = 0;  // a chunk's cost grows with its index, as the trial kernel's
        while (const auto c = source.next()) {
          ASSERT_LT(*c, chunks);
          ++seen[*c];
          ++count;
          cost += *c + 1;
        }
        most = std::max(most, count);
        least = std::min(least, count);
        most_cost = std::max(most_cost, cost);
        least_cost = std::min(least_cost, cost);
      }
      SCOPED_TRACE(std::to_string(chunks) + " chunks, " + std::to_string(n_ranks) + " ranks");
      EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(chunks));
      EXPECT_LE(most - least, 1u);
      // Whole pairs of rounds cost every rank the same; the rest differ by two chunks at most
      // (contiguous blocks would differ by about chunks^2 / ranks).
      if (chunks % (2 * n_ranks) == 0) {
        EXPECT_EQ(most_cost, least_cost);
      }
      EXPECT_LE(most_cost - least_cost, 2 * chunks);
    }
}

/// Tasks of very unequal work, as the analytic walk's items: task 0 sleeps 300 ms, the others
/// 1 ms each (sleeps, so that ranks sharing cores keep their timing).
class SleepingTasks final : public Tasks {
 public:
  u64 count() const override { return 120; }
  Range span(u64 task) const override { return {task + 1, task + 1}; }
  u64 numbers(u64) const override { return 1; }
  double work(u64 task) const override { return task == 0 ? 0.3 : 0.001; }
  double total_work() const override { return 0.3 + 0.001 * 119; }
  bool uneven() const override { return true; }
  std::vector<std::unique_ptr<TaskKernel>> kernels(unsigned n) override {
    std::vector<std::unique_ptr<TaskKernel>> k;
    for (unsigned i = 0; i < n; ++i) k.push_back(std::make_unique<Kernel>());
    return k;
  }

 private:
  struct Kernel final : TaskKernel {
    Histogram run(u64 task) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(task == 0 ? 300 : 1));
      Histogram h;
      h.add(1);
      return h;
    }
  };
};

TEST(MpiRun, RanksOfAMachinePoolUnevenTasks) {
  // The static schedule: on one machine the rank that runs the long task leaves the rest to the
  // others; a machine a rank runs exactly its Deal.
  for (const int machine_ranks : {0, 1}) {
    SleepingTasks tasks;
    RunOptions o;
    o.mode = Mode::mpi;
    o.machine_ranks = machine_ranks;
    o.timeline = true;
    const RunResult got = run_tasks(tasks, o);
    if (rank() != 0) continue;
    SCOPED_TRACE("machines of " + std::to_string(machine_ranks));
    EXPECT_EQ(got.histogram[1], tasks.count());
    std::vector<std::vector<u64>> ran(static_cast<std::size_t>(ranks()));
    std::size_t long_one = 0;
    for (const ChunkEvent& e : got.timeline) {  // one worker a rank
      ran[e.worker].push_back(e.chunk);
      if (e.chunk == 0) long_one = e.worker;
    }
    if (machine_ranks == 0 && ranks() > 1) {
      // 300 ms asleep while the others ran about 119 / (ranks - 1) ms of tasks each.
      EXPECT_LT(ran[long_one].size(), 10u) << "rank " << long_one;
    } else if (machine_ranks == 1) {
      for (std::size_t r = 0; r < ran.size(); ++r) {
        std::sort(ran[r].begin(), ran[r].end());
        EXPECT_EQ(ran[r], pooled_deal(tasks.count(), static_cast<u64>(ranks()), {r}))
            << "rank " << r;
      }
    }
  }
}

TEST(MpiDeal, TheMachinesPoolsHoldEveryChunkOnce) {
  for (u64 n_ranks = 1; n_ranks <= 6; ++n_ranks)
    for (u64 per_machine = 1; per_machine <= n_ranks; ++per_machine)
      for (u64 chunks = 1; chunks <= 40; ++chunks) {
        std::vector<int> seen(chunks, 0);
        for (u64 first = 0; first < n_ranks; first += per_machine) {
          std::vector<u64> members;
          for (u64 r = first; r < std::min(n_ranks, first + per_machine); ++r)
            members.push_back(r);
          for (const u64 c : pooled_deal(chunks, n_ranks, members)) ++seen[c];
        }
        EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(chunks))
            << chunks << " chunks, " << n_ranks << " ranks, machines of " << per_machine;
      }
}

TEST(MpiDeal, ListSourcesSharingACounterHandOutEachTaskOnce) {
  std::vector<u64> tasks(20000);
  for (u64 i = 0; i < tasks.size(); ++i) tasks[i] = 3 * i + 1;
  std::atomic<u64> counter{0};
  ListSource a(tasks, &counter), b(tasks, &counter);  // as two ranks of a machine
  std::vector<u64> got_a, got_b;
  {
    std::jthread ta([&] {
      while (const auto t = a.next()) got_a.push_back(*t);
    });
    std::jthread tb([&] {
      while (const auto t = b.next()) got_b.push_back(*t);
    });
  }
  std::vector<u64> all = got_a;
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, tasks);
  EXPECT_FALSE(a.next().has_value());
  EXPECT_FALSE(b.next().has_value());
}

TEST(MpiDeal, APooledDealHoldsItsRanksChunksInOrder) {
  for (u64 n_ranks = 1; n_ranks <= 5; ++n_ranks)
    for (u64 chunks = 1; chunks <= 40; ++chunks)
      for (u64 first = 0; first < n_ranks; ++first) {
        const std::set<u64> ranks{first, n_ranks - 1};  // one rank or two
        const std::vector<u64> pool =
            pooled_deal(chunks, n_ranks, std::vector<u64>(ranks.begin(), ranks.end()));
        std::vector<u64> want;
        for (const u64 r : ranks) {
          DealtSource source(Deal{chunks, n_ranks, r});
          while (const auto c = source.next()) want.push_back(*c);
        }
        std::sort(want.begin(), want.end());
        EXPECT_EQ(pool, want) << chunks << " chunks, ranks " << first << " and " << n_ranks - 1;
        ListSource taken(pool);  // hands out the pool in its order, then nothing
        for (const u64 c : pool) EXPECT_EQ(taken.next(), std::optional<u64>(c));
        EXPECT_FALSE(taken.next().has_value());
      }
}

TEST(MpiDeal, ChunkIndicesNearTheTopDoNotWrap) {
  const u64 chunks = kTop;  // chunk_count() of [1, 2^64-1] in chunks of 1
  const Deal last{chunks, 3, 2};
  const u64 final_round = (chunks - 1) / 3;
  EXPECT_EQ(last.chunk(0), std::optional<u64>(2));
  EXPECT_EQ(last.chunk(1), std::optional<u64>(3));
  ASSERT_TRUE(last.chunk(final_round - 1).has_value());
  EXPECT_LT(*last.chunk(final_round - 1), chunks);
  for (u64 p = 0; p < 3; ++p) {
    const Deal d{chunks, 3, p};
    const auto c = d.chunk(final_round);
    if (c) {
      EXPECT_LT(*c, chunks);
    }
    EXPECT_FALSE(d.chunk(final_round + 1).has_value());
  }
}

}  // namespace
}  // namespace numfactors
