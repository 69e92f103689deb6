/// @file exact_segment.hpp
/// @brief The plain product sieve for one short segment: the exact path for segments near 1, where
/// the log-threshold test has no margin (see sieve_cells.hpp), and an oracle for tests.
#pragma once

#include <cstdint>
#include <span>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors::sieve {

/// Adds omega / Omega of every n in [a, a + len) to `out`. `primes` must hold every prime
/// <= sqrt(a + len - 1) in ascending order. Cost: one u64 multiply per hit, 9 bytes a cell, and a
/// division per prime: meant for short or rare segments.
void count_segment_exactly(u64 a, std::size_t len, std::span<const std::uint32_t> primes,
                           Count count, Histogram& out);

}  // namespace numfactors::sieve
