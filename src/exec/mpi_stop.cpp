/// @file mpi_stop.cpp
/// @brief A signal sent to one rank stops every rank: each rank's relay thread tells the others
/// of its own stop and takes theirs.
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "exec/mpi_threads.hpp"
#include "numfactors/run.hpp"

namespace numfactors::mpi_detail {
namespace {

/// How often a relay looks at its own flag and its inbox: a stop reaches every rank within
/// about this, far inside the second a signal may take.
constexpr auto kRelayPoll = std::chrono::milliseconds(10);

/// A thread of its own, because the main thread computes (as one of the rank's threads in the
/// static schedule and in the table build) and may not look at MPI for seconds. It calls MPI
/// beside the main thread: MPI_THREAD_MULTIPLE.
class StopRelay final : public SharedStop {
 public:
  StopRelay(MPI_Comm world, const std::atomic<int>* local) : local_(local) {
    check(MPI_Comm_dup(world, &comm_), "MPI_Comm_dup");  // its messages meet no other code's
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    check(MPI_Irecv(&heard_, 1, MPI_INT, MPI_ANY_SOURCE, kTag, comm_, &inbox_), "MPI_Irecv");
    try {
      thread_ = start_thread([this] { relay(); });
    } catch (...) {
      drop_inbox();
      MPI_Comm_free(&comm_);
      throw;
    }
  }

  /// Collective: every rank learns how many stops were sent to it and takes them all, and its
  /// own sends complete, so that no message is left for a later communicator.
  void finish() override {
    end_thread();
    // A rank that told the others sent one message to each.
    std::vector<int> sent_to(static_cast<std::size_t>(size_), told_ ? 1 : 0);
    sent_to[static_cast<std::size_t>(rank_)] = 0;
    int to_me = 0;
    check(MPI_Reduce_scatter_block(sent_to.data(), &to_me, 1, MPI_INT, MPI_SUM, comm_),
          "MPI_Reduce_scatter_block");
    int taken = heard_any_ ? 1 : 0;
    if (!heard_any_ && to_me > 0) {
      MPI_Wait(&inbox_, MPI_STATUS_IGNORE);
      taken = 1;
    } else if (!heard_any_) {
      drop_inbox();
    }
    for (int other = 0; taken < to_me; ++taken)
      MPI_Recv(&other, 1, MPI_INT, MPI_ANY_SOURCE, kTag, comm_, MPI_STATUS_IGNORE);
    MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE);
    sends_.clear();
    finished_ = true;
  }

  /// Without finish() (an exception on the way out): let go, waiting for nothing.
  ~StopRelay() override {
    if (!finished_) {
      end_thread();
      if (!heard_any_) drop_inbox();
      for (MPI_Request& send : sends_) {
        int done = 0;
        MPI_Test(&send, &done, MPI_STATUS_IGNORE);
        if (!done) MPI_Request_free(&send);
      }
      // A send let go may still read its buffer: that buffer is never freed.
      if (!sends_.empty()) (void)told_.release();
    }
    MPI_Comm_free(&comm_);
  }

  const std::atomic<int>* flag() const override { return &token_.flag(); }

 private:
  static constexpr int kTag = 1;

  /// The receive posted at the start, which no stop came to.
  void drop_inbox() {
    MPI_Cancel(&inbox_);
    MPI_Wait(&inbox_, MPI_STATUS_IGNORE);
  }

  void end_thread() {
    if (!thread_.joinable()) return;
    quit_.store(true, std::memory_order_relaxed);
    thread_.join();
  }

  void relay() {
    while (!quit_.load(std::memory_order_relaxed)) {
      if (local_ != nullptr && !told_) {
        if (const int reason = local_->load(); reason != 0) {
          token_.cancel(reason);
          // Once a stop was heard, the rank that sent it has told every other one.
          if (!heard_any_) tell(reason);
        }
      }
      if (!heard_any_) {
        int arrived = 0;
        MPI_Test(&inbox_, &arrived, MPI_STATUS_IGNORE);
        if (arrived) {
          heard_any_ = true;
          token_.cancel(heard_);
        }
      }
      std::this_thread::sleep_for(kRelayPoll);
    }
  }

  void tell(int reason) {
    told_ = std::make_unique<int>(reason);
    for (int r = 0; r < size_; ++r)
      if (r != rank_) MPI_Isend(told_.get(), 1, MPI_INT, r, kTag, comm_, &sends_.emplace_back());
  }

  const std::atomic<int>* local_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  int heard_ = 0;              // the receive's buffer
  std::unique_ptr<int> told_;  // the sends' buffer, once this rank told the others
  // The relay thread's, then (after the join) finish()'s and the destructor's:
  bool heard_any_ = false;
  std::vector<MPI_Request> sends_;
  bool finished_ = false;
  MPI_Request inbox_ = MPI_REQUEST_NULL;
  CancelToken token_;
  std::atomic<bool> quit_{false};
  std::jthread thread_;  // last: starts once the members above exist
};

/// Without a relay: the rank's own flag.
class OwnStop final : public SharedStop {
 public:
  explicit OwnStop(const std::atomic<int>* local) : local_(local) {}
  const std::atomic<int>* flag() const override { return local_; }
  void finish() override {}

 private:
  const std::atomic<int>* local_;
};

}  // namespace

std::unique_ptr<SharedStop> share_stop(MPI_Comm world, const std::atomic<int>* local, bool relay) {
  // Every rank makes the same choice (a relay's communicator is made collectively).
  int all = relay ? 1 : 0;
  check(MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, world), "MPI_Allreduce");
  if (all == 0) return std::make_unique<OwnStop>(local);
  return std::make_unique<StopRelay>(world, local);
}

}  // namespace numfactors::mpi_detail
