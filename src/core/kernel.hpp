/// @file kernel.hpp
/// @brief The kernel interface: count the histogram of one chunk. Every executor runs kernels made here.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <atomic>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// What count() throws when the flag it watches is set: the chunk is given up, not counted.
struct Stopped {};

/// A kernel adds (Range, Count) -> Histogram into `out`. It holds per-worker buffers but no global
/// state, so any executor, on any split of a range into chunks, gives the same histogram.
class Kernel {
 public:
  virtual ~Kernel() = default;
  /// Adds omega(n) (or Omega(n)) of every n in `r` to `out`. `r.hi` must not exceed the `max_hi`
  /// the kernel was made for. Throws Stopped, with `out` partly added, once the watched flag is
  /// set: kernels look at it every few milliseconds of work, so that a signal is answered within
  /// a second however long the chunk.
  virtual void count(const Range& r, Histogram& out) = 0;
  /// A kernel for another worker: read-only tables (sieving primes) are shared, buffers are not.
  /// The clone watches nothing.
  virtual std::unique_ptr<Kernel> clone() const = 0;

  /// Watches `stop` (null: nothing) from now on.
  void watch(const std::atomic<int>* stop) { stop_ = stop; }

 protected:
  Kernel() = default;
  Kernel(const Kernel&) : stop_(nullptr) {}
  Kernel& operator=(const Kernel&) { return *this; }
  void check_stop() const {
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed) != 0) throw Stopped{};
  }
  const std::atomic<int>* stop_ = nullptr;
};

/// Makes a kernel for chunks whose numbers are all <= max_hi. Not for the wheel, whose kernel
/// depends on the whole target range: make it from the Plan (plan.hpp).
std::unique_ptr<Kernel> make_kernel(KernelKind kind, Count count, u64 max_hi);

}  // namespace numfactors
