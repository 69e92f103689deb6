/// @file auto_kernel.hpp
/// @brief The automatic kernel: for each chunk, the cheapest of the factor, hybrid and sieve
/// kernels by the cost model (kernel_cost.hpp), each made only when a chunk first needs it.
///
/// Which kernel counts a chunk does not change its histogram (every kernel is exact), so the
/// choice is free to follow the chunk's width and position: a few numbers far from 1 are
/// factored one by one, wider windows sieve the small primes and factor the cofactors, and wide
/// ones are sieved. The sieve's shared table (its primes up to min(sqrt(max_hi), 2^26)) and the
/// hybrid's (its primes up to 2^22 with their inverses) are made on the first chunk that needs
/// them, once for all clones; a chunk of a few numbers near 2^64 thus never pays for them.
#pragma once

#include <memory>
#include <mutex>

#include "core/kernel.hpp"

namespace numfactors {

class AutoKernel final : public Kernel {
 public:
  /// For the chunks of `range` cut every `chunk_size` numbers: the one-time set-up of a kernel
  /// is weighed as shared by all of them, and the hybrid's table goes up to the largest bound
  /// its chunks can ask for (that of the widest chunk at the top of the range).
  AutoKernel(Count count, const Range& range, u64 chunk_size);

  void count(const Range& r, Histogram& out) override;
  std::unique_ptr<Kernel> clone() const override;

  /// The kernel count(r) uses: factor, hybrid or sieve. Depends on r and the constructor's
  /// arguments only.
  KernelKind choice(const Range& r) const;

 private:
  /// What all clones share: the arguments and the prototypes made so far.
  struct Shared {
    Count count;
    Range range;
    u64 chunk_size;
    u64 chunks;
    std::mutex mutex;
    std::unique_ptr<Kernel> hybrid, sieve;  // made on first need, then only cloned
  };
  explicit AutoKernel(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  Kernel& kernel(KernelKind kind);

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Kernel> factor_, hybrid_, sieve_;  // this worker's, made on first use
};

}  // namespace numfactors
