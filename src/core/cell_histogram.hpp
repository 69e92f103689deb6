/// @file cell_histogram.hpp
/// @brief The last pass over a segment: each cell's factor count, plus one when its log sum is
/// below the segment threshold (the prime above sqrt(hi), see sieve_cells.hpp), into bins.
#pragma once

#include <array>
#include <cstddef>

#include "core/sieve_cells.hpp"

namespace numfactors::sieve {

using Bins = std::array<u64, 64>;

/// bins[(c >> kCountShift) + ((c & kLogMask) < threshold)] += 1 for every cell c.
/// The key stays <= 63: a count of 63 is only n = 2^63, whose log sum 63 * w(2) = 945 is above
/// every threshold (t <= c*log2(b / (R+1)) + 2 < c*log2(R+1) + 2 <= 15*32 + 2 = 482).
/// Vectorized (keys computed 16..64 at a time, counted by comparison) for the running CPU.
void add_cell_keys(const Cell* cells, std::size_t len, int threshold, Bins& bins);

/// The build of the vectorized passes this CPU runs (picked at load time): "AVX-512
/// (x86-64-v4)", "AVX2 (x86-64-v3)" or "baseline x86-64".
const char* simd_path();

}  // namespace numfactors::sieve
