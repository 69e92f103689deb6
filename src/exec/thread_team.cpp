/// @file thread_team.cpp
#include "exec/thread_team.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace numfactors {
namespace {

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

}  // namespace

ParallelFor threads_for(unsigned threads) {
  if (threads <= 1) return serial_for;
  // One team for all calls: the table build makes one call a sieving prime (tens of thousands),
  // and starting threads for each costs more than many of the calls' work on a loaded machine.
  const auto team = std::make_shared<ThreadTeam>(threads);
  return [team](u64 begin, u64 end, const RangeBody& body) { team->run(begin, end, body); };
}

}  // namespace numfactors
