/// @file range.cpp
#include "numfactors/errors.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

void check_range(const Range& r) {
  if (r.lo == 0) throw RangeError("the range must start at 1 or above (got 0)", r);
  if (r.lo > r.hi)
    throw RangeError("empty range: min " + std::to_string(r.lo) + " is greater than max " +
                         std::to_string(r.hi),
                     r);
}

}  // namespace numfactors
