/// @file mpi_stop.cpp
/// @brief A signal sent to one rank stops every rank: each rank's relay thread tells the others
/// of its own stop and takes theirs.
#include <mpi.h>

#include <atomic>
#include <chrono>
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
    thread_ = std::jthread([this] { relay(); });
  }

  ~StopRelay() override {
    quit_.store(true, std::memory_order_relaxed);
    thread_.join();
    if (!heard_any_) {
      MPI_Cancel(&inbox_);
      MPI_Wait(&inbox_, MPI_STATUS_IGNORE);
    }
    // A 4-byte message leaves at once (eagerly); a rank that has already gone may never take
    // it, so a send not done by now is let go rather than waited for.
    for (MPI_Request& send : sends_) {
      int done = 0;
      MPI_Test(&send, &done, MPI_STATUS_IGNORE);
      if (!done) MPI_Request_free(&send);
    }
    MPI_Comm_free(&comm_);
  }

  const std::atomic<int>* flag() const override { return &token_.flag(); }

 private:
  static constexpr int kTag = 1;

  void relay() {
    bool told = local_ == nullptr;
    while (!quit_.load(std::memory_order_relaxed)) {
      if (!told && (told_ = local_->load()) != 0) {
        token_.cancel(told_);
        for (int r = 0; r < size_; ++r)
          if (r != rank_) MPI_Isend(&told_, 1, MPI_INT, r, kTag, comm_, &sends_.emplace_back());
        told = true;
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

  const std::atomic<int>* local_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  int heard_ = 0, told_ = 0;  // the buffers of the receive and the sends
  bool heard_any_ = false;    // the relay thread's, then (after join) the destructor's
  MPI_Request inbox_ = MPI_REQUEST_NULL;
  std::vector<MPI_Request> sends_;
  CancelToken token_;
  std::atomic<bool> quit_{false};
  std::jthread thread_;  // last: starts once the members above exist
};

/// Without a relay: the rank's own flag.
class OwnStop final : public SharedStop {
 public:
  explicit OwnStop(const std::atomic<int>* local) : local_(local) {}
  const std::atomic<int>* flag() const override { return local_; }

 private:
  const std::atomic<int>* local_;
};

}  // namespace

std::unique_ptr<SharedStop> share_stop(MPI_Comm world, const std::atomic<int>* local, bool relay) {
  if (!relay) return std::make_unique<OwnStop>(local);
  return std::make_unique<StopRelay>(world, local);
}

}  // namespace numfactors::mpi_detail
