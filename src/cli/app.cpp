/// @file app.cpp
#include "cli/app.hpp"

#include <cstdlib>
#include <iostream>
#include <new>
#include <optional>

#include "cli/error_words.hpp"
#include "cli/help.hpp"
#include "cli/interrupt.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/run_control.hpp"
#include "cli/version.hpp"
#include "core/analytic.hpp"
#include "core/plan.hpp"
#include "exec/analytic_run.hpp"
#include "exec/executor.hpp"
#include "exec/timeline.hpp"

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

/// --help and --version: written to `out`, true when one was asked for.
bool answered_info(const Options& o, std::ostream& out) {
  if (o.help) out << help_text() << std::flush;
  if (o.version && !o.help) out << "numfactors " << NUMFACTORS_VERSION << "\n" << std::flush;
  return o.help || o.version;
}

RunOptions run_options_for(const Options& o, std::ostream& err) {
  RunOptions r;
  r.mode = o.mode;
  r.schedule = o.schedule;
  r.timeline = !o.timeline.empty();
  r.warn = [&err](const std::string& message) {
    err << "numfactors: warning: " << message << "\n" << std::flush;
  };
  return r;
}

/// Threads per rank without --threads: what Slurm gave each task (SLURM_CPUS_PER_TASK), else 1.
unsigned default_threads_per_rank() {
  if (const char* v = std::getenv("SLURM_CPUS_PER_TASK")) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(v, &end, 10);
    if (end != v && *end == '\0' && n >= 1 && n <= kMaxWorkers) return static_cast<unsigned>(n);
  }
  return 1;
}

/// Workers without --workers: one per core, but one alone for a run estimated under 5 ms on one
/// core, where starting the other threads (or processes) and their kernels costs more than they
/// save (the default job: 0.14 ms of counting on one core, a second thread adds 0.2 ms). The
/// estimates are the sieve's and the analytic method's: the trial kernel, thousands of times
/// slower, always gets every core.
unsigned default_workers(const Range& r, Method method, KernelKind kernel) {
  constexpr double kOneWorkerSeconds = 5e-3;
  if (method == Method::sieve && kernel == KernelKind::trial) return available_cores();
  const MethodCost cost = estimate_cost(r);
  const double seconds = method == Method::analytic ? cost.analytic_seconds : cost.sieve_seconds;
  return seconds < kOneWorkerSeconds ? 1 : available_cores();
}

/// What a run of the analytic method is measured against: its range and count, and as many
/// numbers as the prefixes [1, hi] and [1, lo - 1] it counts, for the progress line (saturated:
/// tables for ranges near 2^64 would not fit anyway).
Plan analytic_plan(const Range& r, Count count) {
  Plan p;
  const u64 below = r.lo - 1;
  p.range = {1, r.hi > ~u64{0} - below ? ~u64{0} : r.hi + below};
  p.count = count;
  return p;
}

/// MPI with --checkpoint: rank 0 journals each chunk (or item) as its histogram arrives, which
/// the dynamic schedule's messages give it; the static one sends nothing until the end.
Schedule dynamic_for_checkpoint(const Options& o, std::ostream& err) {
  if (o.schedule_given && o.schedule == Schedule::static_cyclic)
    err << "numfactors: note: --checkpoint runs the dynamic schedule\n" << std::flush;
  return Schedule::dynamic;
}

}  // namespace

int run_app(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return guarded(err, [&]() -> int {
    const Options o = parse_options(args);
    if (answered_info(o, out)) return kExitOk;
    check_mode_options(o);
    const Method method = resolve_method(o);
    const unsigned workers = o.mode == Mode::serial ? 1
                             : o.workers != 0       ? o.workers
                                                    : default_workers(o.range, method, o.kernel);
    const bool analytic = method == Method::analytic;
    const Plan plan = analytic ? analytic_plan(o.range, o.count)
                               : make_plan(o.range, o.count, o.kernel, chunk_size_for(o), workers);
    std::optional<TimelineFile> timeline;
    if (!o.timeline.empty()) timeline.emplace(o.timeline);
    RunControl control(o, plan, err, true, method);
    RunOptions run_options = run_options_for(o, err);
    run_options.workers = workers;
    RunResult result;
    {
      const InterruptFlag interrupt;  // SIGINT/SIGTERM stop the run only while it runs
      if (analytic) {
        control.attach_analytic(run_options, interrupt.stop());
        result = run_analytic(o.range, o.count, run_options, control.numbers_done(), 1,
                              control.journal());
      } else {
        control.attach(run_options, interrupt.stop());
        result = run(plan, run_options);
      }
    }
    if (const auto status = control.finish(result)) return *status;
    // The report is built whole before anything is written: an error never leaves half of it.
    const std::string report =
        format_report(o.format, RunInfo{o.range, o.count, o.kernel, o.mode, workers, method},
                      result);
    if (timeline) timeline->write(result);
    out << report << std::flush;
    return kExitOk;
  });
}

bool mpi_wanted(const std::vector<std::string>& args) {
  const std::optional<Mode> mode = requested_mode(args);
  return mode ? *mode == Mode::mpi : launcher_world_size() > 1;
}

bool mpi_requested(const std::vector<std::string>& args) {
  // Without MPI, run_app says that MPI mode is missing.
  return mpi_built() && mpi_wanted(args);
}

int run_mpi_app(MpiSession& mpi, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err) {
  // Rank 0 alone reads the command line, so a mistake is reported once; the status it settles on
  // travels with the job, and every rank returns it.
  Options o;
  std::optional<TimelineFile> timeline;
  std::optional<RunControl> control;  // rank 0's checkpoint and progress
  Plan progress_plan;                  // rank 0's, for the analytic method's progress line
  MpiJob job;
  if (mpi.rank() == 0) {
    job.exit_status = guarded(err, [&]() -> int {
      o = parse_options(args);
      if (answered_info(o, out)) return kExitOk;
      o.mode = Mode::mpi;
      check_mode_options(o);
      job.threads = o.threads != 0 ? o.threads : default_threads_per_rank();
      const unsigned workers = static_cast<unsigned>(mpi.size()) * job.threads;
      job.analytic = resolve_method(o) == Method::analytic;
      job.schedule = o.schedule;
      if (job.analytic) {
        // job.plan carries the range and count; rank 0's progress counts the prefixes' numbers.
        job.plan.range = o.range;
        job.plan.count = o.count;
        progress_plan = analytic_plan(o.range, o.count);
        if (!o.checkpoint.empty()) job.schedule = dynamic_for_checkpoint(o, err);
        control.emplace(o, progress_plan, err, true, Method::analytic);
        job.timeline = !o.timeline.empty();
        if (job.timeline) timeline.emplace(o.timeline);
        return -1;  // run
      }
      job.plan = make_plan(o.range, o.count, o.kernel, chunk_size_for(o), workers);
      if (!o.checkpoint.empty()) job.schedule = dynamic_for_checkpoint(o, err);
      control.emplace(o, job.plan, err, true, Method::sieve,
                      job.schedule == Schedule::static_cyclic ? u64(mpi.size()) : u64{1});
      job.timeline = !o.timeline.empty();
      if (job.timeline) timeline.emplace(o.timeline);
      return -1;  // run
    });
  }
  job = mpi.share_job(job);
  if (job.exit_status >= 0) return job.exit_status;
  // mpiexec binds each rank to one core by default with up to 2 ranks: threads would then share it.
  if (mpi.rank() == 0 && job.threads > available_cores())
    err << "numfactors: note: --threads " << job.threads << " but this rank may run on "
        << available_cores() << " core(s) (its CPU affinity); with mpiexec add --bind-to none or "
        << "--map-by slot:PE=" << job.threads << "\n" << std::flush;

  RunOptions run_options = run_options_for(o, err);
  run_options.mode = Mode::mpi;
  run_options.threads = job.threads;
  run_options.schedule = job.schedule;
  run_options.timeline = job.timeline;
  std::optional<RunResult> result;
  try {
    const InterruptFlag interrupt;  // on every rank: Slurm signals them all
    if (!control) control.emplace(o, job.plan, err, false);
    if (job.analytic) {
      // Static schedule: rank 0 hears of its own items only, about 1/ranks of them.
      const u64 item_scale = job.schedule == Schedule::static_cyclic ? u64(mpi.size()) : 1;
      control->attach_analytic(run_options, interrupt.stop());
      result = run_analytic(job.plan.range, job.plan.count, run_options, control->numbers_done(),
                            item_scale, control->journal());
    } else {
      control->attach(run_options, interrupt.stop());
      result = run_mpi(job.plan, run_options);
    }
  } catch (const std::exception& e) {
    err << "numfactors: error: rank " << mpi.rank() << ": " << e.what() << "\n" << std::flush;
    mpi.abort(kExitFailure);
  }
  if (mpi.rank() != 0) return result->interrupted != 0 ? 128 + result->interrupted : kExitOk;
  return guarded(err, [&]() -> int {
    if (const auto status = control->finish(*result)) return *status;
    const unsigned workers = static_cast<unsigned>(mpi.size()) * job.threads;
    const std::string report = format_report(
        o.format,
        RunInfo{o.range, o.count, o.kernel, Mode::mpi, workers,
                job.analytic ? Method::analytic : Method::sieve},
        *result);
    if (timeline) timeline->write(*result);
    out << report << std::flush;
    return kExitOk;
  });
}

}  // namespace numfactors
