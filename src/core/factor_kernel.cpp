/// @file factor_kernel.cpp
/// @brief The factor kernel: factor64 on every number of the chunk, into a local histogram.
#include "core/factor_kernel.hpp"

#include "core/factor64.hpp"

namespace numfactors {

void FactorKernel::count(const Range& r, Histogram& out) {
  Histogram h;
  // By offset from r.lo: r.hi may be 2^64-1, where n + 1 would wrap.
  for (u64 offset = 0, last = r.hi - r.lo;; ++offset) {
    if ((offset & 4095) == 0) check_stop();  // a few milliseconds of numbers near 2^64
    h.add(factor_count(r.lo + offset, count_));
    if (offset == last) break;
  }
  out += h;
}

}  // namespace numfactors
