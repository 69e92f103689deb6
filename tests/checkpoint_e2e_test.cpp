/// @file checkpoint_e2e_test.cpp
/// @brief --checkpoint, SIGINT/SIGTERM and --progress through the binary: runs killed with SIGKILL
/// at random moments and resumed (in other modes and worker counts too) end with the published
/// histogram; a stopping signal exits 130/143 with how to resume and nothing on stdout; a file
/// from another run is refused; progress goes to stderr only.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "child_process.hpp"
#include "known_answers.hpp"
#include "resume_helpers.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

// [2, 10^8] in 24415 chunks of 2^12, and published: small chunks make the run last (a third of a
// second on 2 idle threads) and the journal large, with thousands of syncs' worth of records.
const std::vector<std::string> kJob = {"--max", "10^8", "--chunk", "2^12"};
constexpr int kChunks = 24415;

std::string fresh_path(const std::string& name) {
  const std::string path = "/tmp/numfactors_ckpt_" + std::to_string(getpid()) + "_" + name;
  std::remove(path.c_str());
  return path;
}

std::vector<std::string> job(const std::vector<std::string>& mode, const std::string& checkpoint,
                             std::vector<std::string> more = {}) {
  std::vector<std::string> args = mode;
  args.insert(args.end(), kJob.begin(), kJob.end());
  args.insert(args.end(), {"--checkpoint", checkpoint});
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(CheckpointOptions, ParseAndDefaults) {
  const Options o = parse_options({"--checkpoint", "run.ckpt", "--progress"});
  EXPECT_EQ(o.checkpoint, "run.ckpt");
  EXPECT_EQ(o.progress, std::optional<bool>(true));
  EXPECT_EQ(parse_options({"--no-progress"}).progress, std::optional<bool>(false));
  EXPECT_THROW(parse_options({"--progress", "--no-progress"}), UsageError);
  EXPECT_EQ(parse_options({}).progress, std::nullopt);
  EXPECT_EQ(parse_options({}).checkpoint, "");
}

TEST(ProgressLine, DurationsAndLines) {
  EXPECT_EQ(ProgressLine::duration(3.14), "3.1s");
  EXPECT_EQ(ProgressLine::duration(123), "2:03");
  EXPECT_EQ(ProgressLine::duration(3723), "1:02:03");
  // A batch log: nothing while it runs (less than 10 s here), one line at the end.
  std::ostringstream log;
  ProgressLine batch(log, 1000, false);
  batch.update({250, 1000, 250});
  EXPECT_EQ(log.str(), "");
  batch.update({1000, 1000, 250});
  batch.finish();
  EXPECT_TRUE(log.str().starts_with("numfactors: 100.0% done, ")) << log.str();
  const std::string lines = log.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1);
  // A terminal: redrawn in place at most 4 times a second, cleared at the end.
  std::ostringstream tty;
  constexpr std::chrono::milliseconds kUsual{0};  // 250 ms on a terminal, 10 s elsewhere
  ProgressLine terminal(tty, 1000, true, {}, kUsual, /*tick=*/false);
  for (int i = 1; i <= 100; ++i) terminal.update({5.0 * i, 1000, 0});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  terminal.update({1000, 1000, 0});
  const std::string drawn = tty.str();
  EXPECT_EQ(std::count(drawn.begin(), drawn.end(), '\r'), 1) << drawn;
  EXPECT_NE(tty.str().find(" 100.0% done"), std::string::npos) << tty.str();
  terminal.finish();
  EXPECT_TRUE(tty.str().ends_with("\r\x1b[K"));
  EXPECT_EQ(tty.str().find('\n'), std::string::npos);
  // A terminal narrower than the line: cut to one column less, so that it never wraps (a line
  // that wrapped is redrawn below itself, not in place).
  std::ostringstream narrow;
  ProgressLine cut(
      narrow, 1000, true, [] { return 20u; }, kUsual, /*tick=*/false);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a first redraw is due
  cut.update({1000, 1000, 0});
  EXPECT_EQ(narrow.str(), "\rnumfactors: 100.0% \x1b[K");
  // A run that resumed a whole checkpoint did no work, whatever the rounding of the work's sum.
  for (const double rounding : {-1e-12, 0.0, 1e-12}) {
    std::ostringstream resumed;
    ProgressLine line(resumed, 30'000'000'000, false);
    line.update({1000 + rounding, 1000, 1000});
    line.finish();
    EXPECT_NE(resumed.str().find("100.0% done, 0 numbers/s, elapsed "), std::string::npos)
        << resumed.str();
    EXPECT_NE(resumed.str().find("ETA 0.0s"), std::string::npos) << resumed.str();
  }
}

TEST(ProgressLine, WithoutUpdatesTheLineIsStillRedrawn) {
  // A run of one long chunk has no update until it ends: the log still gets a line at every
  // interval (once none came in 12 s of a 10 s interval), each with the elapsed time.
  std::ostringstream log;
  ProgressLine line(log, 1000, false, {}, std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  line.update({500, 1000, 0});  // drawn only if 100 ms have passed since the last line
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  line.finish();
  const std::string text = log.str();
  std::istringstream lines(text);
  std::vector<std::string> all;
  for (std::string l; std::getline(lines, l);) all.push_back(l);
  ASSERT_GE(all.size(), 5u) << text;  // 3 before the update, 1-2 after it, and the last
  EXPECT_LE(all.size(), 8u) << text;
  EXPECT_TRUE(all.front().starts_with("numfactors:   0.0% done, 0 numbers/s, elapsed 0.")) << text;
  EXPECT_TRUE(all.front().ends_with("ETA ?")) << text;
  EXPECT_NE(all[all.size() - 2].find(" 50.0% done"), std::string::npos) << text;
  EXPECT_TRUE(all.back().starts_with("numfactors:  50.0% done")) << text;
  // After finish nothing more is drawn.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(log.str(), text);
  // A run that fails: the line a terminal shows is cleared, so that the error starts a line of
  // its own; nothing is written when nothing was drawn.
  std::ostringstream tty, quiet;
  {
    ProgressLine drawn(tty, 1000, true, {}, std::chrono::milliseconds(50));
    ProgressLine none(quiet, 1000, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }  // read only now: the ticking threads wrote to the streams until here
  EXPECT_TRUE(tty.str().starts_with("\rnumfactors:   0.0% done")) << tty.str();
  EXPECT_TRUE(tty.str().ends_with("ETA ?\x1b[K\r\x1b[K")) << tty.str();
  EXPECT_EQ(quiet.str(), "");
}

// SIGKILL at random moments, several times in a row, each time in another mode; then one run
// to the end. Whatever was journaled must add up with what the last run does to the exact answer.
TEST(CheckpointEndToEnd, KilledAtRandomMomentsThenResumedGivesThePublishedHistogram) {
  const std::string expected = test::known_dict_line(2, 100'000'000);
  std::mt19937_64 random(test::test_seed(41));
  // How long a whole run takes here and now, so the kills land inside one.
  const std::string timing = fresh_path("timing");
  test::ChildProcess timed(NUMFACTORS_BINARY, job({"t"}, timing));
  const test::Finished whole = timed.wait(120);
  ASSERT_EQ(whole.status, 0) << whole.err;
  ASSERT_EQ(whole.out, expected);
  std::remove(timing.c_str());

  const std::string path = fresh_path("killed");
  const std::vector<std::vector<std::string>> modes = {
      {"t"}, {"m", "--workers", "2"}, {"s"}, {"m", "--workers", "3"}, {"t", "--workers", "3"}};
  int killed = 0;
  for (const auto& mode : modes) {
    test::ChildProcess child(NUMFACTORS_BINARY, job(mode, path));
    // Within what is left of a whole run's time, so that most attempts die before they end.
    const double left = 1.0 - test::journal_records(path) / double(kChunks);
    const double at =
        std::uniform_real_distribution<double>(0.05, 0.7)(random) * whole.seconds * left;
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    kill(-child.pid(), SIGKILL);  // its process group: the pool's workers too
    const test::Finished f = child.wait(60);
    killed += f.status == 128 + SIGKILL;
    std::cout << "[ kill     ] mode " << mode[0] << " after " << at << " s: status " << f.status
              << ", " << test::journal_records(path) << " chunks journaled\n";
    if (f.status == 0) {
      EXPECT_EQ(f.out, expected);
    }
  }
  EXPECT_GE(killed, 1) << "no run was killed before it ended: nothing was resumed";
  test::ChildProcess last(NUMFACTORS_BINARY, job({"t"}, path));
  const test::Finished f = last.wait(120);
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, expected);
  EXPECT_EQ(test::journal_records(path), kChunks);
  std::remove(path.c_str());
}

struct StopCase {
  std::vector<std::string> mode;
  int signal;
};

// A stopping signal once the run is under way (its handlers in place and a chunk journaled).
TEST(CheckpointEndToEnd, SigintAndSigtermStopWithStatusAndResumeHint) {
  const std::string expected = test::known_dict_line(2, 100'000'000);
  for (const StopCase& c : {StopCase{{"t"}, SIGINT}, StopCase{{"m"}, SIGTERM},
                            StopCase{{"s"}, SIGTERM}, StopCase{{"m"}, SIGINT}}) {
    SCOPED_TRACE(c.mode[0] + " signal " + std::to_string(c.signal));
    const std::string path = fresh_path("stopped");
    test::ChildProcess child(NUMFACTORS_BINARY, job(c.mode, path));
    ASSERT_TRUE(test::wait_until(
        [&] { return test::catches(child.pid(), c.signal) && test::journal_records(path) >= 1; },
        30));
    kill(child.pid(), c.signal);  // the parent only: the pool must pass the stop on itself
    const test::Finished f = child.wait(60);
    EXPECT_EQ(f.status, 128 + c.signal);
    EXPECT_EQ(f.out, "");
    const std::string name = c.signal == SIGINT ? "SIGINT" : "SIGTERM";
    EXPECT_NE(f.err.find("numfactors: interrupted by " + name + "; "), std::string::npos) << f.err;
    EXPECT_NE(f.err.find(" of " + std::to_string(kChunks) + " chunks are saved in " + path +
                         ": run the same command again to resume\n"),
              std::string::npos)
        << f.err;
    const int saved = test::journal_records(path);
    EXPECT_NE(f.err.find(std::to_string(saved) + " of " + std::to_string(kChunks)),
              std::string::npos)
        << f.err;
    const test::Finished resumed = test::run_program(NUMFACTORS_BINARY, job({"t"}, path));
    EXPECT_EQ(resumed.status, 0) << resumed.err;
    EXPECT_EQ(resumed.out, expected);
    // It says, first, what the checkpoint held.
    EXPECT_TRUE(resumed.err.starts_with("numfactors: resuming from " + path + ": " +
                                        std::to_string(saved) + " of " +
                                        std::to_string(kChunks) + " chunks done\n"))
        << resumed.err;
    std::remove(path.c_str());
  }
}

TEST(CheckpointEndToEnd, SigtermWithoutCheckpointSaysNothingWasSaved) {
  test::ChildProcess child(NUMFACTORS_BINARY,
                          {"--max", "10^11", "--workers", "2", "--method", "sieve"});
  ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
  kill(child.pid(), SIGTERM);
  const test::Finished f = child.wait(60);
  EXPECT_EQ(f.status, 143);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(f.err,
            "numfactors: interrupted by SIGTERM; nothing was saved (use --checkpoint FILE to keep "
            "finished chunks)\n");
}

TEST(CheckpointEndToEnd, AFileOfAnotherRunIsRefusedWithExit2) {
  const std::string path = fresh_path("other");
  const test::Finished first = test::run_program(NUMFACTORS_BINARY,
                                                 {"--max", "10^6", "--checkpoint", path});
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, test::known_dict_line(2, 1'000'000));
  const std::string before = test::read_file(path);
  for (const std::vector<std::string>& other :
       {std::vector<std::string>{"--max", "2e6"}, {"--max", "10^6", "--count", "total"},
        {"--max", "10^6", "--chunk", "1000"}, {"m", "--max", "10^6", "--kernel", "trial"}}) {
    std::vector<std::string> args = other;
    args.insert(args.end(), {"--checkpoint", path});
    const test::Finished f = test::run_program(NUMFACTORS_BINARY, args);
    EXPECT_EQ(f.status, 2);
    EXPECT_EQ(f.out, "");
    EXPECT_TRUE(f.err.starts_with("numfactors: error: checkpoint '" + path +
                                  "' belongs to another run"))
        << f.err;
    EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
  }
  EXPECT_EQ(test::read_file(path), before);
  // The same run again: every chunk is in the file, and the answer is still the whole one.
  const test::Finished again = test::run_program(NUMFACTORS_BINARY,
                                                 {"s", "--max", "10^6", "--checkpoint", path});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.out, test::known_dict_line(2, 1'000'000));
  std::remove(path.c_str());
}

TEST(CheckpointEndToEnd, ProgressGoesToStderrOnlyAndOnlyWhenAsked) {
  const std::string expected = test::known_dict_line(2, 10'000'000);
  for (const std::string mode : {"s", "t", "m"}) {
    const test::Finished with =
        test::run_program(NUMFACTORS_BINARY, {mode, "--max", "10^7", "--progress"});
    EXPECT_EQ(with.status, 0);
    EXPECT_EQ(with.out, expected);
    // Not a terminal: no redrawing, one line at the end (and one every 10 s before it).
    EXPECT_TRUE(with.err.starts_with("numfactors: 100.0% done, ")) << with.err;
    EXPECT_NE(with.err.find(" numbers/s, elapsed "), std::string::npos) << with.err;
    EXPECT_EQ(with.err.find('\r'), std::string::npos);
    const test::Finished without =
        test::run_program(NUMFACTORS_BINARY, {mode, "--max", "10^7", "--no-progress"});
    EXPECT_EQ(without.out, expected);
    EXPECT_EQ(without.err, "");
    // The default when stderr is a file: off.
    EXPECT_EQ(test::run_program(NUMFACTORS_BINARY, {mode, "--max", "10^7"}).err, "");
  }
}


/// A run whose chunks each take far longer than a second (the trial kernel near 2^64: a prime
/// there is 2^31 divisions; a sieve chunk at 10^18 on one worker), in every mode: SIGINT stops
/// it within seconds, not when the chunk would have ended.
TEST(SignalsEndToEnd, AnsweredAtOnceHoweverLongTheChunk) {
  const std::vector<std::vector<std::string>> runs = {
      {"s", "--min", "2^64-100", "--max", "2^64-1", "--kernel", "trial"},
      {"t", "--workers", "2", "--min", "2^64-100", "--max", "2^64-1", "--kernel", "trial"},
      {"m", "--workers", "2", "--min", "2^64-100", "--max", "2^64-1", "--kernel", "trial"},
      {"s", "--min", "1e18", "--max", "1e18+4e9", "--method", "sieve", "--chunk", "4e9"},
      // Trial division below 2^42, one chunk of seconds: checked between numbers.
      {"s", "--max", "3e7", "--method", "sieve", "--kernel", "trial", "--chunk", "3e7"},
  };
  for (const auto& args : runs) {
    test::ChildProcess child(NUMFACTORS_BINARY, args);
    ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGINT); }, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto [f, seconds] = test::stop_and_time(child, {child.pid()}, SIGINT);
    EXPECT_EQ(f.status, 130) << args[0] << " " << args.back() << ": " << f.err;
    EXPECT_LT(seconds, 3.0 * test::time_scale()) << args[0] << " " << args.back();
    EXPECT_EQ(f.out, "");
  }
}


/// SIGHUP (the terminal closing) stops a run as SIGTERM does: journal synced, status 129, a
/// resume from it exact.
TEST(SignalsEndToEnd, SighupIsAnInterruptLikeSigterm) {
  const std::string path = "/tmp/numfactors_sighup_" + std::to_string(getpid());
  std::remove(path.c_str());
  // About half a second of trial division in 100 chunks.
  const std::vector<std::string> args = {"--max",   "1e6", "--kernel", "trial",      "--chunk",
                                         "1e4",     "--workers", "1", "--checkpoint", path};
  test::ChildProcess child(NUMFACTORS_BINARY, args);
  ASSERT_TRUE(test::wait_until(
      [&] { return test::catches(child.pid(), SIGHUP) && test::journal_records(path) >= 2; }, 30));
  kill(child.pid(), SIGHUP);
  const test::Finished f = child.wait(30);
  EXPECT_EQ(f.status, 129) << f.err;
  EXPECT_NE(f.err.find("numfactors: interrupted by SIGHUP; "), std::string::npos) << f.err;
  const test::Finished resumed = test::run_program(NUMFACTORS_BINARY, args);
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(resumed.out, test::known_dict_line(2, 1'000'000));
  std::remove(path.c_str());
}

/// A signal ignored when the program starts (nohup; a script's background job, started with
/// SIGINT ignored) stays ignored: the run goes on to its result. The others still stop it.
TEST(SignalsEndToEnd, ASignalIgnoredAtTheStartStaysIgnored) {
  const std::string run = std::string(NUMFACTORS_BINARY) + " --max 2e6 --kernel trial --workers 1";
  const test::Finished oracle = test::run_program(NUMFACTORS_BINARY, {"--max", "2e6"});
  test::ChildProcess child("/bin/sh", {"-c", "trap '' HUP INT; exec " + run});
  ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
  EXPECT_FALSE(test::catches(child.pid(), SIGHUP));
  kill(child.pid(), SIGHUP);
  kill(child.pid(), SIGINT);
  const test::Finished f = child.wait(60);
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, oracle.out);
  EXPECT_EQ(f.err, "");
  test::ChildProcess stopped("/bin/sh", {"-c", "trap '' HUP; exec " + run});
  ASSERT_TRUE(test::wait_until([&] { return test::catches(stopped.pid(), SIGTERM); }, 30));
  kill(stopped.pid(), SIGTERM);
  const test::Finished g = stopped.wait(30);
  EXPECT_EQ(g.status, 143) << g.err;
  EXPECT_NE(g.err.find("numfactors: interrupted by SIGTERM; "), std::string::npos) << g.err;
}

}  // namespace
}  // namespace numfactors
