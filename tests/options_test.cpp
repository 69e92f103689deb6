/// @file options_test.cpp
/// @brief The command line as parse_options sees it: defaults, the seed's positional form
/// (`s 10`), the long options, and a UsageError naming the problem for every bad input.
#include "cli/options.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "cli/error_words.hpp"
#include "cli/help.hpp"
#include "cli/suggest.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

using Args = std::vector<std::string>;
constexpr u64 kTop = std::numeric_limits<u64>::max();

std::string describe(const Args& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "'" : " '") + a + "'";
  return s.empty() ? "(no arguments)" : s;
}

/// Expects parse_options(args) to throw UsageError whose message contains every one of `words`.
void expect_usage_error(const Args& args, const std::vector<std::string>& words) {
  try {
    parse_options(args);
    ADD_FAILURE() << describe(args) << " was accepted";
  } catch (const InvalidRequest& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << describe(args) << ": " << message;
    for (const auto& w : words)
      EXPECT_NE(message.find(w), std::string::npos)
          << describe(args) << ": message '" << message << "' does not say '" << w << "'";
  }
}

TEST(ParseOptions, DefaultsAreTheSeedJob) {
  const Options o = parse_options({});
  EXPECT_EQ(o.request.range, (Range{2, 500000}));
  EXPECT_EQ(o.request.mode, Mode::threads);
  EXPECT_FALSE(o.mode_given);
  EXPECT_EQ(o.request.workers, 0u);
  EXPECT_EQ(o.request.chunk, 0u);
  EXPECT_EQ(o.request.kernel, std::nullopt);  // the planner's choice
  EXPECT_EQ(o.request.method, Method::automatic);
  EXPECT_EQ(o.request.count, Count::distinct);
  EXPECT_EQ(o.format, Format::dict);
  EXPECT_FALSE(o.help);
  EXPECT_FALSE(o.version);
}

TEST(ParseOptions, SeedPositionalForm) {
  const Options s = parse_options({"s", "10"});
  EXPECT_EQ(s.request.mode, Mode::serial);
  EXPECT_TRUE(s.mode_given);
  EXPECT_EQ(s.request.range, (Range{2, 10}));

  EXPECT_EQ(parse_options({"s"}).request.range, (Range{2, 500000}));
  EXPECT_EQ(parse_options({"t"}).request.mode, Mode::threads);
  EXPECT_TRUE(parse_options({"t"}).mode_given);
  EXPECT_EQ(parse_options({"m"}).request.mode, Mode::pool);
  EXPECT_EQ(parse_options({"i"}).request.mode, Mode::mpi);
  EXPECT_EQ(parse_options({"t", "1e6"}).request.range, (Range{2, 1000000}));
  // N alone, without a mode letter, sets the upper bound too.
  EXPECT_EQ(parse_options({"1000"}).request.range, (Range{2, 1000}));
  EXPECT_FALSE(parse_options({"1000"}).mode_given);
}

TEST(ParseOptions, LongOptions) {
  EXPECT_EQ(parse_options({"--max=1e6"}).request.range, (Range{2, 1000000}));
  EXPECT_EQ(parse_options({"--max", "1e6"}).request.range, (Range{2, 1000000}));
  EXPECT_EQ(parse_options({"--min", "10^12", "--max", "10^12+39"}).request.range,
            (Range{1000000000000, 1000000000039}));
  EXPECT_EQ(parse_options({"--max=2^64-1", "--min=2^64-10^6"}).request.range,
            (Range{kTop - 999999, kTop}));
  EXPECT_EQ(parse_options({"--min", "1", "--max", "1"}).request.range, (Range{1, 1}));

  const Options o = parse_options({"--mode", "serial", "--workers", "3", "--chunk", "1e4", "--kernel",
                                   "trial", "--count", "total", "--format", "json"});
  EXPECT_EQ(o.request.mode, Mode::serial);
  EXPECT_TRUE(o.mode_given);
  EXPECT_EQ(o.request.workers, 3u);
  EXPECT_EQ(o.request.chunk, 10000u);
  EXPECT_EQ(o.request.kernel, KernelKind::trial);
  EXPECT_EQ(o.request.count, Count::total);
  EXPECT_EQ(o.format, Format::json);

  EXPECT_EQ(parse_options({"--format=table"}).format, Format::table);
  EXPECT_EQ(parse_options({"--format=csv"}).format, Format::csv);
  EXPECT_EQ(parse_options({"--format=dict"}).format, Format::dict);
  EXPECT_EQ(parse_options({"--mode=threads"}).request.mode, Mode::threads);
  EXPECT_EQ(parse_options({"--chunk", "1"}).request.chunk, 1u);
  EXPECT_EQ(parse_options({"--chunk", "2^64-1"}).request.chunk, kTop);
  EXPECT_EQ(parse_options({"--workers", std::to_string(kMaxWorkers)}).request.workers, kMaxWorkers);
  // Options and the positional form mix, in any order.
  const Options mixed = parse_options({"--format", "csv", "s", "--count=total", "100"});
  EXPECT_EQ(mixed.request.mode, Mode::serial);
  EXPECT_EQ(mixed.request.range, (Range{2, 100}));
  EXPECT_EQ(mixed.request.count, Count::total);
  EXPECT_EQ(mixed.format, Format::csv);
}

TEST(ParseOptions, HelpAndVersion) {
  EXPECT_TRUE(parse_options({"--help"}).help);
  EXPECT_TRUE(parse_options({"-h"}).help);
  EXPECT_TRUE(parse_options({"--version"}).version);
  // Help answers whatever else is on the line, mistakes included (unless it is taken as a
  // missing value: --max --help).
  for (const Args& args :
       {Args{"--help", "--max", "x"}, Args{"--max", "x", "-h"}, Args{"-h", "--help"},
        Args{"bogus", "--help"}, Args{"--help", "--max"}, Args{"--checkpoint=", "--help"}})
    EXPECT_TRUE(parse_options(args).help) << describe(args);
}

TEST(ParseOptions, UpperBoundGivenTwice) {
  expect_usage_error({"s", "10", "--max", "20"}, {"--max", "twice"});
  expect_usage_error({"--max=20", "10"}, {"--max", "twice"});
}

TEST(ParseOptions, AnOptionGivenTwiceNamesTheSpellingsGiven) {
  const auto message = [](const Args& args) {
    try {
      parse_options(args);
    } catch (const InvalidRequest& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(message({"--no-progress", "--no-progress"}),
            "option '--no-progress' is given twice; give it once");
  EXPECT_EQ(message({"--progress", "--no-progress"}),
            "option '--no-progress' is given twice (with --progress); give it once");
  EXPECT_EQ(message({"--no-progress", "--progress"}),
            "option '--progress' is given twice (with --no-progress); give it once");
  EXPECT_EQ(message({"--mode", "serial", "--mode=threads"}),
            "option '--mode' is given twice; give it once");
}

TEST(ParseOptions, BadNumbers) {
  expect_usage_error({"--max", "abc"}, {"--max", "'abc'", "not a number"});
  expect_usage_error({"--min", "-5"}, {"--min", "'-5'", "negative"});
  expect_usage_error({"--max=-5"}, {"--max", "negative"});
  expect_usage_error({"s", "-5"}, {"'-5'", "negative"});
  expect_usage_error({"--max", "1.5"}, {"--max", "'1.5'", "not an integer"});
  expect_usage_error({"s", "1.5"}, {"'1.5'", "not an integer"});
  expect_usage_error({"--max", "12,000"}, {"--max", "'12,000'", "separator"});
  expect_usage_error({"s", "12,000"}, {"'12,000'", "separator"});
  expect_usage_error({"--max", "2^64"}, {"--max", "beyond 2^64-1"});
  expect_usage_error({"--max", "18446744073709551616"}, {"--max", "beyond 2^64-1"});
  expect_usage_error({"--min", "1e20"}, {"--min", "beyond 2^64-1"});
  expect_usage_error({"s", "1e20"}, {"beyond 2^64-1"});
  expect_usage_error({"--max", "10^12-10^13"}, {"--max", "negative"});
  expect_usage_error({"--workers", "two"}, {"--workers", "'two'", "not a number"});
  expect_usage_error({"--chunk", "1e99"}, {"--chunk", "beyond 2^64-1"});
}

TEST(ParseOptions, ZeroAndEmptyRanges) {
  expect_usage_error({"--min", "0"}, {"--min", "at least 1"});
  expect_usage_error({"--max", "0"}, {"--max", "at least 1"});
  expect_usage_error({"s", "0"}, {"at least 1"});
  expect_usage_error({"--workers", "0"}, {"--workers", "at least 1"});
  expect_usage_error({"--chunk", "0"}, {"--chunk", "at least 1"});
  expect_usage_error({"--workers", std::to_string(kMaxWorkers + 1)}, {"--workers", "at most"});
  expect_usage_error({"--min", "10", "--max", "5"}, {"10", "5", "greater than"});
  // [2, 1] and [10^6, 500000]: a bound met the other's default, which the message names.
  expect_usage_error({"s", "1"}, {"max 1 is below the default min 2", "--min"});
  expect_usage_error({"--min", "1e6"},
                     {"min 1000000 is greater than the default max 500000", "--max"});
  expect_usage_error({"--min", "2^64-1", "--max", "2^64-2"}, {"greater than"});
}

TEST(ParseOptions, MinAndMaxAsPositionals) {
  EXPECT_EQ(parse_options({"10", "100"}).request.range, (Range{10, 100}));
  EXPECT_EQ(parse_options({"s", "10", "100"}).request.range, (Range{10, 100}));
  EXPECT_EQ(parse_options({"1e12", "1e12+100", "--count", "total"}).request.range,
            (Range{1000000000000, 1000000000100}));
  expect_usage_error({"10", "100", "--min", "5"}, {"lower bound", "twice"});
  expect_usage_error({"10", "100", "1000"}, {"unexpected argument", "'1000'"});
  expect_usage_error({"100", "10"}, {"100", "10", "greater than"});
}

TEST(ParseOptions, AnOptionGivenTwiceIsAnError) {
  expect_usage_error({"--max", "5", "--max", "7"}, {"'--max'", "twice"});
  expect_usage_error({"--workers=2", "--workers", "2"}, {"'--workers'", "twice"});
  expect_usage_error({"--progress", "--no-progress"}, {"'--no-progress'", "twice", "--progress"});
  expect_usage_error({"--format", "csv", "--format", "json"}, {"'--format'", "twice"});
}

TEST(ParseOptions, UnknownChoices) {
  expect_usage_error({"--mode", "fast"}, {"unknown mode", "'fast'", "serial"});
  expect_usage_error({"--kernel", "bucket"}, {"unknown kernel", "'bucket'", "sieve", "trial", "wheel"});
  expect_usage_error({"--count", "all"}, {"unknown count", "'all'", "distinct", "total"});
  expect_usage_error({"--format", "xml"}, {"unknown format", "'xml'", "dict", "json", "table", "csv"});
  expect_usage_error({"x"}, {"unknown mode", "'x'"});
  expect_usage_error({"serial"}, {"a mode goes first as its letter: 's' or '--mode serial'"});
  expect_usage_error({"pool", "10"}, {"'m' or '--mode pool'"});
  expect_usage_error({"mpi"}, {"'i' or '--mode mpi'"});
}

TEST(ParseOptions, DidYouMean) {
  expect_usage_error({"--mode", "thread"}, {"did you mean 'threads'?"});
  expect_usage_error({"--mode", "serail"}, {"did you mean 'serial'?"});
  expect_usage_error({"--kernel", "sieves"}, {"did you mean 'sieve'?"});
  expect_usage_error({"--kernel", "tral"}, {"did you mean 'trial'?"});
  expect_usage_error({"--count", "totl"}, {"did you mean 'total'?"});
  expect_usage_error({"--format", "jsn"}, {"did you mean 'json'?"});
  expect_usage_error({"--format", "tabel"}, {"did you mean 'table'?"});
  expect_usage_error({"--fromat", "json"}, {"unknown option", "'--fromat'", "did you mean '--format'?"});
  expect_usage_error({"--maxx", "10"}, {"unknown option", "did you mean '--max'?"});
  expect_usage_error({"--wokers", "2"}, {"unknown option", "did you mean '--workers'?"});
  expect_usage_error({"thread"}, {"unknown mode", "did you mean 't' or '--mode threads'?"});
  expect_usage_error({"serail"}, {"unknown mode", "did you mean 's' or '--mode serial'?"});
  expect_usage_error({"p", "10"}, {"unknown mode", "did you mean 'm' or '--mode pool'?"});
  // A letter after --mode is the mode again: the same is taken, another refused.
  EXPECT_EQ(parse_options({"--mode", "serial", "s", "10"}).request.mode, Mode::serial);
  expect_usage_error({"--mode", "threads", "s", "10"}, {"mode given twice", "'s'", "threads"});
  // The other command and help, tried as modes.
  expect_usage_error({"help"}, {"unknown mode 'help'", "numfactors --help"});
  expect_usage_error({"mer"}, {"did you mean 'merge'?", "goes first: numfactors merge FILE"});
  expect_usage_error({"--max", "10", "merge"}, {"'merge' goes first"});
}

TEST(ParseOptions, MissingValuesUnknownOptionsExtraArguments) {
  for (const char* option : {"--min", "--max", "--mode", "--workers", "--chunk", "--kernel", "--count",
                             "--format"}) {
    expect_usage_error({option}, {"missing value", option});
    expect_usage_error({std::string(option) + "="}, {"missing value", option});
    expect_usage_error({option, "--help"}, {"missing value", option});
  }
  expect_usage_error({"--frobnicate"}, {"unknown option", "'--frobnicate'"});
  expect_usage_error({"-x"}, {"unknown option", "'-x'"});
  expect_usage_error({"--help=yes"}, {"'--help'", "no value"});
  expect_usage_error({"s", "10", "20", "30"}, {"unexpected argument", "'30'"});
  expect_usage_error({"s", "10", "--format", "csv", "extra"}, {"'extra'"});
  // After --mode the positional slot is N, so a word is a bad N, not a mistyped mode letter.
  expect_usage_error({"--mode", "serial", "extra"}, {"MAX:", "'extra'", "not a number"});
}

TEST(ParseOptions, ABadPositionalNumberIsCalledByItsName) {
  // One number is MAX; of two, the first is MIN and the second MAX (both were once named after
  // how many had come before them: "MAX" for the first, "MIN MAX" for the second).
  expect_usage_error({"0"}, {"MAX must be at least 1", "'0'"});
  expect_usage_error({"0", "5"}, {"MIN must be at least 1", "'0'"});
  expect_usage_error({"3", "0"}, {"MAX must be at least 1", "'0'"});
  expect_usage_error({"1.5", "10"}, {"MIN: '1.5' is not an integer"});
  expect_usage_error({"5", "2^64"}, {"MAX: '2^64' is beyond 2^64-1"});
  expect_usage_error({"s", "x5", "10"}, {"MIN: 'x5'"});
  for (const Args& args : std::vector<Args>{{"0", "5"}, {"3", "0"}, {"5", "2^64"}}) {
    try {
      parse_options(args);
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find("MIN MAX"), std::string::npos) << e.what();
    }
  }
}

TEST(ParseOptions, DoubleDashEndsTheOptions) {
  EXPECT_EQ(parse_options({"--", "10"}).request.range, (Range{2, 10}));
  EXPECT_EQ(parse_options({"t", "--workers", "2", "--", "5", "10"}).request.range, (Range{5, 10}));
  // After it, what looks like an option is a positional argument, and said to be one.
  expect_usage_error({"--", "--max", "10"}, {"MIN:", "'--max'", "is not a number"});
  EXPECT_EQ(parse_options({}).request.range, parse_options({"--"}).request.range);
}

TEST(Suggest, ClosestCandidate) {
  const std::vector<std::string> modes = {"serial", "threads", "pool", "mpi"};
  EXPECT_EQ(closest("thread", modes), "threads");
  EXPECT_EQ(closest("Serial", modes), "serial");
  EXPECT_EQ(closest("thr", modes), "threads");  // a prefix of a candidate
  EXPECT_EQ(closest("cluster", modes), "");
  EXPECT_EQ(did_you_mean("cluster", modes), "");
  EXPECT_EQ(did_you_mean("poll", modes), " (did you mean 'pool'?)");
  // Options: a short option's letter, upper case, a long option with more after it.
  const std::vector<std::string> options = {"--min",    "--max",  "--mode",    "--method",
                                            "--output", "--help", "--version", "-h"};
  EXPECT_EQ(closest("-v", options), "--version");
  EXPECT_EQ(closest("-V", options), "--version");
  EXPECT_EQ(closest("-o", options), "--output");
  EXPECT_EQ(closest("-m", options), "");  // four long options begin with m
  EXPECT_EQ(closest("-x", options), "");
  EXPECT_EQ(closest("--HELP", options), "--help");
  EXPECT_EQ(closest("--output-file", options), "--output");
  EXPECT_EQ(closest("--max-workers", {"--max", "--workers"}), "");  // which one?
  EXPECT_EQ(closest("--partition", {"--part"}), "");
  EXPECT_EQ(closest("-n", {"--no-progress", "--min"}), "");
  EXPECT_EQ(closest("THREADS", modes), "threads");
}

}  // namespace
}  // namespace numfactors

namespace numfactors {
namespace {

/// --help lists every name of every choice's table, so a value added to a table cannot be left
/// out of the help (the parser and to_string read the same table).
template <class E>
void expect_help_names_every(const std::string& help) {
  for (const Choice<E>& c : choices<E>())
    EXPECT_NE(help.find(std::string(c.name)), std::string::npos) << c.name;
}

TEST(Help, NamesEveryChoice) {
  const std::string help = help_text();
  expect_help_names_every<Count>(help);
  expect_help_names_every<Method>(help);
  expect_help_names_every<KernelKind>(help);
  expect_help_names_every<Mode>(help);
  expect_help_names_every<Schedule>(help);
  expect_help_names_every<Format>(help);
  for (const Choice<Mode>& c : choices<Mode>())
    EXPECT_EQ(parse_choice<Mode>(c.name), c.value) << c.name;
}

}  // namespace
}  // namespace numfactors

namespace numfactors {
namespace {

std::string words_for(const TooManyWorkers& e) {
  std::ostringstream err;
  try {
    throw e;
  } catch (...) {
    EXPECT_EQ(report_current_exception(err), 2);
  }
  return err.str();
}

TEST(ErrorWords, TooManyWorkersNameTheFlagAndTheRanksOfAMachine) {
  const u64 mib = u64{1} << 20;
  EXPECT_EQ(words_for(TooManyWorkers("", 64, false, 15 * mib, 1000 * mib, 500 * mib,
                                     "ulimit -v (RLIMIT_AS)")),
            "numfactors: error: --workers 64 would need about 1000 MiB (16 MiB a worker), and "
            "ulimit -v (RLIMIT_AS) allows 500 MiB; use fewer --workers\n");
  EXPECT_EQ(words_for(TooManyWorkers("", 64, true, 15 * mib, 1000 * mib, 500 * mib,
                                     "ulimit -v (RLIMIT_AS)")),
            "numfactors: error: --threads 64 would need about 1000 MiB (16 MiB a worker, in each "
            "rank), and ulimit -v (RLIMIT_AS) allows 500 MiB; use fewer --threads\n");
  EXPECT_EQ(words_for(TooManyWorkers("", 64, true, 15 * mib, 2000 * mib, 500 * mib,
                                     "this machine's available memory", 2)),
            "numfactors: error: --threads 64 in each of the 2 ranks of a machine would need about "
            "2000 MiB (16 MiB a worker), and this machine's available memory allows 500 MiB; use "
            "fewer --threads\n");
}

}  // namespace
}  // namespace numfactors
