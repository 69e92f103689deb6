/// @file mpi_app_test.cpp
/// @brief run_mpi_app on every rank, as main calls it under mpiexec: rank 0 alone parses, bad
/// input is reported once and every rank returns 2, only rank 0 writes the report, the JSON report
/// and the timeline file hold every rank's workers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/communicator.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../known_answers.hpp"
#include "cli/app.hpp"
#include "exec/executor.hpp"
#include "exec/mpi.hpp"
#include "test_session.hpp"

namespace numfactors {
namespace {

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome run_everywhere(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = run_mpi_app(test::test_session(), args, out, err);
  return {status, out.str(), err.str()};
}

int rank() { return test::test_session().rank(); }

TEST(MpiApp, TheRanksOfAMachineShareItsMemory) {
  // These tests start every rank on this machine (Open MPI's launcher says how many it started
  // here). Each rank says what it has; the least share of it, times the ranks of a machine, is
  // what the planner weighs the ranks' workers against.
  const int size = test::test_session().size();
  const u64 gib = u64{1} << 30, k = static_cast<u64>(rank());
  if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) {
    EXPECT_EQ(std::atoi(local), size);
  }
  Environment machine;
  machine.memory_available = (k + 1) * gib;
  machine.memory_limit = (static_cast<u64>(size) - k) * gib;  // a cgroup's
  machine.memory_limit_counts_mapped = false;
  Environment shared = share_machine_memory(machine);
  EXPECT_EQ(shared.ranks_per_machine, static_cast<unsigned>(size));
  EXPECT_EQ(shared.memory_available, gib / size * size);  // rank 0's, the least
  EXPECT_EQ(shared.memory_limit, gib / size * size);      // the last rank's
  // A rank that knows nothing (0) leaves the others' values; ulimit -v stays each rank's own.
  Environment address_space = machine;
  address_space.memory_available = k == 0 ? 0 : 4 * gib;
  address_space.memory_limit_counts_mapped = true;
  shared = share_machine_memory(address_space);
  EXPECT_EQ(shared.memory_available, size == 1 ? 0 : 4 * gib / size * size);
  EXPECT_EQ(shared.memory_limit, address_space.memory_limit);
  // A cgroup's limit beside ulimit -v is shared as it is alone.
  address_space.cgroup_limit = (k + 2) * gib;
  shared = share_machine_memory(address_space);
  EXPECT_EQ(shared.memory_limit, address_space.memory_limit);
  EXPECT_EQ(shared.cgroup_limit, 2 * gib / size * size);  // rank 0's, the least
}

TEST(MpiApp, BadInputIsReportedOnceAndEveryRankReturns2) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"i", "--max", "foo"}, {"i", "--max", "10^30"},
        {"--mode", "mpi", "--workers", "2"}, {"i", "--schedule", "sometimes"}, {"i", "5", "1"}}) {
    const Outcome o = run_everywhere(args);
    EXPECT_EQ(o.status, 2) << args[1];
    EXPECT_EQ(o.out, "");
    if (rank() == 0) {
      EXPECT_TRUE(o.err.starts_with("numfactors: error: ")) << o.err;
      EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    } else {
      EXPECT_EQ(o.err, "");
    }
  }
}

TEST(MpiApp, OnlyRankZeroWritesTheReport) {
  const Outcome o = run_everywhere({"i"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(o.out, rank() == 0 ? test::known_dict_line(2, 500000) : "");
  const Outcome help = run_everywhere({"i", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_EQ(help.out.empty(), rank() != 0);
}

TEST(MpiApp, JsonReportHasEveryRanksThreads) {
  const Outcome o = run_everywhere(
      {"--mode", "mpi", "--max", "10^6", "--threads", "2", "--schedule", "dynamic", "--format", "json"});
  EXPECT_EQ(o.status, 0);
  if (rank() != 0) return;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j.at("mode"), "mpi");
  const auto size = static_cast<std::size_t>(test::test_session().size());
  EXPECT_EQ(j.at("workers").get<std::size_t>(), 2 * size);
  ASSERT_EQ(j.at("worker_stats").size(), 2 * size);
  EXPECT_EQ(j.at("worker_stats").back().at("name"),
            "rank " + std::to_string(size - 1) + " thread 1");
  const Histogram known = test::known_histogram(2, 1000000);
  for (const auto& [k, n] : j.at("histogram").items())
    EXPECT_EQ(n.get<u64>(), known[static_cast<unsigned>(std::stoul(k))]) << k;
}

TEST(MpiApp, SlurmCpusPerTaskIsTheDefaultThreadsPerRank) {
  const char* before = std::getenv("SLURM_CPUS_PER_TASK");
  const std::string saved = before ? before : "";
  setenv("SLURM_CPUS_PER_TASK", "2", 1);
  const Outcome slurm = run_everywhere({"i", "--max", "10^6", "--format", "json"});
  const Outcome given = run_everywhere({"i", "--max", "10^6", "--format", "json", "--threads", "3"});
  setenv("SLURM_CPUS_PER_TASK", "two", 1);
  const Outcome unreadable = run_everywhere({"i", "--max", "10^6", "--format", "json"});
  if (before)
    setenv("SLURM_CPUS_PER_TASK", saved.c_str(), 1);
  else
    unsetenv("SLURM_CPUS_PER_TASK");
  EXPECT_EQ(slurm.status, 0);
  EXPECT_EQ(given.status, 0);
  if (rank() != 0) return;
  const auto size = static_cast<std::size_t>(test::test_session().size());
  // Slurm's CPUs per task, as many as this rank's cores (mpiexec may bind it to one); --threads
  // as given.
  EXPECT_EQ(nlohmann::json::parse(slurm.out).at("worker_stats").size(),
            std::min(2u, available_cores()) * size);
  EXPECT_EQ(slurm.err.find("SLURM_CPUS_PER_TASK is above") != std::string::npos,
            available_cores() < 2)
      << slurm.err;
  EXPECT_EQ(nlohmann::json::parse(given.out).at("worker_stats").size(), 3 * size);
  // Not a count: one thread a rank, and the note says why.
  EXPECT_EQ(unreadable.status, 0);
  EXPECT_EQ(nlohmann::json::parse(unreadable.out).at("worker_stats").size(), size);
  EXPECT_NE(unreadable.err.find("SLURM_CPUS_PER_TASK=two is not a count of CPUs: 1 thread a "
                                "rank (--threads sets more)"),
            std::string::npos)
      << unreadable.err;
}

/// The rows of a timeline CSV after its header: worker, start, end, lo, hi.
struct TimelineRow {
  std::string worker;
  double start = 0, end = 0;
  u64 lo = 0, hi = 0;
};

std::vector<TimelineRow> timeline_rows(const std::string& path, std::string* header = nullptr) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  if (header != nullptr) *header = line;
  std::vector<TimelineRow> rows;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string worker, start, end, lo, hi;
    std::getline(row, worker, ',');
    std::getline(row, start, ',');
    std::getline(row, end, ',');
    std::getline(row, lo, ',');
    std::getline(row, hi, ',');
    rows.push_back({worker, std::stod(start), std::stod(end), std::stoull(lo), std::stoull(hi)});
  }
  return rows;
}

TEST(MpiApp, RankZeroWritesTheTimeline) {
  // Only rank 0 reads the arguments; the path is its own.
  const boost::mpi::communicator world;
  int pid = static_cast<int>(getpid());
  boost::mpi::broadcast(world, pid, 0);
  const std::string path = testing::TempDir() + "numfactors_mpi_timeline_" + std::to_string(pid);
  const Outcome o = run_everywhere(
      {"i", "--max", "10^6", "--chunk", "50000", "--kernel", "sieve", "--timeline", path});
  EXPECT_EQ(o.status, 0);
  if (rank() != 0) return;
  std::string header;
  std::vector<std::pair<u64, u64>> ranges;
  for (const TimelineRow& row : timeline_rows(path, &header)) {
    EXPECT_TRUE(row.worker.starts_with("rank ") && row.worker.ends_with(" thread 0")) << row.worker;
    EXPECT_LE(row.start, row.end);
    ranges.emplace_back(row.lo, row.hi);
  }
  EXPECT_EQ(header, "worker,start,end,lo,hi");
  std::remove(path.c_str());
  std::sort(ranges.begin(), ranges.end());
  ASSERT_EQ(ranges.size(), 20u);  // [2, 10^6] in chunks of 50000
  u64 next = 2;
  for (const auto& [lo, hi] : ranges) {
    EXPECT_EQ(lo, next);
    next = hi + 1;
  }
  EXPECT_EQ(next, 1000001u);
}

TEST(MpiApp, AnAnalyticTimelineShowsWhatEachItemCovers) {
  // A walk item's row: the smallest and largest m = q1 q of its block of primes q, within
  // [1, MAX]; the item of 1, the primes and their powers is [1, 1]; every rank has rows.
  const boost::mpi::communicator world;
  int pid = static_cast<int>(getpid());
  boost::mpi::broadcast(world, pid, 0);
  const std::string path =
      testing::TempDir() + "numfactors_mpi_analytic_timeline_" + std::to_string(pid);
  // 10^12: long enough (about a second) that every rank, 3 sharing 2 cores, takes items.
  const Outcome o = run_everywhere({"i", "--min", "1", "--max", "10^12", "--method", "analytic",
                                    "--schedule", "dynamic", "--timeline", path});
  EXPECT_EQ(o.status, 0) << o.err;
  if (rank() != 0) return;
  std::set<std::string> workers;
  int rows = 0, roots = 0;
  for (const TimelineRow& row : timeline_rows(path)) {
    workers.insert(row.worker);
    ++rows;
    roots += row.lo == 1 && row.hi == 1;
    EXPECT_LE(row.lo, row.hi) << row.worker;
    EXPECT_LE(row.hi, 1'000'000'000'000u) << row.worker;
  }
  std::remove(path.c_str());
  EXPECT_EQ(roots, 1);  // one item holds 1, the primes and their powers
  EXPECT_GT(rows, 100);
  EXPECT_EQ(workers.size(), static_cast<std::size_t>(test::test_session().size()));
}

}  // namespace
}  // namespace numfactors
