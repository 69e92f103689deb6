/// @file kernel.hpp
/// @brief The kernel interface: count the histogram of one chunk. Every executor runs kernels made here.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"
#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// A kernel adds (Range, Count) -> Histogram into `out`. It holds per-worker buffers but no global
/// state, so any executor, on any split of a range into chunks, gives the same histogram.
class Kernel {
 public:
  virtual ~Kernel() = default;
  /// Adds omega(n) (or Omega(n)) of every n in `r` to `out`. `r.hi` must not exceed the `max_hi`
  /// the kernel was made for.
  virtual void count(const Range& r, Histogram& out) = 0;
  /// A kernel for another worker: read-only tables (sieving primes) are shared, buffers are not.
  virtual std::unique_ptr<Kernel> clone() const = 0;
};

/// Makes a kernel for chunks whose numbers are all <= max_hi. Not for the wheel, whose kernel
/// depends on the whole target range: make it from the Plan (plan.hpp).
std::unique_ptr<Kernel> make_kernel(KernelKind kind, Count count, u64 max_hi);

}  // namespace numfactors
