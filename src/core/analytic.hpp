/// @file analytic.hpp
/// @brief The sublinear method: the omega / Omega histogram of [1, N] from prime counts, without
/// visiting the numbers, and any range [lo, hi] as hist[1, hi] - hist[1, lo - 1].
///
/// O(N^(3/4) / log N) time, O(sqrt N) memory (PrimeCountTable::memory_bytes; about 190 MiB at
/// N = 10^15, limited to PrimeCountTable::kDefaultMaxBytes unless the caller allows more).
///
/// How an executor runs it (the pieces are independent of threads, processes and MPI):
///   1. PrimeCountTable table(hi); table.build(parallel_for);  // each rank builds its own
///   2. AnalyticWalk walk(table);  // items 0 .. walk.item_count() - 1, biggest first
///   3. FactorHistograms h = sum of walk.run_item(k) over all k, on any workers in any order
///      (threads: take k from an atomic counter; MPI: deal items out by item_cost, reduce to rank 0;
///      checkpoints: journal the finished k with their histograms);
///   4. for lo > 2 the same for hi = lo - 1, subtracted.
/// count_prefix and count_range below do exactly this in one call.
#pragma once

#include "core/analytic_walk.hpp"
#include "core/prime_count_table.hpp"
#include "core/range.hpp"

namespace nf {

/// hist[1, n] of both counts (n >= 1; n = 0 gives empty histograms). The table update and the
/// walk's items both go through `parallel_for`, which should hand out small pieces dynamically:
/// the items are sorted by decreasing cost, so fixed halves would be unequal.
FactorHistograms count_prefix(u64 n, const ParallelFor& parallel_for = serial_for,
                              u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

/// hist[lo, hi] = hist[1, hi] - hist[1, lo - 1]. Throws UsageError for a bad range or when the
/// tables would exceed max_bytes.
FactorHistograms count_range(const Range& r, const ParallelFor& parallel_for = serial_for,
                             u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

/// Estimated single-core seconds of each method on a range (for `--method auto`).
struct MethodCost {
  double sieve_seconds;
  double analytic_seconds;
  u64 analytic_bytes;  // table memory, PrimeCountTable::memory_bytes(hi)
};

/// The cost model (constants measured on the development machine, AMD EPYC, one core):
///   sieve:    t = kSieveNs * (hi - lo + 1) * ln ln hi / ln ln 10^9: the segmented sieve does
///             sum_{p <= sqrt hi} 1/p ~ ln ln hi updates a number;
///   analytic: t = kAnalyticNs * A(hi) + kAnalyticNs * A(lo - 1), A(N) = N^(3/4) / ln N: the
///             table update is sum_p min(sqrt N, N/p^2) ~ 8 N^(3/4) / ln N steps and the walk's
///             leaf lookups grow alike (measured exponent 0.75 to 0.77 over 10^11..10^14).
MethodCost estimate_cost(const Range& r);

/// True when the analytic method is estimated cheaper and its tables fit in max_bytes.
bool analytic_is_cheaper(const Range& r, u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

}  // namespace nf
