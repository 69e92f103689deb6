/// @file app.cpp
/// @brief The command line as a thin front end: argv -> Options (parse) -> Request -> plan_job
/// -> Job -> run -> RunResult -> report. MPI ranks share rank 0's job and run the same path.
#include "cli/app.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <new>
#include <optional>
#include <primesieve.hpp>
#include <sstream>

#include "cli/build_facts.hpp"
#include "cli/help.hpp"
#include "cli/interrupt.hpp"
#include "cli/launch.hpp"
#include "cli/options.hpp"
#include "cli/output_file.hpp"
#include "cli/progress.hpp"
#include "core/cell_histogram.hpp"
#include "exec/mpi.hpp"
#include "exec/pending_file.hpp"
#include "exec/quoted.hpp"
#include "exec/table_state.hpp"
#include "numfactors/format.hpp"
#include "numfactors/run.hpp"
#include "numfactors/version.hpp"

namespace numfactors {
namespace {

/// Runs `body` and turns what it throws into the one error line and an exit status.
template <typename Body>
int guarded(std::ostream& err, Body&& body) {
  try {
    return body();
  } catch (...) {
    return report_current_exception(err);
  }
}

/// --help and --version: written to `out`, true when one was asked for. --version says what
/// the build has: MPI mode, the vectorized path this CPU runs, the primesieve it links.
bool answered_info(const Options& o, std::ostream& out) {
  if (o.help) out << help_text() << std::flush;
  if (o.version && !o.help)
    out << "numfactors " << NUMFACTORS_VERSION << "\n"
        << "MPI mode: " << NUMFACTORS_MPI_BUILD << "\n"
        << "sieve: " << sieve::simd_path() << "\n"
        << "primesieve " << primesieve::primesieve_version() << "\n"
        << std::flush;
  return o.help || o.version;
}

void tell_notes(const Job& job, std::ostream& err) {
  std::ostringstream lines;
  for (const PlanNote note : job.notes) {
    if (note == PlanNote::checkpoint_runs_dynamic)
      lines << "numfactors: note: --checkpoint runs the dynamic schedule\n";
    if (note == PlanNote::slurm_cpus_capped)
      lines << "numfactors: note: SLURM_CPUS_PER_TASK is above the " << available_cores()
            << " core(s) this process may run on: " << job.threads_per_rank
            << " threads a rank (--threads sets more)\n";
    if (note == PlanNote::slurm_cpus_unreadable) {
      const char* value = std::getenv("SLURM_CPUS_PER_TASK");
      lines << "numfactors: note: SLURM_CPUS_PER_TASK=" << printable(value ? value : "")
            << " is not a count of CPUs: " << job.threads_per_rank
            << (job.threads_per_rank == 1 ? " thread" : " threads")
            << " a rank (--threads sets more)\n";
    }
    if (note == PlanNote::workers_capped_by_memory && job.mode == Mode::mpi)
      lines << "numfactors: note: SLURM_CPUS_PER_TASK threads a rank would not fit in memory: "
            << job.threads_per_rank << (job.threads_per_rank == 1 ? " thread" : " threads")
            << " a rank (--threads sets more)\n";
    else if (note == PlanNote::workers_capped_by_memory)
      lines << "numfactors: note: a worker a core would not fit in memory: " << job.workers
            << (job.workers == 1 ? " worker" : " workers") << " (--workers sets more)\n";
    if (note == PlanNote::analytic_does_not_fit)
      lines << "numfactors: note: the analytic method's table would not fit in memory (--method "
               "analytic says how much it needs): the sieve counts instead, which takes longer\n";
    if (note == PlanNote::threads_exceed_cores)
      lines << "numfactors: note: --threads " << job.threads_per_rank
            << " but this rank may run on " << available_cores()
            << " core(s) (its CPU affinity); with mpiexec add --bind-to none "
            << "or --map-by slot:PE=" << job.threads_per_rank << "\n";
  }
  err << lines.str() << std::flush;  // one write: MPI forwards stderr in the pieces written
}

/// What a process does around run(): rank 0 (or the only process) shows progress, writes the
/// report and the timeline; every process answers signals.
class Session {
 public:
  Session(const Options& o, const Job& job, bool root, std::ostream& err)
      : options_(o), job_(job), root_(root), err_(err) {
    if (!root) return;
    tell_notes(job, err);
    if (!o.timeline.empty()) timeline_.emplace(o.timeline, "--timeline");
    if (!o.output.empty()) output_.emplace(o.output, "--output");
    const bool terminal = isatty(STDERR_FILENO) == 1;
    if (o.progress.value_or(terminal))
      progress_ = std::make_unique<ProgressLine>(err, job.range.size(), terminal, [] {
        winsize size{};  // asked at each redraw: the window may be resized meanwhile
        return ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 ? unsigned{size.ws_col} : 0u;
      });
  }

  /// Runs the job, on every rank alike in MPI mode.
  RunResult run_job(bool timeline) {
    Hooks hooks;
    hooks.timeline = timeline;
    if (root_) hooks.checkpoint = options_.checkpoint;
    if (progress_) hooks.progress = [this](const Progress& p) { progress_->update(p); };
    if (root_) hooks.resumed = [this](const Resumed& r) { tell_resumed(r); };
    hooks.warn = [this](const std::string& message) {
      err_ << ("numfactors: warning: " + printable(message) + "\n") << std::flush;
    };
    const InterruptFlag interrupt;  // SIGINT/SIGTERM/SIGHUP cancel the run only while it runs
    hooks.cancel = &interrupt.token();
    try {
      RunResult result = run(job_, hooks);
      if (progress_) progress_->finish();
      return result;
    } catch (...) {
      if (progress_) progress_->abandon();  // the error goes on a clean line
      throw;
    }
  }

  /// Rank 0 after the run: how to resume after a signal, else the report. The exit status.
  int finish(const RunResult& result, std::ostream& out) {
    if (result.interrupted != 0) return stopped(result);
    // The report is built whole before anything is written: an error never leaves half of it.
    // The result goes out even when the timeline cannot be written; the status then says so.
    const std::string report = format_report(options_.format, job_, result);
    if (output_)
      output_->commit(report);
    else
      out << report << std::flush;
    // The program's stdout writes on the flush: a result it could not write keeps an earlier
    // timeline (main says why).
    if (!out) return kExitFailure;
    if (timeline_) timeline_->commit(format_timeline_csv(result));
    return kExitOk;
  }

 private:
  /// One line on stderr: what the checkpoint already held for a stage.
  void tell_resumed(const Resumed& r) {
    if (r.prefix == 1) return;  // the one item of [1, 1], subtracted from a range from 2
    std::ostringstream line;
    line << "numfactors: resuming from " << printable(options_.checkpoint) << ": ";
    if (r.prefix == 0) {
      line << r.tasks_done << " of " << r.tasks << " chunks done\n";
    } else {
      line << "[1, " << r.prefix << "]: ";
      if (r.rounds_done > 0)
        line << (r.rounds_done == r.rounds
                     ? std::string("the prime count table built, ")
                     : "the prime count table's " + std::to_string(r.rounds_done) + " of " +
                           std::to_string(r.rounds) + " rounds, ");
      line << r.tasks_done << " of " << r.tasks << " walk items done\n";
    }
    err_ << line.str() << std::flush;  // one write: MPI forwards stderr in the pieces written
  }

  /// Which prime count table of the job is saved beside the checkpoint (table_state.hpp): none,
  /// one this run saved, or only one from before (this run's save failed, or it built nothing).
  enum class Saved { none, now, before };
  Saved table_saved() const {
    Saved saved = Saved::none;
    for (const u64 n : {job_.range.hi, job_.range.lo - 1}) {
      struct stat st {};
      if (n == 0 || ::stat(TableState::path_for(options_.checkpoint, n).c_str(), &st) != 0)
        continue;
      const bool now =
          st.st_mtim.tv_sec > started_.tv_sec ||
          (st.st_mtim.tv_sec == started_.tv_sec && st.st_mtim.tv_nsec >= started_.tv_nsec);
      if (now) return Saved::now;
      saved = Saved::before;
    }
    return saved;
  }

  int stopped(const RunResult& result) {
    const int signal = result.interrupted;
    const char* name = signal == SIGINT    ? "SIGINT"
                       : signal == SIGTERM ? "SIGTERM"
                       : signal == SIGHUP  ? "SIGHUP"
                                           : "a signal";
    std::ostringstream line;
    line << "numfactors: interrupted by " << name << "; ";
    if (options_.checkpoint.empty()) {
      line << "nothing was saved (use --checkpoint FILE to keep finished chunks)\n";
    } else if (job_.method == Method::analytic) {
      const Saved saved = table_saved();
      const bool table = saved != Saved::none;
      line << result.saved_tasks << (result.saved_tasks == 1 ? " item" : " items")
           << " of the analytic walk"
           << (saved == Saved::now      ? " and the prime count table built so far"
               : saved == Saved::before ? " and the prime count table saved before"
                                        : "")
           << (result.saved_tasks == 1 && !table ? " is" : " are") << " saved in "
           << printable(options_.checkpoint) << (table ? "*" : "")
           << ": run the same command again to resume\n";
    } else {
      line << result.saved_tasks << " of " << result.tasks << " chunks are saved in "
           << printable(options_.checkpoint) << ": run the same command again to resume\n";
    }
    err_ << line.str() << std::flush;
    return 128 + signal;
  }

  const Options& options_;
  const Job& job_;
  // A table file written after this is this run's. The coarse clock is the one file times come
  // from, so a file written at once is not dated before it.
  timespec started_ = [] {
    timespec t{};
    clock_gettime(CLOCK_REALTIME_COARSE, &t);
    return t;
  }();
  bool root_;
  std::ostream& err_;
  std::optional<AtomicFile> timeline_;
  std::optional<AtomicFile> output_;
  std::unique_ptr<ProgressLine> progress_;
};

}  // namespace

void check_files(Options& o) {
  o.output = output_path(o.output);
  if (!o.checkpoint.empty()) check_own_file(o.checkpoint, "--checkpoint");
  if (!o.timeline.empty()) check_own_file(o.timeline, "--timeline");
  if (!o.output.empty()) check_regular_file(o.output, "--output");
  check_distinct_files(o.checkpoint, "--checkpoint", o.timeline, "--timeline");
  check_distinct_files(o.checkpoint, "--checkpoint", o.output, "--output");
  check_distinct_files(o.timeline, "--timeline", o.output, "--output");
}

/// The analytic method keeps its tables beside the checkpoint, as FILE.table-N: a name too long
/// for them would fail only when the first is saved, after the work it was to keep.
void check_table_names(const Options& o, const Job& job) {
  if (o.checkpoint.empty() || job.method != Method::analytic) return;
  const long name_max = name_max_beside(o.checkpoint);
  const auto most = static_cast<std::size_t>(name_max > 0 ? name_max : NAME_MAX);
  // A checkpoint name too long itself is refused by its own open, which says so.
  if (std::filesystem::path(o.checkpoint).filename().string().size() > most) return;
  for (const u64 n : {job.range.hi, job.range.lo - 1}) {
    if (n == 0) continue;
    const std::string name =
        std::filesystem::path(TableState::path_for(o.checkpoint, n)).filename().string();
    if (name.size() > most)
      throw UsageError("--checkpoint: the analytic method keeps its table beside it as " +
                       quote_path(name) + ", a name of " + std::to_string(name.size()) +
                       " bytes, more than this file system allows (" + std::to_string(most) +
                       "): use a shorter name");
  }
}

Job plan_for(const Options& o, Environment env) {
  Request request = o.request;
  request.checkpoint = !o.checkpoint.empty();
  if (request.checkpoint) env.checkpoint = checkpoint_facts(o.checkpoint);
  Job job = plan_job(request, env);
  check_table_names(o, job);
  return job;
}

int run_app(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return guarded(err, [&]() -> int {
    Options o = parse_options(args);
    if (answered_info(o, out)) return kExitOk;
    check_files(o);
    const Job job = plan_for(o, current_environment());
    // MPI runs go to run_mpi_app (main): here MPI mode means this build has none.
    if (job.mode == Mode::mpi) throw Unavailable("this numfactors was built without MPI");
    Session session(o, job, true, err);
    const RunResult result = session.run_job(!o.timeline.empty());
    return session.finish(result, out);
  });
}

bool mpi_wanted(const std::vector<std::string>& args) {
  const std::optional<Mode> mode = requested_mode(args);
  return mode ? *mode == Mode::mpi : launcher_world_size() > 1;
}

int run_mpi_app(MpiSession& mpi, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err) {
  // Rank 0 alone reads the command line, so a mistake is reported once; the status it settles on
  // travels with the job, and every rank returns it.
  Options o;
  MpiJob shared;
  std::unique_ptr<Session> session;
  // Every rank tells what its machine has (collective), before rank 0 alone plans.
  Environment env = share_machine_memory(current_environment());
  env.ranks = static_cast<unsigned>(mpi.size());
  if (mpi.rank() == 0) {
    shared.exit_status = guarded(err, [&]() -> int {
      o = parse_options(args);
      if (answered_info(o, out)) return kExitOk;
      o.request.mode = Mode::mpi;
      check_files(o);
      shared.job = plan_for(o, env);
      shared.timeline = !o.timeline.empty();
      session = std::make_unique<Session>(o, shared.job, true, err);
      return -1;  // run
    });
  }
  shared = mpi.share_job(shared);
  if (shared.exit_status >= 0) return shared.exit_status;
  if (!session) session = std::make_unique<Session>(o, shared.job, false, err);

  std::optional<RunResult> result;
  try {
    result = session->run_job(shared.timeline);
  } catch (const InvalidRequest&) {
    // Thrown on every rank alike (the library agrees on it): rank 0 says it once.
    if (mpi.rank() != 0) return kExitUsage;
    return guarded(err, []() -> int { throw; });
  } catch (const std::bad_alloc&) {
    write_error_line(err, "rank " + std::to_string(mpi.rank()) + ": " + out_of_memory_words(true));
    mpi.abort(kExitFailure);
  } catch (const std::exception& e) {
    write_error_line(err, "rank " + std::to_string(mpi.rank()) + ": " + e.what());
    mpi.abort(kExitFailure);
  }
  if (mpi.rank() != 0) return result->interrupted != 0 ? 128 + result->interrupted : kExitOk;
  return guarded(err, [&] { return session->finish(*result, out); });
}

}  // namespace numfactors
