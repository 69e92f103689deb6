/// @file reference_test.cpp
/// @brief The published histograms in tests/data/omega_histograms.json: the sieve kernel through
/// the threads executor for every case (up to 10^8), the wheel likewise, the trial kernel for the
/// cases up to 10^6.
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "exec/executor.hpp"
#include "run_checks.hpp"

namespace numfactors {
namespace {

using test::run_plan;

struct KnownCase {
  Range range;
  Count count;
  Histogram histogram;
};

std::string describe(const KnownCase& c) {
  std::ostringstream s;  // not operator+ on strings: GCC 12 gives a false -Wrestrict there
  s << "[" << c.range.lo << ", " << c.range.hi << "] " << to_string(c.count);
  return s.str();
}

std::vector<KnownCase> known_cases() {
  const std::string path = std::string(NUMFACTORS_TEST_DATA) + "/omega_histograms.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  const auto j = nlohmann::json::parse(in);
  std::vector<KnownCase> cases;
  for (const auto& c : j.at("cases")) {
    KnownCase k{{c.at("lo").get<u64>(), c.at("hi").get<u64>()},
                c.at("count").get<std::string>() == "total" ? Count::total : Count::distinct,
                {}};
    for (const auto& [key, value] : c.at("histogram").items())
      k.histogram.add(static_cast<unsigned>(std::stoul(key)), value.get<u64>());
    cases.push_back(k);
  }
  return cases;
}

TEST(Reference, FileIsComplete) {
  const auto cases = known_cases();
  EXPECT_GE(cases.size(), 9u);
  bool has_seed_job = false;
  for (const KnownCase& c : cases) {
    // Every n in [lo, hi] is counted exactly once.
    EXPECT_EQ(c.histogram.total(), c.range.size()) << describe(c);
    if (c.range == Range{2, 500000} && c.count == Count::distinct) has_seed_job = true;
  }
  EXPECT_TRUE(has_seed_job);
}

RunResult run_case(const KnownCase& c, KernelKind kernel, unsigned workers) {
  const Plan plan = make_plan(c.range, c.count, kernel, 0, workers);
  RunOptions o;
  o.mode = Mode::threads;
  o.workers = workers;
  return run_plan(plan, o);
}

TEST(Reference, SieveThroughThreads) {
  for (const KnownCase& c : known_cases()) {
    const RunResult r = run_case(c, KernelKind::sieve, 2);
    EXPECT_EQ(r.histogram, c.histogram) << describe(c);
    EXPECT_EQ(r.histogram.total(), c.range.hi - c.range.lo + 1) << describe(c);
  }
}

TEST(Reference, WheelThroughThreads) {
  for (const KnownCase& c : known_cases()) {
    const RunResult r = run_case(c, KernelKind::wheel, 2);
    EXPECT_EQ(r.histogram, c.histogram) << describe(c);
  }
}

TEST(Reference, TrialThroughThreadsUpTo10To6) {
  int checked = 0;
  for (const KnownCase& c : known_cases()) {
    if (c.range.hi > 1000000) continue;
    const RunResult r = run_case(c, KernelKind::trial, 2);
    EXPECT_EQ(r.histogram, c.histogram) << describe(c);
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

TEST(Reference, SeedJobInEveryModeAndWorkerCount) {
  for (const KnownCase& c : known_cases()) {
    if (c.range != Range{2, 500000}) continue;
    RunOptions serial;
    serial.mode = Mode::serial;
    EXPECT_EQ(run_plan(make_plan(c.range, c.count, KernelKind::sieve, 0, 1), serial).histogram,
              c.histogram);
    for (unsigned workers = 1; workers <= 5; ++workers)
      EXPECT_EQ(run_case(c, KernelKind::sieve, workers).histogram, c.histogram) << workers;
  }
}

}  // namespace
}  // namespace numfactors
