/// @file analytic_mpi_test.cpp
/// @brief run_analytic in MPI mode at whatever rank count mpiexec gave: static and dynamic
/// schedules, 1 and 2 threads a rank, give rank 0 the sieve's histogram (run serially on rank 0)
/// on seeded random ranges for both counts, and every rank's items are in its statistics.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

#include "exec/analytic_run.hpp"
#include "../seed.hpp"
#include "exec/mpi.hpp"
#include "test_session.hpp"

namespace nf {
namespace {

/// The same on every rank (mpiexec passes the environment on), so every rank draws the same ranges.
u64 seed(u64 salt) { return test::test_seed(salt, test::test_session().rank() == 0); }

int rank() { return test::test_session().rank(); }
int ranks() { return test::test_session().size(); }

Histogram sieve_histogram(const Range& r, Count count) {
  RunOptions o;
  o.mode = Mode::serial;
  return run_serial(make_plan(r, count, KernelKind::sieve, 0, 1), o).histogram;
}

TEST(AnalyticMpi, EqualsSieveOnRandomRanges) {
  std::mt19937_64 rng(seed(701));
  for (int i = 0; i < 16; ++i) {
    const u64 hi = 1 + rng() % (u64{1} << (1 + rng() % 24));
    const u64 lo = i % 4 == 0 ? 2 : i % 4 == 1 ? hi - rng() % 3 : 1 + rng() % hi;
    const Range r{std::min(lo, hi), hi};
    const Count count = i % 2 ? Count::total : Count::distinct;
    RunOptions o;
    o.mode = Mode::mpi;
    o.schedule = i % 3 == 0 ? Schedule::dynamic : Schedule::static_cyclic;
    o.threads = 1 + static_cast<unsigned>(i % 2);
    const RunResult got = run_analytic(r, count, o);
    if (rank() != 0) continue;
    std::ostringstream what;
    what << "[" << r.lo << ", " << r.hi << "] " << to_string(count) << " "
         << to_string(o.schedule) << " x" << o.threads << " on " << ranks() << " ranks";
    EXPECT_EQ(got.histogram, sieve_histogram(r, count)) << what.str();
    EXPECT_EQ(got.interrupted, 0) << what.str();
    EXPECT_EQ(got.workers.size(), static_cast<std::size_t>(ranks()) * o.threads) << what.str();
    for (const WorkerStats& w : got.workers) EXPECT_EQ(w.numbers, 0u) << w.name;
  }
}

TEST(AnalyticMpi, ItemsAreSharedByEveryRank) {
  RunOptions o;
  o.mode = Mode::mpi;
  const RunResult got = run_analytic({2, 100000000}, Count::distinct, o);
  if (rank() != 0) return;
  // Dealt back and forth, each rank gets about 1/ranks of the items (hundreds of them).
  ASSERT_EQ(got.workers.size(), static_cast<std::size_t>(ranks()));
  for (const WorkerStats& w : got.workers) EXPECT_GT(w.chunks, 10u) << w.name;
}

}  // namespace
}  // namespace nf
