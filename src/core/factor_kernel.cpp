/// @file factor_kernel.cpp
/// @brief The factor kernel: factor64 on every number of the chunk, into a local histogram.
#include "core/factor_kernel.hpp"

#include "core/factor64.hpp"

namespace numfactors {

void FactorKernel::count(const Range& r, Histogram& out) {
  Histogram h;
  // By offset from r.lo: r.hi may be 2^64-1, where n + 1 would wrap.
  for (u64 offset = 0, last = r.hi - r.lo;; ++offset) {
    // Half a millisecond of numbers near 2^64: with hundreds of workers on a few cores, a
    // worker's wait for the flag is that times the workers a core.
    if ((offset & 63) == 0) check_stop();
    h.add(factor_count(r.lo + offset, count_));
    if (offset == last) break;
  }
  out += h;
}

}  // namespace numfactors
