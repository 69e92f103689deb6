/// @file presieve.hpp
/// @brief Pre-sieving: the primes 2..47 and their small powers added as periodic patterns.
///
/// Whether q | n depends only on n mod q, so the cells of every prime power q of a group, added
/// up, repeat with period P = the product of the group. A segment then starts as one vectorized
/// sum of pattern slices (each pattern stored one run longer than its period, so slices never wrap)
/// instead of ~L * sum(1/q) scattered hits (2..47 alone would be about 2.1 hits per number). Powers
/// beyond those in the patterns (2^6, 3^4, 5^3, 7^3, 11^2, ...) are left to the caller:
/// uncovered_powers() lists where each prime's next power starts.
///
/// The wheel layout (wheel.hpp) holds only the m coprime to 6, cell i for m = 3i + 1 + (i & 1):
/// cell i + 2P holds m + 6P, so a group of product P (without 2 and 3) repeats every 2P cells.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "core/sieve_cells.hpp"
#include "numfactors/choices.hpp"

namespace numfactors::sieve {

class Presieve {
 public:
  /// The largest prime the patterns of the number layout cover (the wheel's: kWheelLargestPrime).
  static constexpr unsigned kLargestPrime = 47;
  static constexpr unsigned kWheelLargestPrime = 59;
  static constexpr std::size_t kPatterns = 5;
  /// fill() writes at most this many cells per sweep over the patterns.
  static constexpr std::size_t kMaxRun = std::size_t{1} << 14;

  /// Cells are consecutive numbers, or the numbers coprime to 6 (wheel.hpp).
  enum class Layout { numbers, wheel };

  /// Patterns for counting omega (a prime adds one factor once) or Omega (every power adds one).
  explicit Presieve(Count count, Layout layout = Layout::numbers);

  /// The presieve of (count, layout), made once a process on first use and shared by every
  /// kernel after: its patterns take longer to make than a range of a few hundred numbers takes
  /// to sieve (a kernel is made for each call of the library).
  static std::shared_ptr<const Presieve> shared(Count count, Layout layout);

  /// cells[i] = the sum of the pattern words of every covered prime power dividing the number of
  /// cell a + i (a + i itself in the number layout).
  void fill(u64 a, Cell* cells, std::size_t len) const;

  /// Primes up to here are covered by the patterns; the caller sieves the larger ones.
  unsigned largest_prime() const { return largest_prime_; }

  /// For each prime p <= kLargestPrime: (p, the smallest power of p no pattern covers).
  const std::vector<std::pair<u64, u64>>& uncovered_powers() const { return uncovered_; }

 private:
  struct Pattern {
    u64 period;
    std::vector<Cell> words;
  };
  std::vector<Pattern> patterns_;
  std::vector<std::pair<u64, u64>> uncovered_;
  unsigned largest_prime_;
};

/// dst[i] = src[0][i] + ... + src[kPatterns-1][i] for i < n: one store a cell for all patterns,
/// vectorized for the best instruction set of the running CPU.
void sum_patterns(Cell* dst, const Cell* const* src, std::size_t n);

}  // namespace numfactors::sieve
