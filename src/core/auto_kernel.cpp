/// @file auto_kernel.cpp
#include "core/auto_kernel.hpp"

#include "core/factor_kernel.hpp"
#include "core/hybrid_kernel.hpp"
#include "core/kernel_cost.hpp"
#include "core/sieve_kernel.hpp"

namespace numfactors {

AutoKernel::AutoKernel(Count count, const Range& range, u64 chunk_size)
    : shared_(std::make_shared<Shared>()) {
  shared_->count = count;
  shared_->range = range;
  shared_->chunk_size = std::min(std::max<u64>(chunk_size, 1), range.size());
  shared_->chunks = (range.size() - 1) / shared_->chunk_size + 1;
}

std::unique_ptr<Kernel> AutoKernel::clone() const {
  return std::unique_ptr<Kernel>(new AutoKernel(shared_));
}

KernelKind AutoKernel::choice(const Range& r) const {
  const Range& range = shared_->range;
  return cost::cheapest_direct(r, {range.hi - (shared_->chunk_size - 1), range.hi},
                               shared_->chunks);
}

Kernel& AutoKernel::kernel(KernelKind kind) {
  if (kind == KernelKind::factor) {
    if (!factor_) factor_ = std::make_unique<FactorKernel>(shared_->count);
    return *factor_;
  }
  std::unique_ptr<Kernel>& mine = kind == KernelKind::hybrid ? hybrid_ : sieve_;
  if (!mine) {
    // Prototypes are made under the lock, once; clones share what they made (the hybrid's
    // inverses are made once too, by its first chunk longer than a window).
    const std::lock_guard lock(shared_->mutex);
    std::unique_ptr<Kernel>& prototype =
        kind == KernelKind::hybrid ? shared_->hybrid : shared_->sieve;
    if (!prototype) {
      if (kind == KernelKind::hybrid) {
        // A chunk's bound grows with its width and height: the widest at the top asks the most.
        const Range& r = shared_->range;
        const u64 largest = HybridKernel::choose_bound({r.hi - (shared_->chunk_size - 1), r.hi});
        prototype = std::make_unique<HybridKernel>(shared_->count, r.hi, 0, largest);
      } else {
        prototype = std::make_unique<SieveKernel>(shared_->count, shared_->range.hi);
      }
    }
    mine = prototype->clone();
  }
  return *mine;
}

void AutoKernel::count(const Range& r, Histogram& out) {
  // Before a worker's first chunk makes its kernel (megabytes far from 1): hundreds of workers
  // making theirs at once would otherwise all finish that before hearing of a stop.
  check_stop();
  Kernel& k = kernel(choice(r));
  k.watch(stop_);  // a sub-kernel gives its chunk up as this kernel would
  k.count(r, out);
}

}  // namespace numfactors
