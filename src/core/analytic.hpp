/// @file analytic.hpp
/// @brief The sublinear method: the omega / Omega histogram of [1, N] from prime counts, without
/// visiting the numbers, and any range [lo, hi] as hist[1, hi] - hist[1, lo - 1].
///
/// O(N^(3/4) / log N) time, O(sqrt N) memory (PrimeCountTable::memory_bytes; about 190 MiB at
/// N = 10^15, limited to PrimeCountTable::kDefaultMaxBytes unless the caller allows more).
///
/// How an executor runs it (the pieces are independent of threads, processes and MPI):
///   1. PrimeCountTable table(hi); table.build(parallel_for);  // or processes of one machine
///      build one table in shared memory (place_keys, Role), or build Share::odd /
///      Share::even and swap them (export_large, import_large);
///   2. AnalyticWalk walk(table);  // items 0 .. walk.item_count() - 1, biggest first
///   3. FactorHistograms h = sum of walk.run_item(k) over all k, on any workers in any order
///      (threads: take k from an atomic counter; MPI: deal the items out back and forth, as the
///      sieve's chunks, or on request, and reduce to rank 0; checkpoints: journal the finished
///      k with their histograms; exec/analytic_stage.hpp);
///   4. for lo > 1 the same for hi = lo - 1, subtracted (for lo = 2 just the number 1, bin 0).
/// count_prefix and count_range below do exactly this in one call.
#pragma once

#include "core/analytic_walk.hpp"
#include "core/prime_count_table.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// hist[1, n] of both counts (n >= 1; n = 0 gives empty histograms). The table update and the
/// walk's items both go through `parallel_for`, which should hand out small pieces dynamically:
/// the items are sorted by decreasing cost, so fixed halves would be unequal.
FactorHistograms count_prefix(u64 n, const ParallelFor& parallel_for = serial_for,
                              u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

/// hist[lo, hi] = hist[1, hi] - hist[1, lo - 1]. Throws RangeError for a bad range and
/// TableTooLarge when the tables would exceed max_bytes.
FactorHistograms count_range(const Range& r, const ParallelFor& parallel_for = serial_for,
                             u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

/// Estimated single-core seconds of each method on a range (for `--method auto`).
struct MethodCost {
  double sieve_seconds;
  double analytic_seconds;
  u64 analytic_bytes;  // table memory, PrimeCountTable::memory_bytes(hi)
};

/// The cost model (constants measured on the development machine, one core, in analytic.cpp):
///   sieve:    where the wheel pays (wheel.hpp), t = 1 ms + (0.7 + 0.24 * max(0, log10(hi) - 9))
///             ns * hi / 3: its cells are the m coprime to 6 of [1, hi]; the cost a cell grows
///             slowly with hi (more sieving primes); the set-up (pre-sieve patterns, a segment
///             buffer) is most of a small run. Elsewhere the automatic kernel's estimate
///             (kernel_cost.hpp: factor, hybrid or sieve chunk by chunk);
///   analytic: t = P(hi) + P(lo - 1), a prefix P(N) = 19 ns * A(N) + 70 ns * sqrt(N) + 0.05 ms,
///             A(N) = N^(3/4) / ln N: the table update is sum over p <= sqrt N of
///             min(sqrt N, N/p^2) ~ 8 N^(3/4) / ln N steps and the walk's leaf lookups grow alike
///             (the walk a little over half); the sqrt(N) term (the table's entries, the primes up
///             to sqrt N) is most of a prefix below 10^10.
/// So the sieve wins for windows narrower than about 2 P(hi) / (ns a number): ~10^9 numbers at
/// hi = 10^12, 2e10 at 10^14; the analytic method wins for anything wider, and by far for
/// prefixes ([1, 10^12]: under a second against 20 minutes).
MethodCost estimate_cost(const Range& r);

/// The sieve's part of the model: estimated seconds a cell (a number; a value of m for the
/// wheel) for a range ending at r.hi, on one core.
double sieve_seconds_a_cell(const Range& r);

/// Estimated seconds on one core of the sieve method with `kernel` on r (the wheel's formula
/// above, or the cost model of kernel_cost.hpp; the trial kernel is not modeled: infinity).
double sieve_method_seconds(const Range& r, KernelKind kernel);

/// The analytic method's part: estimated seconds on one core for the prefix [1, n] (0 for n = 0).
double analytic_prefix_seconds(u64 n);

/// The share of a prefix's analytic time that its table build takes (the walk takes the rest):
/// measured 0.4 to 0.5 over 10^11 .. 10^15.
constexpr double kAnalyticTableShare = 0.45;

/// True when the analytic method is estimated cheaper and its tables fit in max_bytes.
bool analytic_is_cheaper(const Range& r, u64 max_bytes = PrimeCountTable::kDefaultMaxBytes);

}  // namespace numfactors
