/// @file pool_test.cpp
/// @brief Pool mode against serial runs and the independent oracle: seeded random ranges, windows
/// ending at 2^64-1, more workers than chunks, one number; workers that die once (nothing lost) or
/// every time (the run stops), a kernel that throws, and no worker left behind either way.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include "exec/pool.hpp"
#include "oracle.hpp"
#include "run_checks.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

using test::run_plan;

using test::oracle_histogram;

constexpr u64 kTop = std::numeric_limits<u64>::max();

u64 seed(u64 salt) { return test::test_seed(salt); }

RunOptions pool_options(unsigned workers) {
  RunOptions o;
  o.mode = Mode::pool;
  o.workers = workers;
  o.timeline = true;
  return o;
}

/// No child process of this test is left, running or unreaped.
void expect_no_children() {
  errno = 0;
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

/// A kernel whose process kills itself with SIGKILL on the chunk holding `trigger`: every time, or
/// (with a marker path) only the first time, which it records by creating the marker file.
class DyingKernel final : public Kernel {
 public:
  DyingKernel(std::shared_ptr<const Kernel> inner, u64 trigger, std::string marker)
      : inner_(std::move(inner)), own_(inner_->clone()), trigger_(trigger),
        marker_(std::move(marker)) {}
  void count(const Range& r, Histogram& out) override {
    if (r.lo <= trigger_ && trigger_ <= r.hi) {
      const bool first =
          marker_.empty() || open(marker_.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600) >= 0;
      if (first) raise(SIGKILL);
    }
    own_->count(r, out);
  }
  std::unique_ptr<Kernel> clone() const override {
    return std::make_unique<DyingKernel>(inner_, trigger_, marker_);
  }

 private:
  std::shared_ptr<const Kernel> inner_;
  std::unique_ptr<Kernel> own_;
  u64 trigger_;
  std::string marker_;
};

class ThrowingKernel final : public Kernel {
 public:
  void count(const Range&, Histogram&) override { throw std::runtime_error("disk on fire"); }
  std::unique_ptr<Kernel> clone() const override { return std::make_unique<ThrowingKernel>(); }
};

TEST(Pool, SeededRandomRangesGiveTheSerialHistogram) {
  std::mt19937_64 rng(seed(31));
  for (int i = 0; i < 10; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 36);
    const u64 lo = 1 + rng() % (u64{1} << bits);
    const u64 size = 1 + rng() % 300000;
    const Range range{lo, lo + size - 1};
    const Count count = rng() % 2 ? Count::total : Count::distinct;
    const u64 chunk = std::max<u64>(1, size / (1 + rng() % 40));
    const auto workers = static_cast<unsigned>(1 + rng() % 4);
    const Plan plan = make_plan(range, count, KernelKind::sieve, chunk, workers);
    const auto kernel = make_kernel(plan.kernel, count, range.hi);
    const RunResult r = run_plan(plan, pool_options(workers), *kernel);
    std::ostringstream trace;
    trace << "[" << range.lo << ", " << range.hi << "] chunk " << chunk << ", " << workers
          << " workers";
    SCOPED_TRACE(trace.str());
    EXPECT_EQ(r.histogram, test::serial_histogram(plan, *kernel));
    EXPECT_EQ(r.workers.size(), std::min<u64>(workers, plan.chunk_count()));
    for (std::size_t w = 0; w < r.workers.size(); ++w)
      EXPECT_EQ(r.workers[w].name, "process " + std::to_string(w));
    test::expect_every_chunk_once(plan, r);
  }
  expect_no_children();
}

TEST(Pool, TheWheelMatchesTheDirectSieve) {
  std::mt19937_64 rng(seed(33));
  for (int i = 0; i < 4; ++i) {
    const u64 hi = 1 + rng() % 2'000'000;
    const Range range{1 + rng() % (hi / 3 * 2 + 1), hi};
    const Count count = i % 2 ? Count::total : Count::distinct;
    const u64 chunk = std::max<u64>(1, hi / (1 + rng() % 40));
    const auto workers = static_cast<unsigned>(1 + rng() % 4);
    const Plan plan = make_plan(range, count, KernelKind::wheel, chunk, workers);
    const RunResult r = run_plan(plan, pool_options(workers), *make_kernel(plan));
    std::ostringstream trace;
    trace << "wheel [" << range.lo << ", " << range.hi << "] chunk " << chunk << ", " << workers
          << " workers";
    SCOPED_TRACE(trace.str());
    Histogram direct;
    make_kernel(KernelKind::sieve, count, hi)->count(range, direct);
    EXPECT_EQ(r.histogram, direct);
    test::expect_every_chunk_once(plan, r);
  }
  expect_no_children();
}

TEST(Pool, SmallRangesMatchTheOracle) {
  for (const Count count : {Count::distinct, Count::total}) {
    const Plan plan = make_plan({1, 5000}, count, KernelKind::trial, 97, 3);
    const auto kernel = make_kernel(plan.kernel, count, plan.range.hi);
    EXPECT_EQ(run_plan(plan, pool_options(3), *kernel).histogram,
              oracle_histogram(plan.range, count));
  }
}

TEST(Pool, AWindowEndingAt2To64Minus1) {
  // Near 2^64 the sieving primes go up to 2^32 and every chunk costs a pass over them (about a
  // second), so the window has two chunks; three workers: more workers than chunks.
  const Range range{kTop - 999, kTop};
  const Plan plan = make_plan(range, Count::total, KernelKind::sieve, 500, 3);
  const RunResult r = run_plan(plan, pool_options(3), *make_kernel(plan.kernel, plan.count, kTop));
  EXPECT_EQ(r.histogram, oracle_histogram(range, Count::total));
  EXPECT_EQ(r.workers.size(), 2u);
  test::expect_every_chunk_once(plan, r);
}

TEST(Pool, OneNumber) {
  for (const u64 n : {u64{1}, u64{2}, (u64{1} << 61) - 1, u64{1} << 40}) {
    const Plan plan = make_plan({n, n}, Count::total, KernelKind::sieve, 0, 4);
    const RunResult r = run_plan(plan, pool_options(4), *make_kernel(plan.kernel, plan.count, n));
    EXPECT_EQ(r.histogram, oracle_histogram({n, n}, Count::total)) << n;
    EXPECT_EQ(r.workers.size(), 1u);
  }
}

TEST(Pool, AWorkerKilledOnceLosesNothing) {
  const Plan plan = make_plan({2, 400000}, Count::distinct, KernelKind::sieve, 20000, 2);
  const std::shared_ptr<const Kernel> sieve = make_kernel(plan.kernel, plan.count, plan.range.hi);
  const std::string marker = testing::TempDir() + "numfactors_pool_marker_" +
                             std::to_string(getpid());
  std::remove(marker.c_str());
  const DyingKernel dying(sieve, 250000, marker);
  RunOptions options = pool_options(2);
  std::vector<std::string> warnings;
  options.warn = [&](const std::string& m) { warnings.push_back(m); };
  std::set<u64> reported;
  options.on_task = [&](u64 chunk, const Histogram&) { EXPECT_TRUE(reported.insert(chunk).second); };
  const RunResult r = run_plan(plan, options, dying);
  std::remove(marker.c_str());
  EXPECT_EQ(r.histogram, test::serial_histogram(plan, *sieve));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("was lost (killed by signal 9"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("task 12 [240002, 260001]"), std::string::npos) << warnings[0];
  EXPECT_EQ(r.workers.size(), 3u);  // two, and one started in place of the lost one
  EXPECT_EQ(reported.size(), plan.chunk_count());
  test::expect_every_chunk_once(plan, r);
  expect_no_children();
}

TEST(Pool, WorkersThatKeepDyingStopTheRun) {
  const Plan plan = make_plan({2, 400000}, Count::distinct, KernelKind::sieve, 20000, 2);
  const std::shared_ptr<const Kernel> sieve = make_kernel(plan.kernel, plan.count, plan.range.hi);
  const DyingKernel dying(sieve, 250000, "");
  RunOptions options = pool_options(2);
  std::vector<std::string> warnings;
  options.warn = [&](const std::string& m) { warnings.push_back(m); };
  try {
    run_plan(plan, options, dying);
    ADD_FAILURE() << "a chunk that always kills its worker must stop the run";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "worker processes keep dying: task 12 [240002, 260001] was lost 3 times (last "
                 "worker killed by signal 9 (Killed)); giving up");
  }
  EXPECT_EQ(warnings.size(), kMaxLossesPerChunk - 1);
  expect_no_children();
}

TEST(Pool, AKernelErrorStopsTheRunWithItsMessage) {
  const Plan plan = make_plan({2, 100000}, Count::distinct, KernelKind::sieve, 1000, 3);
  try {
    run_plan(plan, pool_options(3), ThrowingKernel());
    ADD_FAILURE() << "the kernel's exception must reach the caller";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(": disk on fire"), std::string::npos) << e.what();
  }
  expect_no_children();
}

}  // namespace
}  // namespace numfactors
