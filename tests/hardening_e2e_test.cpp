/// @file hardening_e2e_test.cpp
/// @brief The binary against a hostile user: two runs on one checkpoint, files that are not
/// regular files, a result that cannot be written, a timeline that cannot be, in each case one
/// clear line, the right status and nothing half-written.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "known_answers.hpp"
#include "resume_helpers.hpp"

namespace numfactors {
namespace {

namespace fs = std::filesystem;

/// A fresh directory of this test's own, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = "/tmp/numfactors_hardening_XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~ScratchDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// numfactors ARGS with the shell redirections `redirect` (">/dev/full", ">&-").
test::Finished shell(const std::string& args, const std::string& redirect) {
  return test::run_program("/bin/sh", {"-c", "exec " + std::string(NUMFACTORS_BINARY) + " " +
                                                 args + " " + redirect});
}

void expect_one_error_line(const test::Finished& f, int status, const std::string& part) {
  EXPECT_EQ(f.status, status) << f.err;
  EXPECT_EQ(f.out, "");
  EXPECT_TRUE(f.err.starts_with("numfactors: error: ")) << f.err;
  EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
  EXPECT_NE(f.err.find(part), std::string::npos) << f.err;
}

TEST(Hardening, ASecondRunOnTheSameCheckpointIsRefusedNamingTheFirst) {
  ScratchDir dir;
  const std::string journal = dir / "run.ckpt";
  const std::vector<std::string> args = {"--max", "5e9", "--method", "sieve", "--workers", "1",
                                         "--chunk", "1e8", "--checkpoint", journal};
  test::ChildProcess first(NUMFACTORS_BINARY, args);
  ASSERT_TRUE(test::wait_until([&] { return test::journal_records(journal) >= 1; }, 60));
  const std::string before = test::read_file(journal);
  for (int i = 0; i < 2; ++i) {
    const test::Finished second = test::run_program(NUMFACTORS_BINARY, args);
    expect_one_error_line(second, 2,
                          "is in use by another run (pid " + std::to_string(first.pid()) +
                              ", numfactors)");
  }
  kill(first.pid(), SIGTERM);
  EXPECT_EQ(first.wait(60).status, 143);
  // The refused runs wrote nothing: every record in the file is one the first run made.
  const std::string after = test::read_file(journal);
  EXPECT_TRUE(after.starts_with(before));
  const test::Finished resumed = test::run_program(NUMFACTORS_BINARY, args);
  EXPECT_EQ(resumed.status, 0) << resumed.err;
}

TEST(Hardening, FilesThatAreNotRegularFilesAreRefusedBeforeAnyWork) {
  ScratchDir dir;
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  fs::create_directory(dir / "a_dir");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--checkpoint", fifo}, "--checkpoint '" + fifo + "' is not a regular file"},
      {{"--checkpoint", "/dev/zero"}, "--checkpoint '/dev/zero' is not a regular file"},
      {{"--timeline", fifo}, "--timeline '" + fifo + "' is not a regular file"},
      {{"--timeline", "/dev/null"}, "--timeline '/dev/null' is not a regular file"},
      {{"--timeline", dir / "a_dir"}, "is not a regular file"},
      {{"--checkpoint", dir / "same", "--timeline", dir / "./same"},
       "--checkpoint and --timeline name the same file"},
  };
  for (const auto& [args, message] : cases) {
    const test::Finished f = test::run_program(NUMFACTORS_BINARY, args, 20);
    expect_one_error_line(f, 2, message);
  }
  EXPECT_FALSE(fs::exists(dir / "same"));
}

TEST(Hardening, AResultThatCannotBeWrittenIsAFailure) {
  const test::Finished full = shell("--max 1e6", ">/dev/full");
  EXPECT_EQ(full.status, 1);
  EXPECT_EQ(full.err,
            "numfactors: error: cannot write the result to standard output: No space left on "
            "device\n");
  const test::Finished help = shell("--help", ">/dev/full");
  EXPECT_EQ(help.status, 1);
  const test::Finished closed = shell("--max 1e6", ">&-");
  EXPECT_EQ(closed.status, 1);
  EXPECT_EQ(closed.err,
            "numfactors: error: cannot write the result to standard output: Bad file "
            "descriptor\n");
}

TEST(Hardening, OutputFollowsLinksKeepsModesAndKnowsStdout) {
  ScratchDir dir;
  // A link is written through, never replaced (/dev/stdout is such a link).
  fs::create_symlink("target.txt", dir / "link");
  EXPECT_EQ(shell("s 10 --output " + dir / "link", "").status, 0);
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(test::read_file(dir / "target.txt"), "{1: 7, 2: 2}\n");
  // A link to this process's stdout (as /dev/stdout is) and `-` mean stdout.
  fs::create_symlink("/proc/self/fd/1", dir / "stdout");
  for (const std::string& output : {dir / "stdout", std::string("-")}) {
    const test::Finished f = shell("s 10 --output " + output, "");
    EXPECT_EQ(f.status, 0) << f.err;
    EXPECT_EQ(f.out, "{1: 7, 2: 2}\n") << output;
  }
  EXPECT_EQ(shell("s 10 --output " + dir / "stdout", ">" + dir / "captured").status, 0);
  EXPECT_EQ(test::read_file(dir / "captured"), "{1: 7, 2: 2}\n");
  EXPECT_TRUE(fs::is_symlink(dir / "stdout"));
  expect_one_error_line(shell("s 10 --output /proc/self/fd/2", ""), 2, "is this process's stderr");
  // A loop of links is an error that changes neither link.
  fs::create_symlink("loop2", dir / "loop1");
  fs::create_symlink("loop1", dir / "loop2");
  expect_one_error_line(shell("s 10 --output " + dir / "loop1", ""), 1,
                        "Too many levels of symbolic links");
  EXPECT_TRUE(fs::is_symlink(dir / "loop1") && fs::is_symlink(dir / "loop2"));
  // An existing file keeps its mode.
  std::ofstream(dir / "private.txt") << "old\n";
  fs::permissions(dir / "private.txt", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(shell("s 10 --output " + dir / "private.txt", "").status, 0);
  EXPECT_EQ(fs::status(dir / "private.txt").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(test::read_file(dir / "private.txt"), "{1: 7, 2: 2}\n");
  // And its owner and group, where this user may give them: root gives a file of nobody's back
  // to nobody (another user keeps it, as with any program that replaces a file).
  struct stat before {};
  if (geteuid() == 0) {
    ASSERT_EQ(::chown((dir / "private.txt").c_str(), 65534, 65534), 0);
  }
  // with set-user-ID and set-group-ID bits, which a chown clears
  ASSERT_EQ(::chmod((dir / "private.txt").c_str(), 06750), 0);
  ASSERT_EQ(::stat((dir / "private.txt").c_str(), &before), 0);
  EXPECT_EQ(shell("s 20 --output " + dir / "private.txt", "").status, 0);
  struct stat after {};
  ASSERT_EQ(::stat((dir / "private.txt").c_str(), &after), 0);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
  EXPECT_EQ(after.st_mode & 07777, 06750u);
  EXPECT_EQ(test::read_file(dir / "private.txt"), "{1: 12, 2: 7}\n");
}

TEST(Hardening, TheTimelineAndTheJournalAreNeverStdoutOrStderr) {
  // Redirected to files, /dev/stdout and /dev/stderr are regular files: a timeline renamed over
  // one would replace the file and everything written to it, and a journal would mix with it.
  ScratchDir dir;
  const std::string out = dir / "out.txt", log = dir / "log.txt";
  for (const std::string option : {"--timeline", "--checkpoint"}) {
    using Stream = std::pair<std::string, std::string>;
    for (const auto& [path, stream] : {Stream{"/dev/stdout", "stdout"}, {"/dev/stderr", "stderr"}}) {
      std::ofstream(out) << "before\n";
      std::ofstream(log) << "before\n";
      const test::Finished f =
          shell("--max 1e6 " + option + " " + path, ">>" + out + " 2>>" + log);
      EXPECT_EQ(f.status, 2) << option << " " << path;
      EXPECT_EQ(test::read_file(out), "before\n") << option << " " << path;
      EXPECT_EQ(test::read_file(log), "before\nnumfactors: error: " + option + " '" + path +
                                          "' is this process's " + stream + "\n");
    }
    // `-` is stdout for --output only; these write a file of their own.
    expect_one_error_line(test::run_program(NUMFACTORS_BINARY, {"--max", "1e6", option, "-"}), 2,
                          option + " '-': " + option + " writes a file of its own, not stdout");
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / ""), fs::directory_iterator()), 2);
}

TEST(Hardening, ARunKilledOutrightLeavesNoTemporaryFile) {
  // SIGKILL (or the out-of-memory killer) gives no chance to clean up: the result's and the
  // timeline's files must have no name until they are written.
  ScratchDir dir;
  const std::string out = dir / "out.txt", timeline = dir / "t.csv";
  std::ofstream(out) << "earlier\n";
  test::ChildProcess child(NUMFACTORS_BINARY, {"--max", "3e10", "--method", "sieve", "--output",
                                               out, "--timeline", timeline});
  ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGINT); }, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(child.pid(), SIGKILL);
  child.wait(60);
  EXPECT_EQ(test::read_file(out), "earlier\n");
  EXPECT_FALSE(fs::exists(timeline));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / ""), fs::directory_iterator()), 1);
}

TEST(Hardening, AForeignCheckpointIsQuotedPrintableAndShort) {
  ScratchDir dir;
  const std::string path = dir / "foreign.ckpt";
  std::ofstream(path) << "x\033[31mRED\r\a" << std::string(500, 'y') << "\n";
  const test::Finished f =
      test::run_program(NUMFACTORS_BINARY, {"--max", "1e6", "--checkpoint", path});
  expect_one_error_line(f, 2, "belongs to another run (x?[31mRED??yyy");
  EXPECT_NE(f.err.find("yyy...; this run is "), std::string::npos) << f.err;
  EXPECT_LT(f.err.size(), 400u) << f.err;
  for (const char c : f.err.substr(0, f.err.size() - 1))
    EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << int(c);
}

TEST(Hardening, ControlCharactersInAnArgumentAreEscapedInTheMessage) {
  // A message that echoes what was typed stays one line and cannot drive the terminal.
  ScratchDir dir;
  expect_one_error_line(test::run_program(NUMFACTORS_BINARY, {"--max", "1\n2"}), 2, "'1\\n2'");
  // Bytes that are not UTF-8 (0x9b alone is CSI to an 8-bit terminal) are escaped too.
  expect_one_error_line(test::run_program(NUMFACTORS_BINARY, {"--max", "1\x9b\xff"}), 2,
                        "'1\\x9b\\xff'");
  // U+009B, CSI in UTF-8; other UTF-8 passes as it is.
  expect_one_error_line(test::run_program(NUMFACTORS_BINARY, {"--max", "1\xc2\x9b" "2\xc3\xa9"}), 2,
                        "'1\\xc2\\x9b2\xc3\xa9'");
  const test::Finished f = test::run_program(
      NUMFACTORS_BINARY, {"--max", "10", "--output", dir / "no\x1b[31mdir\a/out"});
  expect_one_error_line(f, 1, "no\\x1b[31mdir\\x07/out");
  for (const char c : f.err.substr(0, f.err.size() - 1))
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << int(c);
}

TEST(Hardening, ALongFileNameIsEchoedByItsTwoEnds) {
  // A name no file can have (100,000 characters): the error says so in one short line, for each
  // option that names a file, and for two options naming the same one.
  const std::string name(100'000, '9');
  for (const std::vector<std::string>& options : {std::vector<std::string>{"--output", name},
                                                  {"--checkpoint", name},
                                                  {"--timeline", name},
                                                  {"--checkpoint", name, "--output", name}}) {
    std::vector<std::string> args = {"--max", "10"};
    args.insert(args.end(), options.begin(), options.end());
    const test::Finished f = test::run_program(NUMFACTORS_BINARY, args);
    EXPECT_NE(f.status, 0);
    expect_one_error_line(f, f.status, "(100000 characters)");
    EXPECT_LT(f.err.size(), 500u) << options[0];
  }
}

TEST(Hardening, ATableStateThatIsNotARegularFileIsRefused) {
  // A FIFO where the analytic table's state goes would block its read forever.
  ScratchDir dir;
  ASSERT_EQ(mkfifo((dir / "j.table-1000000000000").c_str(), 0600), 0);
  const test::Finished f = test::run_program(
      NUMFACTORS_BINARY, {"--max", "1e12", "--method", "analytic", "--checkpoint", dir / "j"}, 30);
  expect_one_error_line(f, 2, "j.table-1000000000000' is not a regular file");
  // Refused before its first record: the journal it had made is gone again. A directory in
  // that place, and the state of another table, are refused alike.
  EXPECT_FALSE(std::filesystem::exists(dir / "j"));
  std::filesystem::remove(dir / "j.table-1000000000000");
  std::filesystem::create_directory(dir / "j.table-1000000000000");
  const test::Finished d = test::run_program(
      NUMFACTORS_BINARY, {"--max", "1e12", "--method", "analytic", "--checkpoint", dir / "j"}, 30);
  expect_one_error_line(d, 2, "j.table-1000000000000' is not a regular file");
  EXPECT_FALSE(std::filesystem::exists(dir / "j"));
  std::filesystem::remove(dir / "j.table-1000000000000");
  { std::ofstream(dir / "j.table-1000000000000") << "numfactors-table 1 n=999 rounds=0\n"; }
  const test::Finished other = test::run_program(
      NUMFACTORS_BINARY, {"--max", "1e12", "--method", "analytic", "--checkpoint", dir / "j"}, 30);
  EXPECT_EQ(other.status, 2) << other.err;
  EXPECT_NE(other.err.find("is not the table of 1000000000000"), std::string::npos) << other.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "j"));
}

TEST(Hardening, ALinkToTheOtherFileNotMadeYetIsTheSameFile) {
  // lnk -> t1, with t1 not there yet: writing both would leave one of the two results.
  ScratchDir dir;
  fs::create_symlink("t1", dir / "lnk");
  expect_one_error_line(
      test::run_program(NUMFACTORS_BINARY,
                        {"--max", "1e5", "--output", dir / "lnk", "--timeline", dir / "t1"}),
      2, "name the same file");
  expect_one_error_line(
      test::run_program(NUMFACTORS_BINARY,
                        {"--max", "1e5", "--checkpoint", dir / "t1", "--timeline", dir / "lnk"}),
      2, "name the same file");
  EXPECT_FALSE(fs::exists(dir / "t1"));
}

TEST(Hardening, ANameAsLongAsTheDirectoryAllowsIsWritten) {
  // The temporary name beside it (the name and six letters) would be too long: a short one of
  // its own stands in, and nothing else is left in the directory.
  ScratchDir dir;
  const std::string here = dir / ".";
  const long name_max = ::pathconf(here.c_str(), _PC_NAME_MAX);
  ASSERT_GT(name_max, 8);
  const std::string out = dir / std::string(static_cast<std::size_t>(name_max), 'z');
  const std::string timeline = dir / std::string(static_cast<std::size_t>(name_max) - 3, 't');
  for (int round = 0; round < 2; ++round) {  // made, then replaced
    const test::Finished run = test::run_program(
        NUMFACTORS_BINARY, {"--max", "10", "--output", out, "--timeline", timeline});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(test::read_file(out), "{1: 7, 2: 2}\n");
    EXPECT_TRUE(fs::is_regular_file(timeline));
    EXPECT_EQ(std::distance(fs::directory_iterator(here), fs::directory_iterator()), 2);
  }
  expect_one_error_line(
      test::run_program(NUMFACTORS_BINARY, {"--max", "10", "--output", out + "z"}), 1,
      "File name too long");
}

TEST(Hardening, ACheckpointNameTooLongForItsTableIsRefusedBeforeTheRun) {
  // The analytic method keeps its table beside the checkpoint as FILE.table-N: with a FILE of
  // 236 characters that name was found too long only when saved (every run near 1 failed, and
  // an interrupted one lost its table). The sieve keeps no table: the same name serves it.
  ScratchDir dir;
  const std::string here = dir / ".";
  const long name_max = ::pathconf(here.c_str(), _PC_NAME_MAX);
  ASSERT_GT(name_max, 20);
  const std::string suffix = ".table-1000000000000";
  const std::string journal =
      dir / std::string(static_cast<std::size_t>(name_max) - suffix.size() + 1, 'c');
  expect_one_error_line(
      test::run_program(NUMFACTORS_BINARY, {"--max", "1e12", "--checkpoint", journal}), 2,
      "use a shorter name");
  EXPECT_EQ(std::distance(fs::directory_iterator(here), fs::directory_iterator()), 0);
  const test::Finished sieve = test::run_program(
      NUMFACTORS_BINARY, {"--max", "1e6", "--method", "sieve", "--checkpoint", journal});
  EXPECT_EQ(sieve.status, 0) << sieve.err;
  EXPECT_EQ(sieve.out, test::known_dict_line(2, 1000000));
  // One character shorter, the table's name fits: the analytic run goes on as usual.
  fs::remove(journal);
  const test::Finished fits = test::run_program(
      NUMFACTORS_BINARY, {"--max", "1e12", "--checkpoint", journal.substr(0, journal.size() - 1)});
  EXPECT_EQ(fits.status, 0) << fits.err;
}

TEST(Hardening, TwoNamesTooLongAreTwoFilesAndTheErrorSaysTooLong) {
  // Neither resolves; that must not make them "the same file".
  ScratchDir dir;
  const fs::path a = dir / std::string(300, 'a'), b = dir / std::string(300, 'b');
  const test::Finished run =
      test::run_program(NUMFACTORS_BINARY, {"--max", "1e5", "--checkpoint", a, "--timeline", b});
  expect_one_error_line(run, 1, "File name too long");
  EXPECT_EQ(run.err.find("same file"), std::string::npos) << run.err;
  expect_one_error_line(
      test::run_program(NUMFACTORS_BINARY, {"--max", "1e5", "--checkpoint", a, "--timeline", a}), 2,
      "name the same file");
}

TEST(Hardening, AFileSizeLimitIsAFailureSaidNotASilentDeath) {
  // ulimit -f: SIGXFSZ would end the process with no word; the write fails with EFBIG instead.
  ScratchDir dir;
  // Its stdout and stderr go through pipes (which the limit does not cover) to the files that
  // capture them; pipefail passes on its status.
  const auto limited = [&](const std::string& args) {
    return test::run_program(
        "/bin/bash", {"-c", "set -o pipefail; { (ulimit -f 0; exec " +
                                std::string(NUMFACTORS_BINARY) + " " + args +
                                ") 2>&1 1>&3 | cat >&2; } 3>&1 | cat"});
  };
  expect_one_error_line(limited("--max 100 --output " + dir / "out"), 1,
                        "cannot write --output file '" + dir / "out" + "': File too large");
  expect_one_error_line(limited("--max 100 --checkpoint " + dir / "j"), 1, "File too large");
  // The result still goes to stdout when the timeline cannot be written.
  const test::Finished timeline = limited("--max 100 --timeline " + dir / "t");
  EXPECT_EQ(timeline.status, 1);
  EXPECT_EQ(timeline.out, test::known_dict_line(2, 100));
  EXPECT_NE(timeline.err.find("File too large"), std::string::npos) << timeline.err;
  // Nothing half-written: not the result, not the timeline, not an empty journal.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / ""), fs::directory_iterator()), 0);
}

TEST(Hardening, TimeoutsSignalSentTwiceIsOneStopAndItsWorkIsKept) {
  // timeout(1) sends SIGTERM to its child and then to its process group: the run gets it twice,
  // the second as soon as the first has been handled. Taken as a second Ctrl-C, that ended the
  // run at once, without a word and without saving the table built so far.
  ScratchDir dir;
  const std::string journal = dir / "run.ckpt";
  // [1, 4*10^13] on one worker takes seconds: the four stops below, 0.3-0.4 s each, must all
  // come before its end (10^13, a second since the walk of one count skips most leaves, did not).
  const std::vector<std::string> args = {"--max",     "4e13", "--method",     "analytic",
                                         "--workers", "1",    "--checkpoint", journal};
  // Stopped as by one signal: the run says so (after the line on what it resumed) and saves.
  const auto expect_one_stop = [](const test::Finished& f) {
    EXPECT_EQ(f.status, 143) << f.err;
    EXPECT_EQ(f.out, "");
    EXPECT_NE(f.err.find("numfactors: interrupted by SIGTERM; "), std::string::npos) << f.err;
  };
  for (int attempt = 0; attempt < 3; ++attempt) {
    test::ChildProcess child(NUMFACTORS_BINARY, args);
    ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(child.pid(), SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // the first is handled by now
    kill(-child.pid(), SIGTERM);                                // its process group
    const test::Finished f = child.wait(60);
    expect_one_stop(f);
    if (attempt > 0) {
      EXPECT_TRUE(f.err.starts_with("numfactors: resuming from ")) << f.err;
    }
  }
  std::vector<std::string> timed = {"--preserve-status", "0.4", NUMFACTORS_BINARY};
  timed.insert(timed.end(), args.begin(), args.end());
  expect_one_stop(test::run_program("/usr/bin/timeout", timed));
  // What the stops kept resumes to the uninterrupted run's histogram.
  const test::Finished resumed = test::run_program(NUMFACTORS_BINARY, args);
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  const test::Finished whole =
      test::run_program(NUMFACTORS_BINARY, {"--max", "4e13", "--method", "analytic"});
  EXPECT_EQ(resumed.out, whole.out);
}

TEST(Hardening, ATableThatCannotBeSavedIsAWarningAndTheStopStillSaysWhatWasKept) {
  // A full disk (here a file size limit below the table's 19 MB) when a stop saves the table:
  // the run once ended on that error (status 1, no word of the stop). It costs only a rebuild.
  ScratchDir dir;
  const std::string journal = dir / "run.ckpt";
  const std::string run = std::string(NUMFACTORS_BINARY) +
                          " --max 1e13 --method analytic --workers 1 --checkpoint " + journal;
  test::ChildProcess child("/bin/bash", {"-c", "ulimit -f 2000; exec " + run});
  ASSERT_TRUE(test::wait_until(
      [&] {
        return test::read_file("/proc/" + std::to_string(child.pid()) + "/comm") ==
                   "numfactors\n" &&
               test::catches(child.pid(), SIGTERM);
      },
      30));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto [f, seconds] = test::stop_and_time(child, {child.pid()}, SIGTERM);
  EXPECT_EQ(f.status, 143) << f.err;
  EXPECT_NE(f.err.find("numfactors: warning: cannot write table state"), std::string::npos)
      << f.err;
  EXPECT_NE(f.err.find("File too large; the next run builds the table again\n"), std::string::npos)
      << f.err;
  EXPECT_NE(f.err.find("numfactors: interrupted by SIGTERM; "), std::string::npos) << f.err;
  EXPECT_FALSE(fs::exists(journal + ".table-10000000000000"));
  const test::Finished resumed = test::run_program("/bin/sh", {"-c", "exec " + run});
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(resumed.out, test::run_program(NUMFACTORS_BINARY, {"--max", "1e13"}).out);
}

TEST(Hardening, ASignalInALargeTableStartIsAnsweredWithinASecond) {
  // The table's start values at 5*10^16 (a division for each of 2.2e8 keys, into fresh pages)
  // once took seconds before the first look at the stop flag.
  for (const int after_ms : {150, 1000}) {
    test::ChildProcess child(NUMFACTORS_BINARY, {"--max", "5e16", "--method", "analytic"});
    ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    const auto [f, seconds] = test::stop_and_time(child, {child.pid()}, SIGTERM);
    EXPECT_EQ(f.status, 143) << f.err;
    EXPECT_LT(seconds, 1.0 * test::time_scale()) << after_ms << " ms after the start";
  }
}

TEST(Hardening, HugeRangesNearOneStopWithinASecond) {
  // A pass near 1 once listed every power above a segment of a 2^40-number chunk (2.3e8 of
  // them, gigabytes) before it looked at a signal: seconds to tens of seconds.
  for (const std::string max : {"2^63", "2^64-1"}) {
    test::ChildProcess child(NUMFACTORS_BINARY, {"--max", max, "--workers", "2"});
    ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto sent = std::chrono::steady_clock::now();
    kill(child.pid(), SIGTERM);
    const test::Finished f = child.wait(60);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - sent;
    EXPECT_EQ(f.status, 143) << max << f.err;
    EXPECT_LT(took.count(), 1.0 * test::time_scale()) << max;
  }
}

TEST(Hardening, ManyMoreWorkersThanCoresStopWithinASecond) {
  // A sieve worker's chunk starts with a visit of every prime up to sqrt(hi) (1.9M at 10^15):
  // hundreds of workers on a few cores, all in that visit, each had to finish it before it
  // looked at a signal (4096 of them took 31 s here). Short chunks keep their memory small.
  // Near 2^64 the direct kernels looked at it every 4096 numbers (factor: 1.8-2.3 s to stop),
  // every hybrid window and every 2^20 trial divisions (0.7-0.9 s).
  const std::vector<std::vector<std::string>> runs = {
      {"--min", "1e15", "--max", "1000001000000000", "--chunk", "1048576"},
      {"--min", "2^64-10^9", "--max", "2^64-1", "--kernel", "factor"},
      {"--min", "2^64-10^9", "--max", "2^64-1", "--kernel", "hybrid"},
      {"--min", "2^64-10^9", "--max", "2^64-1", "--kernel", "trial"}};
  for (std::vector<std::string> args : runs) {
    args.insert(args.end(), {"--workers", "256"});
    test::ChildProcess child(NUMFACTORS_BINARY, args);
    ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGINT); }, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const auto [f, seconds] = test::stop_and_time(child, {child.pid()}, SIGINT);
    EXPECT_EQ(f.status, 130) << args[4] << " " << args[5] << ": " << f.err;
    EXPECT_LT(seconds, 1.0 * test::time_scale()) << args[4] << " " << args[5];
  }
}

TEST(Hardening, WithStdoutClosedTheJournalGetsOnlyItsOwnLines) {
  ScratchDir dir;
  const std::string journal = dir / "j.ckpt", timeline = dir / "t.csv";
  const test::Finished f = shell("--max 1e6 --method sieve --checkpoint " + journal +
                                     " --timeline " + timeline,
                                 ">&-");
  EXPECT_EQ(f.status, 1);
  std::istringstream lines(test::read_file(journal));
  std::string line;
  std::getline(lines, line);
  EXPECT_TRUE(line.starts_with("numfactors-checkpoint 1 ")) << line;
  while (std::getline(lines, line)) EXPECT_TRUE(line.starts_with("chunk ")) << line;
  // The result could not be written: the run failed, and its timeline is not put in place.
  EXPECT_FALSE(fs::exists(timeline));
}

TEST(Hardening, TooFewFileDescriptorsFailBeforeAnyFileIsMade) {
  ScratchDir dir;
  const std::string journal = dir / "j.ckpt", timeline = dir / "t.csv";
  const test::Finished f = test::run_program(
      "/bin/sh", {"-c", "ulimit -n 5; exec " + std::string(NUMFACTORS_BINARY) +
                            " m --workers 2 --max 1e7 --method sieve --checkpoint " + journal +
                            " --timeline " + timeline});
  expect_one_error_line(f, 1, "ulimit -n allows 5");
  EXPECT_FALSE(fs::exists(journal));
  EXPECT_FALSE(fs::exists(timeline));
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(journal).parent_path()),
                          fs::directory_iterator()),
            0);
}

TEST(Hardening, AThreadTheSystemRefusesFailsTheRunAtOnce) {
  // Stacks of 100 MB within 300 MB of address space: the third thread is refused (one malloc
  // arena, so that no thread's own arena of 64 MB runs out of room first). The analytic table's
  // thread team (10^11: its steps are shared) once waited forever on its first helper, deaf to
  // signals, and the sieve's other workers counted the whole range before the failure was told.
  for (const std::string args :
       {"--max 1e11 --method analytic --workers 4", "--max 3e10 --method sieve --workers 4"}) {
    const auto sent = std::chrono::steady_clock::now();
    const test::Finished f = test::run_program(
        "/bin/sh",
        {"-c", "ulimit -S -s 100000 && ulimit -S -v 300000 && MALLOC_ARENA_MAX=1 exec " +
                   std::string(NUMFACTORS_BINARY) + " " + args},
        30);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - sent;
    expect_one_error_line(f, 1, "cannot start a thread: ");
    EXPECT_LT(took.count(), 5.0 * test::time_scale()) << args;
  }
}

TEST(Hardening, TheTimelineIsWholeOrTheOldOne) {
  ScratchDir dir;
  const std::string timeline = dir / "t.csv";
  std::ofstream(timeline) << "an earlier timeline\n";
  // A run stopped by a signal, and a run refused, leave the earlier file as it was.
  test::ChildProcess stopped(NUMFACTORS_BINARY,
                             {"--max", "3e10", "--method", "sieve", "--timeline", timeline});
  ASSERT_TRUE(test::wait_until([&] { return test::catches(stopped.pid(), SIGINT); }, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(stopped.pid(), SIGINT);
  EXPECT_EQ(stopped.wait(60).status, 130);
  EXPECT_EQ(test::read_file(timeline), "an earlier timeline\n");
  EXPECT_EQ(test::run_program(NUMFACTORS_BINARY, {"--max", "0", "--timeline", timeline}).status, 2);
  EXPECT_EQ(test::read_file(timeline), "an earlier timeline\n");
  // A result that cannot be written fails the run: the timeline is not put in place either.
  for (const std::string redirect : {">/dev/full", ">&-"}) {
    EXPECT_EQ(shell("--max 1e6 --method sieve --timeline " + timeline, redirect).status, 1);
    EXPECT_EQ(test::read_file(timeline), "an earlier timeline\n") << redirect;
  }
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(timeline).parent_path()),
                          fs::directory_iterator()),
            1);

  // A timeline that cannot be put in place (a directory took its name during the run): the
  // histogram is still printed, and the status says the run failed.
  test::ChildProcess blocked(NUMFACTORS_BINARY, {"--max", "1e6", "--kernel", "trial", "--workers",
                                                 "1", "--timeline", timeline});
  ASSERT_TRUE(test::wait_until([&] { return test::catches(blocked.pid(), SIGINT); }, 30));
  fs::remove(timeline);
  fs::create_directories(timeline + "/in_the_way");
  const test::Finished f = blocked.wait(120);
  EXPECT_EQ(f.status, 1);
  EXPECT_EQ(f.out, test::known_dict_line(2, 1'000'000));
  EXPECT_NE(f.err.find("numfactors: error: cannot write --timeline file '" + timeline + "'"),
            std::string::npos)
      << f.err;
}

}  // namespace
}  // namespace numfactors
