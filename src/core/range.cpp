/// @file range.cpp
#include "core/range.hpp"

namespace numfactors {

void check_range(const Range& r) {
  if (r.lo == 0) throw UsageError("the range must start at 1 or above (got 0)");
  if (r.lo > r.hi)
    throw UsageError("empty range: min " + std::to_string(r.lo) + " is greater than max " +
                     std::to_string(r.hi));
}

std::string to_string(Count c) { return c == Count::distinct ? "distinct" : "total"; }

}  // namespace numfactors
