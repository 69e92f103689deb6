/// @file prime_count_table.hpp
/// @brief pi(v) for every key v in { floor(n/d) : d >= 1 }, by the Lucy_Hedgehog update.
///
/// The keys are the values floor(n/d): those <= r = floor(sqrt(n)) are every v in [1, r] (the
/// "small" keys, indexed by v), the others are floor(n/d) for d in [1, r] (the "large" keys,
/// indexed by d). Indexing is division-free: a small key by itself, a large one by d. There are
/// about 2 sqrt(n) keys, so memory is O(sqrt n) and the update costs O(n^(3/4) / log n).
///
/// Only odd numbers are counted (2 is added back by the caller): an entry holds the number of odd
/// primes <= v, which halves the small table and the first update round.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/analytic_leaves.hpp"
#include "core/analytic_quotient.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// A piece of work over the index subrange [lo, hi); pieces of one call never overlap.
using RangeBody = std::function<void(u64 lo, u64 hi)>;

/// Runs `body` on subranges that partition [begin, end) and returns when all have finished. The
/// subranges may run concurrently: this is how an executor lends its threads to core code, which
/// knows none (the core layer has no threads, processes or MPI).
using ParallelFor = std::function<void(u64 begin, u64 end, const RangeBody& body)>;

/// The whole range in the calling thread.
void serial_for(u64 begin, u64 end, const RangeBody& body);

class PrimeCountTable {
 public:
  /// Default memory budget: 2 GiB holds the table up to n of about 1.0e17, whose build and walk
  /// would take hours on a few cores anyway.
  static constexpr u64 kDefaultMaxBytes = u64{2} << 30;

  /// Bytes the table for n occupies (keys, the primes <= sqrt(n) and prime_inverses()), within
  /// a few percent.
  static u64 memory_bytes(u64 n);

  /// Generates the primes and allocates the table. Throws RangeError if n < 1, TableTooLarge if
  /// memory_bytes(n) > max_bytes, and InvalidRequest if n >= 4294967291^2 (primes must fit 32
  /// bits).
  explicit PrimeCountTable(u64 n, u64 max_bytes = kDefaultMaxBytes);
  PrimeCountTable(const PrimeCountTable&) = delete;  // the keys may be shared with other processes
  PrimeCountTable& operator=(const PrimeCountTable&) = delete;
  PrimeCountTable(PrimeCountTable&&) = default;
  PrimeCountTable& operator=(PrimeCountTable&&) = default;

  /// Receives the fraction of the build done, in [0, 1], from the thread that called build().
  using Progress = std::function<void(double fraction)>;

  /// Gives `bytes` of memory aligned for 64-bit values, kept while the pointer lives.
  using Storage = std::function<std::shared_ptr<void>(std::size_t bytes)>;

  /// Moves the keys, before build(), to memory from `storage` (else they live on this process's
  /// heap): several processes of one machine (MPI ranks) can then build one table in memory
  /// they share, as threads do (Role). The keys are left unset, to be written by build().
  void place_keys(const Storage& storage);

  /// Which large keys floor(n/d) a build computes. The update of key d reads key d p, p odd, of
  /// the same parity, and small keys, which every build computes: so the odd-d and the even-d
  /// large keys are independent halves of the work (the odd half has slightly more), which two
  /// processes (MPI ranks) can build apart and then exchange with export_large / import_large.
  enum class Share { all, odd, even };

  /// Who runs the steps too short to split. One process building alone is the leader. Several
  /// processes building one table in shared memory (place_keys) each call build() with the same
  /// arguments, one as the leader, the others as helpers, and a parallel_for shared among them:
  /// the pieces of its k-th call may run in any of them, none before the leader has made its
  /// k-th call, and the leader's call returns only when all of them are done. Between the calls
  /// the leader runs the short steps and the helpers skip them. So every step still sees the
  /// values of all steps before it, as in one process. A helper's build() may return before the
  /// leader's: wait for the leader before reading the table.
  enum class Role { leader, helper };

  /// Steps shorter than this run in the calling thread by default: waking threads to split
  /// them costs more than it saves.
  static constexpr u64 kMinParallelStep = u64{1} << 15;

  /// Says, before each round (each batch of the tail's rounds, each block of the start values),
  /// whether the build should stop there.
  using StopHere = std::function<bool()>;

  /// The update over the odd primes p <= sqrt(n), for the large keys of `share`: one round per
  /// prime, rounds() in all. Each round's steps of at least `min_parallel_step` keys are handed
  /// to `parallel_for`; `progress`, if given, hears about every percent of the keys updated.
  /// The keys after a round are a resumable state (keys(), set_keys()): the build starts after
  /// `rounds_done` rounds (0: from the start values), and returns before a round at which
  /// `stop_here` says so (the rounds of primes p with p^3 > n go in batches: a build stops
  /// between them). Returns the rounds done (rounds() when complete). Call before any
  /// query; after a partial share, import the other share before querying large keys.
  std::size_t build(const ParallelFor& parallel_for = serial_for, const Progress& progress = {},
                    Share share = Share::all, Role role = Role::leader,
                    u64 min_parallel_step = kMinParallelStep, std::size_t rounds_done = 0,
                    const StopHere& stop_here = {});

  /// Rounds of the update: one for each odd prime <= sqrt(n).
  std::size_t rounds() const { return primes_.size() - 2; }

  /// The keys as one block of key_bytes() bytes: with the rounds done, what a resumed build
  /// needs (written from one table, read into another of the same n before build()).
  const void* keys() const { return keys_.get(); }
  void* keys() { return keys_.get(); }
  std::size_t key_bytes() const;

  /// The large keys of d of one parity (share odd or even), by increasing d: r/2 values.
  std::vector<std::uint64_t> export_large(Share share) const;
  /// Sets the large keys of one parity from another build's export_large(share).
  void import_large(Share share, const std::vector<std::uint64_t>& values);

  u64 n() const { return n_; }
  /// How the build and the walk divide: quotient_method(n) unless set before build() to a
  /// method exact for larger n (corrected_double, integer: exact for every n this table takes),
  /// which is how the tests run a small table through the paths of tables above 2^52.
  QuotientMethod quotient_method() const { return quotient_method_; }
  void set_quotient_method(QuotientMethod method);
  /// Dividends below this divide by reciprocal (prime_inverses()): kReciprocalLimit unless set
  /// lower before build(), which is how the tests run the division paths of larger dividends.
  u64 reciprocal_limit() const { return reciprocal_limit_; }
  void set_reciprocal_limit(u64 limit);
  /// floor(sqrt(n)).
  u64 root() const { return root_; }

  /// The primes <= root(), then the next prime as a sentinel, so that a walk may read the prime
  /// after any prime <= root().
  const std::vector<std::uint32_t>& primes() const { return primes_; }
  /// 1.0 / primes()[i] rounded to nearest, for the primes with p^2 < 2^51 (the first entries of
  /// primes()): below 2^51 the walk and the tail rounds divide by multiplying
  /// (reciprocal_quotient in analytic_quotient.hpp), which costs a fraction of a division.
  const std::vector<double>& prime_inverses() const { return inverses_; }

  /// Number of odd primes <= v for 1 <= v <= root(): pi(v) - 1 for v >= 2 (0 for v = 1).
  u64 odd_pi_small(u64 v) const { return small_[(v - 1) >> 1]; }
  /// The small keys as stored: entry (v - 1) / 2 is odd_pi_small(v).
  const std::uint32_t* small_keys() const { return small_; }
  /// Number of odd primes <= floor(n/d) for 1 <= d <= root().
  u64 odd_pi_large(u64 d) const { return d <= split_ ? large64_[d] : large32_[d - split_ - 1]; }
  /// Number of odd primes <= x where x = floor(n/m): no division, whichever side x is on.
  u64 odd_pi_quotient(u64 m, u64 x) const { return m <= root_ ? odd_pi_large(m) : odd_pi_small(x); }
  /// Where odd_pi_quotient(m, x) is stored (to prefetch it).
  const void* odd_pi_quotient_address(u64 m, u64 x) const {
    if (m > root_) return small_ + ((x - 1) >> 1);
    return m <= split_ ? static_cast<const void*>(large64_ + m) : large32_ + (m - split_ - 1);
  }

  /// The sum of odd_pi_small(floor(x / primes()[i])) over i in [begin, end), each quotient in
  /// [1, root()] (the walk's leaves, the tail's rounds): by reciprocal below reciprocal_limit(),
  /// by the vectorized division below 2^52 (unless integer division is forced), else by integer
  /// division.
  u64 small_quotient_sum(u64 x, u64 begin, u64 end) const {
    if (x < reciprocal_limit_)
      return small_leaf_sum_reciprocal(small_, inverses_.data(), begin, end,
                                       static_cast<double>(x) + 0.5);
    if (x < kPlainDoubleLimit && quotient_method_ != QuotientMethod::integer)
      return small_leaf_sum(small_, primes_.data(), begin, end, static_cast<double>(x));
    u64 sum = 0;
    for (u64 i = begin; i < end; ++i) sum += odd_pi_small(x / primes_[i]);
    return sum;
  }

  /// pi(v) for any key v = floor(n/d) (and any v <= root()). One division.
  u64 pi(u64 v) const;

 private:
  template <class Body>
  void run_step(const ParallelFor& parallel_for, u64 lo, u64 hi, const Body& body,
                u64 key_cost = 1) const;
  void round(std::size_t prime_index, const ParallelFor& parallel_for);
  std::size_t tail_batch_end(std::size_t first, u64& updates) const;
  void tail_keys(std::size_t first, std::size_t last, u64 lo, u64 hi);
  template <QuotientMethod kMethod>
  void large_from_small(u64 p, u64 c, u64 lo, u64 hi);
  void large_from_large(u64 p, u64 c, u64 lo, u64 hi);
  u64 runs_start(u64 p) const;
  void large_runs(u64 p, u64 c, u64 lo, u64 hi);
  void subtract_run(u64 lo, u64 hi, std::uint32_t delta);
  /// A 32-bit large key's value during build(): the key plus its block's pending amount.
  std::uint32_t large32_value(u64 d) const {
    return large32_[d - split_ - 1] + pending_[d / kRunBlock];
  }
  /// Slots of pending amounts after the keys: one for each block of kRunBlock large keys.
  static u64 pending_slots(u64 root) { return root / kRunBlock + 1; }
  /// Adds every pending amount to its keys and zeroes it.
  void fold_pending(u64 lo, u64 hi);
  /// The rounds of primes p with p^2 <= root() change small keys: in them the small keys are
  /// packed, in their own memory, as a bit for each odd number (set while it is a prime or has
  /// no prime factor below the round's) and the count before each block of 64, so that a round
  /// clears the bits of its multiples instead of rewriting every small key above p^2, which
  /// streamed the whole small table through memory once a round. A count costs a popcount.
  void pack_small();
  void unpack_small();
  void strike(u64 p, const ParallelFor& parallel_for);
  /// Entry i of the small keys, packed or not.
  u64 small_count(u64 i) const { return packed_ ? packed_count(small_, i) : small_[i]; }

  /// Keys per block of pending amounts: a cache line of 32-bit keys.
  static constexpr u64 kRunBlock = 16;
  /// Key updates a batch of tail rounds aims at, per key of the smallest step worth sharing
  /// (2^25 by default): enough to share among threads, few enough that a stop between batches
  /// comes soon.
  static constexpr u64 kTailBatchSteps = u64{1} << 10;
  /// How many runs ahead large_runs asks for the keys of a run's end (16 measured best of 4-16).
  static constexpr u64 kRunsAhead = 16;
  /// Runs start where they are about this long (measured: 8 to 32 give the same time at 10^14).
  static constexpr double kMinRun = 8;

  u64 n_;
  u64 root_;
  QuotientMethod quotient_method_;
  u64 reciprocal_limit_ = kReciprocalLimit;
  /// Large keys d <= split_ can exceed 2^32 odd numbers: 64-bit entries. Above it, floor(n/d)
  /// < 2^33, so at most 2^32 - 1 odd numbers in [3, floor(n/d)]: 32-bit entries.
  u64 split_;
  u64 stride_ = 1;  // 2 when building one parity of d only
  u64 parity_ = 0;  // d % 2 of the large keys built when stride_ is 2
  Role role_ = Role::leader;
  bool packed_ = false;  // the small keys are packed (pack_small)
  u64 min_step_ = kMinParallelStep;
  std::vector<std::uint32_t> primes_;
  std::vector<double> inverses_;
  // The keys, in one block: large64_, large32_, small_ (in this order, for alignment), then
  // pending_, which is not part of the keys (key_bytes() ends before it; zero between builds).
  std::shared_ptr<void> keys_;
  // Amounts still to subtract from whole blocks of 32-bit large keys: slot b for the keys
  // d = kRunBlock b + i (of the build's parity when it builds one).
  std::uint32_t* pending_ = nullptr;
  std::uint32_t* small_ = nullptr;    // index (v - 1) / 2, v in [1, root]: (root + 1) / 2 entries
  std::uint64_t* large64_ = nullptr;  // index d in [1, split]; [0] unused
  std::uint32_t* large32_ = nullptr;  // index d - split - 1, d in (split, root]
};

}  // namespace numfactors
