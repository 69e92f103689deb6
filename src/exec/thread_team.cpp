/// @file thread_team.cpp
#include "exec/thread_team.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "exec/executor.hpp"

namespace numfactors {
namespace {

/// Waits up to `limit` for `ready()` without sleeping (the caller then sleeps if it must).
template <class Ready>
void spin_for(std::chrono::microseconds limit, const Ready& ready) {
  if (limit.count() == 0) return;
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (ready()) return;
      cpu_pause();
    }
    if (std::chrono::steady_clock::now() >= until) return;
  }
}

/// threads - 1 waiting threads and the caller take pieces of each job from a shared counter;
/// pieces are many a thread (walk items come biggest first, table steps vary), so the last ones
/// are short. Calls must come from one thread at a time (the table build makes them in turn).
///
/// The table build makes tens of thousands of calls, many of some tens of microseconds, with
/// serial steps of the leader between them; waking a sleeping thread (a futex) takes about as
/// long. So a thread that waits (a helper for the next call, the caller for the helpers) first
/// spins, and sleeps on the condition variable only after that.
class ThreadTeam {
 public:
  /// The helpers start at the first call: a small table shares no step, and starts no thread.
  ThreadTeam(unsigned threads, std::chrono::microseconds spin) : threads_(threads), spin_(spin) {}
  ~ThreadTeam() { stop_helpers(); }
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  void run(u64 begin, u64 end, const RangeBody& body) {
    if (begin >= end) return;
    if (helpers_.empty()) start_helpers();
    const u64 team = helpers_.size() + 1;
    {
      std::lock_guard lock(mutex_);
      body_ = &body;
      next_ = begin;
      end_ = end;
      piece_ = std::max<u64>(1, (end - begin) / (16 * team));
      busy_ = helpers_.size();
      failure_ = nullptr;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    work();
    spin_for(spin_, [this] { return busy_.load() == 0; });
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
  void start_helpers() {
    helpers_.reserve(threads_);  // no reallocation between a thread's start and its push
    try {
      for (unsigned t = 1; t < threads_; ++t) helpers_.push_back(start_thread([this] { serve(); }));
    } catch (...) {
      stop_helpers();  // those started are told to end, and joined
      throw;
    }
  }
  void stop_helpers() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    helpers_.clear();  // joins
  }
  void serve() {
    for (u64 seen = 0;;) {
      spin_for(spin_, [&] { return generation_.load() != seen; });
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
      }
      work();
      std::lock_guard lock(mutex_);
      if (busy_.fetch_sub(1) == 1) done_.notify_one();
    }
  }

  const unsigned threads_;  // the caller and threads_ - 1 helpers
  const std::chrono::microseconds spin_;
  std::vector<std::jthread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // Both change under mutex_ and are read without it while spinning.
  std::atomic<u64> generation_{0};  // a new job (or stop_) for the helpers
  bool stop_ = false;
  std::atomic<std::size_t> busy_{0};  // helpers still in the current job
  std::exception_ptr failure_;
  const RangeBody* body_ = nullptr;
  std::atomic<u64> next_{0};
  u64 end_ = 0, piece_ = 1;
};

}  // namespace

ParallelFor threads_for(unsigned threads) {
  // Several of the table's short steps: at 10^15 on 2 threads the build measured fastest with
  // 200 us, against 50 us and none.
  constexpr std::chrono::microseconds kSpin{200};
  return threads_for(threads, threads <= available_cores() ? kSpin : std::chrono::microseconds{0});
}

ParallelFor threads_for(unsigned threads, std::chrono::microseconds spin) {
  if (threads <= 1) return serial_for;
  // One team for all calls: the table build makes one call a sieving prime (tens of thousands),
  // and starting threads for each costs more than many of the calls' work on a loaded machine.
  const auto team = std::make_shared<ThreadTeam>(threads, spin);
  return [team](u64 begin, u64 end, const RangeBody& body) { team->run(begin, end, body); };
}

}  // namespace numfactors
