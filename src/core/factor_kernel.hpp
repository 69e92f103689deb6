/// @file factor_kernel.hpp
/// @brief A kernel that factors every number of a chunk on its own (factor64.hpp).
///
/// No tables and no set-up: its cost is per number (trial division below 2^10, then BPSW and
/// rho or ECM for what is left), the same at any width, so it is the kernel for a few numbers
/// far from 1, where the sieve's visit of every prime up to sqrt(hi) dominates.
#pragma once

#include <memory>

#include "core/kernel.hpp"

namespace numfactors {

class FactorKernel final : public Kernel {
 public:
  explicit FactorKernel(Count count) : count_(count) {}

  /// Any range of [1, 2^64-1].
  void count(const Range& r, Histogram& out) override;
  std::unique_ptr<Kernel> clone() const override { return std::make_unique<FactorKernel>(count_); }

 private:
  Count count_;
};

}  // namespace numfactors
