/// @file histogram.cpp
#include "numfactors/histogram.hpp"

namespace numfactors {

Histogram& Histogram::operator+=(const Histogram& other) {
  for (unsigned k = 0; k <= kMaxKey; ++k) bins_[k] += other.bins_[k];
  return *this;
}

Histogram& Histogram::operator-=(const Histogram& other) {
  for (unsigned k = 0; k <= kMaxKey; ++k) bins_[k] -= other.bins_[k];
  return *this;
}

u64 Histogram::total() const {
  u64 sum = 0;
  for (u64 b : bins_) sum += b;
  return sum;
}

}  // namespace numfactors
