/// @file mpi_run.cpp
/// @brief The static and dynamic schedules, and the merge of every rank's part at rank 0.
///
/// Threads: each rank computes in `threads` threads started by run_workers in a background thread,
/// while its main thread alone talks MPI (MPI_THREAD_FUNNELED). In the dynamic schedule rank 0's
/// main thread serves chunk requests and its own threads compute too, so 2 ranks on 2 cores keep
/// both busy. Waiting is done by polling with short sleeps, not by blocking calls: Open MPI's
/// blocking calls spin on a core, which would take it from the threads computing beside them.
#include <mpi.h>

#include <boost/mpi/collectives/gather.hpp>
#include <boost/mpi/collectives/reduce.hpp>
#include <boost/mpi/collectives/scatter.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/mpi/nonblocking.hpp>
#include <boost/mpi/operations.hpp>

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
  std::vector<Deal> deals;
  if (comm.rank() == 0)
    for (int r = 0; r < comm.size(); ++r)
      deals.push_back({plan.chunk_count(), static_cast<u64>(comm.size()), static_cast<u64>(r)});
  Deal mine;
  if (comm.rank() == 0)
    boost::mpi::scatter(comm, deals, mine, 0);
  else
    boost::mpi::scatter(comm, mine, 0);
  DealtSource source(mine);
  RunResult part;
  run_workers(plan, prototype, options.threads, source, options, thread_prefix(comm.rank()), t0,
              part);
  return part;
}

/// Rank 0 of the dynamic schedule: answers every request with the next chunk of `shared`, the
/// same counter its own threads take from, until every other rank was told there is no more.
RunResult serve_dynamic(const boost::mpi::communicator& comm, const Plan& plan,
                        const RunOptions& options, const Kernel& prototype, Clock::time_point t0) {
  CounterSource shared(0, plan.chunk_count());
  RunResult part;
  BackgroundWorkers compute(plan, prototype, options.threads, shared, options, thread_prefix(0),
                            t0, part);
  int retired = 0;  // ranks that got kNoMoreChunks; each asks again only after a chunk
  Backoff backoff;
  while (retired < comm.size() - 1 || !compute.done()) {
    compute.rethrow_if_failed();
    bool served = false;
    while (retired < comm.size() - 1) {
      const auto request = comm.iprobe(boost::mpi::any_source, kTagRequest);
      if (!request) break;
      comm.recv(request->source(), kTagRequest);
      const auto chunk = shared.next();
      comm.send(request->source(), kTagChunk, chunk ? *chunk : kNoMoreChunks);
      if (!chunk) ++retired;
      served = true;
    }
    if (served)
      backoff.reset();
    else
      backoff.idle();
  }
  compute.join();
  return part;
}

/// A rank other than 0 in the dynamic schedule: keeps up to `threads` chunks queued (one request
/// in flight at a time) so its threads rarely wait for a reply.
RunResult ask_dynamic(const boost::mpi::communicator& comm, const Plan& plan,
                      const RunOptions& options, const Kernel& prototype, Clock::time_point t0) {
  QueueSource queue;
  RunResult part;
  BackgroundWorkers compute(plan, prototype, options.threads, queue, options,
                            thread_prefix(comm.rank()), t0, part);
  u64 reply = 0;
  std::optional<boost::mpi::request> pending;
  bool no_more = false;
  Backoff backoff;
  while (!(no_more && compute.done())) {
    compute.rethrow_if_failed();
    if (!no_more && !pending && queue.size() < options.threads) {
      comm.send(0, kTagRequest);
      pending = comm.irecv(0, kTagChunk, reply);
      backoff.reset();
    }
    if (pending && pending->test()) {
      pending.reset();
      if (reply == kNoMoreChunks) {
        no_more = true;
        queue.close();
      } else {
        queue.push(reply);
      }
      continue;
    }
    backoff.idle();
  }
  compute.join();
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
  result.seconds = seconds_since(t0);
  return result;
}

}  // namespace nf
