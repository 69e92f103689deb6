/// @file analytic_mpi_test.cpp
/// @brief run_analytic in MPI mode at whatever rank count mpiexec gave: static and dynamic
/// schedules, 1 and 2 threads a rank, give rank 0 the sieve's histogram (run serially on rank 0)
/// on seeded random ranges for both counts, and every rank's items are in its statistics.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

#include "../job_helpers.hpp"
#include "../run_checks.hpp"
#include "../seed.hpp"
#include "core/analytic.hpp"
#include "exec/analytic_stage.hpp"
#include "exec/checkpoint.hpp"
#include "exec/executor.hpp"
#include "exec/mpi.hpp"
#include "exec/mpi_deal.hpp"
#include "exec/mpi_threads.hpp"
#include "exec/thread_team.hpp"
#include "test_session.hpp"

namespace numfactors {
namespace {

using test::run_plan;

/// The same on every rank (mpiexec passes the environment on), so every rank draws the same ranges.
u64 seed(u64 salt) { return test::test_seed(salt, test::test_session().rank() == 0); }

int rank() { return test::test_session().rank(); }
int ranks() { return test::test_session().size(); }

Histogram sieve_histogram(const Range& r, Count count) {
  RunOptions o;
  o.mode = Mode::serial;
  return run_plan(make_plan(r, count, KernelKind::sieve, 0, 1), o).histogram;
}

TEST(AnalyticMpi, SharedMemoryHugePagesOnlyWhereTheKernelGivesThem) {
  using numfactors::shared_huge_pages_allowed;
  EXPECT_FALSE(shared_huge_pages_allowed("always within_size advise [never] deny force"));
  EXPECT_FALSE(shared_huge_pages_allowed("always within_size advise never [deny] force"));
  EXPECT_FALSE(shared_huge_pages_allowed(""));
  EXPECT_TRUE(shared_huge_pages_allowed("always within_size [advise] never deny force"));
  EXPECT_TRUE(shared_huge_pages_allowed("always [within_size] advise never deny force"));
  EXPECT_TRUE(shared_huge_pages_allowed("[always] within_size advise never deny force"));
  EXPECT_TRUE(shared_huge_pages_allowed("always within_size advise never deny [force]"));
}

TEST(AnalyticMpi, EqualsSieveOnRandomRanges) {
  std::mt19937_64 rng(seed(701));
  for (int i = 0; i < 16; ++i) {
    const u64 hi = 1 + rng() % (u64{1} << (1 + rng() % 24));
    const u64 lo = i % 4 == 0 ? 2 : i % 4 == 1 ? hi - rng() % 3 : 1 + rng() % hi;
    const Range r{std::min(lo, hi), hi};
    const Count count = i % 2 ? Count::total : Count::distinct;
    const Schedule schedule = i % 3 == 0 ? Schedule::dynamic : Schedule::static_cyclic;
    const unsigned threads = 1 + static_cast<unsigned>(i % 2);
    const RunResult got = run(test::analytic_job(r, count, Mode::mpi, threads, schedule));
    if (rank() != 0) continue;
    std::ostringstream what;
    what << "[" << r.lo << ", " << r.hi << "] " << to_string(count) << " " << to_string(schedule)
         << " x" << threads << " on " << ranks() << " ranks";
    EXPECT_EQ(got.histogram, sieve_histogram(r, count)) << what.str();
    EXPECT_EQ(got.interrupted, 0) << what.str();
    EXPECT_EQ(got.workers.size(), static_cast<std::size_t>(ranks()) * threads) << what.str();
    for (const WorkerStats& w : got.workers) EXPECT_EQ(w.numbers, 0u) << w.name;
  }
}

TEST(AnalyticMpi, ASharedWindowStartsAtAPageAndIsOneMemoryOnEveryRank) {
  // The table's vector loads want whole cache lines; Open MPI's own window start is not even
  // at one.
  MPI_Comm machine = mpi_detail::machine_comm(MPI_COMM_WORLD, 0);
  int machine_rank = 0;
  MPI_Comm_rank(machine, &machine_rank);
  constexpr std::size_t kBytes = 3 * 4096 + 40;
  MPI_Win window;
  auto* const memory = static_cast<unsigned char*>(
      mpi_detail::shared_window(machine, static_cast<MPI_Aint>(kBytes), window));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(memory) % 4096, 0u) << "rank " << rank();
  if (machine_rank == 0)
    for (std::size_t i = 0; i < kBytes; ++i) memory[i] = static_cast<unsigned char>(i * 7 + 1);
  MPI_Barrier(machine);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < kBytes; ++i)
    wrong += memory[i] != static_cast<unsigned char>(i * 7 + 1);
  EXPECT_EQ(wrong, 0u) << "rank " << rank();
  MPI_Barrier(machine);
  MPI_Win_free(&window);
  MPI_Comm_free(&machine);
}

TEST(AnalyticMpi, TableBuiltOnRanksEqualsTheSerialBuild) {
  // Every grouping of the ranks: all of this machine's ranks on one shared table (0), each rank
  // alone building a parity half (1), and shared halves (2: with 3 ranks, groups {0, 1} and
  // {2}). n = p^2 and p^2 - 1 put a key on either side of a round's first key; above 2^32 the
  // steps are long enough to be shared out (at least 2^15 keys).
  const u64 p = 1'000'003, q = 65'537;
  for (const u64 n : {u64{99'999}, q * q - 1, q * q, u64{98'765'432'109}, p * p - 1, p * p,
                      (u64{1} << 36) + 12345}) {
    PrimeCountTable serial(n);
    serial.build();
    for (const int group : {0, 1, 2}) {
      for (const unsigned threads : {1u, 2u}) {
        PrimeCountTable table(n);
        build_table_on_ranks(table, threads_for(threads), {}, {}, group);
        u64 wrong = 0;
        for (u64 d = 1; d <= serial.root(); ++d)
          wrong += table.odd_pi_large(d) != serial.odd_pi_large(d);
        for (u64 v = 1; v <= serial.root(); ++v)
          wrong += table.odd_pi_small(v) != serial.odd_pi_small(v);
        EXPECT_EQ(wrong, 0u) << "n " << n << " groups of " << group << " x" << threads
                             << " threads, rank " << rank() << " of " << ranks();
      }
    }
  }
}

TEST(AnalyticMpi, AJournalOfExactItemsGoesOnWithExactItemsOnEveryRank) {
  // Rank 0 writes the journal a version before balanced items would have (its header without
  // items=balanced, exact records of every third item): every rank must go on with exact items.
  const Range r{10'000'019, 300'000'000};
  const std::string path =
      "/tmp/numfactors_mpi_exact_items_" + mpi_backend()->share_text(std::to_string(::getpid()));
  const Job job = test::analytic_job(r, Count::distinct, Mode::mpi, 1, Schedule::dynamic);
  u64 recorded = 0;
  if (rank() == 0) {
    std::remove(path.c_str());
    JournalFormat format = JournalFormat::of(job);
    CheckpointHeader header = CheckpointHeader::of(job);
    header.balanced_items = false;
    format.header = header.text();
    Checkpoint journal(path, format);
    for (unsigned part = 0; part < 2; ++part) {
      PrimeCountTable table(part == 0 ? r.hi : r.lo - 1);
      table.build();
      const AnalyticWalk walk(table);
      for (std::size_t k = 0; k < walk.item_count(); k += 3, ++recorded)
        journal.record(2 * k + part, walk.run_item(k).of(Count::distinct));
    }
  }
  mpi_backend()->share_text("");  // the journal is whole before any rank runs
  Hooks hooks;
  hooks.checkpoint = path;
  const RunResult got = run(job, hooks);
  if (rank() != 0) return;
  EXPECT_EQ(got.histogram, run(test::analytic_job(r, Count::distinct, Mode::serial, 1)).histogram);
  EXPECT_EQ(got.resumed_tasks, recorded);
  std::remove(path.c_str());
}

TEST(AnalyticMpi, ItemsAreSharedByEveryRank) {
  // In the static schedule the ranks of a machine take the walk items their Deals name from one
  // pool. Acted out as one machine (0), a machine a rank (1) and, with 3 ranks, machines {0, 1}
  // and {2} (2); and the dynamic schedule. Every item runs once (the histogram is exact, and the
  // ranks ran as many items as there are), and each machine runs exactly the items its ranks'
  // Deals name (that they share them is MpiRun.RanksOfAMachinePoolUnevenTasks).
  const u64 n = 100000000;
  const Histogram want = sieve_histogram({2, n}, Count::distinct);
  for (const Schedule schedule : {Schedule::static_cyclic, Schedule::dynamic})
    for (const int machine_ranks : {0, 1, 2}) {
      if (schedule == Schedule::dynamic && machine_ranks > 0) continue;  // static only
      ItemTasks tasks(n, Count::distinct, true, threads_for(1), {}, 1.0);
      RunOptions o;
      o.mode = Mode::mpi;
      o.schedule = schedule;
      o.machine_ranks = machine_ranks;
      o.timeline = true;
      RunResult got = run_tasks(tasks, o);
      if (rank() != 0) continue;
      tasks.complete(got.histogram);  // the items are balanced: the sum of all needs its last step
      SCOPED_TRACE(to_string(schedule) + ", machines of " + std::to_string(machine_ranks) +
                   " ranks, " + std::to_string(ranks()) + " ranks");
      EXPECT_EQ(got.histogram.total(), n);  // the walk counts [1, n]: 1 itself in bin 0
      for (unsigned k = 1; k <= Histogram::kMaxKey; ++k)
        EXPECT_EQ(got.histogram[k], want[k]) << k;
      ASSERT_EQ(got.workers.size(), static_cast<std::size_t>(ranks()));
      u64 ran = 0;
      for (const WorkerStats& w : got.workers) ran += w.chunks;
      EXPECT_EQ(ran, tasks.count());
      if (schedule == Schedule::dynamic) continue;
      const int per_machine = machine_ranks == 0 ? ranks() : machine_ranks;
      for (int first = 0; first < ranks(); first += per_machine) {
        const int last = std::min(ranks(), first + per_machine) - 1;
        std::vector<u64> members, items;
        for (int r = first; r <= last; ++r) members.push_back(static_cast<u64>(r));
        for (const ChunkEvent& e : got.timeline)  // one worker a rank
          if (static_cast<int>(e.worker) >= first && static_cast<int>(e.worker) <= last)
            items.push_back(e.chunk);
        std::sort(items.begin(), items.end());
        EXPECT_EQ(items, pooled_deal(tasks.count(), static_cast<u64>(ranks()), members))
            << "the machine of rank " << first;
      }
    }
}

}  // namespace
}  // namespace numfactors
