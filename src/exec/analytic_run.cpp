/// @file analytic_run.cpp
#include "exec/analytic_run.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "exec/mpi.hpp"
#include "exec/pool.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

/// Builds `table` in this process, or on MPI ranks together when `on_ranks`.
void build_table(PrimeCountTable& table, bool on_ranks, const ParallelFor& build_for,
                 const PrimeCountTable::Progress& progress) {
  if (on_ranks)
    build_table_on_ranks(table, build_for, progress);
  else
    table.build(build_for, progress);
}

/// The table and walk of one prefix, shared read-only by every clone of the item kernel (and
/// copied into pool workers by fork). The walk is cut once the table is built (the comma below).
struct Walked {
  PrimeCountTable table;
  AnalyticWalk walk;
  Walked(u64 n, bool on_ranks, const ParallelFor& build_for,
         const PrimeCountTable::Progress& progress)
      : table(n), walk((build_table(table, on_ranks, build_for, progress), table)) {}
};

/// A kernel whose "numbers" are item numbers: chunk [a, b] of the stand-in plan runs items
/// a - 1 .. b - 1 and adds the requested count of the numbers they hold.
class ItemKernel final : public Kernel {
 public:
  ItemKernel(std::shared_ptr<const Walked> walked, Count count)
      : walked_(std::move(walked)), count_(count) {}
  void count(const Range& r, Histogram& out) override {
    for (u64 item = r.lo; item <= r.hi; ++item)
      out += walked_->walk.run_item(item - 1).of(count_);
  }
  std::unique_ptr<Kernel> clone() const override { return std::make_unique<ItemKernel>(*this); }

 private:
  std::shared_ptr<const Walked> walked_;
  Count count_;
};

/// threads - 1 waiting threads and the caller take pieces of each job from a shared counter;
/// pieces are many a thread (walk items come biggest first, table steps vary), so the last ones
/// are short. Calls must come from one thread at a time (the table build makes them in turn).
class ThreadTeam {
 public:
  explicit ThreadTeam(unsigned threads) {
    for (unsigned t = 1; t < threads; ++t) helpers_.emplace_back([this] { serve(); });
  }
  ~ThreadTeam() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      ++generation_;
    }
    wake_.notify_all();
    helpers_.clear();  // joins
  }
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  void run(u64 begin, u64 end, const RangeBody& body) {
    if (begin >= end) return;
    const u64 team = helpers_.size() + 1;
    {
      std::lock_guard lock(mutex_);
      body_ = &body;
      next_ = begin;
      end_ = end;
      piece_ = std::max<u64>(1, (end - begin) / (16 * team));
      busy_ = helpers_.size();
      failure_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  void work() {
    try {
      // next_ stops below end_ + team * piece_ <= 2 end_: index ranges are far from 2^64.
      for (u64 lo; (lo = next_.fetch_add(piece_)) < end_;) (*body_)(lo, std::min(end_, lo + piece_));
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
      next_ = end_;  // the others stop after their piece
    }
  }
  void serve() {
    for (u64 seen = 0;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
      }
      work();
      std::lock_guard lock(mutex_);
      if (--busy_ == 0) done_.notify_one();
    }
  }

  std::vector<std::jthread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  u64 generation_ = 0;  // a new job (or stop_) for the helpers
  bool stop_ = false;
  std::size_t busy_ = 0;  // helpers still in the current job
  std::exception_ptr failure_;
  const RangeBody* body_ = nullptr;
  std::atomic<u64> next_{0};
  u64 end_ = 0, piece_ = 1;
};

/// Adds `part`'s statistics to `into`, a worker of the same name counting as the same worker
/// (the second prefix runs on the same threads, processes or ranks).
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
      same->busy_seconds += w.busy_seconds;
    }
  }
  for (ChunkEvent e : part.timeline) {
    e.worker = index_of[e.worker];
    into.timeline.push_back(e);
  }
}

/// hist[1, n] of `count` as far as the run got (result.interrupted says if not all of it), with
/// the items `journal` holds for prefix `part` added from it rather than run.
RunResult run_prefix(u64 n, unsigned part, Count count, const RunOptions& options,
                     const NumbersDone& progress, u64 item_scale, Checkpoint* journal) {
  const auto t0 = Clock::now();
  const unsigned build_threads = options.mode == Mode::serial ? 1
                                 : options.mode == Mode::mpi  ? options.threads
                                                              : std::max(options.workers, 1u);
  // Half of the prefix's numbers stand for the build, reported as its fraction grows.
  u64 build_reported = 0;
  PrimeCountTable::Progress build_progress;
  if (progress)
    build_progress = [&](double fraction) {
      const u64 now = static_cast<u64>(static_cast<double>(n / 2) * std::clamp(fraction, 0.0, 1.0));
      if (now > build_reported) progress(now - build_reported);
      build_reported = std::max(build_reported, now);
    };
  const auto walked = std::make_shared<const Walked>(n, options.mode == Mode::mpi,
                                                     threads_for(build_threads), build_progress);
  const ItemKernel prototype(walked, count);
  Plan items;
  items.range = {1, walked->walk.item_count()};
  items.count = count;
  items.chunk_size = 1;

  std::vector<u64> done;  // this prefix's items in the journal, ascending as its records are
  if (journal) {
    for (const u64 index : journal->state().done)
      if (index % 2 == part) done.push_back(index / 2);
    if (!done.empty() && done.back() >= items.chunk_count())
      throw CheckpointError("checkpoint '" + journal->path() + "' has a record for item " +
                                std::to_string(done.back()) + " of [1, " + std::to_string(n) +
                                "], which has " + std::to_string(items.chunk_count()) +
                                ": use another file or delete it",
                            journal->path());
  }
  RunOptions item_options = options;
  item_options.skip = journal ? &done : nullptr;
  item_options.on_chunk = [&options, &progress, item_scale, journal, part](u64 chunk,
                                                                           const Histogram& h) {
    if (journal) journal->record(2 * chunk + part, h);
    if (options.on_chunk) options.on_chunk(chunk, h);
    if (progress) progress(h.total() / 2 * item_scale);
  };
  RunResult result;
  switch (options.mode) {
    case Mode::serial:
    case Mode::threads: {
      CounterSource all(0, items.chunk_count());
      ResumeSource source(all, item_options.skip, options.stop);
      const unsigned threads = options.mode == Mode::serial ? 1 : std::max(options.workers, 1u);
      run_workers(items, prototype, threads, source, item_options,
                  options.mode == Mode::serial ? "serial " : "thread ", t0, result);
      result.interrupted = source.cut_by();
      break;
    }
    case Mode::pool: result = run_pool(items, item_options, prototype); break;
    case Mode::mpi: result = run_mpi(items, item_options, prototype); break;
  }
  if (journal) result.histogram += journal->state().sums[part];
  result.seconds = seconds_since(t0);
  return result;
}

}  // namespace

#ifndef NUMFACTORS_HAVE_MPI
void build_table_on_ranks(PrimeCountTable&, const ParallelFor&, const PrimeCountTable::Progress&,
                          int) {
  throw Unavailable("this numfactors was built without MPI");
}
#endif

JournalFormat analytic_journal(const Range& r, Count count) {
  const unsigned parts = r.lo > 1 ? 2 : 1;
  return {"numfactors-checkpoint 1 min=" + std::to_string(r.lo) + " max=" + std::to_string(r.hi) +
              " count=" + to_string(count) + " method=analytic",
          2, [parts](u64 index, const Histogram&) { return index % 2 < parts; }};
}

void check_analytic_fits(const Range& r) {
  const u64 bytes = PrimeCountTable::memory_bytes(r.hi);
  if (bytes <= PrimeCountTable::kDefaultMaxBytes) return;
  throw TableTooLarge("the analytic method would need about " + std::to_string(bytes >> 20) +
                          " MiB a process for the prime count table of " + std::to_string(r.hi) +
                          " (at most " +
                          std::to_string(PrimeCountTable::kDefaultMaxBytes >> 20) + " MiB)",
                      r.hi, bytes, PrimeCountTable::kDefaultMaxBytes);
}

ParallelFor threads_for(unsigned threads) {
  if (threads <= 1) return serial_for;
  // One team for all calls: the table build makes one call a sieving prime (tens of thousands),
  // and starting threads for each costs more than many of the calls' work on a loaded machine.
  const auto team = std::make_shared<ThreadTeam>(threads);
  return [team](u64 begin, u64 end, const RangeBody& body) { team->run(begin, end, body); };
}

RunResult run_analytic(const Range& r, Count count, const RunOptions& options,
                       const NumbersDone& progress, u64 item_scale, Checkpoint* journal) {
  check_range(r);
  check_analytic_fits(r);
  const auto t0 = Clock::now();
  RunResult result = run_prefix(r.hi, 0, count, options, progress, item_scale, journal);
  // In MPI mode every rank has the same `interrupted` (run_mpi agrees on it), so all ranks take
  // the same branch and the second collective run cannot leave one rank waiting.
  if (r.lo > 1 && result.interrupted == 0) {
    const RunResult below = run_prefix(r.lo - 1, 1, count, options, progress, item_scale, journal);
    result.histogram -= below.histogram;
    merge_workers(below, result);
    result.interrupted = below.interrupted;
  }
  for (WorkerStats& w : result.workers) w.numbers = 0;  // chunks are items, not numbers
  result.seconds = seconds_since(t0);
  return result;
}

}  // namespace numfactors
