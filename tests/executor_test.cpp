/// @file executor_test.cpp
/// @brief The serial and threads executors: identical histograms on seeded random ranges, worker
/// counts and chunk sizes; per-worker statistics and the timeline account for every chunk once;
/// an exception in a worker reaches the caller.
#include "exec/executor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "numfactors/errors.hpp"
#include "numfactors/run.hpp"
#include "oracle.hpp"
#include "run_checks.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

using test::run_plan;

constexpr u64 kTop = std::numeric_limits<u64>::max();

std::string describe(const Plan& p, unsigned workers) {
  std::ostringstream s;  // not operator+ on strings: GCC 12 gives a false -Wrestrict there
  s << "[" << p.range.lo << ", " << p.range.hi << "] " << to_string(p.kernel) << " " << to_string(p.count)
    << " chunk_size " << p.chunk_size << " workers " << workers;
  return s.str();
}

RunOptions options_for(Mode mode, unsigned workers, bool timeline = false) {
  RunOptions o;
  o.mode = mode;
  o.workers = workers;
  o.timeline = timeline;
  return o;
}

/// Statistics that any run must satisfy: one entry a worker (a worker a chunk at most), and
/// chunks and numbers adding up to the plan's chunk count and range size.
void expect_consistent_stats(const Plan& plan, unsigned asked, const RunResult& r) {
  const auto workers = static_cast<unsigned>(std::min<u64>(asked, plan.chunk_count()));
  ASSERT_EQ(r.workers.size(), workers) << describe(plan, asked);
  u64 chunks = 0, numbers = 0;
  std::set<std::string> names;
  for (const WorkerStats& w : r.workers) {
    chunks += w.chunks;
    numbers += w.numbers;
    names.insert(w.name);
    EXPECT_GE(w.busy_seconds, 0.0);
  }
  EXPECT_EQ(names.size(), workers) << "worker names are not distinct: " << describe(plan, workers);
  EXPECT_EQ(chunks, plan.chunk_count()) << describe(plan, workers);
  EXPECT_EQ(numbers, plan.range.size()) << describe(plan, workers);
  EXPECT_EQ(r.histogram.total(), plan.range.size()) << describe(plan, workers);
  EXPECT_GE(r.seconds, 0.0);
}

void expect_serial_equals_threads(const Plan& plan, unsigned workers) {
  const RunResult serial = run_plan(plan, options_for(Mode::serial, 1));
  const RunResult threads = run_plan(plan, options_for(Mode::threads, workers));
  EXPECT_EQ(serial.histogram, threads.histogram) << describe(plan, workers);
  expect_consistent_stats(plan, 1, serial);
  expect_consistent_stats(plan, workers, threads);
}

TEST(Executors, SerialEqualsThreadsSieveOnRandomRanges) {
  std::mt19937_64 rng(test::test_seed(301));
  for (int i = 0; i < 120; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 40);
    const u64 lo = 1 + rng() % (u64{1} << bits);
    const u64 size = 1 + rng() % (i % 4 == 0 ? 300 : 200000);
    // From chunk size 1 (on small ranges) up to more than the whole range; at most ~300 chunks.
    const u64 smallest = std::max<u64>(1, size / 300);
    const u64 chunk = smallest + rng() % (size + 10);
    const Count count = rng() % 2 ? Count::distinct : Count::total;
    const auto workers = static_cast<unsigned>(1 + rng() % 5);
    expect_serial_equals_threads(Plan{{lo, lo + size - 1}, count, KernelKind::sieve, chunk}, workers);
  }
}

TEST(Executors, SerialEqualsThreadsWheelOnRangesNearOne) {
  // The wheel's chunks are ranges of m, its chunks' numbers come from Plan::numbers_in_chunk:
  // statistics and histograms must still add up to the range, and equal the direct sieve's.
  std::mt19937_64 rng(test::test_seed(303));
  for (int i = 0; i < 40; ++i) {
    const u64 hi = 1 + rng() % (i % 4 == 0 ? 300 : 3'000'000);
    const u64 lo = 1 + rng() % (hi / 3 * 2 + 1);
    const u64 chunk = std::max<u64>(1, hi / 300) + rng() % (hi + 10);
    const Count count = rng() % 2 ? Count::distinct : Count::total;
    const auto workers = static_cast<unsigned>(1 + rng() % 5);
    const Plan plan{{lo, hi}, count, KernelKind::wheel, chunk};
    expect_serial_equals_threads(plan, workers);
    Histogram direct;
    make_kernel(KernelKind::sieve, count, hi)->count(plan.range, direct);
    EXPECT_EQ(run_plan(plan, options_for(Mode::serial, 1)).histogram, direct)
        << describe(plan, workers);
  }
}

TEST(Executors, SerialEqualsThreadsTrialOnSmallRanges) {
  std::mt19937_64 rng(test::test_seed(302));
  for (int i = 0; i < 30; ++i) {
    const u64 lo = 1 + rng() % 1000000;
    const u64 size = 1 + rng() % 3000;
    const u64 chunk = 1 + rng() % (size + 10);
    const Count count = rng() % 2 ? Count::distinct : Count::total;
    const auto workers = static_cast<unsigned>(1 + rng() % 5);
    expect_serial_equals_threads(Plan{{lo, lo + size - 1}, count, KernelKind::trial, chunk}, workers);
  }
}

TEST(Executors, EveryWorkerCountAndBothCountsOnOneRange) {
  // The same range under 1..5 workers and several chunk sizes, against the oracle.
  const Range range{999'960'001, 1'000'010'000};
  for (const Count count : {Count::distinct, Count::total}) {
    Histogram expected;
    for (u64 n = range.lo; n <= range.hi; ++n) expected.add(test::oracle_count(n, count));
    for (const u64 chunk : {u64{1000}, u64{7777}, u64{32768}, u64{1} << 20})
      for (unsigned workers = 1; workers <= 5; ++workers) {
        const Plan plan{range, count, KernelKind::sieve, chunk};
        const RunResult r = run_plan(plan, options_for(Mode::threads, workers));
        EXPECT_EQ(r.histogram, expected) << describe(plan, workers);
        expect_consistent_stats(plan, workers, r);
      }
  }
}

TEST(Executors, ChunksEndingAt2To64Minus1) {
  // Trial division only, while a sieve kernel for 2^64 needs every prime below 2^32. Its cost here
  // is about 10^7 divisions a run, for 2^64-3 = 13 * 3889 * 364870227143809.
  const Range range{kTop - 2, kTop};
  for (const Count count : {Count::distinct, Count::total}) {
    Histogram expected;
    for (u64 n = range.lo;; ++n) {
      expected.add(test::oracle_count(n, count));
      if (n == range.hi) break;
    }
    for (const u64 chunk : {u64{1}, u64{2}, kTop}) {
      const Plan plan{range, count, KernelKind::trial, chunk};
      EXPECT_EQ(run_plan(plan, options_for(Mode::serial, 1)).histogram, expected);
      for (unsigned workers : {2u, 3u}) {
        const RunResult r = run_plan(plan, options_for(Mode::threads, workers));
        EXPECT_EQ(r.histogram, expected) << describe(plan, workers);
        expect_consistent_stats(plan, workers, r);
      }
    }
  }
}

TEST(Executors, RunDispatchesOnTheMode) {
  const Plan plan{{2, 100000}, Count::distinct, KernelKind::sieve, 3000};
  const RunResult serial = run_plan(plan, options_for(Mode::serial, 1));
  const RunResult threads = run_plan(plan, options_for(Mode::threads, 3));
  EXPECT_EQ(serial.histogram, threads.histogram);
  ASSERT_EQ(serial.workers.size(), 1u);
  ASSERT_EQ(threads.workers.size(), 3u);
}

TEST(Executors, TimelineHasOneEventPerChunk) {
  const Plan plan{{1, 123457}, Count::total, KernelKind::sieve, 3333};
  for (const Mode mode : {Mode::serial, Mode::threads}) {
    const unsigned workers = mode == Mode::serial ? 1 : 3;
    const RunResult r = run_plan(plan, options_for(mode, workers, true));
    ASSERT_EQ(r.timeline.size(), plan.chunk_count()) << to_string(mode);
    std::set<u64> seen;
    std::vector<u64> events_of_worker(r.workers.size());
    for (const ChunkEvent& e : r.timeline) {
      EXPECT_TRUE(seen.insert(e.chunk).second) << "chunk " << e.chunk << " twice";
      ASSERT_LT(e.chunk, plan.chunk_count());
      EXPECT_EQ(e.range, plan.chunk(e.chunk));
      ASSERT_LT(e.worker, r.workers.size());
      ++events_of_worker[e.worker];
      EXPECT_LE(0.0, e.start);
      EXPECT_LE(e.start, e.end);
      EXPECT_LE(e.end, r.seconds);
    }
    for (std::size_t w = 0; w < r.workers.size(); ++w)
      EXPECT_EQ(events_of_worker[w], r.workers[w].chunks) << r.workers[w].name;
  }
  // Without the option, no timeline is kept.
  EXPECT_TRUE(run_plan(plan, options_for(Mode::threads, 2)).timeline.empty());
}

TEST(Executors, OnChunkSeesEveryChunkOnce) {
  const Plan plan{{2, 200000}, Count::distinct, KernelKind::sieve, 7000};
  std::mutex m;
  std::set<u64> chunks;
  Histogram sum;
  RunOptions o = options_for(Mode::threads, 4);
  o.on_task = [&](u64 chunk, const Histogram& h) {
    std::lock_guard lock(m);
    EXPECT_TRUE(chunks.insert(chunk).second) << "chunk " << chunk << " twice";
    EXPECT_EQ(h.total(), plan.chunk(chunk).size());
    sum += h;
  };
  const RunResult r = run_plan(plan, o);
  EXPECT_EQ(chunks.size(), plan.chunk_count());
  EXPECT_EQ(sum, r.histogram);
}

/// A kernel that fails on the chunk holding `poison` (after counting a few chunks normally).
class FailingKernel final : public Kernel {
 public:
  explicit FailingKernel(u64 poison) : poison_(poison) {}
  void count(const Range& r, Histogram& out) override {
    if (r.lo <= poison_ && poison_ <= r.hi) throw std::runtime_error("poisoned chunk");
    out.add(1, r.size());
  }
  std::unique_ptr<Kernel> clone() const override { return std::make_unique<FailingKernel>(poison_); }

 private:
  u64 poison_;
};

TEST(Executors, WorkerExceptionPropagates) {
  const Plan plan{{1, 1000}, Count::distinct, KernelKind::sieve, 10};
  for (unsigned threads : {1u, 2u, 5u}) {
    CounterSource source(0, plan.chunk_count());
    ChunkTasks tasks(plan, std::make_unique<FailingKernel>(555));
    RunResult result;
    try {
      run_workers(tasks, threads, source, options_for(Mode::threads, threads), "t ", Clock::now(),
                  result);
      ADD_FAILURE() << "no exception with " << threads << " threads";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "poisoned chunk");
    }
  }
  // The same kernel without the poison in range runs through.
  CounterSource source(0, plan.chunk_count());
  ChunkTasks tasks(plan, std::make_unique<FailingKernel>(5000));
  RunResult result;
  run_workers(tasks, 3, source, options_for(Mode::threads, 3), "t ", Clock::now(), result);
  EXPECT_EQ(result.histogram[1], 1000u);
}

TEST(Executors, AJobIsCheckedBeforeItRuns) {
  // Job is a plain struct a caller may fill or change: a sieve job without a chunk size (the
  // default Job, or an analytic plan turned to the sieve) once divided by zero.
  EXPECT_THROW(run(Job{}), InvalidRequest);
  Request q;
  q.range = {2, 1'000'000};
  Environment env;
  env.cores = 2;
  Job job = plan_job(q, env);
  ASSERT_EQ(job.method, Method::analytic);
  ASSERT_EQ(job.chunk_size, 0u);
  job.method = Method::sieve;
  EXPECT_THROW(run(job), InvalidRequest);
  job.chunk_size = 100'000;
  EXPECT_EQ(run(job).histogram.total(), q.range.size());
  // A value outside its choices (a cast from a number), or automatic where plan_job decides,
  // is refused before anything runs; so is the wheel far from 1 or beyond 2^62-1.
  for (const auto& spoil : std::vector<std::function<void(Job&)>>{
           [](Job& j) { j.kernel = static_cast<KernelKind>(42); },
           [](Job& j) { j.count = static_cast<Count>(7); },
           [](Job& j) { j.mode = static_cast<Mode>(-1); },
           [](Job& j) { j.schedule = static_cast<Schedule>(9); },
           [](Job& j) { j.method = Method::automatic; },
           [](Job& j) { j.method = static_cast<Method>(5); }}) {
    Job bad = job;
    spoil(bad);
    EXPECT_THROW(run(bad), InvalidRequest);
  }
  Job wheel = job;
  wheel.kernel = KernelKind::wheel;
  EXPECT_EQ(run(wheel).histogram, run(job).histogram);
  wheel.range = {18'446'744'073'709'551'000u, 18'446'744'073'709'551'615u};
  EXPECT_THROW(run(wheel), KernelRangeError);
  wheel.range = {1'000'000'000'000, 1'000'000'100'000};
  EXPECT_THROW(run(wheel), KernelRangeError);
}

}  // namespace
}  // namespace numfactors

namespace numfactors {
namespace {

TEST(Progress, FollowsTheWorkNotTheNumbers) {
  // The wheel near 1: its first chunks of m stand for most of the numbers (each m is counted
  // for every 2^a 3^b m in range) but cost what later ones do. Progress is reported by work: the
  // run reaches half of it at about half of its time, where counting numbers said 90% early on.
  Request q;
  q.range = {2, 3'000'000'000};
  q.method = Method::sieve;
  q.mode = Mode::serial;
  q.chunk = 50'000'000;
  Environment env;
  env.cores = 1;
  const Job job = plan_job(q, env);
  ASSERT_EQ(job.kernel, KernelKind::wheel);
  const auto start = std::chrono::steady_clock::now();
  double at_half = -1, last = 0;
  Hooks hooks;
  hooks.progress = [&](const Progress& p) {
    EXPECT_GE(p.done, last);
    last = p.done;
    if (at_half < 0 && p.done >= 0.5 * p.total)
      at_half = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const RunResult r = run(job, hooks);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_GT(at_half, 0);
  EXPECT_GT(at_half, 0.25 * seconds) << at_half << " s of " << seconds;
  EXPECT_LT(at_half, 0.75 * seconds) << at_half << " s of " << seconds;
  EXPECT_EQ(r.histogram.total(), q.range.size());
}

}  // namespace
}  // namespace numfactors
