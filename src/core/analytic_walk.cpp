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
#include "core/kernel.hpp"

namespace numfactors {
namespace {

template <QuotientMethod kMethod>
class Walker {
 public:
  Walker(const PrimeCountTable& table, const std::atomic<int>* stop)
      : table_(table),
        primes_(table.primes().data()),
        inverses_(table.prime_inverses().data()),
        inverse_count_(table.prime_inverses().size()),
        root_(table.root()),
        stop_(stop) {}

  /// The numbers m q^e k counted at node m (x = N/m, primes of m below primes[i0], omega w,
  /// Omega W) for children q = primes[i], i in [begin, end): each subtree below a child.
  void children(u64 m, u64 x, u64 begin, u64 end, unsigned w, unsigned W) {
    // A node's leaves take microseconds at most; a whole item, seconds.
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed) != 0) throw Stopped{};
    u64 i = begin;
    const bool reciprocal = x < table_.reciprocal_limit();
    const double x_half = static_cast<double>(x) + 0.5;
    for (; i < end; ++i) {  // q^3 <= x
      const u64 q = primes_[i];
      // q^3 > x, by multiplying: q^3 < 2^64 up to kCubeRootMax, and above it q^3 > x anyway.
      if (q > kCubeRootMax || q * q * q > x) break;
      // The child kAhead primes on reads its pi(x / q') first: ask for it now, as the children
      // between take longer than the memory does (only for a child that is one: q'^3 <= x).
      if (reciprocal && i + kAhead < inverse_count_) {
        const u64 q_ahead = primes_[i + kAhead];
        const u64 y = reciprocal_quotient(x_half, inverses_[i + kAhead]);
        if (q_ahead * q_ahead <= y)
          __builtin_prefetch(table_.odd_pi_quotient_address(m * q_ahead, y));
      }
      // m q <= m q^3 <= N: no wrap. q^3 <= x < 2^51 with a reciprocal: q has an inverse.
      u64 mm = m * q, xe = reciprocal ? reciprocal_quotient(x_half, inverses_[i]) : x / q;
      for (unsigned e = 1;;) {
        // m q^e q' for primes q' > q need xe > q; for e = 1, xe >= q^2 > q always.
        if (xe > q) {
          // Half the nodes have no children (the next prime's square is above xe): their
          // count alone, pi(xe) - (i + 1), without the node's set-up.
          const u64 next = primes_[i + 1];
          if (next * next > xe)
            node_primes(mm, xe, i + 1, w + 1, W + e);
          else
            node(mm, xe, i + 1, w + 1, W + e);
        }
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
    // The count pi(x) is a read at a scattered key, most often a cache miss: it is asked for
    // first and used last, after the children, so that the wait overlaps their work.
    __builtin_prefetch(table_.odd_pi_quotient_address(m, x));
    children(m, x, i0, ~u64{0}, w, W);
    node_primes(m, x, i0, w, W);
  }

  /// Node m's numbers m q for the primes q >= primes[i0] (q <= x = N/m): pi(x) - i0 of them.
  void node_primes(u64 m, u64 x, u64 i0, unsigned w, unsigned W) {
    // pi(x) - i0 = (odd primes <= x) + 1 - i0, >= 0 since x >= primes[i0 - 1]
    add(w + 1, W + 1, table_.odd_pi_quotient(m, x) + 1 - i0);
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
    // Per node, not per table: above 2^52 only the nodes m < N / 2^52 miss it (m = 1 and 2 at
    // N = 10^16), so the vectorized loop serves nearly every leaf there too.
    if (x < kPlainDoubleLimit) {
      // x < 2^52: floor(sqrt(x)) is exact in double (sqrt(x) is at least 1/(2k) below the next
      // integer k <= 2^26, more than half an ulp), and the leaves end at the pi(sqrt(x))-th prime.
      const auto s = static_cast<u64>(std::sqrt(xd));
      const u64 stop = std::min(end, s >= 2 ? table_.odd_pi_small(s) + 1 : 0);
      if (i < stop) {
        sum += table_.small_quotient_sum(x, i, stop);
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
  /// How many children ahead the walk asks for a child's count (4 measured best, 2 nearly).
  static constexpr u64 kAhead = 4;
  /// floor(cbrt(2^64 - 1)).
  static constexpr u64 kCubeRootMax = 2642245;

  const std::uint32_t* primes_;
  const double* inverses_;
  u64 inverse_count_;  // the primes with an inverse: p^2 < 2^51
  u64 root_;
  const std::atomic<int>* stop_;
  std::array<u64, Histogram::kMaxKey + 1> distinct_{};
  std::array<u64, Histogram::kMaxKey + 1> total_{};
};

template <QuotientMethod kMethod>
FactorHistograms run(const PrimeCountTable& table, std::uint32_t q1_index, std::uint32_t q2_index,
                     std::uint32_t begin, std::uint32_t end, const std::atomic<int>* stop) {
  Walker<kMethod> walker(table, stop);
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
        if (x > q) walker.node_primes(m, x, i + 1, 1, e);
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
        if (nodes_too) walker.node_primes(m, x, q2_index + 1, 2, e1 + e2);
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

FactorHistograms AnalyticWalk::run_item(std::size_t k, const std::atomic<int>* stop) const {
  const Item& it = items_.at(k);
  switch (table_.quotient_method()) {
    case QuotientMethod::plain_double:
      return run<QuotientMethod::plain_double>(table_, it.q1_index, it.q2_index, it.child_begin,
                                               it.child_end, stop);
    case QuotientMethod::corrected_double:
      return run<QuotientMethod::corrected_double>(table_, it.q1_index, it.q2_index, it.child_begin,
                                                   it.child_end, stop);
    case QuotientMethod::integer:
      break;
  }
  return run<QuotientMethod::integer>(table_, it.q1_index, it.q2_index, it.child_begin,
                                      it.child_end, stop);
}

}  // namespace numfactors
