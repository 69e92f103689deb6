/// @file analytic_walk.hpp
/// @brief The depth-first walk over factorizations that counts omega and Omega over [1, n] from a
/// prime count table, cut into independent work items.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"
#include "core/prime_count_table.hpp"

namespace numfactors {

/// The histograms of omega(n) and Omega(n) over the same numbers: one walk yields both.
struct FactorHistograms {
  Histogram distinct;
  Histogram total;

  const Histogram& of(Count c) const { return c == Count::distinct ? distinct : total; }
  FactorHistograms& operator+=(const FactorHistograms& o);
  /// For prefix differences: the caller guarantees no bin goes negative.
  FactorHistograms& operator-=(const FactorHistograms& o);
  bool operator==(const FactorHistograms&) const = default;
};

/// The numbers 1..n, cut into items: item 0 holds 1, the primes, the powers of one prime and the
/// numbers q1^e1 q with one larger prime q; the others hold the numbers q1^e1 * q2^e2 * k whose
/// two smallest primes are q1 (one fixed prime) and q2 (in a block of primes), k's primes above
/// q2, and for the heaviest (q1, q2) the same cut one level deeper by blocks of q3. Items are
/// disjoint and cover [1, n]; any subset may run on any thread, rank or day, and their sum is
/// the histogram of [1, n].
class AnalyticWalk {
 public:
  /// The table must outlive the walk, and be built before run_item: the items are cut from its
  /// primes alone. Cuts about `target_items` items (at least one for each prime q1 with
  /// q1^3 <= n), ordered by decreasing estimated cost.
  explicit AnalyticWalk(const PrimeCountTable& table, std::size_t target_items = 4096);

  std::size_t item_count() const { return items_.size(); }
  /// Estimated cost of item k, relative to the others (leaf lookups): progress is reported by
  /// work, not by items.
  double item_cost(std::size_t k) const { return items_[k].cost; }
  /// The smallest and largest m = q1 q (q1 q2 q one level deeper) over item k's block of primes
  /// q: the numbers it counts are these m times powers and larger primes. [1, 1] for item 0.
  Range item_span(std::size_t k) const;
  /// Counts item k < item_count(): pure, thread-safe (reads the table only). Throws Stopped
  /// (kernel.hpp) once `*stop` is not 0: it looks at every internal node, so an item of seconds
  /// gives up within milliseconds.
  FactorHistograms run_item(std::size_t k, const std::atomic<int>* stop = nullptr) const;

  /// Bins [first, first + size) of one count.
  struct Bins {
    unsigned first = 0, size = 0;
  };
  /// The bins run_item(k, count) leaves out: those whose leaves take the most table reads
  /// (omega 5, 6, 7: three quarters of them at 10^15; Omega 6, 7: a third).
  static Bins balanced_bins(Count count);

  /// Item k's histogram of one count, with fewer table reads: the walk skips the leaves whose
  /// numbers fall in balanced_bins(count) and sets those bins from sums that every histogram of
  /// [1, n] has instead. Its bins add up to n, and k times bin k adds up to the sum of omega(j)
  /// (Omega(j)) over j <= n, which the table gives in O(sqrt n) (factor_count_sum): the root
  /// item sets the first two balanced bins to those sums, every other item to 0 (mod 2^64: the
  /// two wrap below zero), and a third balanced bin to 0. For omega the first items also carry
  /// the parts of the sum of 2^omega(j) (two_to_omega_part), in bins 62 and 63 (its low 32 bits
  /// and the rest, mod 2^96), which no omega below 2^64 reaches (at most 15). So a sum of items
  /// is exact outside the balanced bins (and 62, 63), and an item's own balanced bins mean
  /// nothing alone; the sum of all items is exact after complete(). Items of run_item(k) (both
  /// counts) are exact in every bin: a sum must not mix the two.
  Histogram run_item(std::size_t k, Count count, const std::atomic<int>* stop = nullptr) const;
  /// Makes the sum of every item's run_item(k, count) for [1, n] the histogram: omega's third
  /// balanced bin comes from the sum of 2^omega(j) over j <= n that the items carry, the first
  /// two are corrected by it. Nothing to do for Omega.
  static void complete(Histogram& sum, Count count);

  /// The q1 index of the root item, and the q2 index of an item that is a block of q2.
  static constexpr std::uint32_t kRoot = 0xFFFFFFFFu;
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

 private:
  struct Item {
    std::uint32_t q1_index;  // kRoot for item 0
    std::uint32_t q2_index;  // kNone: the children are q2; else they are q3 below q1 q2
    std::uint32_t child_begin, child_end;  // children primes[j], j in [child_begin, child_end)
    double cost;
  };
  FactorHistograms walk_item(std::size_t k, const std::atomic<int>* stop, Bins balanced_distinct,
                             Bins balanced_total) const;

  const PrimeCountTable& table_;
  std::vector<Item> items_;
  /// The parts of the sum of 2^omega that omega's items carry: item k carries parts k, k +
  /// item_count(), ... (a part takes milliseconds below 2^52).
  std::vector<u64> two_to_omega_cuts_;
};

}  // namespace numfactors
