/// @file mpi_launch_test.cpp
/// @brief The numfactors binary under mpiexec, from outside (each rank execs numfactors-mpi, which
/// links MPI): the CI smoke run `mpiexec -n 2 numfactors i`, MPI by itself under mpiexec with more than one rank, bad input (exit 2, one
/// message), and a rank killed mid-run (the job ends non-zero within seconds, no hang).
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "../child_process.hpp"
#include "../known_answers.hpp"

namespace numfactors {
namespace {

/// mpiexec -n `ranks` [preflags] program args..., as ctest's MPI suites are launched.
std::vector<std::string> mpiexec_args(int ranks, const std::vector<std::string>& args,
                                      const std::string& program = NUMFACTORS_BINARY) {
  std::vector<std::string> all{NUMFACTORS_MPIEXEC_NUMPROC_FLAG, std::to_string(ranks)};
  std::istringstream preflags(NUMFACTORS_MPIEXEC_PREFLAGS);  // comma-separated
  for (std::string flag; std::getline(preflags, flag, ',');)
    if (!flag.empty()) all.push_back(flag);
  all.push_back(program);
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

test::Finished mpiexec(int ranks, const std::vector<std::string>& args) {
  return test::run_program(NUMFACTORS_MPIEXEC, mpiexec_args(ranks, args), 120);
}

int error_lines(const std::string& err) {
  int n = 0;
  for (std::size_t at = 0; (at = err.find("numfactors: error:", at)) != std::string::npos; ++at) ++n;
  return n;
}

TEST(MpiLaunch, TwoRanksPrintTheAssignmentsDictionary) {
  const test::Finished f = mpiexec(2, {"i"});
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, test::known_dict_line(2, 500000));
}

TEST(MpiLaunch, ThreeRanksDynamicHybrid) {
  const test::Finished f = mpiexec(3, {"--mode", "mpi", "--max", "10^7", "--schedule", "dynamic",
                                       "--threads", "2"});
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, test::known_dict_line(2, 10000000));
}

TEST(MpiLaunch, MoreThanOneRankMeansMpiWithoutAskingOneRankDoesNot) {
  for (const int ranks : {1, 2}) {
    const test::Finished f = mpiexec(ranks, {"--max", "10^6", "--format", "json"});
    ASSERT_EQ(f.status, 0) << f.err;
    const auto j = nlohmann::json::parse(f.out);  // one report: only rank 0 writes
    EXPECT_EQ(j.at("mode"), ranks > 1 ? "mpi" : "threads");
    if (ranks > 1) {
      EXPECT_EQ(j.at("worker_stats").at(1).at("name"), "rank 1 thread 0");
    }
  }
}

// A rank bound to one core (as mpiexec does by default for up to 2 ranks) with --threads 2
// would run both threads on that core: rank 0 says so once, and the result is unchanged.
TEST(MpiLaunch, ThreadsBeyondTheRanksCoresGetANote) {
  const std::string note = "numfactors: note: --threads 2 but this rank may run on 1 core(s)";
  for (const std::string threads : {"1", "2"}) {
    std::vector<std::string> args = mpiexec_args(1, {"i", "--threads", threads, "--max", "10^6"});
    args.insert(args.begin() + 2, {"--bind-to", "core"});
    const test::Finished f = test::run_program(NUMFACTORS_MPIEXEC, args, 120);
    EXPECT_EQ(f.status, 0) << f.err;
    EXPECT_EQ(f.out, test::known_dict_line(2, 1'000'000));
    EXPECT_EQ(f.err.find(note) != std::string::npos, threads == "2") << f.err;
  }
}

TEST(MpiLaunch, BadInputExits2WithOneMessage) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"i", "--max", "2^64"}, {"--min", "10", "--max", "5"},
        {"i", "--threads", "0"}}) {
    const test::Finished f = mpiexec(3, args);
    EXPECT_EQ(f.status, 2) << args[1];
    EXPECT_EQ(f.out, "");
    EXPECT_EQ(error_lines(f.err), 1) << f.err;
  }
}

TEST(MpiLaunch, AnUnwritableTimelineExits1WithOneMessage) {
  const test::Finished f = mpiexec(2, {"i", "--timeline", "/nonexistent/dir/timeline.csv"});
  EXPECT_EQ(f.status, 1);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(error_lines(f.err), 1) << f.err;
}

TEST(MpiLaunch, UnderAnAddressSpaceLimitWhatOpenMpiMapsCounts) {
  // A rank maps about 190 MB of Open MPI before it plans. Two threads near 2^64 peak at 437 MiB
  // a rank; when only 16 MiB was counted for the program, they were planned in 390 MiB and ran
  // out of memory.
  const auto top_under = [](const std::string& kib, const std::string& threads) {
    std::string command = "ulimit -v " + kib + "; exec " + std::string(NUMFACTORS_MPIEXEC);
    for (const std::string& arg : mpiexec_args(2, {"i", "--min", "18446744073609551616", "--max",
                                                   "18446744073709551615", "--threads", threads}))
      command += " " + arg;
    return test::run_program("/bin/sh", {"-c", command}, 60);
  };
  const test::Finished f = top_under("400000", "2");
  EXPECT_EQ(f.status, 2) << f.err;
  EXPECT_NE(f.err.find("numfactors: error: --threads 2 would need about"), std::string::npos)
      << f.err;
  EXPECT_NE(f.err.find("ulimit -v (RLIMIT_AS) allows 390 MiB; use fewer --threads"),
            std::string::npos)
      << f.err;
  EXPECT_EQ(error_lines(f.err), 1) << f.err;
  EXPECT_EQ(f.out, "");
  // One thread (it ran under 260000 KiB and not under 250000) is left to try, as the estimate
  // errs high: out of memory is said in words, by the rank that meets it.
  const test::Finished one = top_under("230000", "1");
  EXPECT_EQ(one.status, 1) << one.err;
  EXPECT_NE(one.err.find(": out of memory; try a smaller --chunk or fewer --threads"),
            std::string::npos)
      << one.err;
  EXPECT_EQ(one.out, "");
}

TEST(MpiLaunch, AKilledRankEndsTheJobWithinSeconds) {
  // Long enough (minutes alone) that it is surely running when one rank is killed.
  test::ChildProcess job(NUMFACTORS_MPIEXEC,
                         mpiexec_args(2, {"i", "--max", "10^12", "--schedule", "dynamic",
                                                 "--method", "sieve"}));
  std::vector<pid_t> ranks;
  for (int tries = 0; tries < 1000 && ranks.size() < 2; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ranks = test::children_named(job.pid(), "numfactors-mpi");  // numfactors exec'ed it
  }
  ASSERT_EQ(ranks.size(), 2u) << "the two ranks did not start";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // both computing by now
  const double killed_at = job.seconds();
  ASSERT_EQ(kill(ranks[1], SIGKILL), 0);
  const test::Finished f = job.wait(killed_at + 30);
  EXPECT_NE(f.status, -1) << "the job was still running 30 s after a rank was killed";
  EXPECT_NE(f.status, 0);
  EXPECT_LT(f.seconds - killed_at, 10.0);
  EXPECT_EQ(f.out, "");
}

TEST(MpiLaunch, ARankThatThrowsEndsTheJobWithItsMessage) {
  for (const std::string schedule : {"static", "dynamic"}) {
    const test::Finished f = test::run_program(
        NUMFACTORS_MPIEXEC, mpiexec_args(2, {schedule}, NUMFACTORS_FAILING_RANK), 60);
    EXPECT_NE(f.status, -1) << schedule << ": still running after 60 s";
    EXPECT_NE(f.status, 0) << schedule;
    EXPECT_NE(f.err.find("numfactors: error: rank 1: this kernel fails on purpose"),
              std::string::npos)
        << f.err;
    EXPECT_LT(f.seconds, 30.0) << schedule;
  }
}

}  // namespace
}  // namespace numfactors
