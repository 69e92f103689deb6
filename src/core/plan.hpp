/// @file plan.hpp
/// @brief What to compute and how the range is cut into chunks; shared by every executor.
#pragma once

#include <memory>
#include <vector>

#include "core/kernel.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// The space cut into chunks [lo + i*chunk_size, ...] that partition it exactly: no gap, no
/// overlap, and the last chunk ends at space().hi even when that is 2^64-1. The space is the range
/// itself, or for the wheel kernel the m of n = 2^a 3^b m (gcd(m, 6) = 1), [1, range.hi]: its
/// chunks' histograms still add up to the range's (wheel.hpp), but a chunk holds
/// numbers_in_chunk(i) numbers of the range, not chunk(i).size().
struct Plan {
  Range range;
  Count count = Count::distinct;
  KernelKind kernel = KernelKind::sieve;
  u64 chunk_size = 1;

  Range space() const { return kernel == KernelKind::wheel ? Range{1, range.hi} : range; }
  u64 chunk_count() const { return (space().size() - 1) / chunk_size + 1; }
  /// Chunk i < chunk_count(). i * chunk_size < size <= 2^64-1, so nothing here wraps.
  Range chunk(u64 i) const {
    const Range s = space();
    const u64 lo = s.lo + i * chunk_size;
    const u64 left = s.hi - lo;
    return {lo, left < chunk_size ? s.hi : lo + (chunk_size - 1)};
  }
  /// How many numbers of the range chunk i counts: the total of its histogram.
  u64 numbers_in_chunk(u64 i) const;
};

/// The kernel that counts this plan's chunks (the wheel's depends on the whole range).
std::unique_ptr<Kernel> make_kernel(const Plan& plan);

/// The kernels that count the plan's chunks, each once, as make_kernel(plan) picks them: the
/// plan's own, or for the automatic kernel its choices for the first, the last full and the last
/// chunk (the others lie between and change with their position slowly, if at all).
std::vector<KernelKind> chunk_kernels(const Plan& plan);

/// The most memory one worker holds while it counts the plan's chunks (`each`), and the memory a
/// process's workers share beside it (SieveKernel::worker_bytes and shared_bytes for the kernels
/// that sieve; the hybrid kernel's windows and primes take a few MiB).
struct WorkerMemory {
  u64 each;
  u64 shared;
};
WorkerMemory worker_memory(const Plan& plan);

/// The sieve method's kernel when none is asked for: the wheel where it pays (wheel.hpp), else
/// automatic (per chunk the cheapest of factor, hybrid and sieve: auto_kernel.hpp).
KernelKind default_kernel(const Range& r);

/// A chunk size that gives each of `workers` many chunks (so dynamic scheduling can balance and a
/// lost chunk is cheap) but not so small that per-chunk overhead shows: the rule of the wheel and
/// the trial kernel, whose cost a chunk is one pass over the sieving primes or nothing.
u64 default_chunk_size(const Range& r, unsigned workers);

/// The default chunk size of `kernel` over its space r: the rule above for the wheel and the
/// trial kernel, the cost model's choice for the others (cost::chunk_size_for).
u64 default_chunk_size(const Range& r, KernelKind kernel, unsigned workers);

/// Throws KernelRangeError when `kernel` cannot count r (the wheel: beyond 2^62-1, or far from 1).
void check_kernel_range(const Range& r, KernelKind kernel);

/// Validates and fills a plan; chunk_size 0 means the default for `workers`.
Plan make_plan(const Range& r, Count count, KernelKind kernel, u64 chunk_size, unsigned workers);

}  // namespace numfactors
