/// @file analytic_walk.cpp
/// @brief Depth-first walk over m = p1^e1 ... pj^ej (p1 < ... < pj) with m * pj < n.
///
/// Why every n in [2, N] is counted exactly once: write n = m * q^e * k where the primes of m are
/// below q, the primes of k are above q, and (m, q) is fixed by the walk's position: the node m
/// with "next allowed prime" index i0 counts, for each prime q >= primes[i0],
///   - n = m * q (k = 1, e = 1): all at once, pi(N/m) - i0 of them (the table gives pi(N/m);
///     floor(N/m) is a key because floor(floor(N/a)/b) = floor(N/(a b)));
///   - n = m * q^e, e >= 2: one each, while m * q^e <= N;
///   - n = m * q^e * k, k > 1: in the child node m * q^e, whose allowed primes start above q.
/// The smallest prime of n / m decides q, its exponent decides e and the rest is k, so exactly
/// one of the three counts n, at exactly one node. With n = 1 counted at the root, [1, N] is
/// covered once. omega and Omega of all these n differ from m's by 1 and e (or 1 + Omega(k)):
/// both histograms come from the same walk.
///
/// Children q with q^3 > N/m are leaves: m q^2 q' > N for every q' > q, so they contribute only
/// pi(N/(m q)) - pi(q) numbers m q q' and the number m q^2. That loop is where the time goes;
/// it reads large[m q] (no division) while m q <= sqrt(N), else small[N/(m q)].
#include "core/analytic_walk.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "core/analytic_leaves.hpp"
#include "core/analytic_quotient.hpp"
#include "core/arith.hpp"

namespace nf {
namespace {

template <QuotientMethod kMethod>
class Walker {
 public:
  explicit Walker(const PrimeCountTable& table)
      : table_(table), primes_(table.primes().data()), root_(table.root()) {}

  /// The numbers m q^e k counted at node m (x = N/m, primes of m below primes[i0], omega w,
  /// Omega W) for children q = primes[i], i in [begin, end): each subtree below a child.
  void children(u64 m, u64 x, u64 begin, u64 end, unsigned w, unsigned W) {
    u64 i = begin;
    for (; i < end; ++i) {  // q^3 <= x
      const u64 q = primes_[i];
      if (q * q > x / q) break;
      u64 mm = m * q, xe = x / q;  // m q <= m q^3 <= N: no wrap
      for (unsigned e = 1;;) {
        // m q^e q' for primes q' > q need xe > q; for e = 1, xe >= q^2 > q always.
        if (xe > q) node(mm, xe, i + 1, w + 1, W + e);
        if (xe < q) break;  // m q^(e+1) > N
        mm *= q;            // <= N, as xe >= q says
        xe /= q;
        ++e;
        add(w + 1, W + e, 1);  // m q^e itself
      }
    }
    leaves(m, x, i, end, w, W);
  }

  /// Node m (x = N/m >= primes[i0]): m q for primes q >= primes[i0], then its children.
  void node(u64 m, u64 x, u64 i0, unsigned w, unsigned W) {
    // pi(x) - i0 = (odd primes <= x) + 1 - i0, >= 0 since x >= primes[i0 - 1]
    add(w + 1, W + 1, table_.odd_pi_quotient(m, x) + 1 - i0);
    children(m, x, i0, ~u64{0}, w, W);
  }

  /// Children i in [begin, end) with q^3 > x (and q^2 <= x): leaves.
  void leaves(u64 m, u64 x, u64 begin, u64 end, unsigned w, unsigned W) {
    u64 i = begin;
    u64 sum = 0;       // sum of odd_pi(x/q) over the leaves
    if (m <= root_) {  // m q <= r: large[m q]
      const u64 q_max = root_ / m;
      for (; i < end; ++i) {
        const u64 q = primes_[i];
        if (q > q_max || q * q > x) break;  // q <= 2^32 - 1: q * q does not wrap
        sum += table_.odd_pi_large(m * q);
      }
    }
    const double xd = static_cast<double>(x);
    if constexpr (kMethod == QuotientMethod::plain_double) {
      // x < 2^52: floor(sqrt(x)) is exact in double (sqrt(x) is at least 1/(2k) below the next
      // integer k <= 2^26, more than half an ulp), and the leaves end at the pi(sqrt(x))-th prime.
      const auto s = static_cast<u64>(std::sqrt(xd));
      const u64 stop = std::min(end, s >= 2 ? table_.odd_pi_small(s) + 1 : 0);
      if (i < stop) {
        sum += small_leaf_sum(table_.small_keys().data(), primes_, i, stop, xd);
        i = stop;
      }
    }
    for (; i < end; ++i) {
      const u64 q = primes_[i];
      if (q * q > x) break;
      // floor(x / q) = floor(N / (m q)) <= r < 2^32, as m q > r
      const u64 y = quotient<kMethod>(x, xd, q);
      sum += table_.odd_pi_small(y);
    }
    if (i == begin) return;
    // leaf i: pi(x/q) - pi(q) = odd_pi(x/q) + 1 - (i + 1) numbers m q q', and the one m q^2.
    const u64 indices = (begin + i - 1) * (i - begin) / 2;  // sum of i over the leaves
    add(w + 2, W + 2, sum - indices);
    add(w + 1, W + 2, i - begin);
  }

  void add(unsigned w, unsigned W, u64 c) {
    distinct_[w] += c;
    total_[W] += c;
  }

  FactorHistograms result() const {
    FactorHistograms h;
    for (unsigned k = 0; k <= Histogram::kMaxKey; ++k) {
      h.distinct.add(k, distinct_[k]);
      h.total.add(k, total_[k]);
    }
    return h;
  }

 private:
  const PrimeCountTable& table_;
  const std::uint32_t* primes_;
  u64 root_;
  std::array<u64, Histogram::kMaxKey + 1> distinct_{};
  std::array<u64, Histogram::kMaxKey + 1> total_{};
};

/// Relative cost of the subtree below a node with x = N/m: the leaf lookups grow about like
/// x^(3/4) / log x (as the whole walk does). Integer square roots and the bit length stand in
/// for pow and log, so that every rank of a run, whatever its libm, cuts the same items.
double subtree_cost(u64 x) {
  const u64 root = isqrt(x);
  return static_cast<double>(root * isqrt(root)) / static_cast<double>(std::bit_width(x));
}

template <QuotientMethod kMethod>
FactorHistograms run(const PrimeCountTable& table, std::uint32_t q1_index, std::uint32_t q2_index,
                     std::uint32_t begin, std::uint32_t end) {
  Walker<kMethod> walker(table);
  const u64 n = table.n();
  const auto* primes = table.primes().data();
  if (q1_index == AnalyticWalk::kRoot) {
    walker.add(0, 0, 1);  // the number 1
    if (n >= 2) walker.add(1, 1, table.pi(n));
    // Powers q1^e and the counts q1^e q' of each internal q1 (their deeper children are items).
    u64 i = 0;
    for (;; ++i) {
      const u64 q = primes[i];
      if (q * q > n / q) break;
      u64 m = q, x = n / q;
      for (unsigned e = 1;; ++e) {
        if (e >= 2) walker.add(1, e, 1);
        if (x > q) walker.add(2, e + 1, table.odd_pi_quotient(m, x) + 1 - (i + 1));
        if (x < q) break;
        m *= q;
        x /= q;
      }
    }
    walker.leaves(1, n, i, ~u64{0}, 0, 0);
    return walker.result();
  }
  const u64 q1 = primes[q1_index];
  if (q2_index == AnalyticWalk::kNone) {
    u64 m = q1, x = n / q1;
    for (unsigned e = 1; x > q1; ++e) {  // children need a prime above q1 that is <= x
      walker.children(m, x, begin, end, 1, e);
      m *= q1;  // m q1 <= N because x >= q1
      x /= q1;
    }
    return walker.result();
  }
  // The child q2 of every node q1^e1 (as Walker::children would visit it), its children cut
  // to [begin, end); the block that starts right after q2 also counts the nodes themselves.
  const u64 q2 = primes[q2_index];
  const bool nodes_too = begin == q2_index + 1;
  u64 m1 = q1, x1 = n / q1;
  for (unsigned e1 = 1; q2 <= x1 / q2; ++e1) {  // q2 is a child of q1^e1 while q2^2 <= x1
    u64 m = m1 * q2, x = x1 / q2;
    for (unsigned e2 = 1;; ++e2) {
      if (nodes_too && e2 >= 2) walker.add(2, e1 + e2, 1);  // m itself
      if (x > q2) {
        if (nodes_too) walker.add(3, e1 + e2 + 1, table.odd_pi_quotient(m, x) - q2_index);
        walker.children(m, x, begin, end, 2, e1 + e2);
      }
      if (x < q2) break;  // m q2 > N
      m *= q2;
      x /= q2;
    }
    m1 *= q1;  // m1 q1 <= N because x1 >= q2^2 > q1
    x1 /= q1;
  }
  return walker.result();
}

/// Cuts the children [begin, end) of a node with x = N/m into items of about `target`: the
/// internal ones (q^3 <= x) by their estimated subtree cost, the leaves (one lookup each) last.
/// A child heavier than `target` on its own is cut one level deeper when `deeper` is given.
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

FactorHistograms& FactorHistograms::operator+=(const FactorHistograms& o) {
  distinct += o.distinct;
  total += o.total;
  return *this;
}

FactorHistograms& FactorHistograms::operator-=(const FactorHistograms& o) {
  distinct -= o.distinct;
  total -= o.total;
  return *this;
}

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
}

FactorHistograms AnalyticWalk::run_item(std::size_t k) const {
  const Item& it = items_.at(k);
  switch (quotient_method(table_.n())) {
    case QuotientMethod::plain_double:
      return run<QuotientMethod::plain_double>(table_, it.q1_index, it.q2_index, it.child_begin,
                                               it.child_end);
    case QuotientMethod::corrected_double:
      return run<QuotientMethod::corrected_double>(table_, it.q1_index, it.q2_index, it.child_begin,
                                                   it.child_end);
    case QuotientMethod::integer:
      break;
  }
  return run<QuotientMethod::integer>(table_, it.q1_index, it.q2_index, it.child_begin,
                                      it.child_end);
}

}  // namespace nf
