/// @file prime_count_table.cpp
/// @brief The Lucy_Hedgehog update, split into steps that may run in parallel.
///
/// S(v) is the number of odd k in [3, v] that are prime or have no prime factor below the current
/// p. It starts at (v - 1) / 2 (every odd number), and the round for the odd prime p strikes the
/// odd multiples p * k, k odd, whose cofactor k >= p survives the rounds below p:
///   S(v) -= S(floor(v / p)) - S(p - 1)      for every key v >= p^2,
/// with S(p - 1) = c, the number of odd primes below p. floor(floor(n/d) / p) = floor(n/(d p)), so
/// the right side is again a key: large[d p] when d p <= r, else small[floor(n/(d p))]. After the
/// rounds for all p <= sqrt(n), S(v) is the number of odd primes <= v.
///
/// Within a round every entry must read the value its source had before the round. In serial
/// order (large keys by increasing d, then small keys) that holds because a source is always
/// updated later. For the parallel version each step is cut where the sources change: large keys
/// d in (r/p^(k+1), r/p^k] read only d p in (r/p^k, r/p^(k-1)], so these segments run one after
/// another from the smallest d up, each split freely. Large keys with d p > r read small keys,
/// which change only after every large key is done.
///
/// Small keys. For a small v the update is the sieve of Eratosthenes itself: S(v) counts the odd
/// k <= v not yet struck, and round p strikes the odd multiples p m, m >= p. So while rounds
/// change small keys (p^2 <= r) they are kept as that sieve, a bit an odd number and the count
/// before every 64 of them (pack_small), and a round clears the bits of its multiples, r / (2 p)
/// of them, rather than rewriting the r / 2 keys above p^2 (which streamed the whole small table
/// through memory, and both cores' share of its bandwidth, once a round). A read is a popcount.
///
/// Runs. Where d > sqrt(n/p), consecutive keys share floor(n/(d p)), so a round subtracts one
/// amount from a whole run of keys: one division and one read for the run (large_runs). Whole
/// blocks of 16 keys inside a run take the amount as one subtraction from the block's pending
/// slot rather than 16. Subtraction commutes, so a key's value is its entry plus its slot at any
/// time: the only reads of large keys during the build (large_from_large, at later rounds) add
/// the slot, and the slots are folded into the keys when the build completes or stops, so that
/// the keys alone are the table and the state saved between builds. Near n^(1/4) a round touches
/// r keys one by one without runs, r / 16 slots with them.
///
/// The tail. Nearly all rounds are those of p with p^3 > n (1.94 million of 1.95 million at
/// n = 10^15), each for a few keys. Every value they read is final: the small keys stopped
/// changing at p^2 > r, and a large key e = d p read in round p has floor(n/e) <= n/p < p^2, so
/// no round from p on updates it (and e >= p > n^(1/3) > n/p^2 >= d is no key these rounds
/// update either). So any batch of consecutive tail rounds may update their keys at once and in
/// any order: key d takes, in one pass, the sum over the batch's p with p^2 <= n/d of S(n/(d p))
/// - S(p - 1), a loop like the walk's leaves, and the state after a batch is the state after
/// its last round. Batches of about 2^25 updates are parallel steps over d, not rounds of a few
/// keys that one thread has to run in turn.
#include "core/prime_count_table.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <primesieve.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/analytic_leaves.hpp"
#include "core/analytic_quotient.hpp"
#include "core/arith.hpp"
#include "core/cpu_features.hpp"
#include "core/huge_pages.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

template <QuotientMethod kMethod>
using QuotientTag = std::integral_constant<QuotientMethod, kMethod>;

std::string mib(u64 bytes) { return std::to_string((bytes + (u64{1} << 20) - 1) >> 20) + " MiB"; }

/// Bytes of the key block: large64, large32 and small keys, in this order.
u64 key_bytes(u64 root, u64 split) {
  return 8 * (split + 1) + 4 * (root - split) + 4 * ((root + 1) / 2);
}

/// Heap memory left untouched until build() writes it (no zero fill): a block that place_keys
/// replaces costs no pages. On huge pages where the kernel grants them: the build and the walk
/// read keys all over the table, and on 4 KB pages most of those reads would also miss the TLB.
std::shared_ptr<void> heap_storage(std::size_t bytes) {
  return {huge_page_alloc(bytes), [bytes](void* block) { huge_page_free(block, bytes); }};
}

}  // namespace

/// Short steps run inline, by the leader only, without building a std::function: most of the
/// ~pi(sqrt n) rounds have only a few keys left. A step whose keys cost key_cost updates each
/// is shared once its updates make a step worth sharing.
template <class Body>
void PrimeCountTable::run_step(const ParallelFor& parallel_for, u64 lo, u64 hi, const Body& body,
                               u64 key_cost) const {
  if (lo >= hi) return;
  if ((hi - lo) * key_cost >= min_step_)
    parallel_for(lo, hi, RangeBody(body));
  else if (role_ == Role::leader)
    body(lo, hi);
}

void serial_for(u64 begin, u64 end, const RangeBody& body) {
  if (begin < end) body(begin, end);
}

u64 PrimeCountTable::memory_bytes(u64 n) {
  const u64 r = isqrt(n);
  const u64 split = std::min(r, n >> 33);
  // pi(x) < 1.26 x / ln(x) for x > 1 (Rosser and Schoenfeld), and pi(x) <= x.
  const auto primes_below = [](u64 x) {
    const double ln = x > 16 ? std::log(static_cast<double>(x)) : 1.0;
    return std::min<u64>(x, static_cast<u64>(1.26 * static_cast<double>(x) / ln)) + 2;
  };
  // small keys, large keys, pending amounts, the primes, the inverses of those below 2^25.5
  return 4 * ((r + 1) / 2 + 1) + 8 * (split + 1) + 4 * (r - split) + 4 * pending_slots(r) +
         4 * primes_below(r) + 8 * primes_below(std::min<u64>(r, isqrt(kReciprocalLimit)));
}

PrimeCountTable::PrimeCountTable(u64 n, u64 max_bytes)
    : n_(n), root_(isqrt(n)), quotient_method_(numfactors::quotient_method(n)) {
  if (n == 0) throw RangeError("the prime count table needs n >= 1", Range{1, 0});
  const u64 bytes = memory_bytes(n);
  if (bytes > max_bytes)
    throw TableTooLarge("the analytic method needs " + mib(bytes) + " of tables for hi = " +
                            std::to_string(n) + ", above the limit of " + mib(max_bytes),
                        n, bytes, max_bytes, "the table budget");
  // The primes up to root_ and the next one must fit 32 bits: n < 4294967291^2 (the largest
  // 32-bit prime), which only the top 2^-30 of the 64-bit range misses, far beyond any memory
  // limit.
  primesieve::iterator next(root_ + 1);
  const u64 sentinel = next.next_prime();
  if (sentinel > 0xFFFFFFFFull)
    throw InvalidRequest(
        "the analytic method counts up to 4294967291^2 - 1 (its primes fit 32 "
        "bits), not up to " +
        std::to_string(n));
  split_ = std::min(root_, n_ >> 33);
  primesieve::generate_primes(root_, &primes_);
  primes_.push_back(static_cast<std::uint32_t>(sentinel));
  // Quotients by reciprocal are exact for dividends below 2^51, which only the primes with
  // p^2 < 2^51 divide in a leaf or a tail round: at most 2.9 million of them, whatever n.
  const auto with_inverse =
      std::partition_point(primes_.begin(), primes_.end() - 1,
                           [](std::uint32_t p) { return u64{p} * p < kReciprocalLimit; });
  inverses_.reserve(static_cast<std::size_t>(with_inverse - primes_.begin()));
  for (auto p = primes_.begin(); p != with_inverse; ++p)
    inverses_.push_back(1.0 / static_cast<double>(*p));
  place_keys(heap_storage);
}

void PrimeCountTable::place_keys(const Storage& storage) {
  const u64 bytes = numfactors::key_bytes(root_, split_);
  std::shared_ptr<void> block = storage(bytes + 4 * pending_slots(root_));
  large64_ = static_cast<std::uint64_t*>(block.get());
  large32_ = reinterpret_cast<std::uint32_t*>(large64_ + split_ + 1);
  small_ = large32_ + (root_ - split_);
  pending_ = reinterpret_cast<std::uint32_t*>(static_cast<unsigned char*>(block.get()) + bytes);
  keys_ = std::move(block);
}

u64 PrimeCountTable::pi(u64 v) const {
  if (v < 2) return 0;
  if (v <= root_) return odd_pi_small(v) + 1;
  return odd_pi_large(n_ / v) + 1;  // v = floor(n/d) > r gives d = floor(n/v) <= r back
}

/// First d >= lo of the build's parity (every d when stride is 1; d = 2 t + parity otherwise).
static u64 first_of_share(u64 lo, u64 stride, u64 parity) {
  return stride == 1 || (lo & 1) == parity ? lo : lo + 1;
}

std::vector<std::uint64_t> PrimeCountTable::export_large(Share share) const {
  std::vector<std::uint64_t> values;
  values.reserve(root_ / 2 + 1);
  for (u64 d = share == Share::odd ? 1 : 2; d <= root_; d += 2) values.push_back(odd_pi_large(d));
  return values;
}

void PrimeCountTable::import_large(Share share, const std::vector<std::uint64_t>& values) {
  std::size_t k = 0;
  for (u64 d = share == Share::odd ? 1 : 2; d <= root_; d += 2, ++k) {
    if (k >= values.size()) throw std::invalid_argument("import_large: too few values");
    if (d <= split_)
      large64_[d] = values[k];
    else
      large32_[d - split_ - 1] = static_cast<std::uint32_t>(values[k]);
  }
}

void PrimeCountTable::set_quotient_method(QuotientMethod method) {
  if (static_cast<int>(method) < static_cast<int>(numfactors::quotient_method(n_)))
    throw std::invalid_argument("set_quotient_method: not exact for this n");
  quotient_method_ = method;
}

void PrimeCountTable::set_reciprocal_limit(u64 limit) {
  if (limit > kReciprocalLimit) throw std::invalid_argument("set_reciprocal_limit: not exact");
  reciprocal_limit_ = limit;
}

std::size_t PrimeCountTable::key_bytes() const { return numfactors::key_bytes(root_, split_); }

std::size_t PrimeCountTable::build(const ParallelFor& parallel_for, const Progress& progress,
                                   Share share, Role role, u64 min_parallel_step,
                                   std::size_t rounds_done, const StopHere& stop_here) {
  stride_ = share == Share::all ? 1 : 2;
  parity_ = share == Share::odd ? 1 : 0;
  role_ = role;
  min_step_ = std::max<u64>(min_parallel_step, 1);
  run_step(parallel_for, 0, pending_slots(root_),
           [this](u64 lo, u64 hi) { std::fill(pending_ + lo, pending_ + hi, 0u); });
  if (rounds_done == 0) {
    // A key each (and a division for a large key), into fresh pages: seconds at n = 10^17,
    // so a stop is looked at between blocks too (the build then returns 0 rounds done, nothing
    // worth saving). Below 2^24 keys (n < 2.8 * 10^14) each is one block, and the first
    // question is still the one before round 1.
    constexpr u64 kStartBlock = u64{1} << 24;
    const auto in_blocks = [&](u64 begin, u64 end, const auto& body) {
      for (u64 first = begin; first < end; first += kStartBlock) {
        if (first > begin && stop_here && stop_here()) return false;
        run_step(parallel_for, first, std::min(end, first + kStartBlock), body);
      }
      return true;
    };
    // Starting values: (v - 1) / 2 odd numbers in [3, v].
    const bool started =
        in_blocks(0, (root_ + 1) / 2,
                  [this](u64 lo, u64 hi) {
                    for (u64 i = lo; i < hi; ++i) small_[i] = static_cast<std::uint32_t>(i);
                  }) &&
        in_blocks(1, root_ + 1, [this](u64 lo, u64 hi) {
          for (u64 d = lo; d < hi; ++d) {
            const u64 s = (n_ / d - 1) / 2;
            if (d <= split_)
              large64_[d] = s;
            else
              large32_[d - split_ - 1] = static_cast<std::uint32_t>(s);
          }
        });
    if (!started) return 0;
  }
  // primes_[0] = 2 is accounted for by counting odd numbers only; the sentinel is > root_.
  const auto keys = [this](u64 p) {  // keys a round updates: its share of the work
    return std::min(root_, n_ / (p * p)) + (p * p <= root_ ? (root_ - p * p) / 2 : 0);
  };
  double total = 1, done = 0, reported = 0;
  if (progress)
    for (std::size_t k = 1; k + 1 < primes_.size(); ++k) {
      total += static_cast<double>(keys(primes_[k]));
      if (k <= rounds_done) done += static_cast<double>(keys(primes_[k]));
    }
  // The rounds of primes p with p^2 <= r (the first ones) change small keys: packed for them.
  // Every process of a shared table keeps the same packed_, and only the leader converts (the
  // others are between steps then), as it does the rounds' short steps.
  const auto changes_small = [this](std::size_t k) {
    return k + 1 < primes_.size() && u64{primes_[k]} * primes_[k] <= root_;
  };
  const auto set_packed = [this](bool packed) {
    if (packed == packed_) return;
    if (role_ == Role::leader) packed ? pack_small() : unpack_small();
    packed_ = packed;
  };
  set_packed(changes_small(rounds_done + 1));
  // Round k is that of the k-th odd prime, primes_[k]; the tail's rounds go in batches.
  for (std::size_t k = rounds_done + 1; k + 1 < primes_.size();) {
    if (stop_here && stop_here()) {
      // The state saved between builds has nothing pending and its small keys unpacked. The
      // other processes of a shared table are between steps now, so the leader does it alone.
      if (role_ == Role::leader) fold_pending(0, pending_slots(root_));
      set_packed(false);
      return k - 1;
    }
    set_packed(changes_small(k));
    const u64 p = primes_[k];
    std::size_t next = k + 1;
    if (p * p > n_ / p) {  // p^3 > n
      u64 updates = 0;
      next = tail_batch_end(k, updates);
      const u64 last_key = n_ / (p * p);  // <= root: p^2 > n / p > sqrt(n) when p^3 > n
      // Late batches have few keys (one at the very end) of many updates each.
      run_step(
          parallel_for, 1, last_key + 1, [&](u64 a, u64 b) { tail_keys(k, next, a, b); },
          std::max<u64>(1, updates / last_key));
    } else {
      round(k, parallel_for);
    }
    for (; k < next; ++k)
      if (progress) done += static_cast<double>(keys(primes_[k]));
    if (progress && done - reported >= total / 100) progress((reported = done) / total);
  }
  set_packed(false);
  run_step(parallel_for, 0, pending_slots(root_), [this](u64 lo, u64 hi) { fold_pending(lo, hi); });
  if (progress) progress(1.0);
  return rounds();
}

void PrimeCountTable::fold_pending(u64 lo, u64 hi) {
  // Blocks [lo, hi): each block whole, so that no other piece reads its slots meanwhile.
  for (u64 b = lo; b < hi; ++b) {
    const u64 first = std::max(b * kRunBlock, split_ + 1);
    const u64 end = std::min((b + 1) * kRunBlock, root_ + 1);
    // A build of one parity holds amounts for its own keys only.
    for (u64 d = first_of_share(first, stride_, parity_); d < end; d += stride_)
      large32_[d - split_ - 1] += pending_[b];
    pending_[b] = 0;
  }
}

void PrimeCountTable::round(std::size_t prime_index, const ParallelFor& parallel_for) {
  const u64 p = primes_[prime_index];
  const u64 c = prime_index - 1;  // odd primes below p
  const u64 r = root_;
  const u64 last = std::min(r, n_ / (p * p));     // keys floor(n/d) >= p^2; p <= r < 2^32: no wrap
  const u64 reads_large = std::min(last, r / p);  // d <= r/p <=> d p <= r

  // Large keys reading large keys, segment (r/p^(k+1), r/p^k] after segment (.., r/p^(k+1)].
  std::array<u64, 64> bounds{reads_large};  // r / p^k shrinks by 3x at least: < 64 of them
  std::size_t count = 1;
  for (u64 b = r / p; b > 0;) bounds[count++] = b = b / p;  // ends with 0
  for (std::size_t k = count - 1; k > 0; --k) {
    const u64 lo = bounds[k] + 1, hi = std::min(bounds[k - 1], reads_large);
    run_step(parallel_for, lo, hi + 1, [&](u64 a, u64 b) { large_from_large(p, c, a, b); });
  }
  // Large keys reading small keys (unchanged until the small step below): one at a time up to
  // runs_from, then by runs (large_runs).
  const u64 first = reads_large + 1, end = last + 1;
  const u64 runs_from = std::clamp(runs_start(p), first, end);
  const auto step = [&](auto method) {
    run_step(parallel_for, first, runs_from,
             [&](u64 a, u64 b) { large_from_small<decltype(method)::value>(p, c, a, b); });
  };
  switch (quotient_method_) {
    case QuotientMethod::plain_double:
      step(QuotientTag<QuotientMethod::plain_double>{});
      break;
    case QuotientMethod::corrected_double:
      step(QuotientTag<QuotientMethod::corrected_double>{});
      break;
    case QuotientMethod::integer:
      step(QuotientTag<QuotientMethod::integer>{});
      break;
  }
  run_step(parallel_for, runs_from, end, [&](u64 a, u64 b) { large_runs(p, c, a, b); });
  // The small keys lose the odd multiples p m, m >= p: their bits are cleared (build() keeps
  // the small keys packed for the rounds with p^2 <= r).
  if (p * p <= r) strike(p, parallel_for);
}

std::size_t PrimeCountTable::tail_batch_end(std::size_t first, u64& updates) const {
  // Round k updates floor(n / p_k^2) keys; the sentinel ends the last batch.
  updates = 0;
  std::size_t k = first;
  for (; k + 1 < primes_.size() && updates < min_step_ * kTailBatchSteps; ++k) {
    const u64 p = primes_[k];
    updates += n_ / (p * p);
  }
  return k;
}

void PrimeCountTable::tail_keys(std::size_t first, std::size_t last, u64 lo, u64 hi) {
  for (u64 d = first_of_share(lo, stride_, parity_); d < hi; d += stride_) {
    const u64 x = n_ / d;
    // Rounds i in [first, end) update key d: p_i^2 <= x. primes_[i] <= v <=> i <= odd pi(v)
    // for v >= 2 (index 0 is 2), which the small keys, final now, give.
    const u64 end = std::min<u64>(last, odd_pi_small(isqrt(x)) + 1);
    if (end <= first) continue;
    // Rounds with d p <= r read large[d p], the others small[floor(x / p)].
    const u64 reads_large = root_ / d >= 2 ? odd_pi_small(root_ / d) + 1 : 0;
    const u64 mid = std::clamp<u64>(reads_large, first, end);
    u64 sum = 0;  // of S(n / (d p)) over the batch's rounds
    for (u64 i = first; i < mid; ++i) {
      const u64 e = d * primes_[i];
      sum += e <= split_ ? large64_[e] : large32_value(e);
    }
    sum += small_quotient_sum(x, mid, end);
    // S(p_i - 1) = i - 1 odd primes below p_i: their sum over [first, end).
    const u64 below = (first - 1 + end - 2) * (end - first) / 2;
    if (d <= split_)
      large64_[d] -= sum - below;
    else
      large32_[d - split_ - 1] -= static_cast<std::uint32_t>(sum - below);
  }
}

template <QuotientMethod kMethod>
void PrimeCountTable::large_from_small(u64 p, u64 c, u64 lo, u64 hi) {
  const double nd = static_cast<double>(n_);
  auto source = [&](u64 d) -> u64 {
    const u64 dp = d * p;  // d <= n / p^2, so d p <= n / p: no wrap
    // floor(n / (d p)) <= r < 2^32 because d p > r; it is >= p because d <= n / p^2.
    const u64 q = quotient<kMethod>(n_, nd, dp);
    return small_count((q - 1) >> 1) - c;
  };
  lo = first_of_share(lo, stride_, parity_);
  const u64 mid = first_of_share(std::clamp(split_ + 1, lo, hi), stride_, parity_);
  std::uint32_t* large32 = large32_;
  // floor(n / (d p)) = floor(floor(n / p) / d), and floor(n / p) < 2^52 in every round of a
  // table below 2^52 and in all but the first few above (p > n / 2^52: every round at n = 10^16,
  // all but 7 at 10^17): those take the vectorized loops, from the small keys as they are or
  // packed.
  const u64 np = n_ / p;
  if (np < kPlainDoubleLimit) {
    const auto c32 = static_cast<std::uint32_t>(c);
    const auto npd = static_cast<double>(np);
    const auto subtract = [&](auto* large, u64 begin, u64 end) {
      if (packed_)
        subtract_packed_counts(large, small_, begin, end, stride_, c32, npd);
      else
        subtract_small_counts(large, small_, begin, end, stride_, c32, npd);
    };
    if (lo < mid) subtract(large64_ + lo, lo, mid);
    if (mid < hi) subtract(large32 + (mid - split_ - 1), mid, hi);
    return;
  }
  for (u64 d = lo; d < mid; d += stride_) large64_[d] -= source(d);
  for (u64 d = mid; d < hi; d += stride_)
    large32[d - split_ - 1] -= static_cast<std::uint32_t>(source(d));
}

u64 PrimeCountTable::runs_start(u64 p) const {
  // Keys d share floor(n/(d p)) in runs of about d^2 p / n: from kMinRun on, a run costs less
  // than its keys one at a time. Only 32-bit keys have pending amounts.
  const double run_from = std::sqrt(kMinRun * static_cast<double>(n_ / p));
  return std::max(split_ + 1, static_cast<u64>(run_from) + 1);
}

void PrimeCountTable::large_runs(u64 p, u64 c, u64 lo, u64 hi) {
  // Every d in [lo, hi) is above r/p (d p > r, so floor(n/(d p)) is a small key), above split_
  // and above sqrt(np): there np/d falls by less than 1 from one d to the next, so every v from
  // floor(np/lo) down to floor(np/(hi-1)) has a run, the keys d in (np/(v+1), np/v]. Walking v
  // down, the run ends are independent divisions and the small keys are read in order.
  const u64 np = n_ / p;
  const auto c32 = static_cast<std::uint32_t>(c);
  // floor(np/v) + 1: exact in double below 2^52 (plain_double); a table set to integer
  // division (a test) takes the integer path of the first rounds above 2^52.
  const bool plain = np < kPlainDoubleLimit && quotient_method_ != QuotientMethod::integer;
  const auto end_of = [np, plain, npd = static_cast<double>(np)](u64 v) -> u64 {
    return (plain ? static_cast<u64>(npd / static_cast<double>(v)) : np / v) + 1;
  };
  u64 d = lo;
  for (u64 v = np / lo; d < hi; --v) {
    const u64 end = std::min(hi, end_of(v));
    // A run writes the keys at its two ends, and long runs leave whole lines untouched between,
    // which the hardware does not fetch ahead: ask for the lines around a run's end kRunsAhead
    // runs before it is reached.
    if (v > kRunsAhead) {
      const u64 ahead = end_of(v - kRunsAhead);
      if (ahead < hi) {
        __builtin_prefetch(large32_ + (ahead - split_ - 1), 1);
        __builtin_prefetch(large32_ + (ahead - split_ - 1) - 8, 1);
      }
    }
    subtract_run(d, end, static_cast<std::uint32_t>(small_count((v - 1) >> 1)) - c32);
    d = end;
  }
}

void PrimeCountTable::subtract_run(u64 lo, u64 hi, std::uint32_t delta) {
  // Whole blocks inside [lo, hi) take the amount as pending, the keys at either end one by one.
  const u64 block_lo = (lo + kRunBlock - 1) / kRunBlock, block_hi = hi / kRunBlock;
  const auto keys = [&](u64 a, u64 b) {
    for (u64 d = first_of_share(a, stride_, parity_); d < b; d += stride_)
      large32_[d - split_ - 1] -= delta;
  };
  if (block_lo >= block_hi) return keys(lo, hi);
  keys(lo, block_lo * kRunBlock);
  // In a build of one parity the slot stands for the block's keys of that parity only: the
  // other parity's keys are another build's (another process's memory) and never read here.
  for (u64 b = block_lo; b < block_hi; ++b) pending_[b] -= delta;
  keys(block_hi * kRunBlock, hi);
}

void PrimeCountTable::large_from_large(u64 p, u64 c, u64 lo, u64 hi) {
  lo = first_of_share(lo, stride_, parity_);
  const u64 mid = first_of_share(std::clamp(split_ + 1, lo, hi), stride_, parity_);
  // d p may hold an amount pending from an earlier round's runs: read it with the key.
  const auto source = [this](u64 e) -> u64 { return e <= split_ ? large64_[e] : large32_value(e); };
  for (u64 d = lo; d < mid; d += stride_) large64_[d] -= source(d * p) - c;
  std::uint32_t* large32 = large32_;
  for (u64 d = mid; d < hi; d += stride_)
    large32[d - split_ - 1] -= static_cast<std::uint32_t>(source(d * p) - c);
}

void PrimeCountTable::pack_small() {
  // Block b holds odd numbers 2i + 1, i in [64 b, 64 b + 64), in 4 words from small_ + 4 b: the
  // bits (bit i - 64 b set where S rises at i: 2i + 1 survives), then S before the block. The
  // blocks go bottom up: block b reads entries from 64 b - 1 on and writes words 4 b to 4 b + 3,
  // below any entry a later block reads (block 0 reads its entries before it writes).
  const u64 entries = (root_ + 1) / 2;
  for (u64 b = 0; 64 * b < entries; ++b) {
    const u64 first = 64 * b, end = std::min(entries, first + 64);
    const std::uint32_t below = first == 0 ? 0 : small_[first - 1];
    std::uint64_t bits = 0;
    for (u64 i = first; i < end; ++i)
      bits |= static_cast<std::uint64_t>(small_[i] != (i == first ? below : small_[i - 1]))
              << (i - first);
    small_[4 * b] = static_cast<std::uint32_t>(bits);
    small_[4 * b + 1] = static_cast<std::uint32_t>(bits >> 32);
    small_[4 * b + 2] = below;
    small_[4 * b + 3] = 0;
  }
}

void PrimeCountTable::unpack_small() {
  // Top down: block b writes entries 64 b to 64 b + 63, which held blocks 16 b and up, all
  // unpacked already (block 0 reads its words before it writes).
  const u64 entries = (root_ + 1) / 2;
  for (u64 b = (entries + 63) / 64; b-- > 0;) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, small_ + 4 * b, sizeof bits);
    std::uint32_t value = small_[4 * b + 2];
    const u64 first = 64 * b, end = std::min(entries, first + 64);
    for (u64 i = first; i < end; ++i) {
      value += static_cast<std::uint32_t>((bits >> (i - first)) & 1);
      small_[i] = value;
    }
  }
}

namespace {

/// Word 3 of each packed block b in [lo, hi): the number of its bits set. Built for the baseline
/// x86-64, std::popcount is a call into libgcc (a table lookup a byte): CPUs with the POPCNT
/// instruction take a build of the loop that uses it. (Chosen by a flag, not by target_clones:
/// an ifunc resolver runs before ThreadSanitizer's runtime is up.)
[[gnu::always_inline]] inline void count_bits(std::uint32_t* packed, u64 lo, u64 hi) {
  for (u64 b = lo; b < hi; ++b) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, packed + 4 * b, sizeof bits);
    packed[4 * b + 3] = static_cast<std::uint32_t>(std::popcount(bits));
  }
}
[[gnu::target("popcnt")]] void count_bits_popcnt(std::uint32_t* packed, u64 lo, u64 hi) {
  count_bits(packed, lo, hi);
}
void count_block_bits(std::uint32_t* packed, u64 lo, u64 hi) {
  static const bool popcnt = cpu_has_popcnt();
  popcnt ? count_bits_popcnt(packed, lo, hi) : count_bits(packed, lo, hi);
}

}  // namespace

void PrimeCountTable::strike(u64 p, const ParallelFor& parallel_for) {
  // The odd multiples p m, m >= p odd: i = (p m - 1) / 2 from (p^2 - 1) / 2 in steps of p.
  // Clearing a bit twice is harmless, so multiples of smaller primes need no test. Pieces are
  // whole blocks: each clears its blocks' bits and leaves their count of bits in word 3.
  const u64 entries = (root_ + 1) / 2, first = (p * p - 1) / 2, blocks = (entries + 63) / 64;
  run_step(parallel_for, first >> 6, blocks, [&](u64 lo, u64 hi) {
    const u64 start = std::max(first, 64 * lo), end = std::min(entries, 64 * hi);
    for (u64 i = start + (p - (start - first) % p) % p; i < end; i += p)
      small_[4 * (i >> 6) + ((i >> 5) & 1)] &= ~(std::uint32_t{1} << (i & 31));
    count_block_bits(small_, lo, hi);
  });
  // The counts before each block, from the first block that changed (word 3 back to 0).
  if (role_ != Role::leader) return;
  std::uint32_t below = small_[4 * (first >> 6) + 2];
  for (u64 b = first >> 6; b < blocks; ++b) {
    small_[4 * b + 2] = below;
    below += small_[4 * b + 3];
    small_[4 * b + 3] = 0;
  }
}

}  // namespace numfactors
