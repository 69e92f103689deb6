/// @file mpi_dynamic.cpp
/// @brief The dynamic schedule: rank 0 hands out chunks on request and collects every finished
/// chunk's histogram as it comes (for the checkpoint journal and progress), while its own threads
/// compute too.
#include <boost/mpi/nonblocking.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "exec/mpi_threads.hpp"
#include "exec/mpi_wire.hpp"

namespace numfactors::mpi_detail {
namespace {

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

}  // namespace

/// Rank 0 of the dynamic schedule: reads every note the other ranks send (a finished chunk for
/// options.on_chunk, a request answered with the next chunk of `shared`, the same source its own
/// threads take from), until every other rank sent its last note.
RunResult serve_dynamic(const boost::mpi::communicator& comm, Tasks& tasks,
                        const RunOptions& options, Clock::time_point t0) {
  CounterSource all(0, tasks.count());
  ResumeSource shared(all, options.skip, options.stop);
  // on_chunk is called here for other ranks' chunks and by this rank's threads for their own.
  std::mutex on_chunk_mutex;
  RunOptions local = options;
  if (options.on_task)
    local.on_task = [&](u64 chunk, const Histogram& h) {
      std::lock_guard lock(on_chunk_mutex);
      options.on_task(chunk, h);
    };
  RunResult part;
  BackgroundWorkers compute(tasks, local.threads, shared, local, thread_prefix(0), t0, part);
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
      if (note[kNoteChunk] != kNoMoreChunks && local.on_task) {
        Histogram h;
        std::copy(note.begin() + kNoteBins, note.end(), h.bins().begin());
        local.on_task(note[kNoteChunk], h);
      }
      if (note[kNoteFlags] & kNoteWantsChunk) {
        // A share of what is left: half of it spread over every thread of every rank.
        const u64 share = all.left() / (2 * u64(comm.size()) * std::max(local.threads, 1u));
        const u64 wanted = std::clamp<u64>(share, 1, kMaxBatch);
        Batch batch{};
        while (batch[0] < wanted) {
          const auto chunk = shared.next();
          if (!chunk) break;
          batch[++batch[0]] = *chunk;
        }
        comm.send(request->source(), kTagChunk, batch.data(), static_cast<int>(batch.size()));
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
  if (part.interrupted == 0) part.interrupted = shared.cut_by();
  return part;
}

/// A rank other than 0 in the dynamic schedule: asks for a batch of chunks whenever fewer than
/// `threads` are queued (one request in flight at a time) so its threads rarely wait for a reply,
/// and sends rank 0 each finished chunk's histogram. All its notes share one tag, so they arrive
/// in the order sent: the last note comes after every chunk's. A stop signal ends its requests
/// and its threads take no more from the queue: what is left there is undone, as in any mode.
RunResult ask_dynamic(const boost::mpi::communicator& comm, Tasks& tasks,
                      const RunOptions& options, Clock::time_point t0) {
  QueueSource queue;
  std::mutex outbox_mutex;
  std::deque<std::pair<u64, Histogram>> outbox;  // finished, not yet sent (MPI: main thread only)
  RunOptions local = options;
  local.on_task = [&](u64 chunk, const Histogram& h) {
    std::lock_guard lock(outbox_mutex);
    outbox.emplace_back(chunk, h);
  };
  RunResult part;
  ResumeSource taken(queue, nullptr, options.stop);  // refuses the queued chunks after a stop
  BackgroundWorkers compute(tasks, local.threads, taken, local, thread_prefix(comm.rank()), t0,
                            part);
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
  Batch reply{};
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
      pending = comm.irecv(0, kTagChunk, reply.data(), static_cast<int>(reply.size()));
      busy = true;
    }
    if (pending && pending->test()) {
      pending.reset();
      if (reply[0] == 0) {
        no_more = true;
        queue.close();
      } else {
        for (u64 k = 1; k <= reply[0]; ++k) queue.push(reply[k]);
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
  if (part.interrupted == 0) part.interrupted = taken.cut_by();
  return part;
}

}  // namespace numfactors::mpi_detail
