/// @file kernel.cpp
#include "core/kernel.hpp"

#include "core/sieve_kernel.hpp"
#include "core/trial_kernel.hpp"

namespace nf {

std::string to_string(KernelKind k) { return k == KernelKind::sieve ? "sieve" : "trial"; }

std::unique_ptr<Kernel> make_kernel(KernelKind kind, Count count, u64 max_hi) {
  if (kind == KernelKind::trial) return std::make_unique<TrialKernel>(count);
  return std::make_unique<SieveKernel>(count, max_hi);
}

}  // namespace nf
