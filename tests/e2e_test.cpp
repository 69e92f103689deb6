/// @file e2e_test.cpp
/// @brief The real numfactors binary: the seed's two outputs byte for byte, every format, --help,
/// --version, and for every bad input exit status 2, one `numfactors: error: ` line on stderr and
/// nothing on stdout.
#include <gtest/gtest.h>

#include <primesieve.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "numfactors/version.hpp"
#include "exec/executor.hpp"
#include "oracle.hpp"
#include "child_process.hpp"

namespace numfactors {
namespace {

using Args = std::vector<std::string>;
constexpr u64 kTop = std::numeric_limits<u64>::max();

test::Finished numfactors(const Args& args) { return test::run_program(NUMFACTORS_BINARY, args); }

std::string describe(const Args& args) {
  std::string s = "numfactors";
  for (const auto& a : args) s += " '" + a + "'";
  return s;
}

/// Success: status 0, nothing on stderr; returns stdout.
std::string expect_success(const Args& args) {
  const test::Finished o = numfactors(args);
  EXPECT_EQ(o.status, 0) << describe(args) << "\nstderr: " << o.err;
  EXPECT_EQ(o.err, "") << describe(args);
  return o.out;
}

/// The histogram of the oracle over [lo, hi] written as the seed's dict, built here independently.
std::string oracle_dict(u64 lo, u64 hi, Count count) {
  std::map<unsigned, u64> bins;
  for (u64 n = lo;; ++n) {
    ++bins[test::oracle_count(n, count)];
    if (n == hi) break;
  }
  std::string s = "{";
  for (const auto& [k, v] : bins) s += (s.size() > 1 ? ", " : "") + std::to_string(k) + ": " + std::to_string(v);
  return s + "}\n";
}

/// The published histogram of [2, hi] (distinct) from tests/data, as a JSON object with string keys.
nlohmann::json published(u64 hi) {
  std::ifstream in(std::string(NUMFACTORS_TEST_DATA) + "/omega_histograms.json");
  const auto file = nlohmann::json::parse(in);
  for (const auto& c : file.at("cases"))
    if (c.at("lo") == 2 && c.at("hi") == hi && c.at("count") == "distinct") return c.at("histogram");
  ADD_FAILURE() << "no published case [2, " << hi << "]";
  return {};
}

TEST(EndToEnd, SeedJob) {
  EXPECT_EQ(expect_success({}), "{1: 41724, 2: 150785, 3: 191810, 4: 97676, 5: 17312, 6: 692}\n");
  EXPECT_EQ(expect_success({"s", "10"}), "{1: 7, 2: 2}\n");
  EXPECT_EQ(expect_success({"s"}), "{1: 41724, 2: 150785, 3: 191810, 4: 97676, 5: 17312, 6: 692}\n");
  EXPECT_EQ(expect_success({"t", "10"}), "{1: 7, 2: 2}\n");
  EXPECT_EQ(expect_success({"10"}), "{1: 7, 2: 2}\n");
  EXPECT_EQ(expect_success({"--mode", "threads", "--workers", "3", "--chunk", "2", "--max", "10"}),
            "{1: 7, 2: 2}\n");
}

TEST(EndToEnd, AgainstTheOracle) {
  EXPECT_EQ(expect_success({"s", "10", "--count", "total"}), oracle_dict(2, 10, Count::total));
  EXPECT_EQ(expect_success({"--min", "1", "--max", "1"}), "{0: 1}\n");
  EXPECT_EQ(expect_success({"--min=10^12", "--max=10^12+39", "--count=total", "--workers=2"}),
            oracle_dict(1000000000000, 1000000000039, Count::total));
  EXPECT_EQ(expect_success({"--min", "2^64-3", "--max", "2^64-1", "--kernel", "trial", "t"}),
            oracle_dict(kTop - 2, kTop, Count::distinct));
  EXPECT_EQ(expect_success({"--min", "1e9", "--max", "1e9+5000", "--kernel", "trial", "s"}),
            oracle_dict(1000000000, 1000005000, Count::distinct));
}

TEST(EndToEnd, JsonFormat) {
  const auto j = nlohmann::json::parse(expect_success({"s", "10", "--format", "json"}));
  EXPECT_EQ(j["min"], 2);
  EXPECT_EQ(j["max"], 10);
  EXPECT_EQ(j["count"], "distinct");
  EXPECT_EQ(j["method"], "analytic");  // auto: a prefix this small costs the sieve its set-up
  EXPECT_TRUE(j["kernel"].is_null());
  EXPECT_EQ(j["mode"], "serial");
  EXPECT_EQ(j["workers"], 1);
  EXPECT_TRUE(j["seconds"].is_number());
  EXPECT_EQ(j["histogram"], nlohmann::json::parse(R"({"1": 7, "2": 2})"));
  EXPECT_TRUE(j["worker_stats"].is_array());

  const auto top = nlohmann::json::parse(expect_success(
      {"--min", "2^64-2", "--max", "2^64-1", "--kernel", "trial", "--count", "total", "--format", "json"}));
  EXPECT_EQ(top["min"].get<u64>(), kTop - 1);
  EXPECT_EQ(top["max"].get<u64>(), kTop);
  EXPECT_EQ(top["count"], "total");
  EXPECT_EQ(top["kernel"], "trial");

  const auto million = nlohmann::json::parse(expect_success({"--max", "10^6", "--format", "json", "--workers", "2"}));
  EXPECT_EQ(million["histogram"], published(1000000));
  EXPECT_EQ(million["mode"], "threads");
  EXPECT_EQ(million["workers"], 2);
}

TEST(EndToEnd, ShortRunsTakeOneWorkerUnlessTold) {
  // A second thread and its kernel would cost more than they save (app.cpp, default_workers).
  for (const Args& args : {Args{}, Args{"--max", "10^6", "--method", "sieve"}}) {
    Args json = args;
    json.insert(json.end(), {"--format", "json"});
    EXPECT_EQ(nlohmann::json::parse(expect_success(json))["workers"], 1) << describe(args);
  }
  const auto told = nlohmann::json::parse(expect_success({"--workers", "2", "--format", "json"}));
  EXPECT_EQ(told["workers"], 2);
  EXPECT_EQ(told["histogram"], published(500000));
  // The estimate is the sieve's: the trial kernel, thousands of times slower, takes every core.
  const auto trial = nlohmann::json::parse(
      expect_success({"--max", "10^5", "--kernel", "trial", "--format", "json"}));
  EXPECT_EQ(trial["workers"], available_cores());
  EXPECT_EQ(trial["histogram"], published(100000));
}

TEST(EndToEnd, CsvFormat) {
  EXPECT_EQ(expect_success({"s", "10", "--format", "csv"}), "k,count\n1,7\n2,2\n");
  std::string expected = "k,count\n";
  const nlohmann::json seed_job = published(500000);  // keys "1".."6": sorted as strings is sorted
  for (const auto& [k, v] : seed_job.items()) expected += k + "," + std::to_string(v.get<u64>()) + "\n";
  EXPECT_EQ(expect_success({"--format=csv"}), expected);
}

TEST(EndToEnd, TableFormat) {
  const std::string out = expect_success({"--format", "table"});
  EXPECT_NE(out.find("count"), std::string::npos) << out;
  const nlohmann::json seed_job = published(500000);
  for (const auto& [k, v] : seed_job.items())
    EXPECT_NE(out.find(std::to_string(v.get<u64>())), std::string::npos) << k << " missing:\n" << out;
  EXPECT_NE(out.find('%'), std::string::npos) << out;
  EXPECT_EQ(expect_success({"--format", "dict", "s", "10"}), "{1: 7, 2: 2}\n");
}

TEST(EndToEnd, HelpAndVersion) {
  const std::string help = expect_success({"--help"});
  for (const char* word : {"--min", "--max", "--mode", "--workers", "--chunk", "--kernel", "--count",
                           "--format", "--help", "--version", "serial", "threads", "sieve", "trial",
                           "distinct", "total", "dict", "json", "table", "csv", "2^64-1"})
    EXPECT_NE(help.find(word), std::string::npos) << "--help does not mention " << word;
  EXPECT_EQ(expect_success({"-h"}), help);
  EXPECT_EQ(expect_success({"s", "10", "--help"}), help);
  // The version, then what the build has: MPI mode, the sieve's vector path, primesieve's version.
  const std::string version = expect_success({"--version"});
  EXPECT_TRUE(version.starts_with(std::string("numfactors ") + NUMFACTORS_VERSION + "\n")) << version;
#ifdef NUMFACTORS_HAVE_MPI
  EXPECT_NE(version.find("\nMPI mode: built (numfactors-mpi, "), std::string::npos) << version;
#else
  EXPECT_NE(version.find("\nMPI mode: not built\n"), std::string::npos) << version;
#endif
  EXPECT_NE(version.find("\nsieve: "), std::string::npos) << version;
  EXPECT_NE(version.find("\nprimesieve " + std::string(primesieve::primesieve_version()) + "\n"),
            std::string::npos)
      << version;
}

struct BadInput {
  Args args;
  std::string says;  // a word the message must contain
};

TEST(EndToEnd, EveryBadInputExitsWithStatus2AndOneLine) {
  const std::vector<BadInput> bad = {
      {{"--max", "abc"}, "not a number"},
      {{"--min", "-5"}, "negative"},
      {{"s", "-5"}, "negative"},
      {{"--max", "10^12-10^13"}, "negative"},
      {{"--min", "0"}, "at least 1"},
      {{"s", "0"}, "at least 1"},
      {{"--min", "10", "--max", "5"}, "greater than"},
      {{"--max", "2^64"}, "beyond 2^64-1"},
      {{"--max", "18446744073709551616"}, "beyond 2^64-1"},
      {{"--max", "1e20"}, "beyond 2^64-1"},
      {{"s", "1.5"}, "not an integer"},
      {{"--max", "12,000"}, "separator"},
      {{"--max", ""}, "missing value"},
      {{"--mode", "fast"}, "unknown mode"},
      {{"s", "--workers", "2"}, "--workers 2 with serial mode, which runs one worker"},
      {{"--mode", "thread"}, "did you mean 'threads'?"},
      {{"x"}, "unknown mode"},
      {{"--kernel", "bucket"}, "unknown kernel"},
      {{"--kernel", "wheel", "--max", "2^62"}, "up to 2^62-1"},
      {{"--kernel", "wheel", "--min", "10^15", "--max", "10^15+10^9"}, "ranges near 1"},
      {{"--count", "all"}, "unknown count"},
      {{"--format", "xml"}, "unknown format"},
      {{"--format", "jsn"}, "did you mean 'json'?"},
      {{"--max"}, "missing value"},
      {{"--workers"}, "missing value"},
      {{"--format", "--max", "10"}, "missing value"},
      {{"--fromat", "json"}, "did you mean '--format'?"},
      {{"--bogus"}, "unknown option"},
      {{"-x"}, "unknown option"},
      {{"--help=1"}, "no value"},
      {{"s", "10", "20", "30"}, "unexpected argument"},
      {{"20", "10"}, "greater than"},
      {{"s", "10", "--max", "20"}, "twice"},
      {{"--workers", "0"}, "--workers"},
      {{"--chunk", "0"}, "--chunk"},
      {{"--workers", "1.5"}, "not an integer"},
  };
  for (const BadInput& b : bad) {
    const test::Finished o = numfactors(b.args);
    EXPECT_EQ(o.status, 2) << describe(b.args);
    EXPECT_EQ(o.out, "") << describe(b.args);
    EXPECT_TRUE(o.err.starts_with("numfactors: error: ")) << describe(b.args) << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << describe(b.args) << ": " << o.err;
    EXPECT_TRUE(o.err.ends_with("\n")) << describe(b.args) << ": " << o.err;
    EXPECT_NE(o.err.find(b.says), std::string::npos) << describe(b.args) << ": " << o.err;
  }
}

}  // namespace
}  // namespace numfactors
