/// @file analytic.cpp
#include "core/analytic.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "core/kernel_cost.hpp"
#include "core/plan.hpp"
#include "core/wheel.hpp"

namespace numfactors {
namespace {

/// Measured constants of the cost model in analytic.hpp: CPU seconds on one core of the
/// development machine (AMD EPYC, shared, Release build), numfactors_analytic_bench.
///   sieve, ns a number:  0.69 at 10^9, 1.30 at 10^12, 1.88 at 10^14
///   analytic, ns a unit: 15.9 at 10^11, 14.4 at 10^12, 14.3 at 10^13, 16.3 at 10^14
///   set-up: the sieve 1.1 ms a run, end to end on [2, 1000] (a kernel's pre-sieve patterns and
///   segment buffer); the analytic method, in process, count_prefix(500000) takes 0.083 ms where
///   the N^(3/4) term says 0.022 ms: 0.05 ms a prefix is the rest (the primes <= sqrt N, the
///   allocation, cutting the items); count_prefix(1000) takes 0.004 ms
/// Measured again on the machine the direct kernels' model was fitted on (Intel Xeon, 2 vCPUs,
/// shared; numfactors --method analytic --workers 1, the report's seconds): 0.2 ms at 10^6,
/// 3.3 ms at 10^8, 7.6 ms at 10^9, 46 ms at 10^10, 184 ms at 10^11, 0.75 s at 10^12, 3.6 s at
/// 10^13: about 19 ns a unit, plus a term in sqrt(N) (the table's 2 sqrt(N) entries, the primes
/// <= sqrt(N)) that is most of the time below 10^10: 70 ns * sqrt(N) fits it.
/// Since the table's runs, huge pages and the hardware gather (same machine, same command):
/// 0.09 s at 10^11, 0.38 s at 10^12, 1.80 s at 10^13, 9.48 s at 10^14: 9 ns a unit with the
/// same sqrt(N) term. Since the leaves by reciprocal and the table's tail in batches: 0.105 s,
/// 0.389 s, 1.66 s, 8.33 s: 7.6-8.8 ns a unit from 10^12 on.
constexpr double kSieveNsAt1e9 = 0.7;
constexpr double kSieveNsPerDecade = 0.24;
constexpr double kSieveSetup = 1e-3;  // seconds a run
constexpr double kAnalyticNs = 8.0;
constexpr double kAnalyticRootNs = 70.0;    // a unit of sqrt(N)
constexpr double kAnalyticSetup = 0.05e-3;  // seconds a prefix: primes, allocation, items

double analytic_units(u64 n) {
  if (n < 16) return 0;
  const double x = static_cast<double>(n);
  return std::pow(x, 0.75) / std::log(x);
}

}  // namespace

FactorHistograms count_prefix(u64 n, const ParallelFor& parallel_for, u64 max_bytes) {
  FactorHistograms h;
  if (n == 0) return h;
  PrimeCountTable table(n, max_bytes);
  table.build(parallel_for);
  const AnalyticWalk walk(table);
  // One slot an item: pieces may run concurrently and write only their own slots.
  std::vector<FactorHistograms> parts(walk.item_count());
  parallel_for(0, parts.size(), [&](u64 lo, u64 hi) {
    for (u64 k = lo; k < hi; ++k) parts[k] = walk.run_item(k);
  });
  for (const FactorHistograms& part : parts) h += part;
  return h;
}

FactorHistograms count_range(const Range& r, const ParallelFor& parallel_for, u64 max_bytes) {
  check_range(r);
  FactorHistograms h = count_prefix(r.hi, parallel_for, max_bytes);
  if (r.lo > 1) h -= count_prefix(r.lo - 1, parallel_for, max_bytes);
  return h;
}

double sieve_seconds_a_cell(const Range& r) {
  const double decades = std::max(0.0, std::log10(static_cast<double>(r.hi)) - 9.0);
  return (kSieveNsAt1e9 + kSieveNsPerDecade * decades) * 1e-9;
}

double analytic_prefix_seconds(u64 n) {
  if (n == 0) return 0.0;
  return kAnalyticNs * 1e-9 * analytic_units(n) +
         kAnalyticRootNs * 1e-9 * std::sqrt(static_cast<double>(n)) + kAnalyticSetup;
}

double sieve_method_seconds(const Range& r, KernelKind kernel) {
  // The wheel visits the hi / 3 cells of [1, hi], at about the direct sieve's cost a cell.
  if (kernel == KernelKind::wheel)
    return kSieveSetup + sieve_seconds_a_cell(r) * static_cast<double>(r.hi) / 3;
  if (kernel == KernelKind::trial) return std::numeric_limits<double>::infinity();
  return cost::best_run_seconds(kernel, r);
}

MethodCost estimate_cost(const Range& r) {
  MethodCost cost;
  cost.sieve_seconds = sieve_method_seconds(r, default_kernel(r));
  cost.analytic_seconds = analytic_prefix_seconds(r.hi) + analytic_prefix_seconds(r.lo - 1);
  cost.analytic_bytes = PrimeCountTable::memory_bytes(r.hi);
  return cost;
}

bool analytic_is_cheaper(const Range& r, u64 max_bytes) {
  const MethodCost cost = estimate_cost(r);
  return cost.analytic_bytes <= max_bytes && cost.analytic_seconds < cost.sieve_seconds;
}

}  // namespace numfactors
