/// @file cli_parallel_test.cpp
/// @brief The command line of the parallel modes: --threads, --schedule, --timeline and where they
/// apply; how main decides on MPI (the mode asked for, or the launcher's environment); and pool
/// mode end to end through the binary, including a worker killed from outside while it runs.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "numfactors/errors.hpp"
#include "cli/app.hpp"
#include "cli/launch.hpp"
#include "cli/options.hpp"
#include "exec/mpi.hpp"
#include "child_process.hpp"
#include "known_answers.hpp"

namespace numfactors {
namespace {

/// The error line that parsing and planning `args` give (run_app's, without its prefix), or
/// "(accepted)". MPI mode is planned for one rank, then refused as a build without MPI would.
std::string usage_error(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  if (run_app(args, out, err) != 2) return "(accepted)";
  std::string line = err.str();
  const std::string prefix = "numfactors: error: ";
  if (line.starts_with(prefix)) line.erase(0, prefix.size());
  if (line.ends_with("\n")) line.pop_back();
  return line;
}

TEST(ParallelOptions, ThreadsScheduleAndTimeline) {
  const Options o = parse_options(
      {"i", "--threads", "4", "--schedule", "dynamic", "--timeline=/tmp/t.csv"});
  EXPECT_EQ(o.request.mode, Mode::mpi);
  EXPECT_EQ(o.request.threads_per_rank, 4u);
  EXPECT_EQ(o.request.schedule, Schedule::dynamic);
  EXPECT_EQ(o.timeline, "/tmp/t.csv");
  const Options d = parse_options({});
  EXPECT_EQ(d.request.threads_per_rank, 0u);
  EXPECT_EQ(d.request.schedule, std::nullopt);
  EXPECT_EQ(d.timeline, "");
  EXPECT_EQ(parse_options({"m", "--timeline", "x.csv"}).timeline, "x.csv");
}

TEST(ParallelOptions, OptionsOutsideTheirModeAreErrors) {
  EXPECT_EQ(usage_error({"t", "--threads", "2"}),
            "--threads sets the threads of each MPI rank; in threads mode use --workers");
  EXPECT_EQ(usage_error({"--mode", "pool", "--schedule", "static"}),
            "--schedule applies to MPI mode; pool mode always hands out chunks on request");
  EXPECT_EQ(usage_error({"i", "--workers", "2"}),
            "--workers does not apply to MPI mode: mpiexec -n N sets the ranks and --threads T "
            "the threads of each rank");
  EXPECT_EQ(usage_error({"i", "--threads", "0"}), "--threads must be at least 1 (got '0')");
  EXPECT_EQ(usage_error({"i", "--threads", "5000"}), "--threads must be at most 4096 (got '5000')");
  EXPECT_EQ(usage_error({"i", "--schedule", "dynamik"}),
            "unknown schedule 'dynamik' (did you mean 'dynamic'?); choose one of static, dynamic");
  EXPECT_EQ(usage_error({"--timeline"}), "missing value for option '--timeline'");
  // Parsing takes any option; the planner, once the mode is settled (MPI under mpiexec, else
  // threads), says which do not apply.
  EXPECT_NO_THROW(parse_options({"--threads", "2"}));
  std::ostringstream out, err;
  EXPECT_EQ(run_app({"--threads", "2"}, out, err), 2);
  EXPECT_EQ(err.str(), "numfactors: error: --threads sets the threads of each MPI rank; in "
                       "threads mode use --workers\n");
  EXPECT_EQ(out.str(), "");
}

TEST(ParallelOptions, RequestedModeIsReadEvenFromABadCommandLine) {
  using V = std::vector<std::string>;
  EXPECT_EQ(requested_mode(V{"i"}), Mode::mpi);
  EXPECT_EQ(requested_mode(V{"i", "--max", "foo"}), Mode::mpi);
  EXPECT_EQ(requested_mode(V{"--max", "10", "i"}), Mode::mpi);
  EXPECT_EQ(requested_mode(V{"--mode", "mpi", "--bogus"}), Mode::mpi);
  EXPECT_EQ(requested_mode(V{"--mode=pool"}), Mode::pool);
  EXPECT_EQ(requested_mode(V{"m", "1e6"}), Mode::pool);
  EXPECT_EQ(requested_mode(V{"--timeline", "i"}), std::nullopt);  // "i" is the file name
  EXPECT_EQ(requested_mode(V{"10", "i"}), std::nullopt);           // "i" is not first
  EXPECT_EQ(requested_mode(V{}), std::nullopt);
  EXPECT_EQ(requested_mode(V{"--mode", "mip"}), std::nullopt);
}

/// Sets (or, given nullopt, removes) environment variables for one scope, then restores them.
class ScopedEnvironment {
 public:
  using Var = std::pair<std::string, std::optional<std::string>>;
  ScopedEnvironment(std::initializer_list<Var> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      set(name, value);
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : saved_) set(name, value);
  }

 private:
  static void set(const std::string& name, const std::optional<std::string>& value) {
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  std::vector<Var> saved_;
};

TEST(ParallelOptions, MpiByItselfOnlyUnderALauncherWithMoreThanOneRank) {
  // As if started by hand, whatever started this test.
  const ScopedEnvironment plain({{"OMPI_COMM_WORLD_SIZE", std::nullopt},
                                 {"PMI_SIZE", std::nullopt},
                                 {"PMIX_RANK", std::nullopt},
                                 {"SLURM_STEP_NUM_TASKS", std::nullopt}});
  EXPECT_EQ(launcher_world_size(), 0u);
  EXPECT_FALSE(mpi_wanted({}));
  EXPECT_TRUE(mpi_wanted({"i"}));
  {
    const ScopedEnvironment env({{"OMPI_COMM_WORLD_SIZE", "3"}});
    EXPECT_EQ(launcher_world_size(), 3u);
    EXPECT_TRUE(mpi_wanted({"--max", "100"}));
    EXPECT_FALSE(mpi_wanted({"s"}));  // a mode given is obeyed, even under mpiexec
  }
  {
    const ScopedEnvironment env({{"OMPI_COMM_WORLD_SIZE", "1"}});
    EXPECT_FALSE(mpi_wanted({}));
  }
  {
    const ScopedEnvironment env({{"PMI_SIZE", "4"}});
    EXPECT_EQ(launcher_world_size(), 4u);
  }
  {
    const ScopedEnvironment env({{"PMIX_RANK", "0"}, {"SLURM_STEP_NUM_TASKS", "2"}});
    EXPECT_EQ(launcher_world_size(), 2u);
  }
  {
    const ScopedEnvironment env({{"SLURM_STEP_NUM_TASKS", "2"}});  // srun without PMIx: no MPI
    EXPECT_EQ(launcher_world_size(), 0u);
  }
}

TEST(ParallelOptions, LaunchesThatWouldRunTheJobSeveralTimesAreRefused) {
  const ScopedEnvironment plain({{"OMPI_COMM_WORLD_SIZE", std::nullopt},
                                 {"OMPI_COMM_WORLD_RANK", std::nullopt},
                                 {"PMI_SIZE", std::nullopt},
                                 {"PMI_RANK", std::nullopt},
                                 {"PMIX_RANK", std::nullopt},
                                 {"SLURM_PROCID", std::nullopt},
                                 {"SLURM_STEP_NUM_TASKS", std::nullopt}});
  EXPECT_EQ(launch_problem(current_launch(), std::nullopt), std::nullopt);
  EXPECT_EQ(launch_problem(current_launch(), Mode::threads), std::nullopt);
  {
    // srun -n 2 without --mpi=pmix: two tasks MPI cannot join.
    const ScopedEnvironment srun({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "1"}});
    const Launch l = current_launch();
    EXPECT_EQ(l.tasks, 2u);
    EXPECT_EQ(l.index, 1u);
    EXPECT_FALSE(l.mpi_wired);
    for (const auto mode : {std::optional<Mode>{}, std::optional<Mode>{Mode::mpi}})
      EXPECT_NE(launch_problem(l, mode).value_or("").find("srun --mpi=pmix"), std::string::npos);
  }
  {
    // mpiexec -n 3 with a mode that is not MPI: the job three times.
    const ScopedEnvironment mpiexec({{"OMPI_COMM_WORLD_SIZE", "3"}, {"OMPI_COMM_WORLD_RANK", "0"}});
    EXPECT_EQ(launch_problem(current_launch(), std::nullopt), std::nullopt);
    EXPECT_EQ(launch_problem(current_launch(), Mode::mpi), std::nullopt);
    EXPECT_EQ(launch_problem(current_launch(), Mode::pool).value_or(""),
              "--mode pool under a launcher of 3 ranks would run the whole range 3 times: give "
              "no mode (MPI is then the default) or one rank");
  }
  // The binary: one line from task 0, nothing from the others, status 2 from each.
  for (const std::string task : {"0", "1"}) {
    const ScopedEnvironment srun({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", task}});
    const test::Finished f = test::run_program(NUMFACTORS_BINARY, {"--max", "1000"});
    EXPECT_EQ(f.status, 2);
    EXPECT_EQ(f.out, "");
    if (task == "0")
      EXPECT_TRUE(f.err.starts_with("numfactors: error: srun started 2 tasks")) << f.err;
    else
      EXPECT_EQ(f.err, "");
  }
}

// run_app is what a build without MPI runs for every mode: it says MPI is missing.
TEST(ParallelOptions, MpiModeSaysItWasBuiltWithoutMpi) {
  std::ostringstream out, err;
  EXPECT_EQ(run_app({"i"}, out, err), 2);
  EXPECT_NE(err.str().find("built without MPI"), std::string::npos) << err.str();
  EXPECT_EQ(out.str(), "");
}

TEST(PoolEndToEnd, PrintsTheAssignmentsDictionary) {
  const test::Finished f = test::run_program(NUMFACTORS_BINARY, {"m"});
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, test::known_dict_line(2, 500000));
  EXPECT_EQ(f.err, "");
}

/// The CSV rows of a timeline file, without the header (checked here).
std::vector<std::vector<std::string>> timeline_rows(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "worker,start,end,lo,hi");
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    EXPECT_EQ(cells.size(), 5u) << line;
    rows.push_back(cells);
  }
  return rows;
}

TEST(PoolEndToEnd, JsonStatisticsAndTimelineAgreeForPoolAndThreads) {
  const std::string path = testing::TempDir() + "numfactors_timeline_" + std::to_string(getpid());
  for (const std::string mode : {"pool", "threads"}) {
    const test::Finished f = test::run_program(
        NUMFACTORS_BINARY, {"--mode", mode, "--max", "10^6", "--workers", "3", "--chunk", "40000",
                            "--kernel", "sieve", "--format", "json", "--timeline", path});
    ASSERT_EQ(f.status, 0) << f.err;
    const auto j = nlohmann::json::parse(f.out);
    const Histogram known = test::known_histogram(2, 1000000);
    for (const auto& [k, n] : j.at("histogram").items())
      EXPECT_EQ(n.get<u64>(), known[static_cast<unsigned>(std::stoul(k))]) << mode << " " << k;
    ASSERT_EQ(j.at("worker_stats").size(), 3u);
    std::set<std::string> names;
    u64 chunks = 0;
    for (const auto& w : j.at("worker_stats")) {
      names.insert(w.at("name").get<std::string>());
      chunks += w.at("chunks").get<u64>();
    }
    EXPECT_EQ(names.count(mode == "pool" ? "process 2" : "thread 2"), 1u);
    const auto rows = timeline_rows(path);
    EXPECT_EQ(rows.size(), 25u);  // [2, 10^6] in chunks of 40000
    EXPECT_EQ(chunks, rows.size());
    u64 numbers = 0;
    for (const auto& row : rows) {
      EXPECT_EQ(names.count(row.at(0)), 1u) << row.at(0);
      EXPECT_LE(std::stod(row.at(1)), std::stod(row.at(2)));
      numbers += std::stoull(row.at(4)) - std::stoull(row.at(3)) + 1;
    }
    EXPECT_EQ(numbers, 999999u);
  }
  std::remove(path.c_str());
}

TEST(PoolEndToEnd, AWorkerKilledFromOutsideLosesNothing) {
  test::ChildProcess run(NUMFACTORS_BINARY,
                         {"m", "--max", "10^8", "--workers", "2", "--chunk", "2^20"});
  // Stop the first worker seen, so that the run cannot finish before it is killed: the parent
  // waits for the chunk it holds. Then kill it.
  std::vector<pid_t> workers;
  for (int tries = 0; tries < 20000 && workers.empty(); ++tries) {
    workers = test::children_named(run.pid(), "numfactors");
    if (workers.empty()) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ASSERT_FALSE(workers.empty()) << "no worker process appeared";
  kill(workers[0], SIGSTOP);
  kill(workers[0], SIGKILL);
  const test::Finished f = run.wait(120);
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, test::known_dict_line(2, 100000000));
  EXPECT_NE(f.err.find("numfactors: warning: process "), std::string::npos) << f.err;
  EXPECT_NE(f.err.find("(pid " + std::to_string(workers[0]) + ") was lost (killed by signal 9"),
            std::string::npos)
      << f.err;
}

TEST(PoolEndToEnd, BadInputIsOneLineAndStatus2) {
  const test::Finished f = test::run_program(NUMFACTORS_BINARY, {"m", "--schedule", "dynamic"});
  EXPECT_EQ(f.status, 2);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(f.err, "numfactors: error: --schedule applies to MPI mode; pool mode always hands "
                   "out chunks on request\n");
}

}  // namespace
}  // namespace numfactors
