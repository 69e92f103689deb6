/// @file trial_kernel.hpp
/// @brief The seed assignment's trial-division factorize(), kept as the reference anyone can check.
#pragma once

#include "core/kernel.hpp"

namespace numfactors {

/// omega(n) (or Omega(n)) by trial division: 2, then odd p while p <= n / p.
/// Cost O(sqrt(n)) per prime n: about 2^31 divisions for a prime near 2^64.
/// Throws Stopped once *stop is set (checked every 2^20 divisions).
unsigned trial_factor_count(u64 n, Count count, const std::atomic<int>* stop = nullptr);

class TrialKernel final : public Kernel {
 public:
  explicit TrialKernel(Count count) : count_(count) {}
  void count(const Range& r, Histogram& out) override;
  std::unique_ptr<Kernel> clone() const override { return std::make_unique<TrialKernel>(count_); }

 private:
  Count count_;
};

}  // namespace numfactors
