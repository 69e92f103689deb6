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
#include <cmath>

#include "core/analytic_quotient.hpp"
#include "core/arith.hpp"

namespace nf {
namespace {

template <bool kFloat>
class Walker {
 public:
  Walker(const PrimeCountTable& table, const double* inverses)
      : table_(table), primes_(table.primes().data()), inverses_(inverses), root_(table.root()) {}

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
    u64 sum = 0;  // sum of odd_pi(x/q) over the leaves
    if (m <= root_) {  // m q <= r: large[m q]
      const u64 q_max = root_ / m;
      for (; i < end; ++i) {
        const u64 q = primes_[i];
        if (q > q_max || q * q > x) break;  // q <= 2^32 - 1: q * q does not wrap
        sum += table_.odd_pi_large(m * q);
      }
    }
    const double xd = static_cast<double>(x);
    for (; i < end; ++i) {
      const u64 q = primes_[i];
      if (q * q > x) break;
      // floor(x / q) = floor(N / (m q)) <= r < 2^32, as m q > r
      const u64 y = kFloat ? reciprocal_quotient(x, xd, q, inverses_[i]) : x / q;
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
  const double* inverses_;  // 1.0 / primes_[i]
  u64 root_;
  std::array<u64, Histogram::kMaxKey + 1> distinct_{};
  std::array<u64, Histogram::kMaxKey + 1> total_{};
};

/// Relative cost of the subtree below a node with x = N/m: the leaf lookups grow about like
/// x^(3/4) / log x (as the whole walk does).
double subtree_cost(double x) { return x < 16 ? 1.0 : std::pow(x, 0.75) / std::log(x); }

template <bool kFloat>
FactorHistograms run(const PrimeCountTable& table, const double* inverses, std::uint32_t q1_index,
                     std::uint32_t begin,
                     std::uint32_t end, std::uint32_t root_marker) {
  Walker<kFloat> walker(table, inverses);
  const u64 n = table.n();
  const auto* primes = table.primes().data();
  if (q1_index == root_marker) {
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
  const u64 q = primes[q1_index];
  u64 m = q, x = n / q;
  for (unsigned e = 1; x > q; ++e) {  // children need a prime above q that is <= x
    walker.children(m, x, begin, end, 1, e);
    m *= q;  // m q <= N because x >= q
    x /= q;
  }
  return walker.result();
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

AnalyticWalk::AnalyticWalk(const PrimeCountTable& table, std::size_t target_items)
    : table_(table) {
  const u64 n = table.n();
  const auto& primes = table.primes();
  inverses_.reserve(primes.size());
  for (const std::uint32_t p : primes) inverses_.push_back(1.0 / p);
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
    spans.push_back({i, i + 1, end, subtree_cost(static_cast<double>(x))});
  }
  double spans_cost = 0;
  for (const Span& s : spans) spans_cost += s.cost;
  const double target = spans_cost / static_cast<double>(std::max<std::size_t>(target_items, 1));

  // The root item reads about one entry per prime <= sqrt(n).
  items_.push_back({kRoot, 0, 0, static_cast<double>(primes.size())});
  for (const Span& s : spans) {
    if (s.cost <= target || s.end - s.begin < 2) {
      items_.push_back({s.q1_index, s.begin, s.end, s.cost});
      continue;
    }
    // A heavy q1: its internal children (q2^3 <= x) in blocks of about `target` by each child's
    // own cost, then its leaves (one lookup each) in one item.
    const u64 x = n / primes[s.q1_index];
    std::uint32_t begin = s.begin;
    double block = 0;
    std::uint32_t j = s.begin;
    for (; j < s.end; ++j) {
      const u64 q2 = primes[j];
      if (q2 * q2 > x / q2) break;
      block += subtree_cost(static_cast<double>(x / q2));
      if (block >= target) {
        items_.push_back({s.q1_index, begin, j + 1, block});
        begin = j + 1;
        block = 0;
      }
    }
    items_.push_back({s.q1_index, begin, s.end, block + static_cast<double>(s.end - j)});
  }
  std::stable_sort(items_.begin() + 1, items_.end(),
                   [](const Item& a, const Item& b) { return a.cost > b.cost; });
}

FactorHistograms AnalyticWalk::run_item(std::size_t k) const {
  const Item& it = items_.at(k);
  if (table_.n() < kFloatQuotientLimit)
    return run<true>(table_, inverses_.data(), it.q1_index, it.child_begin, it.child_end, kRoot);
  return run<false>(table_, inverses_.data(), it.q1_index, it.child_begin, it.child_end, kRoot);
}

}  // namespace nf
