/// @file analytic_exec_test.cpp
/// @brief --method analytic through the executors (serial, threads, pool) against the sieve run
/// by the serial executor on seeded random ranges, the `auto` choice, the method's usage errors,
/// the binary against the published histogram of [2, 10^8], and SIGTERM during a run.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "numfactors/errors.hpp"
#include "cli/app.hpp"
#include "cli/options.hpp"
#include "exec/thread_team.hpp"
#include "job_helpers.hpp"
#include "exec/executor.hpp"
#include "run_checks.hpp"
#include "resume_helpers.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

using test::run_plan;

RunOptions options_for(Mode mode, unsigned workers) {
  RunOptions o;
  o.mode = mode;
  o.workers = workers;
  o.warn = [](const std::string&) {};
  return o;
}

/// The independent computation: the sieve kernel over chunks, one after another.
Histogram sieve_histogram(const Range& r, Count count) {
  return run_plan(make_plan(r, count, KernelKind::sieve, 0, 1), options_for(Mode::serial, 1))
      .histogram;
}

std::string describe(const Range& r, Count count, Mode mode, unsigned workers) {
  std::ostringstream s;
  s << "[" << r.lo << ", " << r.hi << "] " << to_string(count) << " " << to_string(mode) << " x"
    << workers;
  return s.str();
}

/// Ranges of every kind the method meets: [1, N], [2, N], lo > 2, tiny windows, N = p^2 and
/// p^2 - 1 (table boundaries), all below 10^7 so the sieve checks them quickly.
std::vector<Range> random_ranges(std::mt19937_64& rng, int how_many) {
  const u64 squares[] = {9, 25, 49, 121, 169, 10201, 994009, 9985009};  // p^2, p prime
  std::vector<Range> ranges;
  for (int i = 0; i < how_many; ++i) {
    const u64 hi = 1 + rng() % (u64{1} << (1 + rng() % 23));
    switch (i % 5) {
      case 0: ranges.push_back({1 + rng() % 2, hi}); break;
      case 1: ranges.push_back({1 + rng() % hi, hi}); break;
      case 2: ranges.push_back({hi, hi + rng() % 5}); break;  // tiny
      case 3: {
        const u64 p2 = squares[rng() % std::size(squares)];
        ranges.push_back({1 + rng() % 3, p2 - rng() % 2});
        break;
      }
      default: {
        const u64 p2 = squares[rng() % std::size(squares)];
        ranges.push_back({p2 - rng() % 2, p2 + rng() % 1000});
      }
    }
  }
  return ranges;
}

TEST(AnalyticExec, EqualsSieveInSerialThreadsAndPool) {
  std::mt19937_64 rng(test::test_seed(601));
  struct ModeCase {
    Mode mode;
    unsigned workers;
  };
  const ModeCase modes[] = {{Mode::serial, 1}, {Mode::threads, 1}, {Mode::threads, 2},
                            {Mode::threads, 3}, {Mode::pool, 2}};
  int i = 0;
  for (const Range& r : random_ranges(rng, 30)) {
    for (const Count count : {Count::distinct, Count::total}) {
      const Histogram expected = sieve_histogram(r, count);
      // Every range in serial and threads; every third one in a pool as well (forks cost more).
      for (const ModeCase& m : modes) {
        if (m.mode == Mode::pool && i % 3 != 0) continue;
        const RunResult got = run(test::analytic_job(r, count, m.mode, m.workers));
        EXPECT_EQ(got.histogram, expected) << describe(r, count, m.mode, m.workers);
        EXPECT_EQ(got.histogram.total(), r.size()) << describe(r, count, m.mode, m.workers);
        EXPECT_EQ(got.interrupted, 0);
      }
    }
    ++i;
  }
}

TEST(AnalyticExec, WorkerStatsCountItems) {
  const RunResult r = run(test::analytic_job({2, 10000000}, Count::distinct, Mode::threads, 3));
  ASSERT_EQ(r.workers.size(), 3u);
  u64 items = 0;
  for (const WorkerStats& w : r.workers) {
    EXPECT_EQ(w.numbers, 0u) << w.name;
    EXPECT_GE(w.busy_seconds, 0.0) << w.name;
    items += w.chunks;
  }
  // [2, 10^7] runs the items of [1, 10^7] and of [1, 1]: more than one item each.
  EXPECT_GT(items, 2u);
}

TEST(AnalyticExec, StopLeavesTheRunInterrupted) {
  CancelToken cancelled;
  cancelled.cancel(SIGTERM);
  Hooks hooks;
  hooks.cancel = &cancelled;
  for (const Mode mode : {Mode::serial, Mode::threads, Mode::pool}) {
    const Job job = test::analytic_job({5, 1000000}, Count::total, mode, 2);
    EXPECT_EQ(run(job, hooks).interrupted, SIGTERM) << to_string(mode);
  }
}

TEST(AnalyticExec, ThreadsForCoversEveryIndexOnce) {
  std::mt19937_64 rng(test::test_seed(602));
  using std::chrono::microseconds;
  // Waiting threads that sleep at once, that spin first (the default on enough cores) and that
  // spin longer than the calls' gaps: whichever way a thread waits, no call is missed.
  for (const microseconds spin : {microseconds{0}, microseconds{200}, microseconds{20000}}) {
    SCOPED_TRACE(spin.count());
    // One team for many calls, as a table build uses it.
    const ParallelFor parallel_for = threads_for(3, spin);
    for (int i = 0; i < 50; ++i) {
      const u64 begin = rng() % 100;
      const u64 end = begin + rng() % 5000;
      std::vector<std::atomic<int>> seen(end);
      const ParallelFor one_off = threads_for(1 + static_cast<unsigned>(rng() % 4), spin);
      for (const ParallelFor* f : {&parallel_for, &one_off}) {
        for (auto& s : seen) s.store(0);
        (*f)(begin, end, [&](u64 lo, u64 hi) {
          for (u64 k = lo; k < hi; ++k) seen[k].fetch_add(1);
        });
        for (u64 k = 0; k < end; ++k) ASSERT_EQ(seen[k].load(), k >= begin ? 1 : 0) << k;
      }
    }
    // A piece that throws: the exception reaches the caller, and the team still works after it.
    EXPECT_THROW(parallel_for(0, 1000, [](u64 lo, u64) {
      if (lo >= 500) throw std::runtime_error("piece failed");
    }), std::runtime_error);
    std::atomic<u64> sum{0};
    parallel_for(0, 1000, [&](u64 lo, u64 hi) { sum += hi - lo; });
    EXPECT_EQ(sum.load(), 1000u);
    // The helpers take part: pieces that wait for one another finish only if two threads run
    // them at once (a helper that never woke would leave the caller waiting here for ever).
    std::atomic<int> arrived{0};
    threads_for(2, spin)(0, 2, [&](u64, u64) {
      arrived.fetch_add(1);
      while (arrived.load() < 2) std::this_thread::yield();
    });
    EXPECT_EQ(arrived.load(), 2);
  }
}

Method method_of(const std::vector<std::string>& args) {
  return test::method_planned(parse_options(args).request);
}

TEST(AnalyticExec, AutoPicksAnalyticForPrefixesAndSieveForNarrowWindows) {
  EXPECT_EQ(method_of({"--max", "1e12"}), Method::analytic);
  EXPECT_EQ(method_of({"--min", "1e12", "--max", "1e12+1e6"}), Method::sieve);
  // A choice of the sieve method keeps auto on the sieve.
  EXPECT_EQ(method_of({"--max", "1e12", "--chunk", "1e6"}), Method::sieve);
  EXPECT_EQ(method_of({"--max", "1e12", "--kernel", "sieve"}), Method::sieve);
  // Tables that do not fit: the sieve, and an explicit analytic is refused.
  EXPECT_EQ(method_of({"--max", "1e19"}), Method::sieve);
  EXPECT_THROW(method_of({"--method", "analytic", "--max", "1e19"}), TableTooLarge);
  EXPECT_EQ(method_of({"--method", "sieve", "--max", "1e12"}), Method::sieve);
}

/// Expects parsing and planning `args` to fail with status 2 and a line containing `part`.
void expect_usage_error(const std::vector<std::string>& args, const std::string& part) {
  std::ostringstream out, err;
  EXPECT_EQ(run_app(args, out, err), 2) << args.back();
  EXPECT_NE(err.str().find(part), std::string::npos) << err.str();
  EXPECT_EQ(out.str(), "");
}

TEST(AnalyticExec, BadMethodOptionsAreUsageErrors) {
  expect_usage_error({"--method", "foo"}, "unknown method 'foo'");
  expect_usage_error({"--method", "analytc"}, "did you mean 'analytic'");
  expect_usage_error({"--method", "analytic", "--kernel", "trial"}, "--kernel trial");
  expect_usage_error({"--kernel", "trial", "--method", "analytic"}, "--kernel trial");
  expect_usage_error({"--method", "analytic", "--chunk", "1000"}, "--chunk");
  EXPECT_EQ(method_of({"--method", "sieve", "--kernel", "trial"}), Method::sieve);
}

/// The published histogram of [2, 10^8] (distinct) as the binary's dict.
std::string published_1e8() {
  std::ifstream in(std::string(NUMFACTORS_TEST_DATA) + "/omega_histograms.json");
  const auto j = nlohmann::json::parse(in);
  for (const auto& c : j.at("cases"))
    if (c.at("lo") == 2 && c.at("hi") == 100000000 && c.at("count") == "distinct") {
      std::string s = "{";
      for (unsigned k = 0; k < 64; ++k)
        if (c.at("histogram").contains(std::to_string(k)))
          s += (s.size() > 1 ? ", " : "") + std::to_string(k) + ": " +
               std::to_string(c.at("histogram").at(std::to_string(k)).get<u64>());
      return s + "}\n";
    }
  ADD_FAILURE() << "no [2, 10^8] case in the data";
  return "";
}

TEST(AnalyticExec, BinaryMatchesThePublishedHistogramAt1e8) {
  const std::string expected = published_1e8();
  for (const std::string mode : {"serial", "threads", "pool"}) {
    const test::Finished o = test::run_program(
        NUMFACTORS_BINARY, {"--method", "analytic", "--max", "1e8", "--mode", mode});
    EXPECT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(o.out, expected) << mode;
  }
  const test::Finished json = test::run_program(
      NUMFACTORS_BINARY, {"--max", "1e8", "--format", "json", "--workers", "2"});
  EXPECT_EQ(nlohmann::json::parse(json.out).at("method"), "analytic");
}

TEST(AnalyticExec, BinaryRefusesBadMethodsWithStatus2) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--method", "foo"},
        {"--method", "analytic", "--kernel", "trial"},
        {"--method", "analytic", "--max", "2^64-1"}}) {
    const test::Finished o = test::run_program(NUMFACTORS_BINARY, args);
    EXPECT_EQ(o.status, 2) << args[1];
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err.rfind("numfactors: error: ", 0), 0u) << o.err;
  }
}

TEST(AnalyticExec, SigtermStopsTheRunWithStatus143) {
  // Seconds of work: the signal arrives during the table build, the run stops at its end.
  test::ChildProcess child(NUMFACTORS_BINARY,
                          {"--method", "analytic", "--max", "1e13", "--workers", "2"});
  ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
  kill(child.pid(), SIGTERM);
  const test::Finished f = child.wait(60);
  EXPECT_EQ(f.status, 143);
  EXPECT_EQ(f.out, "");
  EXPECT_NE(f.err.find("numfactors: interrupted by SIGTERM; nothing was saved"), std::string::npos)
      << f.err;
}

}  // namespace
}  // namespace numfactors
