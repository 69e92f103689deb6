/// @file analytic_sums.hpp
/// @brief Sums over [1, n] that fix a histogram's bins without counting them: the sum of omega
/// (or Omega) and the sum of 2^omega. AnalyticWalk::run_item(k, count) skips the leaves of the
/// bins these sums determine.
#pragma once

#include "numfactors/choices.hpp"
#include "core/arith.hpp"
#include "core/prime_count_table.hpp"

namespace numfactors {

/// The sum of omega(j) (count distinct) or Omega(j) (total) over j in [1, table.n()], from the
/// built table in O(sqrt n): sum_{p <= n} floor(n/p), and floor(n/p^e) for every prime power
/// too for Omega.
u64 factor_count_sum(const PrimeCountTable& table, Count count);

/// The sum of 2^omega(j) over j in [1, n] (the squarefree divisors of every j), without a
/// table, in O(sqrt(n) log n) divisions shared by `parallel_for`'s pieces.
u128 two_to_omega_sum(u64 n, const ParallelFor& parallel_for = serial_for);

}  // namespace numfactors
