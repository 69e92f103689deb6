/// @file kernel.cpp
#include "core/kernel.hpp"

#include <stdexcept>

#include "core/sieve_kernel.hpp"
#include "core/trial_kernel.hpp"

namespace numfactors {

std::unique_ptr<Kernel> make_kernel(KernelKind kind, Count count, u64 max_hi) {
  if (kind == KernelKind::trial) return std::make_unique<TrialKernel>(count);
  if (kind == KernelKind::wheel)
    throw std::logic_error("the wheel kernel is made for a target range: make_kernel(plan)");
  return std::make_unique<SieveKernel>(count, max_hi);
}

}  // namespace numfactors
