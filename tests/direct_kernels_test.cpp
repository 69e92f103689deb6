/// @file direct_kernels_test.cpp
/// @brief The factor, hybrid and automatic kernels where they meet the rest of numfactors: windows
/// around the numbers that break weak primality tests or weak splitting (squares and cubes of
/// primes near 2^32 and 2^21, products of two primes below 2^32, Carmichael numbers, strong
/// pseudoprimes, the top of the range) against the oracle; the automatic kernel at every scale
/// against the sieve, the oracle and the factor kernel; its choice per chunk in serial, threads and
/// pool runs; the planner's choices of kernel and chunks; and checkpoints resumed by another kernel
/// (exactly) or by the wheel (refused).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "child_process.hpp"
#include "core/auto_kernel.hpp"
#include "core/factor_kernel.hpp"
#include "core/kernel.hpp"
#include "core/kernel_cost.hpp"
#include "core/plan.hpp"
#include "core/sieve_kernel.hpp"
#include "exec/checkpoint.hpp"
#include "numfactors/errors.hpp"
#include "numfactors/run.hpp"
#include "oracle.hpp"
#include "run_checks.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

constexpr u64 kTop = std::numeric_limits<u64>::max();
constexpr Count kCounts[] = {Count::distinct, Count::total};

using test::describe;

Histogram count_with(Kernel& kernel, const Range& r) {
  Histogram h;
  kernel.count(r, h);
  return h;
}

Histogram count_with(KernelKind kind, const Range& r, Count count) {
  return count_with(*make_kernel(kind, count, r.hi), r);
}

/// The oracle's histograms of both counts, from one factorization a number (it takes about a
/// millisecond for a number near 2^64).
std::pair<Histogram, Histogram> oracle_both(const Range& r) {
  Histogram distinct, total;
  for (u64 n = r.lo;; ++n) {
    std::map<u64, unsigned> f;
    test::factor(n, f);
    unsigned k = 0;
    for (const auto& [p, e] : f) k += e;
    distinct.add(static_cast<unsigned>(f.size()));
    total.add(k);
    if (n == r.hi) break;
  }
  return {distinct, total};
}

u64 prime_at_or_below(u64 n) {
  while (!test::is_prime(n)) --n;
  return n;
}

TEST(DirectKernels, WindowsAroundHardNumbersMatchTheOracle) {
  const u64 p32 = prime_at_or_below((u64{1} << 32) - 1);  // 4294967291
  const u64 q32 = prime_at_or_below(p32 - 1);             // 4294967279
  const u64 p21 = prime_at_or_below((u64{1} << 21) - 1);  // 2097143
  const u64 q21 = prime_at_or_below(p21 - 1);
  const std::vector<u64> centers = {p32 * p32,  // a square just below 2^64
                                    p32 * q32,  // the two largest primes below 2^32
                                    p21 * p21 * p21,
                                    q21 * q21 * q21,
                                    p21 * p21 * q21,
                                    p21 * p21,
                                    561,
                                    41041,
                                    825265,
                                    321197185,
                                    5394826801,  // Carmichael numbers
                                    1194649,
                                    12327121,  // squares of the Wieferich primes
                                    3215031751,
                                    2152302898747,
                                    3474749660383,  // strong pseudoprimes to bases 2..7,
                                    341550071728321,
                                    3825123056546413051ull,  // ..11, ..13, ..17, ..23
                                    kTop - 58,               // the largest prime below 2^64
                                    kTop};
  for (const u64 c : centers) {
    const Range r{c - std::min<u64>(c - 1, 40), c + std::min<u64>(kTop - c, 40)};
    const auto [distinct, total] = oracle_both(r);
    for (const Count count : kCounts)
      for (const KernelKind kind : {KernelKind::factor, KernelKind::hybrid, KernelKind::automatic})
        EXPECT_EQ(count_with(kind, r, count), count == Count::distinct ? distinct : total)
            << describe(r, count) << " " << to_string(kind);
  }
}

TEST(DirectKernels, AutomaticAtEveryScaleMatchesTheReferences) {
  // Windows of every width at every height, counted by the automatic kernel (chunk = window):
  // against the oracle up to 300 numbers, the factor kernel up to 5000 and the sieve beyond. Over
  // all of them, each of factor, hybrid and sieve must have been chosen somewhere.
  std::mt19937_64 rng(test::test_seed(7101));
  std::set<KernelKind> chosen;
  for (const u64 height : {u64{1} << 20, u64{1} << 32, u64{1'000'000'000'000},
                           u64{1'000'000'000'000'000}, u64{1'000'000'000'000'000'000}, kTop}) {
    const u64 hi = height - rng() % 1000;
    for (const u64 width : {u64{1}, u64{10}, u64{300}, u64{5000}, u64{1} << 18}) {
      const Range r{hi - (width - 1), hi};
      for (const Count count : kCounts) {
        AutoKernel automatic(count, r, width);
        chosen.insert(automatic.choice(r));
        const Histogram got = count_with(automatic, r);
        if (width <= 300) {
          EXPECT_EQ(got, test::oracle_histogram(r, count)) << describe(r, count);
        } else if (width <= 5000) {
          FactorKernel factor(count);
          EXPECT_EQ(got, count_with(factor, r)) << describe(r, count);
        } else {
          EXPECT_EQ(got, count_with(KernelKind::sieve, r, count)) << describe(r, count);
        }
      }
    }
  }
  EXPECT_EQ(chosen,
            (std::set<KernelKind>{KernelKind::factor, KernelKind::hybrid, KernelKind::sieve}));
}

/// A plan whose chunks the automatic kernel counts with different kernels: full chunks of
/// thousands of numbers at 10^12 (hybrid or sieve) and a last chunk of a few (factor).
Plan mixed_plan(Count count) {
  for (const u64 chunk : {u64{20'000}, u64{50'000}, u64{200'000}}) {
    const Range r{1'000'000'000'000, 1'000'000'000'000 + 3 * chunk + 4};
    const Plan plan = make_plan(r, count, KernelKind::automatic, chunk, 1);
    if (chunk_kernels(plan).size() >= 2) return plan;
  }
  ADD_FAILURE() << "no chunk size at 10^12 gives chunks of different kernels";
  return make_plan({2, 3}, count, KernelKind::automatic, 1, 1);
}

TEST(DirectKernels, TheChoicePerChunkInSerialThreadsAndPool) {
  for (const Count count : kCounts) {
    const Plan plan = mixed_plan(count);
    const std::vector<KernelKind> kinds = chunk_kernels(plan);
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), KernelKind::factor), kinds.end());
    const Histogram want = count_with(KernelKind::sieve, plan.range, count);
    for (const auto& [mode, workers] :
         {std::pair{Mode::serial, 1u}, {Mode::threads, 3u}, {Mode::pool, 2u}}) {
      RunOptions options;
      options.mode = mode;
      options.workers = workers;
      options.timeline = true;
      const RunResult r = test::run_plan(plan, options);
      EXPECT_EQ(r.histogram, want) << to_string(mode) << " " << to_string(count);
      test::expect_every_chunk_once(plan, r);
    }
  }
}

TEST(DirectKernels, ExplicitKernelsInThreadsAndPool) {
  std::mt19937_64 rng(test::test_seed(7102));
  for (const KernelKind kind : {KernelKind::factor, KernelKind::hybrid}) {
    const u64 lo = (u64{1} << (30 + rng() % 30)) + rng() % 1000;
    const Range range{lo, lo + 3000 + rng() % 2000};
    const Count count = rng() % 2 ? Count::total : Count::distinct;
    const Plan plan = make_plan(range, count, kind, 1 + rng() % 700, 1);
    const Histogram want = count_with(KernelKind::sieve, range, count);
    for (const Mode mode : {Mode::threads, Mode::pool}) {
      RunOptions options;
      options.mode = mode;
      options.workers = 2;
      EXPECT_EQ(test::run_plan(plan, options).histogram, want)
          << to_string(kind) << " " << to_string(mode) << " " << describe(range, count);
    }
  }
}

Job planned(const Range& r, u64 chunk = 0, std::optional<CheckpointFacts> facts = {},
            Method method = Method::automatic) {
  Request q;
  q.range = r;
  q.chunk = chunk;
  q.method = method;
  Environment env;
  env.cores = 2;
  env.checkpoint = facts;
  return plan_job(q, env);
}

Plan plan_of(const Job& job) { return Plan{job.range, job.count, job.kernel, job.chunk_size}; }

TEST(DirectKernels, ThePlannerPicksByPositionAndWidth) {
  // One number anywhere: factored, on one worker, in one chunk.
  for (const u64 n : {u64{1'000'003}, u64{1'000'000'000'000'000'000}, kTop}) {
    const Job job = planned({n, n});
    EXPECT_EQ(job.method, Method::sieve) << n;
    EXPECT_EQ(job.kernel, KernelKind::automatic) << n;
    EXPECT_EQ(job.workers, 1u) << n;
    EXPECT_EQ(chunk_kernels(plan_of(job)), std::vector<KernelKind>{KernelKind::factor}) << n;
    EXPECT_EQ(plan_of(job).chunk_count(), 1u) << n;
  }
  // The last thousand numbers: the hybrid.
  EXPECT_EQ(chunk_kernels(plan_of(planned({kTop - 999, kTop}))),
            std::vector<KernelKind>{KernelKind::hybrid});
  // A wide window far from 1: the sieve, on both cores.
  const Job wide = planned({1'000'000'000'000'000, 1'000'001'000'000'000});
  EXPECT_EQ(chunk_kernels(plan_of(wide)), std::vector<KernelKind>{KernelKind::sieve});
  EXPECT_EQ(wide.workers, 2u);
  // The top window: chunks in whole sieve passes (a pass visits all primes below 2^32), at most
  // one pass more than the window needs.
  const Range top{kTop - 999'999'999, kTop};
  const Plan p = plan_of(planned(top));
  const u64 pass = SieveKernel::pass_plan((u64{1} << 32) - 1, false).cells;
  const auto passes = [pass](u64 n) { return (n - 1) / pass + 1; };
  u64 total = 0;
  for (u64 i = 0; i < p.chunk_count(); ++i) total += passes(p.chunk(i).size());
  EXPECT_LE(total, passes(top.size()) + 1) << "chunk size " << p.chunk_size;
  // A tiny chunk high up is no longer a pass over every prime below 2^32 a chunk.
  const Range twenty{kTop - 19, kTop};
  const Job ones = planned(twenty, 1);
  EXPECT_EQ(chunk_kernels(plan_of(ones)), std::vector<KernelKind>{KernelKind::factor});
  const RunResult r = run(ones);
  EXPECT_EQ(r.histogram, test::oracle_histogram(twenty, Count::distinct));
  EXPECT_LT(r.seconds, 5.0);
  // Near 1 the wheel stays the sieve method's kernel, unless a checkpoint's chunks are of numbers.
  const Range near_one{2, 100'000'000};
  EXPECT_EQ(planned(near_one, 0, {}, Method::sieve).kernel, KernelKind::wheel);
  const CheckpointFacts numbers{Method::sieve, KernelKind::automatic, 1'000'000};
  EXPECT_EQ(planned(near_one, 0, numbers).method, Method::sieve);
  EXPECT_EQ(planned(near_one, 0, numbers).kernel, KernelKind::automatic);
  EXPECT_EQ(planned(near_one, 0, numbers).chunk_size, 1'000'000u);
  const CheckpointFacts wheel{Method::sieve, KernelKind::wheel, 1'000'000};
  EXPECT_EQ(planned(near_one, 0, wheel).kernel, KernelKind::wheel);
}

class DirectKernelsResume : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "numfactors_direct_" + std::to_string(getpid()) + ".ckpt";
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  /// Keeps the header and the first `records` records of the checkpoint file.
  void keep_records(int records) const {
    std::ifstream in(path_);
    std::string text, line;
    for (int i = 0; i <= records && std::getline(in, line); ++i) text += line + "\n";
    in.close();
    std::ofstream(path_, std::ios::trunc) << text;
  }

  static Job job_of(const Range& r, KernelKind kernel, u64 chunk) {
    Request q;
    q.range = r;
    q.kernel = kernel;
    q.chunk = chunk;
    q.mode = Mode::threads;
    q.workers = 2;
    q.checkpoint = true;
    return plan_job(q, Environment{});
  }

  /// Hooks that journal to path_.
  Hooks journal() const {
    Hooks h;
    h.checkpoint = path_;
    return h;
  }

  std::string path_;
};

TEST_F(DirectKernelsResume, AnotherDirectKernelGoesOnExactly) {
  const Range r{1'000'000'000'000, 1'000'001'000'000};
  const Histogram want = count_with(KernelKind::sieve, r, Count::distinct);
  for (const KernelKind next : {KernelKind::hybrid, KernelKind::factor, KernelKind::automatic}) {
    // Only 10^6 numbers: the factor kernel takes about a second for them.
    run(job_of(r, KernelKind::sieve, 100'000), journal());
    keep_records(4);
    const RunResult resumed = run(job_of(r, next, 100'000), journal());
    EXPECT_EQ(resumed.histogram, want) << to_string(next);
    EXPECT_EQ(resumed.resumed_tasks, 4u) << to_string(next);
    std::remove(path_.c_str());
  }
}

TEST_F(DirectKernelsResume, TheWheelsFileIsRefusedByADirectKernelAndTheOtherWayRound) {
  const Range r{2, 2'000'000};
  for (const auto& [first, second] : {std::pair{KernelKind::wheel, KernelKind::sieve},
                                      std::pair{KernelKind::hybrid, KernelKind::wheel}}) {
    run(job_of(r, first, 100'000), journal());
    try {
      run(job_of(r, second, 100'000), journal());
      ADD_FAILURE() << to_string(second) << " resumed " << to_string(first) << "'s checkpoint";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find("belongs to another run"), std::string::npos)
          << e.what();
    }
    std::remove(path_.c_str());
  }
}

TEST_F(DirectKernelsResume, TheCommandLineResumesWithAnotherKernel) {
  const std::vector<std::string> range = {"--min", "10^12", "--max", "10^12+10^6"};
  const auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = range;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const test::Finished plain = test::run_program(NUMFACTORS_BINARY, range);
  ASSERT_EQ(plain.status, 0) << plain.err;
  for (const std::vector<std::string>& next :
       {std::vector<std::string>{"--kernel", "hybrid"}, std::vector<std::string>{}}) {
    ASSERT_EQ(test::run_program(NUMFACTORS_BINARY, args({"--kernel", "sieve", "--chunk", "10^5",
                                                         "--checkpoint", path_}))
                  .status,
              0);
    keep_records(3);
    std::vector<std::string> again = next;
    again.insert(again.end(), {"--checkpoint", path_});  // the chunk size comes from the file
    const test::Finished resumed = test::run_program(NUMFACTORS_BINARY, args(again));
    EXPECT_EQ(resumed.status, 0) << resumed.err;
    EXPECT_EQ(resumed.out, plain.out);
    std::remove(path_.c_str());
  }
  // The wheel's file, resumed by the sieve: one line on stderr, status 2.
  ASSERT_EQ(test::run_program(NUMFACTORS_BINARY,
                              {"--max", "10^6", "--kernel", "wheel", "--checkpoint", path_})
                .status,
            0);
  const test::Finished refused = test::run_program(
      NUMFACTORS_BINARY, {"--max", "10^6", "--kernel", "sieve", "--checkpoint", path_});
  EXPECT_EQ(refused.status, 2);
  EXPECT_EQ(refused.out, "");
  EXPECT_TRUE(refused.err.starts_with("numfactors: error: checkpoint '" + path_ +
                                      "' belongs to another run"))
      << refused.err;
}

}  // namespace
}  // namespace numfactors
