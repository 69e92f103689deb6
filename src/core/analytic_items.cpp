/// @file analytic_items.cpp
/// @brief How the walk is cut into items: by the first prime q1, by blocks of the second prime
/// q2, and for the heaviest (q1, q2) by blocks of the third, sized by an estimated cost.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "core/analytic_sums.hpp"
#include "core/analytic_walk.hpp"
#include "core/arith.hpp"

namespace numfactors {
namespace {

/// Relative cost of the subtree below a node with x = N/m: the leaf lookups grow about like
/// x^(3/4) / log x (as the whole walk does). Integer square roots and the bit length stand in
/// for pow and log, so that every rank of a run, whatever its libm, cuts the same items.
double subtree_cost(u64 x) {
  const u64 root = isqrt(x);
  return static_cast<double>(root * isqrt(root)) / static_cast<double>(std::bit_width(x));
}

/// Cuts the children [begin, end) of a node with x = N/m into items of about `target`: the
/// internal ones (q^3 <= x) by their estimated subtree cost, the leaves (one lookup each) last.
/// A child heavier than `target` on its own is cut one level deeper if `deeper(j)` does so.
template <class Emit, class Deeper>
void cut_children(const std::vector<std::uint32_t>& primes, u64 x, std::uint32_t begin,
                  std::uint32_t end, double target, Emit emit, Deeper deeper) {
  double block = 0;
  std::uint32_t j = begin;
  for (; j < end; ++j) {
    const u64 q = primes[j];
    if (q * q > x / q) break;
    const double cost = subtree_cost(x / q);
    if (cost > target && deeper(j)) {
      if (j > begin) emit(begin, j, block);
      begin = j + 1;
      block = 0;
      continue;
    }
    block += cost;
    if (block >= target) {
      emit(begin, j + 1, block);
      begin = j + 1;
      block = 0;
    }
  }
  emit(begin, end, block + static_cast<double>(end - j));
}
}  // namespace

AnalyticWalk::AnalyticWalk(const PrimeCountTable& table, std::size_t target_items) : table_(table) {
  const u64 n = table.n();
  const auto& primes = table.primes();
  // The q1 with q1^3 <= n (the root's internal children) and the children q2 of node q1, which
  // stop at q2^2 > n / q1.
  struct Span {
    std::uint32_t q1_index, begin, end;
    double cost;
  };
  std::vector<Span> spans;
  for (std::uint32_t i = 0;; ++i) {
    const u64 q = primes[i];
    if (q * q > n / q) break;
    const u64 x = n / q;
    const auto end = static_cast<std::uint32_t>(
        std::upper_bound(primes.begin(), primes.end() - 1, isqrt(x)) - primes.begin());
    spans.push_back({i, i + 1, end, subtree_cost(x)});
  }
  double spans_cost = 0;
  for (const Span& s : spans) spans_cost += s.cost;
  const double target = spans_cost / static_cast<double>(std::max<std::size_t>(target_items, 1));

  // The root item reads about one entry per prime <= sqrt(n).
  items_.push_back({kRoot, kNone, 0, 0, static_cast<double>(primes.size())});
  for (const Span& s : spans) {
    if (s.cost <= target || s.end - s.begin < 2) {
      items_.push_back({s.q1_index, kNone, s.begin, s.end, s.cost});
      continue;
    }
    // A heavy q1: blocks of children q2, and a heavy q2 by blocks of its own children q3.
    const u64 q1 = primes[s.q1_index];
    const auto deeper = [&](std::uint32_t j2) {
      const u64 x2 = n / q1 / primes[j2];
      const auto end = static_cast<std::uint32_t>(
          std::upper_bound(primes.begin(), primes.end() - 1, isqrt(x2)) - primes.begin());
      cut_children(
          primes, x2, j2 + 1, std::max(end, j2 + 1), target,
          [&](std::uint32_t b, std::uint32_t e, double c) {
            items_.push_back({s.q1_index, j2, b, e, c});
          },
          [](std::uint32_t) { return false; });
      return true;
    };
    cut_children(
        primes, n / q1, s.begin, s.end, target,
        [&](std::uint32_t b, std::uint32_t e, double c) {
          items_.push_back({s.q1_index, kNone, b, e, c});
        },
        deeper);
  }
  std::stable_sort(items_.begin() + 1, items_.end(),
                   [](const Item& a, const Item& b) { return a.cost > b.cost; });
  two_to_omega_cuts_ = two_to_omega_cuts(n);
}

Range AnalyticWalk::item_span(std::size_t k) const {
  const Item& it = items_.at(k);
  if (it.q1_index == kRoot) return {1, 1};
  const auto& primes = table_.primes();
  // Every product here is at most n: the walk only branches to q with q1 q (q1 q2 q) <= n.
  u64 base = primes[it.q1_index];
  if (it.q2_index != kNone) base *= primes[it.q2_index];
  if (it.child_begin >= it.child_end) return {base, base};
  return {base * primes[it.child_begin], base * primes[it.child_end - 1]};
}

}  // namespace numfactors
