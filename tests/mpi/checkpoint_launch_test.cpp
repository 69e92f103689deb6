/// @file checkpoint_launch_test.cpp
/// @brief --checkpoint, SIGTERM and --progress at 2 ranks under mpiexec: every rank killed with
/// SIGKILL at random moments (as a Slurm time limit ends a job) and the job resumed ends with the
/// published histogram; SIGTERM to every rank (scancel) exits 143 with one hint from rank 0;
/// another run's file is refused once; progress comes from rank 0 alone; the analytic method's
/// journal of walk items resumes as exactly; a signal sent to one rank only stops every rank at
/// once, in the table build, the walk and the dynamic schedule.
#include <gtest/gtest.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include <filesystem>

#include <algorithm>
#include <csignal>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "../child_process.hpp"
#include "../seed.hpp"
#include "../known_answers.hpp"
#include "../resume_helpers.hpp"

namespace numfactors {
namespace {

std::vector<std::string> two_ranks(const std::vector<std::string>& args) {
  std::vector<std::string> all{NUMFACTORS_MPIEXEC_NUMPROC_FLAG, "2"};
  std::istringstream preflags(NUMFACTORS_MPIEXEC_PREFLAGS);  // comma-separated
  for (std::string flag; std::getline(preflags, flag, ',');)
    if (!flag.empty()) all.push_back(flag);
  all.push_back(NUMFACTORS_BINARY);
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

// [2, 10^8] in 48829 chunks of 2^11, and published: small chunks (a message each way and a
// record each) make a run last about a second after start-up, long enough for a kill to land.
constexpr int kChunks = 48829;
std::vector<std::string> job(const std::string& checkpoint, const std::string& schedule) {
  return {"i", "--max", "10^8", "--chunk", "2^11", "--schedule", schedule, "--checkpoint",
          checkpoint};
}

std::string fresh_path(const std::string& name) {
  const std::string path = "/tmp/numfactors_mpi_ckpt_" + std::to_string(getpid()) + "_" + name;
  std::remove(path.c_str());
  return path;
}

/// The job's two ranks, once both are running; empty if they did not start in 30 s.
std::vector<pid_t> ranks_of(const test::ChildProcess& job) {
  std::vector<pid_t> ranks;
  test::wait_until([&] { return (ranks = test::children_named(job.pid(), "numfactors-mpi")).size() == 2; },
                   30);
  return ranks.size() == 2 ? ranks : std::vector<pid_t>{};
}

/// [2, 3*10^13] by the analytic method: two ranks of one machine build one table, a second or two.
const std::vector<std::string> kTableRange = {"--max",    "3e13", "--method",
                                              "analytic", "--format", "json"};

std::vector<std::string> table_job(const std::string& checkpoint) {
  std::vector<std::string> args = {"i"};
  args.insert(args.end(), kTableRange.begin(), kTableRange.end());
  args.insert(args.end(), {"--checkpoint", checkpoint});
  return two_ranks(args);
}

/// The job's two ranks once both answer SIGTERM; empty if that did not happen in 30 s.
std::vector<pid_t> ranks_catching_sigterm(const test::ChildProcess& job) {
  const std::vector<pid_t> ranks = ranks_of(job);
  if (ranks.size() != 2 ||
      !test::wait_until(
          [&] { return test::catches(ranks[0], SIGTERM) && test::catches(ranks[1], SIGTERM); }, 30))
    return {};
  return ranks;
}

u64 seed() { return test::test_seed(43); }

/// How a killed job ended: mpiexec's status, and whether both ranks are gone.
struct Killed {
  test::Finished job;
  bool ranks_gone = true;
};

/// Kills the job as Slurm's time limit or a lost node does it: the ranks die first, mpiexec
/// after them; then waits for all of them.
Killed kill_job(test::ChildProcess& child, const std::vector<pid_t>& ranks) {
  for (pid_t r : ranks) kill(r, SIGKILL);
  kill(-child.pid(), SIGKILL);
  Killed k{child.wait(60)};
  for (pid_t r : ranks) k.ranks_gone &= test::wait_until([&] { return test::gone(r); }, 30);
  return k;
}

TEST(MpiCheckpoint, EveryRankKilledAtRandomMomentsThenResumedGivesThePublishedHistogram) {
  const std::string expected = test::known_dict_line(2, 100'000'000);
  std::mt19937_64 random(seed());
  const std::string path = fresh_path("killed");
  int killed = 0;
  for (const std::string schedule : {"dynamic", "static", "dynamic"}) {
    test::ChildProcess child(NUMFACTORS_MPIEXEC, two_ranks(job(path, schedule)));
    const std::vector<pid_t> ranks = ranks_of(child);
    ASSERT_EQ(ranks.size(), 2u) << "the two ranks did not start";
    // One kill in three lands while the ranks start
    // (MPI_Init, sieving primes); the others once rank 0 journals, within what is left to do.
    const int before = test::journal_records(path);
    const bool while_starting = std::uniform_int_distribution<int>(0, 2)(random) == 0;
    if (!while_starting)
      test::wait_until(
          [&] {
            const int now = test::journal_records(path);
            return now > before || now == kChunks;  // (a complete journal gets no more records)
          },
          30);
    // Within the first fifth of the ~1 s a run has left, so that it lands before the run ends.
    const double left = 1.0 - before / double(kChunks);
    const double at = std::uniform_real_distribution<double>(0.0, 0.2)(random) * left;
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    const Killed k = kill_job(child, ranks);
    ASSERT_TRUE(k.ranks_gone);
    const test::Finished& f = k.job;
    killed += f.status == 128 + SIGKILL;
    std::cout << "[ kill     ] " << schedule << (while_starting ? " starting" : " journaling")
              << ", then " << at << " s: status " << f.status
              << ", " << test::journal_records(path) << " chunks journaled\n";
    if (f.status == 0) {
      EXPECT_EQ(f.out, expected);
    }
  }
  EXPECT_GE(killed, 1) << "no run was killed before it ended: nothing was resumed";
  const test::Finished f = test::run_program(NUMFACTORS_MPIEXEC, two_ranks(job(path, "dynamic")));
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, expected);
  EXPECT_EQ(test::journal_records(path), kChunks);
  std::remove(path.c_str());
}

/// Rank 0's first words on a stop by `signal` (SIGINT or SIGTERM).
std::string interrupted_by(int signal) {
  return std::string("numfactors: interrupted by ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
         "; ";
}

/// `hint` is in `err` once: rank 0 said it, and no other rank did.
void expect_said_once(const std::string& err, const std::string& hint) {
  const auto at = err.find(hint);
  EXPECT_NE(at, std::string::npos) << err;
  EXPECT_EQ(err.find(hint, at + 1), std::string::npos) << "more than one rank said it: " << err;
}

/// The dynamic schedule's job, SIGTERM sent to the ranks `which` once rank 0 has journaled a
/// chunk: it exits 143 with one hint from rank 0 of what is saved, and run again it ends with
/// the published histogram.
void expect_sigterm_saves_and_resumes(const std::string& name,
                                      const std::vector<std::size_t>& which) {
  const std::string expected = test::known_dict_line(2, 100'000'000);
  const std::string path = fresh_path(name);
  test::ChildProcess child(NUMFACTORS_MPIEXEC, two_ranks(job(path, "dynamic")));
  const std::vector<pid_t> ranks = ranks_of(child);
  ASSERT_EQ(ranks.size(), 2u) << "the two ranks did not start";
  ASSERT_TRUE(test::wait_until(
      [&] {
        return test::catches(ranks[0], SIGTERM) && test::catches(ranks[1], SIGTERM) &&
               test::journal_records(path) >= 1;
      },
      30));
  for (const std::size_t w : which) kill(ranks[w], SIGTERM);
  const test::Finished f = child.wait(60);
  EXPECT_EQ(f.status, 143) << f.err;
  EXPECT_EQ(f.out, "");
  expect_said_once(f.err, interrupted_by(SIGTERM));
  const std::string saved = " of " + std::to_string(kChunks) + " chunks are saved in " + path;
  const auto of = f.err.find(saved);
  ASSERT_NE(of, std::string::npos) << f.err;
  // The job stopped short of its last chunk.
  const auto number = f.err.find_last_of(' ', of - 1) + 1;
  EXPECT_LT(std::stoull(f.err.substr(number, of - number)), static_cast<u64>(kChunks)) << f.err;
  const test::Finished resumed =
      test::run_program(NUMFACTORS_MPIEXEC, two_ranks(job(path, "dynamic")));
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(resumed.out, expected);
  std::remove(path.c_str());
}

TEST(MpiCheckpoint, SigtermToEveryRankExits143WithOneHintAndResumes) {
  expect_sigterm_saves_and_resumes("sigterm", {0, 1});  // what scancel and a time limit send
}

TEST(MpiCheckpoint, SigtermToOneRankOfTheDynamicScheduleSavesItsChunksAndResumes) {
  expect_sigterm_saves_and_resumes("one_rank", {1});
}

/// A signal sent to one rank only (a kill of its process, not of mpiexec) stops every rank: rank
/// 0 says so within a second rather than when the other rank's work is done. `ready` says when
/// to send it.
void expect_one_rank_stops_the_job(const std::vector<std::string>& args, std::size_t which,
                                   int signal, const std::function<bool()>& ready) {
  test::ChildProcess child(NUMFACTORS_MPIEXEC, two_ranks(args));
  const std::vector<pid_t> ranks = ranks_of(child);
  ASSERT_EQ(ranks.size(), 2u) << "the two ranks did not start";
  ASSERT_TRUE(test::wait_until(
      [&] { return test::catches(ranks[0], signal) && test::catches(ranks[1], signal) && ready(); },
      60));
  const std::string hint = interrupted_by(signal);
  // Open MPI's teardown after the ranks' non-zero exit takes a second or two more, which is
  // not counted.
  const auto sent = std::chrono::steady_clock::now();
  kill(ranks[which], signal);
  EXPECT_TRUE(
      test::wait_until([&] { return child.err_so_far().find(hint) != std::string::npos; }, 60));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  EXPECT_LT(seconds, 1.0 * test::time_scale());
  const test::Finished f = child.wait(60);
  EXPECT_EQ(f.status, 128 + signal) << f.err;
  EXPECT_EQ(f.out, "");
  expect_said_once(f.err, hint);
}

TEST(MpiCheckpoint, SigintToOneRankInTheTableBuildStopsEveryRank) {
  // [2, 10^15]: the shared table takes seconds, in which a helper rank's own stop would wait
  // for rank 0's decision, and rank 0 would go on.
  const auto start = std::chrono::steady_clock::now();
  expect_one_rank_stops_the_job({"i", "--method", "analytic", "--max", "10^15"}, 1, SIGINT, [&] {
    return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(300);
  });
}

TEST(MpiCheckpoint, SigtermToOneRankInTheWalkStopsEveryRank) {
  // [2, 10^14] with a journal (the dynamic schedule): its first walk item is the walk's start,
  // seconds before its end; rank 0 would go on with every item left.
  const std::string path = fresh_path("walk");
  expect_one_rank_stops_the_job(
      {"i", "--method", "analytic", "--max", "10^14", "--checkpoint", path}, 1, SIGTERM,
      [&] { return test::journal_records(path) >= 1; });
  std::remove(path.c_str());
  std::remove((path + ".table-100000000000000").c_str());
}

TEST(MpiCheckpoint, SigtermInASharedTableBuildSavesItAndResumes) {
  // [2, 3*10^13]: two ranks of one machine build one table, a second or two; the signal lands in
  // it. Both ranks stop at the round rank 0 chose, the table so far is saved beside the journal,
  // and the job run again goes on from it to the histogram of one uninterrupted run.
  const test::Finished whole = test::run_program(NUMFACTORS_BINARY, kTableRange);
  ASSERT_EQ(whole.status, 0) << whole.err;
  const std::string path = fresh_path("table");
  const std::vector<std::string> args = table_job(path);
  test::ChildProcess child(NUMFACTORS_MPIEXEC, args);
  const std::vector<pid_t> ranks = ranks_catching_sigterm(child);
  ASSERT_EQ(ranks.size(), 2u) << "the two ranks did not start";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto [f, seconds] = test::stop_and_time(child, ranks, SIGTERM);
  EXPECT_EQ(f.status, 143) << f.err;
  EXPECT_LT(seconds, 5.0);
  EXPECT_NE(f.err.find("prime count table built so far are saved"), std::string::npos) << f.err;
  const std::string state = path + ".table-30000000000000";
  EXPECT_TRUE(std::filesystem::exists(state));
  const test::Finished resumed = test::run_program(NUMFACTORS_MPIEXEC, args);
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(nlohmann::json::parse(resumed.out).at("histogram"),
            nlohmann::json::parse(whole.out).at("histogram"));
  EXPECT_FALSE(std::filesystem::exists(state));
  std::remove(path.c_str());
}

TEST(MpiCheckpoint, SigtermToMpiexecLeavesATableStateWholeOrNoneAndResumes) {
  // Ctrl-C or kill on mpiexec itself: Open MPI sends the ranks SIGTERM a second later and
  // SIGKILL a second after that, which may land in the table's save. Whatever it cut, no
  // temporary file is left beside the journal, a state that is there is whole, and the job
  // run again ends with the histogram of one uninterrupted run.
  const test::Finished whole = test::run_program(NUMFACTORS_BINARY, kTableRange);
  ASSERT_EQ(whole.status, 0) << whole.err;
  const std::string dir = fresh_path("mpiexec_dir");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  const std::vector<std::string> args = table_job(dir + "/journal");
  test::ChildProcess child(NUMFACTORS_MPIEXEC, args);
  const std::vector<pid_t> ranks = ranks_catching_sigterm(child);
  ASSERT_EQ(ranks.size(), 2u) << "the two ranks did not start";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto [f, seconds] = test::stop_and_time(child, {child.pid()}, SIGTERM);
  EXPECT_NE(f.status, 0) << f.err;
  EXPECT_EQ(f.out, "");
  EXPECT_LT(seconds, 10.0);
  ASSERT_TRUE(test::wait_until([&] { return test::gone(ranks[0]) && test::gone(ranks[1]); }, 10));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "journal" || name == "journal.table-30000000000000")
        << "left behind: " << name;
  }
  const test::Finished resumed = test::run_program(NUMFACTORS_MPIEXEC, args);
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(nlohmann::json::parse(resumed.out).at("histogram"),
            nlohmann::json::parse(whole.out).at("histogram"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1)
      << "the finished run keeps its journal alone";
  std::filesystem::remove_all(dir);
}

TEST(MpiCheckpoint, AFileOfAnotherRunIsRefusedOnceWithExit2) {
  const std::string path = fresh_path("other");
  const test::Finished first = test::run_program(
      NUMFACTORS_MPIEXEC, two_ranks({"i", "--max", "10^6", "--checkpoint", path}));
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, test::known_dict_line(2, 1'000'000));
  const test::Finished f = test::run_program(
      NUMFACTORS_MPIEXEC, two_ranks({"i", "--max", "2e6", "--checkpoint", path}));
  EXPECT_EQ(f.status, 2);
  EXPECT_EQ(f.out, "");
  const std::string error = "numfactors: error: checkpoint '" + path + "' belongs to another run";
  EXPECT_NE(f.err.find(error), std::string::npos) << f.err;
  EXPECT_EQ(f.err.find(error, f.err.find(error) + 1), std::string::npos) << f.err;
  std::remove(path.c_str());
}

// The analytic method on two prefixes ([1, 10^14] and [1, 10^13 + 2], about 49,000 items whose
// walk lasts seconds, so that a kill lands within it on a fast machine too): kills during the
// items, then a resumed run equals a serial run of the binary.
TEST(MpiCheckpoint, AnalyticItemsJournaledByRankZeroResumeExactly) {
  const std::vector<std::string> range = {"--min", "10^13+3",  "--max",
                                          "10^14", "--method", "analytic"};
  std::vector<std::string> serial = {"s"};
  serial.insert(serial.end(), range.begin(), range.end());
  const test::Finished expected = test::run_program(NUMFACTORS_BINARY, serial);
  ASSERT_EQ(expected.status, 0) << expected.err;
  const std::string path = fresh_path("analytic");
  std::vector<std::string> job = {"i"};
  job.insert(job.end(), range.begin(), range.end());
  job.insert(job.end(), {"--checkpoint", path});

  std::mt19937_64 random(seed() + 1);
  int killed = 0;
  for (int round = 0; round < 2; ++round) {
    test::ChildProcess child(NUMFACTORS_MPIEXEC, two_ranks(job));
    const std::vector<pid_t> ranks = ranks_of(child);
    ASSERT_EQ(ranks.size(), 2u) << "the two ranks did not start";
    const int before = test::journal_records(path);
    test::wait_until([&] { return test::journal_records(path) > before || test::gone(ranks[0]); },
                     60);
    const double at = std::uniform_real_distribution<double>(0.0, 0.3)(random);
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    const Killed k = kill_job(child, ranks);
    ASSERT_TRUE(k.ranks_gone);
    const test::Finished& f = k.job;
    killed += f.status == 128 + SIGKILL;
    std::cout << "[ kill     ] analytic, " << at << " s after a record: status " << f.status
              << ", " << test::journal_records(path) << " items journaled\n";
    if (f.status == 0) {
      EXPECT_EQ(f.out, expected.out);
    }
  }
  EXPECT_GE(killed, 1) << "no run was killed before it ended: nothing was resumed";
  const test::Finished f = test::run_program(NUMFACTORS_MPIEXEC, two_ranks(job));
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, expected.out);
  std::remove(path.c_str());
}

TEST(MpiCheckpoint, ProgressComesFromRankZeroOnly) {
  for (const std::string schedule : {"static", "dynamic"}) {
    const test::Finished f = test::run_program(
        NUMFACTORS_MPIEXEC,
        two_ranks({"i", "--max", "10^7", "--schedule", schedule, "--progress"}));
    EXPECT_EQ(f.status, 0) << f.err;
    EXPECT_EQ(f.out, test::known_dict_line(2, 10'000'000));
    const std::string line = "numfactors: 100.0% done, ";
    EXPECT_TRUE(f.err.starts_with(line)) << f.err;
    EXPECT_EQ(f.err.find(line, 1), std::string::npos) << f.err;
  }
}

}  // namespace
}  // namespace numfactors
