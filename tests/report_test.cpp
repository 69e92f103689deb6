/// @file report_test.cpp
/// @brief The four report formats on histograms built by hand: dict is the seed's print(dict)
/// byte for byte, json parses (nlohmann) with exactly its fields and exact 64-bit integers, table
/// and csv carry every non-zero bin.
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "numfactors/format.hpp"

namespace numfactors {
namespace {

constexpr u64 kTop = std::numeric_limits<u64>::max();

RunResult result_of(const std::map<unsigned, u64>& bins) {
  RunResult r;
  for (const auto& [k, n] : bins) r.histogram.add(k, n);
  r.seconds = 0.25;
  r.cpu_seconds = 0.375;
  r.workers = {{"thread 0", 3, 5, 0.125}, {"thread 1", 2, 4, 0.0625}};
  return r;
}

/// A sieve job as the planner would settle it.
Job info_of(Range range, Count count, KernelKind kernel, Mode mode, unsigned workers) {
  Job job;
  job.range = range;
  job.count = count;
  job.kernel = kernel;
  job.mode = mode;
  job.workers = workers;
  return job;
}

const Job kSeedInfo = info_of({2, 10}, Count::distinct, KernelKind::sieve, Mode::serial, 1);

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Report, DictIsTheSeedOutput) {
  const RunResult r = result_of({{1, 7}, {2, 2}});
  EXPECT_EQ(format_report(Format::dict, kSeedInfo, r), "{1: 7, 2: 2}\n");
  EXPECT_EQ(format_dict(r.histogram), "{1: 7, 2: 2}");
}

TEST(Report, DictKeysAscendingOnlyNonZero) {
  Histogram h;
  EXPECT_EQ(format_dict(h), "{}");
  h.add(63, 5);
  h.add(0, 1);
  h.add(7, kTop);
  h.add(3, 0);
  EXPECT_EQ(format_dict(h), "{0: 1, 7: 18446744073709551615, 63: 5}");
}

TEST(Report, JsonHasExactlyItsFields) {
  const RunResult r = result_of({{1, 7}, {2, 2}});
  const std::string text = format_report(Format::json, kSeedInfo, r);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line: " << text;
  const auto j = nlohmann::json::parse(text);
  ASSERT_TRUE(j.is_object());
  std::set<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"min", "max", "count", "method", "kernel", "chunk_kernels",
                                         "mode", "workers", "seconds", "cpu_seconds", "histogram",
                                         "worker_stats"}));
  EXPECT_EQ(j["method"], "sieve");
  EXPECT_EQ(j["min"], 2);
  EXPECT_EQ(j["max"], 10);
  EXPECT_EQ(j["count"], "distinct");
  EXPECT_EQ(j["kernel"], "sieve");
  EXPECT_EQ(j["chunk_kernels"], nlohmann::json::parse(R"(["sieve"])"));
  EXPECT_EQ(j["mode"], "serial");
  EXPECT_EQ(j["workers"], 1);
  EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["cpu_seconds"].get<double>(), 0.375);
  EXPECT_EQ(j["histogram"], nlohmann::json::parse(R"({"1": 7, "2": 2})"));
  ASSERT_TRUE(j["worker_stats"].is_array());
  ASSERT_EQ(j["worker_stats"].size(), 2u);
  EXPECT_EQ(j["worker_stats"][0]["name"], "thread 0");
  EXPECT_EQ(j["worker_stats"][0]["chunks"], 3);
  EXPECT_EQ(j["worker_stats"][0]["numbers"], 5);
  EXPECT_DOUBLE_EQ(j["worker_stats"][1]["busy_seconds"].get<double>(), 0.0625);
}

TEST(Report, JsonSecondsAreGivenToTheMicrosecond) {
  RunResult r = result_of({{1, 7}, {2, 2}});
  r.seconds = 0.1 + 0.2;             // 0.30000000000000004
  r.cpu_seconds = 0.000214 - 1e-19;  // what a sum of times can be: 0.00021399999999999978
  r.workers[0].busy_seconds = 4.105999999999999e-06;
  const std::string json = format_report(Format::json, kSeedInfo, r);
  EXPECT_NE(json.find(R"("seconds":0.3,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("cpu_seconds":0.000214,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("busy_seconds":4e-06})"), std::string::npos) << json;
}

TEST(Report, JsonNamesEveryChoice) {
  const Job info = info_of({5, 6}, Count::total, KernelKind::trial, Mode::threads, 7);
  const auto j = nlohmann::json::parse(format_report(Format::json, info, result_of({{1, 1}, {2, 1}})));
  EXPECT_EQ(j["count"], "total");
  EXPECT_EQ(j["kernel"], "trial");
  EXPECT_EQ(j["mode"], "threads");
  EXPECT_EQ(j["workers"], 7);
}

TEST(Report, JsonIntegersAreExactNear2To64) {
  const Job info = info_of({kTop - 1, kTop}, Count::distinct, KernelKind::sieve, Mode::threads, 2);
  const RunResult r = result_of({{0, kTop - 2}, {5, kTop}});
  const std::string text = format_report(Format::json, info, r);
  // Written as integers, not as doubles (which would round 2^64-2 to 2^64).
  EXPECT_NE(text.find("18446744073709551614"), std::string::npos) << text;
  EXPECT_NE(text.find("18446744073709551615"), std::string::npos) << text;
  EXPECT_NE(text.find("18446744073709551613"), std::string::npos) << text;
  EXPECT_EQ(text.find("e+19"), std::string::npos) << text;
  EXPECT_EQ(text.find("E+19"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(text);
  EXPECT_TRUE(j["min"].is_number_unsigned());
  EXPECT_EQ(j["min"].get<u64>(), kTop - 1);
  EXPECT_EQ(j["max"].get<u64>(), kTop);
  EXPECT_EQ(j["histogram"]["0"].get<u64>(), kTop - 2);
  EXPECT_EQ(j["histogram"]["5"].get<u64>(), kTop);
  EXPECT_EQ(j["histogram"].size(), 2u);
}

TEST(Report, TableHasHeaderRowsAndShares) {
  const std::map<unsigned, u64> bins = {{1, 41724}, {2, 150785}, {3, 191810}, {4, 97676}, {5, 17312},
                                        {6, 692}};
  u64 total = 0;
  for (const auto& [k, n] : bins) total += n;
  const auto lines = lines_of(format_report(Format::table, kSeedInfo, result_of(bins)));
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find('k'), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("count"), std::string::npos) << lines[0];

  std::map<unsigned, u64> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    unsigned k = 0;
    unsigned long long n = 0;
    double share = 0;
    if (std::sscanf(lines[i].c_str(), "%u %llu %lf%%", &k, &n, &share) != 3) continue;
    EXPECT_TRUE(rows.emplace(k, n).second) << "key " << k << " twice";
    const double expected = 100.0 * static_cast<double>(n) / static_cast<double>(total);
    EXPECT_NEAR(share, expected, 0.0051) << lines[i];
    EXPECT_NE(lines[i].find('%'), std::string::npos) << lines[i];
  }
  EXPECT_EQ(rows, bins);
}

TEST(Report, TableOfOneBin) {
  const auto lines = lines_of(format_report(Format::table, kSeedInfo, result_of({{0, 1}})));
  unsigned k = 9;
  unsigned long long n = 0;
  double share = 0;
  bool found = false;
  for (const auto& line : lines)
    if (std::sscanf(line.c_str(), "%u %llu %lf%%", &k, &n, &share) == 3) found = true;
  ASSERT_TRUE(found);
  EXPECT_EQ(k, 0u);
  EXPECT_EQ(n, 1u);
  EXPECT_DOUBLE_EQ(share, 100.0);
}

TEST(Report, CsvHasHeaderAndOneRowPerBin) {
  EXPECT_EQ(format_report(Format::csv, kSeedInfo, result_of({{1, 7}, {2, 2}})), "k,count\n1,7\n2,2\n");
  EXPECT_EQ(format_report(Format::csv, kSeedInfo, result_of({{0, 1}, {63, kTop}})),
            "k,count\n0,1\n63,18446744073709551615\n");
}

}  // namespace
}  // namespace numfactors
