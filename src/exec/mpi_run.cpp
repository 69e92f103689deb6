/// @file mpi_run.cpp
/// @brief The static and dynamic schedules, and the merge of every rank's part at rank 0.
///
/// Threads: each rank computes in `threads` threads started by run_workers in a background thread,
/// while its main thread alone talks MPI (MPI_THREAD_FUNNELED). In the dynamic schedule rank 0's
/// main thread serves chunk requests and its own threads compute too, so 2 ranks on 2 cores keep
/// both busy. Waiting is done by polling with short sleeps, not by blocking calls: Open MPI's
/// blocking calls spin on a core, which would take it from the threads computing beside them.
#include <mpi.h>

#include <boost/mpi/collectives/all_reduce.hpp>
#include <boost/mpi/collectives/gather.hpp>
#include <boost/mpi/collectives/reduce.hpp>
#include <boost/mpi/collectives/scatter.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/mpi/nonblocking.hpp>
#include <boost/mpi/operations.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "exec/mpi.hpp"
#include "exec/mpi_deal.hpp"
#include "exec/mpi_wire.hpp"

namespace nf {
namespace {

/// How long an idle main thread sleeps between polls: long enough to cost nothing (1000
/// wake-ups a second), short beside a chunk (default chunks take tens of milliseconds or more),
/// and hidden anyway by the chunks each rank asks for ahead.
constexpr auto kPoll = std::chrono::milliseconds(1);

/// Sleeps between polls that grow from 50 us to kPoll: right after a message another often
/// follows (small chunks, a rank filling its queue), and answering it fast keeps the threads fed.
class Backoff {
 public:
  void reset() { pause_ = std::chrono::microseconds(50); }
  void idle() {
    std::this_thread::sleep_for(pause_);
    pause_ = std::min<std::chrono::microseconds>(pause_ * 2, kPoll);
  }

 private:
  std::chrono::microseconds pause_{50};
};

/// A barrier that sleeps while it waits (MPI_Ibarrier + MPI_Test), so a rank that finished first
/// leaves its core to the ranks still computing.
void quiet_barrier(const boost::mpi::communicator& comm) {
  MPI_Request request;
  MPI_Ibarrier(MPI_Comm(comm), &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(kPoll);
  }
}

/// run_workers in a background thread; the main thread polls done() and rethrows its failure.
class BackgroundWorkers {
 public:
  BackgroundWorkers(const Plan& plan, const Kernel& prototype, unsigned threads,
                    ChunkSource& source, const RunOptions& options, const std::string& prefix,
                    Clock::time_point run_start, RunResult& out)
      : thread_([&, threads, prefix, run_start] {
          try {
            run_workers(plan, prototype, threads, source, options, prefix, run_start, out);
          } catch (...) {
            failure_ = std::current_exception();
          }
          done_.store(true, std::memory_order_release);
        }) {}

  bool done() const { return done_.load(std::memory_order_acquire); }
  void rethrow_if_failed() const {
    if (done() && failure_) std::rethrow_exception(failure_);
  }
  void join() {
    thread_.join();
    rethrow_if_failed();
  }

 private:
  std::atomic<bool> done_{false};
  std::exception_ptr failure_;  // written before done_ is set, read after
  std::jthread thread_;         // last: starts once the members above exist
};

/// Chunks that arrived from rank 0, waiting for this rank's threads.
class QueueSource final : public ChunkSource {
 public:
  std::optional<u64> next() override {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    const u64 c = queue_.front();
    queue_.pop_front();
    return c;
  }
  void push(u64 chunk) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(chunk);
    }
    ready_.notify_one();
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<u64> queue_;
  bool closed_ = false;
};

std::string thread_prefix(int rank) { return "rank " + std::to_string(rank) + " thread "; }

RunResult run_static(const boost::mpi::communicator& comm, const Plan& plan,
                     const RunOptions& options, const Kernel& prototype, Clock::time_point t0) {
  // Only rank 0 knows a checkpoint's chunks; the dealing cannot skip them on the other ranks.
  if (options.skip != nullptr)
    throw std::logic_error("run_mpi: chunks to skip need the dynamic schedule");
  std::vector<Deal> deals;
  if (comm.rank() == 0)
    for (int r = 0; r < comm.size(); ++r)
      deals.push_back({plan.chunk_count(), static_cast<u64>(comm.size()), static_cast<u64>(r)});
  Deal mine;
  if (comm.rank() == 0)
    boost::mpi::scatter(comm, deals, mine, 0);
  else
    boost::mpi::scatter(comm, mine, 0);
  DealtSource dealt(mine);
  ResumeSource source(dealt, nullptr, options.stop);
  RunResult part;
  run_workers(plan, prototype, options.threads, source, options, thread_prefix(comm.rank()), t0,
              part);
  part.interrupted = source.cut_by();
  return part;
}

/// Rank 0 of the dynamic schedule: reads every note the other ranks send (a finished chunk for
/// options.on_chunk, a request answered with the next chunk of `shared`, the same source its own
/// threads take from), until every other rank sent its last note.
RunResult serve_dynamic(const boost::mpi::communicator& comm, const Plan& plan,
                        const RunOptions& options, const Kernel& prototype, Clock::time_point t0) {
  CounterSource all(0, plan.chunk_count());
  ResumeSource shared(all, options.skip, options.stop);
  // on_chunk is called here for other ranks' chunks and by this rank's threads for their own.
  std::mutex on_chunk_mutex;
  RunOptions local = options;
  if (options.on_chunk)
    local.on_chunk = [&](u64 chunk, const Histogram& h) {
      std::lock_guard lock(on_chunk_mutex);
      options.on_chunk(chunk, h);
    };
  RunResult part;
  BackgroundWorkers compute(plan, prototype, local.threads, shared, local, thread_prefix(0), t0,
                            part);
  int finished = 0;  // ranks whose last note came
  Note note;
  Backoff backoff;
  while (finished < comm.size() - 1 || !compute.done()) {
    compute.rethrow_if_failed();
    bool served = false;
    while (finished < comm.size() - 1) {
      const auto request = comm.iprobe(boost::mpi::any_source, kTagRequest);
      if (!request) break;
      comm.recv(request->source(), kTagRequest, note.data(), static_cast<int>(kNoteSize));
      if (note[kNoteChunk] != kNoMoreChunks && local.on_chunk) {
        Histogram h;
        std::copy(note.begin() + kNoteBins, note.end(), h.bins().begin());
        local.on_chunk(note[kNoteChunk], h);
      }
      if (note[kNoteFlags] & kNoteWantsChunk) {
        const auto chunk = shared.next();
        comm.send(request->source(), kTagChunk, chunk ? *chunk : kNoMoreChunks);
      }
      if (note[kNoteFlags] & kNoteLast) ++finished;
      served = true;
    }
    if (served)
      backoff.reset();
    else
      backoff.idle();
  }
  compute.join();
  part.interrupted = shared.cut_by();
  return part;
}

/// A rank other than 0 in the dynamic schedule: keeps up to `threads` chunks queued (one request
/// in flight at a time) so its threads rarely wait for a reply, and sends rank 0 each finished
/// chunk's histogram. All its notes share one tag, so they arrive in the order sent: the last
/// note comes after every chunk's. A stop signal here only ends its requests: the chunks it was
/// given still run, so rank 0's count of what was handed out stays true.
RunResult ask_dynamic(const boost::mpi::communicator& comm, const Plan& plan,
                      const RunOptions& options, const Kernel& prototype, Clock::time_point t0) {
  QueueSource queue;
  std::mutex outbox_mutex;
  std::deque<std::pair<u64, Histogram>> outbox;  // finished, not yet sent (MPI: main thread only)
  RunOptions local = options;
  local.on_chunk = [&](u64 chunk, const Histogram& h) {
    std::lock_guard lock(outbox_mutex);
    outbox.emplace_back(chunk, h);
  };
  RunResult part;
  BackgroundWorkers compute(plan, prototype, local.threads, queue, local,
                            thread_prefix(comm.rank()), t0, part);
  auto send_note = [&](u64 chunk, const Histogram* h, u64 flags) {
    Note note{};
    note[kNoteChunk] = chunk;
    note[kNoteFlags] = flags;
    if (h != nullptr) std::copy(h->bins().begin(), h->bins().end(), note.begin() + kNoteBins);
    comm.send(0, kTagRequest, note.data(), static_cast<int>(kNoteSize));
  };
  auto send_finished = [&] {
    std::deque<std::pair<u64, Histogram>> ready;
    {
      std::lock_guard lock(outbox_mutex);
      ready.swap(outbox);
    }
    for (const auto& [chunk, h] : ready) send_note(chunk, &h, 0);
    return !ready.empty();
  };
  const auto stopping = [&] { return options.stop != nullptr && options.stop->load() != 0; };
  u64 reply = 0;
  std::optional<boost::mpi::request> pending;
  bool no_more = false;
  Backoff backoff;
  for (;;) {
    compute.rethrow_if_failed();
    if (no_more && compute.done()) break;
    bool busy = send_finished();
    if (!no_more && !pending && stopping()) {
      no_more = true;
      queue.close();
    }
    if (!no_more && !pending && queue.size() < local.threads) {
      send_note(kNoMoreChunks, nullptr, kNoteWantsChunk);
      pending = comm.irecv(0, kTagChunk, reply);
      busy = true;
    }
    if (pending && pending->test()) {
      pending.reset();
      if (reply == kNoMoreChunks) {
        no_more = true;
        queue.close();
      } else {
        queue.push(reply);
      }
      busy = true;
    }
    if (busy)
      backoff.reset();
    else
      backoff.idle();
  }
  compute.join();
  send_finished();  // the threads have stopped: nothing more comes into the outbox
  send_note(kNoMoreChunks, nullptr, kNoteLast);
  return part;
}

/// Adds every rank's part into rank 0's result: histograms by reduce, statistics and timelines by
/// gather, worker indices renumbered in rank order.
RunResult merge_at_root(const boost::mpi::communicator& comm, const RunResult& part) {
  quiet_barrier(comm);  // the reduce below would spin while slower ranks still compute
  RunResult merged;
  boost::mpi::reduce(comm, part.histogram.bins().data(), Histogram::kMaxKey + 1,
                     merged.histogram.bins().data(), std::plus<u64>(), 0);
  const RankReport report{part.workers, part.timeline};
  if (comm.rank() != 0) {
    boost::mpi::gather(comm, report, 0);
    return part;
  }
  std::vector<RankReport> reports;
  boost::mpi::gather(comm, report, reports, 0);
  for (const RankReport& r : reports) {
    const std::size_t offset = merged.workers.size();
    merged.workers.insert(merged.workers.end(), r.workers.begin(), r.workers.end());
    for (ChunkEvent e : r.timeline) {
      e.worker += offset;
      merged.timeline.push_back(e);
    }
  }
  return merged;
}

}  // namespace

RunResult run_mpi(const Plan& plan, const RunOptions& options) {
  // Each rank makes its own kernel (sieving primes): cheaper than sending them. The time it took
  // counts in the run's seconds, as it does in the other modes.
  const auto start = Clock::now();
  const auto kernel = make_kernel(plan.kernel, plan.count, plan.range.hi);
  const double setup = seconds_since(start);
  RunResult result = run_mpi(plan, options, *kernel);
  result.seconds += setup;
  return result;
}

RunResult run_mpi(const Plan& plan, const RunOptions& options, const Kernel& prototype) {
  if (!boost::mpi::environment::initialized())
    throw std::logic_error("run_mpi needs MPI started (start_mpi) on every rank");
  const boost::mpi::communicator comm;  // MPI_COMM_WORLD
  RunOptions local = options;
  local.threads = std::max(options.threads, 1u);
  // Timeline times count from this barrier on every rank: within a node they share one clock.
  quiet_barrier(comm);
  const auto t0 = Clock::now();
  RunResult part;
  if (options.schedule == Schedule::static_cyclic)
    part = run_static(comm, plan, local, prototype, t0);
  else if (comm.rank() == 0)
    part = serve_dynamic(comm, plan, local, prototype, t0);
  else
    part = ask_dynamic(comm, plan, local, prototype, t0);
  RunResult result = merge_at_root(comm, part);
  // Every rank exits alike: interrupted when any rank left chunks undone.
  result.interrupted = boost::mpi::all_reduce(comm, part.interrupted, boost::mpi::maximum<int>());
  result.seconds = seconds_since(t0);
  return result;
}

}  // namespace nf
