/// @file plan.hpp
/// @brief What to compute and how the range is cut into chunks; shared by every executor.
#pragma once

#include "core/kernel.hpp"
#include "core/range.hpp"

namespace nf {

/// The range cut into chunks [lo + i*chunk_size, ...] that partition it exactly: no gap, no
/// overlap, and the last chunk ends at range.hi even when that is 2^64-1.
struct Plan {
  Range range;
  Count count = Count::distinct;
  KernelKind kernel = KernelKind::sieve;
  u64 chunk_size = 1;

  u64 chunk_count() const { return (range.size() - 1) / chunk_size + 1; }
  /// Chunk i < chunk_count(). i * chunk_size < size <= 2^64-1, so nothing here wraps.
  Range chunk(u64 i) const {
    const u64 lo = range.lo + i * chunk_size;
    const u64 left = range.hi - lo;
    return {lo, left < chunk_size ? range.hi : lo + (chunk_size - 1)};
  }
};

/// A chunk size that gives each of `workers` many chunks (so dynamic scheduling can balance and a
/// lost chunk is cheap) but not so small that per-chunk overhead shows.
u64 default_chunk_size(const Range& r, unsigned workers);

/// Validates and fills a plan; chunk_size 0 means the default for `workers`.
Plan make_plan(const Range& r, Count count, KernelKind kernel, u64 chunk_size, unsigned workers);

}  // namespace nf
