/// @file job_run.cpp
/// @brief run(Job, Hooks): the one run path of both methods. A job is one or two stages (the
/// sieve: the chunks of its plan; the analytic method: the walk items of [1, hi], then of
/// [1, lo - 1] when lo > 1), each run by the executor of the job's mode; around them, once for
/// both methods: the checkpoint journal (what it holds is skipped and added back), progress by
/// estimated work, the timeline, and cancellation.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>

#include "core/analytic.hpp"
#include "core/plan.hpp"
#include "exec/analytic_stage.hpp"
#include "exec/checkpoint.hpp"
#include "exec/executor.hpp"
#include "exec/mpi.hpp"
#include "exec/pool.hpp"
#include "exec/quoted.hpp"
#include "exec/table_state.hpp"
#include "exec/thread_team.hpp"
#include "numfactors/choices.hpp"
#include "numfactors/errors.hpp"
#include "numfactors/run.hpp"

namespace numfactors {
namespace {

/// Adds up work done and tells the caller's callback, one call at a time.
class ProgressMeter {
 public:
  ProgressMeter(const std::function<void(const Progress&)>& callback, double total)
      : callback_(callback) {
    now_.total = total;
  }
  void add(double work) { tell(work, 0); }
  void skip(double work) { tell(work, work); }
  /// All of it done: the sum of the tasks' shares may fall short of the total by rounding.
  void finish() {
    if (!callback_) return;
    std::lock_guard lock(mutex_);
    now_.done = now_.total;
    callback_(now_);
  }

 private:
  void tell(double work, double skipped) {
    if (!callback_ || work <= 0) return;
    std::lock_guard lock(mutex_);
    now_.done = std::min(now_.total, now_.done + work);
    now_.skipped += skipped;
    callback_(now_);
  }
  const std::function<void(const Progress&)>& callback_;
  std::mutex mutex_;
  Progress now_;
};

/// The prefixes the analytic method counts: [1, hi], and [1, lo - 1] when lo > 1.
std::vector<u64> prefixes_of(const Job& job) {
  std::vector<u64> n{job.range.hi};
  if (job.range.lo > 1) n.push_back(job.range.lo - 1);
  return n;
}

double total_work(const Job& job) {
  if (job.method != Method::analytic)
    return ChunkTasks::total_work_of(Plan{job.range, job.count, job.kernel, job.chunk_size});
  double total = 0;
  for (const u64 n : prefixes_of(job)) total += analytic_prefix_seconds(n);
  return total;
}

/// Stage `part` of the job, ready to run: the sieve's chunks, or the analytic prefix's items
/// (its table built first, on this process's threads or on the MPI ranks, from its saved state
/// when the journal's table path holds one; not built when the journal holds every item).
/// Throws TableStopped when the journal's stop flag stopped the table build.
std::unique_ptr<Tasks> make_stage(const Job& job, unsigned part, ProgressMeter& meter,
                                  const TableJournal& table_journal, bool balanced_items) {
  if (job.method != Method::analytic)
    return std::make_unique<ChunkTasks>(Plan{job.range, job.count, job.kernel, job.chunk_size});
  const u64 n = prefixes_of(job)[part];
  const double work = analytic_prefix_seconds(n);
  const unsigned threads = job.mode == Mode::serial ? 1
                           : job.mode == Mode::mpi  ? job.threads_per_rank
                                                    : job.workers;
  double built = 0;  // the fraction of the build reported so far
  const auto build_progress = [&](double fraction) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    if (fraction > built) meter.add((fraction - built) * kAnalyticTableShare * work);
    built = std::max(built, fraction);
  };
  // The ranks of one machine may together run more threads than it has cores, which a rank's
  // own affinity does not show: their threads sleep at once instead of spinning.
  const ParallelFor parallel_for = job.mode == Mode::mpi
                                       ? threads_for(threads, std::chrono::microseconds{0})
                                       : threads_for(threads);
  auto items =
      std::make_unique<ItemTasks>(n, job.count, job.mode == Mode::mpi, parallel_for, build_progress,
                                  (1 - kAnalyticTableShare) * work, table_journal, balanced_items);
  if (!items->built()) meter.skip(kAnalyticTableShare * work);  // a stage the journal finished
  return items;
}

/// Adds `part`'s statistics to `into`, a worker of the same name counting as the same worker
/// (the second stage runs on the same threads, processes or ranks).
void merge_workers(const RunResult& part, RunResult& into) {
  std::vector<std::size_t> index_of(part.workers.size());
  for (std::size_t i = 0; i < part.workers.size(); ++i) {
    const WorkerStats& w = part.workers[i];
    const auto same = std::find_if(into.workers.begin(), into.workers.end(),
                                   [&](const WorkerStats& x) { return x.name == w.name; });
    if (same == into.workers.end()) {
      index_of[i] = into.workers.size();
      into.workers.push_back(w);
    } else {
      index_of[i] = static_cast<std::size_t>(same - into.workers.begin());
      same->chunks += w.chunks;
      same->numbers += w.numbers;
      same->busy_seconds += w.busy_seconds;
    }
  }
  for (ChunkEvent e : part.timeline) {
    e.worker = index_of[e.worker];
    into.timeline.push_back(e);
  }
}

/// Whether `value` is one of E's choices (a cast can make any number an E).
template <class E>
bool listed(E value) {
  const auto all = choices<E>();
  return std::any_of(all.begin(), all.end(), [&](const Choice<E>& c) { return c.value == value; });
}

/// User and system seconds of this process and its reaped children (pool workers) so far.
double cpu_now() {
  double seconds = 0;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    if (getrusage(who, &u) != 0) continue;
    for (const timeval& t : {u.ru_utime, u.ru_stime})
      seconds += static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  }
  return seconds;
}

}  // namespace

RunResult run(const Job& job, const Hooks& hooks) {
  check_range(job.range);
  // A Job made by hand (or cast from numbers) must hold what plan_job could have made.
  if (!listed(job.count) || !listed(job.kernel) || !listed(job.mode) || !listed(job.schedule) ||
      (job.method != Method::sieve && job.method != Method::analytic))
    throw InvalidRequest(
        "a job's count, method, kernel, mode and schedule must each be one of "
        "their choices, and its method sieve or analytic (plan_job makes such "
        "jobs)");
  if (job.method == Method::sieve && job.chunk_size == 0)
    throw InvalidRequest("a sieve job needs a chunk size of at least 1 (plan_job sets one)");
  if (job.method == Method::sieve) check_kernel_range(job.range, job.kernel);
  const auto t0 = Clock::now();
  const double cpu0 = cpu_now();
  MpiBackend* const mpi = job.mode == Mode::mpi ? mpi_backend() : nullptr;
  if (job.mode == Mode::mpi && mpi == nullptr)
    throw Unavailable("MPI mode needs MPI started first (start_mpi(), from numfactors::mpi)");
  // MPI: rank 0 journals and reports progress; it hears of every task under the dynamic
  // schedule, and of its own share, about 1 / ranks of them, under the static one (walk items
  // pooled on a machine: whatever rank 0 took, so progress is an estimate there).
  const bool root = mpi == nullptr || mpi->rank() == 0;
  const double task_scale =
      mpi != nullptr && job.schedule == Schedule::static_cyclic ? mpi->size() : 1.0;

  if (mpi != nullptr && job.schedule == Schedule::static_cyclic && !hooks.checkpoint.empty())
    throw InvalidRequest("a checkpoint in MPI mode needs the dynamic schedule");
  // What could fail for want of resources fails before any file is made.
  if (job.mode == Mode::pool) reserve_pool_descriptors(job.workers);
  const JournalFormat format = JournalFormat::of(job);
  std::optional<Checkpoint> journal;
  std::string refused;  // a checkpoint of another run: every rank fails alike
  try {
    if (root && !hooks.checkpoint.empty()) journal.emplace(hooks.checkpoint, format);
  } catch (const CheckpointError& e) {
    if (mpi == nullptr) throw;
    refused = e.what();
  }
  if (mpi != nullptr && !(refused = mpi->share_text(refused)).empty())
    throw CheckpointError(refused, hooks.checkpoint);
  // A journal of an earlier version goes on with items like its own (exact in every bin).
  bool balanced_items = !(journal && journal->state().exact_items);
  if (mpi != nullptr && job.method == Method::analytic)
    balanced_items = mpi->share_text(balanced_items ? "balanced" : "") == "balanced";
  // A run that fails before its first record leaves no journal it made.
  struct RemoveUnused {
    std::optional<Checkpoint>& journal;
    int exceptions = std::uncaught_exceptions();
    ~RemoveUnused() {
      if (journal && std::uncaught_exceptions() > exceptions) journal->remove_if_unused();
    }
  } remove_unused{journal};
  static const std::function<void(const Progress&)> kSilent;
  ProgressMeter meter(root ? hooks.progress : kSilent, total_work(job));

  const std::atomic<int>* stop = hooks.cancel != nullptr ? &hooks.cancel->flag() : nullptr;
  // A signal to one rank (a kill of its process) stops every rank, as one to all of them does.
  const std::unique_ptr<SharedStop> shared_stop = mpi != nullptr ? mpi->share_stop(stop) : nullptr;
  if (shared_stop) stop = shared_stop->flag();
  const bool analytic = job.method == Method::analytic;
  // The analytic tables are kept beside the journal while a run needs them.
  const auto table_path = [&](unsigned part) {
    return analytic && journal ? TableState::path_for(journal->path(), prefixes_of(job)[part])
                               : std::string();
  };
  RunResult result;
  const unsigned stages = analytic ? prefixes_of(job).size() : 1;
  for (unsigned part = 0; part < stages; ++part) {
    std::vector<u64> done;  // this stage's tasks in the journal, ascending
    if (journal)
      for (const u64 index : journal->state().done)
        if (index % format.parts == part) done.push_back(index / format.parts);
    std::unique_ptr<Tasks> tasks;
    try {
      tasks =
          make_stage(job, part, meter,
                     TableJournal{table_path(part), stop, done.size(), hooks.warn}, balanced_items);
    } catch (const TableStopped& e) {  // the build stopped (on every rank alike) and was saved
      if (hooks.resumed && (e.rounds_resumed > 0 || !done.empty())) {
        Resumed resumed;
        resumed.prefix = prefixes_of(job)[part];
        resumed.rounds_done = e.rounds_resumed;
        resumed.rounds = e.rounds;
        resumed.tasks_done = done.size();
        resumed.tasks = e.items;
        hooks.resumed(resumed);
      }
      // Every rank is here: in MPI mode the group that stopped may not be this rank's, and
      // its stop may still be on its way to this rank.
      result.interrupted = mpi != nullptr ? mpi->max_over_ranks(stop->load()) : stop->load();
      break;
    }
    if (journal) {
      if (!done.empty() && done.back() >= tasks->count())
        throw CheckpointError("checkpoint " + quote_path(journal->path()) +
                                  " has a record for task " + std::to_string(done.back()) +
                                  " of a stage of " + std::to_string(tasks->count()) +
                                  ": use another file or delete it",
                              journal->path());
      double skipped = 0;
      for (const u64 task : done) skipped += tasks->work(task);
      meter.skip(skipped);
      Resumed resumed;
      resumed.tasks_done = done.size();
      resumed.tasks = tasks->count();
      if (analytic) {
        const auto& items = static_cast<const ItemTasks&>(*tasks);
        resumed.prefix = prefixes_of(job)[part];
        resumed.rounds_done = items.rounds_resumed();
        resumed.rounds = items.rounds();
      }
      if (hooks.resumed && (resumed.tasks_done > 0 || resumed.rounds_done > 0))
        hooks.resumed(resumed);
    }
    RunOptions options;
    options.mode = job.mode;
    options.workers = job.workers;
    options.threads = job.threads_per_rank;
    options.schedule = job.schedule;
    options.timeline = hooks.timeline;
    options.warn = hooks.warn;
    options.skip = journal ? &done : nullptr;
    options.stop = stop;
    options.on_task = [&](u64 task, const Histogram& h) {
      if (journal) journal->record(task * format.parts + part, h);
      meter.add(tasks->work(task) * task_scale);
    };
    RunResult stage = run_tasks(*tasks, options);
    stage.tasks = tasks->count();
    // A table that a later run (or the next stage of a resumed one) would build again is kept.
    if (!table_path(part).empty() && (stage.interrupted != 0 || part + 1 < stages))
      static_cast<const ItemTasks&>(*tasks).save_table(table_path(part), hooks.warn);
    if (journal) {
      stage.histogram += journal->state().sums[part];
      stage.resumed_tasks = done.size();
    }
    // Rank 0 holds the sum of every item (the other ranks' parts were sent to it).
    if (analytic && stage.interrupted == 0 && root)
      static_cast<const ItemTasks&>(*tasks).complete(stage.histogram);
    if (part == 0) {
      result = std::move(stage);
    } else {
      result.histogram -= stage.histogram;
      merge_workers(stage, result);
      result.interrupted = stage.interrupted;
      result.tasks += stage.tasks;
      result.resumed_tasks += stage.resumed_tasks;
    }
    // MPI: every rank has the same `interrupted` (run_tasks agrees on it), so all ranks leave
    // here alike and none waits in a stage the others skip.
    if (result.interrupted != 0) break;
  }
  if (result.interrupted == 0) meter.finish();
  if (journal) {
    journal->flush();
    result.saved_tasks = journal->saved();
    if (result.interrupted == 0)
      for (unsigned part = 0; part < stages; ++part)
        if (!table_path(part).empty()) std::remove(table_path(part).c_str());
  }
  result.seconds = seconds_since(t0);
  result.cpu_seconds = cpu_now() - cpu0;
  if (mpi != nullptr) result.cpu_seconds = mpi->sum_over_ranks(result.cpu_seconds);
  if (shared_stop) shared_stop->finish();
  return result;
}

std::optional<CheckpointFacts> checkpoint_facts(const std::string& path) {
  const std::optional<CheckpointHeader> header = CheckpointHeader::read(path);
  if (!header) return std::nullopt;
  CheckpointFacts facts;
  facts.method = header->method;
  if (header->method != Method::analytic) {
    // The space, as a kernel: the wheel, or auto for any direct kernel's chunks.
    facts.kernel =
        header->space == CheckpointHeader::Space::wheel ? KernelKind::wheel : KernelKind::automatic;
    facts.chunk_size = header->chunk_size;
  }
  return facts;
}

}  // namespace numfactors
