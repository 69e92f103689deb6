/// @file analytic_sums.hpp
/// @brief Sums over [1, n] that fix a histogram's bins without counting them: the sum of omega
/// (or Omega) and the sum of 2^omega. AnalyticWalk::run_item(k, count) skips the leaves of the
/// bins these sums determine.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "core/arith.hpp"
#include "core/prime_count_table.hpp"
#include "numfactors/choices.hpp"

namespace numfactors {

/// The sum of omega(j) (count distinct) or Omega(j) (total) over j in [1, table.n()], from the
/// built table in O(sqrt n): sum_{p <= n} floor(n/p), and floor(n/p^e) for every prime power
/// too for Omega.
u64 factor_count_sum(const PrimeCountTable& table, Count count,
                     const std::atomic<int>* stop = nullptr);

/// A way to add up floor(x / i) over i in [1, s] for x < 2^52 (as a double), and its name.
struct QuotientSumPath {
  const char* name;
  u64 (*sum)(double x, u64 s);
};
/// Every path this CPU runs, the one two_to_omega_sum takes last (for the tests).
std::vector<QuotientSumPath> quotient_sum_paths();

/// The sum of 2^omega(j) over j in [1, n] (the squarefree divisors of every j) is
/// sum_{k <= sqrt n} mu(k) D(floor(n / k^2)), D(x) = sum_{i <= x} floor(x / i): O(sqrt(n) log n)
/// divisions, no table. Its parts: the cuts 1 = c_0 < ... < c_m = floor(sqrt n) + 1 of ranges
/// of k of about equal cost (m is 263 at 10^15; walk items carry the parts, so the cuts are part
/// of what a journal's items mean: AnalyticWalk::balanced_bins), and the terms of k in [lo, hi)
/// (mod 2^128: a part may be negative), given the ascending primes up to at least sqrt(hi - 1)
/// (more may follow). The loops throw Stopped (kernel.hpp) soon after `*stop` is not 0.
std::vector<u64> two_to_omega_cuts(u64 n);
u128 two_to_omega_part(u64 n, u64 lo, u64 hi, const std::vector<std::uint32_t>& primes,
                       const std::atomic<int>* stop = nullptr);
/// All parts, shared by `parallel_for`'s pieces.
u128 two_to_omega_sum(u64 n, const ParallelFor& parallel_for = serial_for);

}  // namespace numfactors
