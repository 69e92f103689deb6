/// @file kernel.cpp
#include "core/kernel.hpp"

#include <stdexcept>

#include "core/auto_kernel.hpp"
#include "core/factor_kernel.hpp"
#include "core/hybrid_kernel.hpp"
#include "core/sieve_kernel.hpp"
#include "core/trial_kernel.hpp"

namespace numfactors {

std::unique_ptr<Kernel> make_kernel(KernelKind kind, Count count, u64 max_hi) {
  switch (kind) {
    case KernelKind::trial:
      return std::make_unique<TrialKernel>(count);
    case KernelKind::factor:
      return std::make_unique<FactorKernel>(count);
    case KernelKind::hybrid:
      return std::make_unique<HybridKernel>(count, max_hi);
    case KernelKind::automatic:
      return std::make_unique<AutoKernel>(count, Range{1, max_hi}, max_hi);
    case KernelKind::wheel:
      throw std::logic_error("the wheel kernel is made for a target range: make_kernel(plan)");
    case KernelKind::sieve:
      break;
  }
  return std::make_unique<SieveKernel>(count, max_hi);
}

}  // namespace numfactors
