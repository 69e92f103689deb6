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
/// it reads large[m q] (no division) while m q <= sqrt(N), else small[N/(m q)]. A walk of one
/// count skips it where its numbers fall in a balanced bin (AnalyticWalk::run_item).
#include "core/analytic_walk.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/analytic_quotient.hpp"
#include "core/analytic_sums.hpp"
#include "core/arith.hpp"
#include "core/kernel.hpp"

namespace numfactors {
namespace {

/// The bins omega's items carry the sum of 2^omega in (AnalyticWalk::run_item): its low 32 bits,
/// and the rest.
constexpr unsigned kLowBin = 62, kHighBin = 63;

template <QuotientMethod kMethod>
class Walker {
 public:
  /// `balanced_*`: the bins of the distinct (total) count whose numbers are left out
  /// (AnalyticWalk::run_item); none for the walk of both counts.
  Walker(const PrimeCountTable& table, const std::atomic<int>* stop,
         AnalyticWalk::Bins balanced_distinct, AnalyticWalk::Bins balanced_total)
      : table_(table),
        primes_(table.primes().data()),
        inverses_(table.prime_inverses().data()),
        inverse_count_(table.prime_inverses().size()),
        root_(table.root()),
        stop_(stop),
        balanced_distinct_(balanced_distinct),
        balanced_total_(balanced_total) {}

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
    if (!balanced(w + 1, W + 1)) __builtin_prefetch(table_.odd_pi_quotient_address(m, x));
    children(m, x, i0, ~u64{0}, w, W);
    node_primes(m, x, i0, w, W);
  }

  /// Node m's numbers m q for the primes q >= primes[i0] (q <= x = N/m): pi(x) - i0 of them.
  void node_primes(u64 m, u64 x, u64 i0, unsigned w, unsigned W) {
    if (balanced(w + 1, W + 1)) return;
    // pi(x) - i0 = (odd primes <= x) + 1 - i0, >= 0 since x >= primes[i0 - 1]
    add(w + 1, W + 1, table_.odd_pi_quotient(m, x) + 1 - i0);
  }

  /// Children i in [begin, end) with q^3 > x (and q^2 <= x): leaves.
  void leaves(u64 m, u64 x, u64 begin, u64 end, unsigned w, unsigned W) {
    if (balanced(w + 2, W + 2) && x < kPlainDoubleLimit) {
      // Their numbers m q q' go to a balanced bin: only the numbers m q^2 are counted, one a
      // leaf, without reading a count.
      const u64 stop = leaves_end(x, end);
      if (stop > begin) add(w + 1, W + 2, stop - begin);
      return;
    }
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
      const u64 stop = leaves_end(x, end);
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

  /// For x < 2^52: the index of the first prime above sqrt(x), or `end` if that is less. The
  /// leaves end there: floor(sqrt(x)) is exact in double (sqrt(x) is at least 1/(2k) below the
  /// next integer k <= 2^26, more than half an ulp), and the leaves end at the pi(sqrt(x))-th
  /// prime.
  u64 leaves_end(u64 x, u64 end) const {
    const auto s = static_cast<u64>(std::sqrt(static_cast<double>(x)));
    return std::min(end, s >= 2 ? table_.odd_pi_small(s) + 1 : 0);
  }

  /// Whether the numbers of omega w and Omega W go to a balanced bin.
  bool balanced(unsigned w, unsigned W) const {
    return w - balanced_distinct_.first < balanced_distinct_.size ||
           W - balanced_total_.first < balanced_total_.size;
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
  AnalyticWalk::Bins balanced_distinct_, balanced_total_;
  std::array<u64, Histogram::kMaxKey + 1> distinct_{};
  std::array<u64, Histogram::kMaxKey + 1> total_{};
};

template <QuotientMethod kMethod>
FactorHistograms run(const PrimeCountTable& table, std::uint32_t q1_index, std::uint32_t q2_index,
                     std::uint32_t begin, std::uint32_t end, const std::atomic<int>* stop,
                     AnalyticWalk::Bins balanced_distinct, AnalyticWalk::Bins balanced_total) {
  Walker<kMethod> walker(table, stop, balanced_distinct, balanced_total);
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

FactorHistograms AnalyticWalk::walk_item(std::size_t k, const std::atomic<int>* stop,
                                         Bins balanced_distinct, Bins balanced_total) const {
  const Item& it = items_.at(k);
  switch (table_.quotient_method()) {
    case QuotientMethod::plain_double:
      return run<QuotientMethod::plain_double>(table_, it.q1_index, it.q2_index, it.child_begin,
                                               it.child_end, stop, balanced_distinct,
                                               balanced_total);
    case QuotientMethod::corrected_double:
      return run<QuotientMethod::corrected_double>(table_, it.q1_index, it.q2_index, it.child_begin,
                                                   it.child_end, stop, balanced_distinct,
                                                   balanced_total);
    case QuotientMethod::integer:
      break;
  }
  return run<QuotientMethod::integer>(table_, it.q1_index, it.q2_index, it.child_begin,
                                      it.child_end, stop, balanced_distinct, balanced_total);
}

FactorHistograms AnalyticWalk::run_item(std::size_t k, const std::atomic<int>* stop) const {
  return walk_item(k, stop, {}, {});
}

AnalyticWalk::Bins AnalyticWalk::balanced_bins(Count count) {
  // The bins with the most leaf reads, as counted at 10^11, 10^13, 10^14 and 10^15: omega 5, 6
  // and 7 (81%, 82%, 79% and 76% of them), Omega 6 and 7 (37%, 36%, 36%, 35%). Journals hold
  // items balanced so: a change here, in the parts of 2^omega's sum (two_to_omega_cuts) or in
  // which item carries which part, needs a new items= value in their header (CheckpointHeader),
  // as earlier files would mean something else.
  return count == Count::distinct ? Bins{5, 3} : Bins{6, 2};
}

Histogram AnalyticWalk::run_item(std::size_t k, Count count, const std::atomic<int>* stop) const {
  const Bins b = balanced_bins(count);
  Histogram h =
      walk_item(k, stop, count == Count::distinct ? b : Bins{}, count == Count::total ? b : Bins{})
          .of(count);
  // Bins f = b.first and f + 1 such that the item's bins add up to `numbers` and their first
  // moment to `moment` (mod 2^64), the others of b 0: for the root item those of [1, n], for
  // the others 0. (So a third bin's count c is in f and f + 1 as -c and +2c: complete().)
  u64 numbers = 0, moment = 0;
  if (items_.at(k).q1_index == kRoot) {
    numbers = table_.n();
    moment = factor_count_sum(table_, count, stop);
  }
  auto& bins = h.bins();
  for (unsigned j = b.first; j < b.first + b.size; ++j) bins[j] = 0;
  for (unsigned j = 0; j <= Histogram::kMaxKey; ++j) {
    numbers -= bins[j];
    moment -= j * bins[j];
  }
  // x + y = numbers, f x + (f + 1) y = moment
  const unsigned f = b.first;
  bins[f + 1] = moment - f * numbers;
  bins[f] = numbers - bins[f + 1];
  if (b.size == 3) {
    u128 parts = 0;
    for (std::size_t j = k; j + 1 < two_to_omega_cuts_.size(); j += items_.size())
      parts += two_to_omega_part(table_.n(), two_to_omega_cuts_[j], two_to_omega_cuts_[j + 1],
                                 table_.primes(), stop);
    bins[kLowBin] = static_cast<u64>(parts) & 0xFFFFFFFFu;
    bins[kHighBin] = static_cast<u64>(parts >> 32);
  }
  return h;
}

void AnalyticWalk::complete(Histogram& sum, Count count) {
  const Bins b = balanced_bins(count);
  if (b.size < 3) return;
  auto& bins = sum.bins();
  // The carried sum: the low bin adds up to under 2^40, the high one wraps mod 2^64.
  constexpr u128 kMod96 = (u128{1} << 96) - 1;
  u128 rest = (u128{bins[kLowBin]} + (u128{bins[kHighBin]} << 32)) & kMod96;
  bins[kLowBin] = bins[kHighBin] = 0;
  // With the true bins x, y, c (f, f + 1, f + 2), the items add up to x - c, y + 2 c and 0. The
  // sum of 2^omega over [1, n] less that of the other bins is 2^f (x + 2 y + 4 c), and
  // x + 2 y + 4 c = (x - c) + 2 (y + 2 c) + c.
  const unsigned f = b.first;
  for (unsigned j = 0; j <= Histogram::kMaxKey; ++j)
    if (j < f || j > f + 2) rest -= u128{bins[j]} << j;
  const u64 c = static_cast<u64>(rest >> f) - bins[f] - 2 * bins[f + 1];
  bins[f] += c;
  bins[f + 1] -= 2 * c;
  bins[f + 2] = c;
}

}  // namespace numfactors
