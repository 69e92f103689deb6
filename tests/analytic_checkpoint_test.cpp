/// @file analytic_checkpoint_test.cpp
/// @brief --checkpoint with --method analytic: a run stopped after any number of items and
/// resumed (in another mode too) runs only the items not journaled and ends with the histogram of
/// an uninterrupted run; impossible records are refused; `auto` resumes with the method that
/// wrote the file; the binary killed with SIGKILL at random moments, then resumed, is exact.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/options.hpp"
#include "core/analytic.hpp"
#include "exec/checkpoint.hpp"
#include "exec/table_state.hpp"
#include "job_helpers.hpp"
#include "numfactors/errors.hpp"
#include "resume_helpers.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

/// A journal and the table states beside it, removed.
void remove_journal(const std::string& path) {
  std::remove(path.c_str());
  const std::filesystem::path p(path);
  for (const auto& e : std::filesystem::directory_iterator(p.parent_path()))
    if (e.path().filename().string().starts_with(p.filename().string() + ".table-"))
      std::filesystem::remove(e.path());
}

std::string fresh_path(const std::string& name) {
  const std::string path = "/tmp/numfactors_analytic_ckpt_" + std::to_string(getpid()) + "_" + name;
  remove_journal(path);
  return path;
}

Job job_for(const Range& r, Count count, Mode mode) {
  return test::analytic_job(r, count, mode, 2);
}

Hooks journaled(const std::string& path) {
  Hooks hooks;
  hooks.checkpoint = path;
  return hooks;
}

u64 items_run(const RunResult& r) {
  u64 items = 0;
  for (const WorkerStats& w : r.workers) items += w.chunks;
  return items;
}

// Stops after a random number of items, resumes in another mode from the journal, and checks
// that the items run add up to the walk's and the histogram to the uninterrupted one.
TEST(AnalyticCheckpoint, StoppedRunsResumeWithoutRedoingItems) {
  std::mt19937_64 rng(test::test_seed(61));
  const std::vector<Range> ranges = {{2, 3'000'000'000}, {1'000'000'007, 4'000'000'000},
                                     {1, 10'000'000}, {999'999, 1'000'000}};
  const Mode modes[] = {Mode::serial, Mode::threads, Mode::pool};
  for (const Range& r : ranges)
    for (const Count count : {Count::distinct, Count::total}) {
      std::ostringstream what;  // (a stream: GCC 12 warns wrongly about this chain of + here)
      what << "[" << r.lo << ", " << r.hi << "] " << to_string(count);
      SCOPED_TRACE(what.str());
      const RunResult whole = run(job_for(r, count, Mode::threads));
      ASSERT_EQ(whole.histogram.total(), r.size());
      const u64 items = items_run(whole);
      ASSERT_GT(items, 1u);
      const std::string path = fresh_path("stopped");

      // Cancel once a random share of the work is done (a few more items finish meanwhile;
      // sometimes the share falls in a table build, and no item of its stage runs).
      const double share = 0.05 + 0.9 * static_cast<double>(rng() % 1000) / 1000.0;
      const Mode first = modes[rng() % 3], second = modes[rng() % 3];
      SCOPED_TRACE("cancel at " + std::to_string(share) + " of the work in " + to_string(first) +
                   ", resume in " + to_string(second));
      u64 saved = 0;
      {
        CancelToken cancel;
        Hooks hooks = journaled(path);
        hooks.cancel = &cancel;
        hooks.progress = [&](const Progress& p) {
          if (p.done >= share * p.total) cancel.cancel(SIGTERM);
        };
        const RunResult cut = run(job_for(r, count, first), hooks);
        saved = cut.saved_tasks;
        EXPECT_EQ(saved, items_run(cut));  // every item run is journaled
        if (cut.interrupted == 0) EXPECT_EQ(saved, items);  // cancelled after the last item
        else EXPECT_EQ(cut.interrupted, SIGTERM);
      }
      {
        const RunResult resumed = run(job_for(r, count, second), journaled(path));
        EXPECT_EQ(resumed.interrupted, 0);
        EXPECT_EQ(resumed.histogram, whole.histogram);
        EXPECT_EQ(items_run(resumed), items - saved);
        EXPECT_EQ(resumed.resumed_tasks, saved);
        EXPECT_EQ(resumed.saved_tasks, items);
      }
      {
        // Everything journaled: nothing is run again, and no table is built (a build would
        // report work done beyond what was skipped before the end).
        Hooks again_hooks = journaled(path);
        int built = 0;
        again_hooks.progress = [&](const Progress& p) {
          built += p.done > p.skipped + 1e-9 * p.total && p.done < p.total;
        };
        const RunResult again = run(job_for(r, count, second), again_hooks);
        EXPECT_EQ(again.histogram, whole.histogram);
        EXPECT_EQ(items_run(again), 0u);
        EXPECT_EQ(built, 0) << "a table was built for a finished stage";
      }
      remove_journal(path);
    }
}

TEST(AnalyticCheckpoint, AStoppedTableBuildIsSavedAndTheNextRunGoesOnFromIt) {
  const Range r{2, 1'000'000'000'000};
  const std::string path = fresh_path("table");
  const std::string state = TableState::path_for(path, r.hi);
  const RunResult whole = run(job_for(r, Count::distinct, Mode::threads));

  // Cancelled in its table build (the first 45% of the work): no item ran, the rounds built are
  // saved beside the journal.
  CancelToken cancel;
  Hooks hooks = journaled(path);
  hooks.cancel = &cancel;
  double at_cancel = 0;
  hooks.progress = [&](const Progress& p) {
    if (p.done >= 0.2 * p.total && cancel.reason() == 0) {
      at_cancel = p.done;
      cancel.cancel(SIGTERM);
    }
  };
  const RunResult cut = run(job_for(r, Count::distinct, Mode::threads), hooks);
  EXPECT_EQ(cut.interrupted, SIGTERM);
  EXPECT_EQ(cut.saved_tasks, 0u);
  PrimeCountTable probe(r.hi);
  const std::optional<std::size_t> rounds = TableState::rounds_in(state, probe);
  ASSERT_TRUE(rounds.has_value());
  EXPECT_GT(*rounds, 0u);
  EXPECT_LT(*rounds, probe.rounds());

  // A damaged state (a block altered, a file cut short as a power cut may leave it) is not
  // trusted: the run says so and builds the table anew, and ends exact. Tried on copies.
  const std::string good = test::read_file(state);
  std::vector<std::string> damaged = {good, good.substr(0, good.size() / 2), "",
                                      std::string(good.size(), '\0'), good};
  damaged[0][good.size() - 5] ^= 1;
  // The header's rounds, one fewer: the keys would be read as a state they are not.
  const std::size_t at = good.find(" of=");
  damaged[4] = good.substr(0, at - 1) + char(good[at - 1] == '0' ? '9' : good[at - 1] - 1) +
               good.substr(at);
  for (const std::string& bad : damaged) {
    const std::size_t keep = bad.size();
    const std::string copy = fresh_path("table_damaged");
    std::filesystem::copy_file(path, copy);
    std::ofstream(TableState::path_for(copy, r.hi), std::ios::binary) << bad;
    Hooks hooks = journaled(copy);
    std::string warned;
    hooks.warn = [&](const std::string& message) { warned += message; };
    const RunResult rebuilt = run(job_for(r, Count::distinct, Mode::serial), hooks);
    EXPECT_EQ(rebuilt.histogram, whole.histogram) << keep;
    EXPECT_NE(warned.find("table state '" + TableState::path_for(copy, r.hi) + "' "),
              std::string::npos)
        << warned;
    EXPECT_NE(warned.find(": the table is built anew"), std::string::npos) << warned;
    remove_journal(copy);
  }
  EXPECT_EQ(test::read_file(state), good);

  // The next run starts its build where the first stopped: its first word on progress is
  // already past what the first run had reported, and it ends exact, leaving no state behind.
  double first_report = -1;
  Hooks again = journaled(path);
  again.progress = [&](const Progress& p) {
    if (first_report < 0) first_report = p.done;
  };
  const RunResult resumed = run(job_for(r, Count::distinct, Mode::threads), again);
  EXPECT_EQ(resumed.interrupted, 0);
  EXPECT_EQ(resumed.histogram, whole.histogram);
  EXPECT_GE(first_report, 0.9 * at_cancel);
  EXPECT_FALSE(std::filesystem::exists(state));
  remove_journal(path);
}

TEST(AnalyticCheckpoint, AStateOfAnotherTableIsRefused) {
  const std::string path = fresh_path("other_table");
  PrimeCountTable small(1'000'000);
  small.build();
  // Written as the state of [1, 10^6], put where [1, 10^7]'s belongs.
  TableState::save(TableState::path_for(path, 10'000'000), small, small.rounds());
  EXPECT_THROW(run(job_for({2, 10'000'000}, Count::distinct, Mode::serial), journaled(path)),
               CheckpointError);
  remove_journal(path);
}

// A journal of a version before balanced items holds items exact in every bin: a run that
// resumes it goes on with such items, as a sum of both kinds would be wrong in two bins.
TEST(AnalyticCheckpoint, AJournalOfExactItemsGoesOnWithExactItems) {
  const Range r{1'000'000'007, 4'000'000'000};
  const std::string path = fresh_path("exact_items");
  for (const Count count : {Count::distinct, Count::total}) {
    SCOPED_TRACE(to_string(count));
    const Job job = job_for(r, count, Mode::threads);
    const RunResult whole = run(job);
    // The earlier version's file: its header without items=balanced, and exact records of
    // every third item of both prefixes (task k of prefix part is record 2 k + part).
    JournalFormat format = JournalFormat::of(job);
    CheckpointHeader header = CheckpointHeader::of(job);
    ASSERT_TRUE(header.balanced_items);
    header.balanced_items = false;
    format.header = header.text();
    u64 recorded = 0;
    Histogram mixed;  // the records, and the other items balanced: what a run must not add up
    {
      Checkpoint journal(path, format);
      for (unsigned part = 0; part < 2; ++part) {
        PrimeCountTable table(part == 0 ? r.hi : r.lo - 1);
        table.build();
        const AnalyticWalk walk(table);
        Histogram prefix;
        for (std::size_t k = 0; k < walk.item_count(); ++k) {
          if (k % 3 == 0) {
            const Histogram exact = walk.run_item(k).of(count);
            journal.record(2 * k + part, exact);
            prefix += exact;
            ++recorded;
          } else {
            prefix += walk.run_item(k, count);
          }
        }
        if (part == 0)
          mixed += prefix;
        else
          mixed -= prefix;
      }
    }
    ASSERT_NE(mixed, whole.histogram) << "the test would not see a sum of both kinds";
    const RunResult resumed = run(job, journaled(path));
    EXPECT_EQ(resumed.histogram, whole.histogram);
    EXPECT_EQ(resumed.resumed_tasks, recorded);
    EXPECT_EQ(items_run(resumed) + recorded, items_run(whole));
    EXPECT_EQ(CheckpointHeader::read(path), header);  // the file is still the earlier version's
    remove_journal(path);
  }
  // A run's own new journal says its items are balanced.
  run(job_for({2, 1'000'000}, Count::distinct, Mode::serial), journaled(path));
  const auto written = CheckpointHeader::read(path);
  ASSERT_TRUE(written.has_value());
  EXPECT_TRUE(written->balanced_items);
  remove_journal(path);
}

TEST(AnalyticCheckpoint, RecordsTheRunCannotHaveWrittenAreRefused) {
  const Range r{2, 1'000'000};
  const std::string path = fresh_path("impossible");
  Histogram one;
  one.add(1, 1);
  {
    Checkpoint journal(path, JournalFormat::of(job_for(r, Count::distinct, Mode::serial)));
    journal.record(2 * 1'000'000, one);  // item 10^6 of [1, 10^6]: the walk has far fewer
  }
  {
    EXPECT_THROW(run(job_for(r, Count::distinct, Mode::serial), journaled(path)),
                 CheckpointError);
  }
  std::remove(path.c_str());
  {
    Checkpoint journal(path, JournalFormat::of(job_for({5, 1'000'000}, Count::distinct, Mode::serial)));
    journal.record(3, one);  // prefix [1, 4] exists for lo = 5
  }
  EXPECT_NO_THROW(Checkpoint(path, JournalFormat::of(job_for({5, 1'000'000}, Count::distinct, Mode::serial))));
  // For lo = 1 there is no second prefix, and another range or count is another run.
  EXPECT_THROW(Checkpoint(path, JournalFormat::of(job_for({1, 1'000'000}, Count::distinct, Mode::serial))), CheckpointError);
  EXPECT_THROW(Checkpoint(path, JournalFormat::of(job_for({5, 1'000'000}, Count::total, Mode::serial))), CheckpointError);
  std::remove(path.c_str());
  {
    Checkpoint journal(path, JournalFormat::of(job_for({1, 1'000'000}, Count::distinct, Mode::serial)));
    journal.record(3, one);
  }
  EXPECT_THROW(Checkpoint(path, JournalFormat::of(job_for({1, 1'000'000}, Count::distinct, Mode::serial))), CheckpointError);
  std::remove(path.c_str());
}

TEST(AnalyticCheckpoint, AutoResumesWithTheMethodAndKernelThatWroteTheFile) {
  const std::string path = fresh_path("auto");
  const auto planned = [&](const std::vector<std::string>& args) {
    std::vector<std::string> with = args;
    with.insert(with.end(), {"--checkpoint", path});
    return plan_for(parse_options(with), current_environment());
  };
  const auto method_for = [&](const std::string& min, const std::string& max) {
    return planned({"--min", min, "--max", max}).method;
  };
  // No file yet: the cost model decides.
  EXPECT_EQ(method_for("2", "1e12"), Method::analytic);
  EXPECT_EQ(method_for("10^12", "10^12+10^6"), Method::sieve);
  EXPECT_EQ(planned({"--max", "1e12", "--method", "sieve"}).kernel, KernelKind::wheel);
  { Checkpoint sieve(path, make_plan({2, 1'000'000'000'000}, Count::distinct, KernelKind::sieve, 0, 2)); }
  EXPECT_EQ(method_for("2", "1e12"), Method::sieve);
  // ...and chunks of numbers, as it wrote them, though the wheel is the default for this range
  // now: the automatic kernel, which counts any chunk of numbers as the sieve did.
  EXPECT_EQ(planned({"--max", "1e12"}).kernel, KernelKind::automatic);
  EXPECT_EQ(planned({"--max", "1e12"}).chunk_size,
            make_plan({2, 1'000'000'000'000}, Count::distinct, KernelKind::sieve, 0, 2).chunk_size);
  std::remove(path.c_str());
  {
    // A wheel journal cannot make a window far from 1 take the wheel (the file is refused later).
    Checkpoint wheel(path, make_plan({2, 1'000'000}, Count::distinct, KernelKind::wheel, 0, 2));
  }
  EXPECT_EQ(planned({"--min", "1e12", "--max", "1e12+1e6"}).kernel, KernelKind::automatic);
  std::remove(path.c_str());
  {
    Checkpoint analytic(path, JournalFormat::of(job_for({1'000'000'000'000, 1'000'001'000'000},
                                                        Count::distinct, Mode::serial)));
  }
  EXPECT_EQ(method_for("10^12", "10^12+10^6"), Method::analytic);
  std::remove(path.c_str());
  EXPECT_NO_THROW(planned({"--method", "analytic"}));
}

// [10^11 + 3, 10^12]: two prefixes, about 12,000 + 5,000 items, a second or so on 2 threads.
const std::vector<std::string> kJob = {"--min", "10^11+3", "--max", "10^12", "--method",
                                       "analytic", "--format", "json"};

std::vector<std::string> job(const std::vector<std::string>& mode, const std::string& path) {
  std::vector<std::string> args = mode;
  args.insert(args.end(), kJob.begin(), kJob.end());
  args.insert(args.end(), {"--checkpoint", path});
  return args;
}

/// The histogram of a JSON report (its seconds and worker statistics differ from run to run).
nlohmann::json histogram_of(const std::string& report) {
  return nlohmann::json::parse(report).at("histogram");
}

TEST(AnalyticCheckpointEndToEnd, KilledAtRandomMomentsThenResumedIsExact) {
  std::mt19937_64 random(test::test_seed(62));
  std::vector<std::string> plain = {"s"};
  plain.insert(plain.end(), kJob.begin(), kJob.end());
  const test::Finished whole = test::run_program(NUMFACTORS_BINARY, plain);
  ASSERT_EQ(whole.status, 0) << whole.err;
  const nlohmann::json expected = histogram_of(whole.out);
  int items = 0;
  const nlohmann::json report = nlohmann::json::parse(whole.out);
  for (const auto& w : report.at("worker_stats")) items += w.at("chunks").get<int>();

  const std::string path = fresh_path("killed");
  const std::vector<std::vector<std::string>> modes = {{"t"}, {"m", "--workers", "2"}, {"s"},
                                                       {"t", "--workers", "3"}};
  int killed = 0;
  for (const auto& mode : modes) {
    test::ChildProcess child(NUMFACTORS_BINARY, job(mode, path));
    // Some kills during a table build, most once items are journaled.
    const int before = test::journal_records(path);
    if (std::uniform_int_distribution<int>(0, 3)(random) != 0)
      test::wait_until(
          [&] {
            const int now = test::journal_records(path);
            return now > before || now == items;  // (a complete journal gets no more records)
          },
          30);
    const double at = std::uniform_real_distribution<double>(0.0, 0.6)(random) * whole.seconds;
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    kill(-child.pid(), SIGKILL);  // its process group: the pool's workers too
    const test::Finished f = child.wait(60);
    killed += f.status == 128 + SIGKILL;
    std::cout << "[ kill     ] mode " << mode[0] << " after " << at << " s: status " << f.status
              << ", " << test::journal_records(path) << " items journaled\n";
    if (f.status == 0) {
      EXPECT_EQ(histogram_of(f.out), expected);
    }
  }
  EXPECT_GE(killed, 1) << "no run was killed before it ended: nothing was resumed";
  const test::Finished f = test::run_program(NUMFACTORS_BINARY, job({"t"}, path));
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(histogram_of(f.out), expected);
  EXPECT_EQ(test::journal_records(path), items);
  remove_journal(path);
}

TEST(AnalyticCheckpointEndToEnd, ASignalInTheTableBuildIsAnsweredAtOnceAndTheBuildResumes) {
  // [2, 10^13] on one worker: a table build of a second or more.
  const std::vector<std::string> args = {"--max", "1e13", "--method", "analytic", "--workers",
                                         "1",     "--format", "json"};
  const test::Finished whole = test::run_program(NUMFACTORS_BINARY, args);
  ASSERT_EQ(whole.status, 0) << whole.err;
  const std::string path = fresh_path("build_signal");
  std::vector<std::string> journaled_args = args;
  journaled_args.insert(journaled_args.end(), {"--checkpoint", path});
  test::ChildProcess child(NUMFACTORS_BINARY, journaled_args);
  ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
  // Inside the build, whatever the machine's (or a sanitizer's) speed: a share of the whole
  // run's time, of which the build takes most.
  std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.3, 0.15 * whole.seconds)));
  const auto [f, seconds] = test::stop_and_time(child, {child.pid()}, SIGTERM);
  ASSERT_EQ(f.status, 143) << f.err;
  // Between rounds, and the state written: well within Slurm's 30 s before SIGKILL.
  EXPECT_LT(seconds, 3.0 * test::time_scale());
  EXPECT_NE(f.err.find("prime count table built so far are saved"), std::string::npos) << f.err;
  EXPECT_TRUE(std::filesystem::exists(TableState::path_for(path, 10'000'000'000'000)));
  const test::Finished resumed = test::run_program(NUMFACTORS_BINARY, journaled_args);
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(histogram_of(resumed.out), histogram_of(whole.out));
  remove_journal(path);
}

TEST(AnalyticCheckpointEndToEnd, ABuildResumedAndStoppedAgainSaysWhereItResumed) {
  // [2, 10^14] on two threads: a build of seconds, stopped twice. The second run says what it
  // resumed from even though it stops before its walk.
  // The first runs under umask 027: the state it saves is rw-r-----.
  const std::string path = fresh_path("resumed_twice");
  const std::string args = std::string(NUMFACTORS_BINARY) +
                           " t --max 1e14 --method analytic --workers 2 --checkpoint " + path;
  for (const int run : {1, 2}) {
    test::ChildProcess child("/bin/sh",
                             {"-c", (run == 1 ? "umask 027; exec " : "exec ") + args});
    ASSERT_TRUE(test::wait_until([&] { return test::catches(child.pid(), SIGTERM); }, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(run == 1 ? 800 : 300));
    const auto [f, seconds] = test::stop_and_time(child, {child.pid()}, SIGTERM);
    ASSERT_EQ(f.status, 143) << f.err;
    const std::string resuming = "numfactors: resuming from " + path +
                                 ": [1, 100000000000000]: the prime count table's ";
    EXPECT_EQ(f.err.find(resuming) != std::string::npos, run == 2) << f.err;
    // The second run saves its table only if it got past the rounds it resumed from (a slow
    // machine, or a sanitizer's build, may still be loading them): else it keeps the first's.
    const std::string saved = "SIGTERM; 0 items of the analytic walk and the prime count table ";
    const bool built = f.err.find(saved + "built so far are saved") != std::string::npos;
    const bool kept = f.err.find(saved + "saved before are saved") != std::string::npos;
    EXPECT_TRUE(run == 1 ? built : built || kept) << f.err;
    if (run == 1) {
      EXPECT_EQ(std::filesystem::status(TableState::path_for(path, 100'000'000'000'000))
                    .permissions(),
                std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                    std::filesystem::perms::group_read);
    }
  }
  remove_journal(path);
}

TEST(AnalyticCheckpointEndToEnd, SigintSaysHowManyItemsAreSaved) {
  const std::string path = fresh_path("sigint");
  test::ChildProcess child(NUMFACTORS_BINARY, job({"t"}, path));
  ASSERT_TRUE(test::wait_until(
      [&] { return test::catches(child.pid(), SIGINT) && test::journal_records(path) >= 1; }, 30));
  kill(child.pid(), SIGINT);
  const test::Finished f = child.wait(60);
  EXPECT_EQ(f.status, 130);
  EXPECT_EQ(f.out, "");
  const int saved = test::journal_records(path);
  EXPECT_NE(f.err.find("numfactors: interrupted by SIGINT; " + std::to_string(saved) +
                       (saved == 1 ? " item" : " items") +
                       " of the analytic walk and the prime count table built so far are "
                       "saved in " +
                       path + "*: run the same command again to resume\n"),
            std::string::npos)
      << f.err;
  remove_journal(path);
}

}  // namespace
}  // namespace numfactors
