/// @file sieve_kernel.cpp
/// @brief Segmented omega/Omega sieve: chunk set-up, the segment loop, and the exact fallback.
///
/// Exactness rests on one invariant, checked in sieve_cells.hpp: in every segment, every prime
/// p <= R = isqrt(chunk hi) and every power p^j <= chunk hi of it has added its word to each cell
/// it divides (the patterns for p <= 47, 59 in the wheel; direct entries, buckets or rare hits
/// for the others), and nothing else has. Sieving the same R for all segments of a chunk is
/// allowed: the proof only needs b < (R+1)^2 and every prime <= R sieved. In the wheel layout the
/// same holds with the cells' m in place of n (R = isqrt of the pass's largest m): a cell's m is a
/// number of [m_first, m_last], and its key is then only re-weighted (wheel.hpp), never changed.
#include "core/sieve_kernel.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <primesieve.hpp>
#include <stdexcept>
#include <type_traits>

#include "core/arith.hpp"
#include "core/cell_histogram.hpp"
#include "core/exact_segment.hpp"
#include "core/factor64.hpp"

namespace numfactors {
namespace {

using sieve::Cell;

/// An over-estimate of pi(x) for x >= 2^10.
double pi_above(double x) { return x / (std::log(x) - 1.1); }

/// A chunk's set-up visits up to 3.9M stored primes (and 203M near 2^64): it looks at the stop
/// flag every this many, so that even thousands of workers, each in a set-up, all see a stop soon.
constexpr std::ptrdiff_t kPrimesBetweenStopChecks = std::ptrdiff_t{1} << 14;

}  // namespace

SieveKernel::SieveKernel(Count count, u64 max_hi)
    : SieveKernel(count, nullptr, std::min(isqrt(max_hi), kStoredPrimeLimit), nullptr) {
  auto primes = std::make_shared<Primes>();
  primesieve::generate_primes(stored_limit_, primes.get());
  primes_ = std::move(primes);
}

SieveKernel::SieveKernel(Count count, const Range& target)
    : SieveKernel(count, nullptr, std::min(isqrt(target.hi), kStoredPrimeLimit),
                  std::make_shared<const wheel::Target>(target, count)) {
  auto primes = std::make_shared<Primes>();
  primesieve::generate_primes(stored_limit_, primes.get());
  primes_ = std::move(primes);
}

SieveKernel::SieveKernel(Count count, std::shared_ptr<const Primes> primes, u64 stored_limit,
                         std::shared_ptr<const wheel::Target> wheel,
                         std::shared_ptr<const sieve::Presieve> presieve)
    : count_(count),
      primes_(std::move(primes)),
      stored_limit_(stored_limit),
      wheel_(std::move(wheel)),
      presieve_(presieve
                    ? std::move(presieve)
                    : sieve::Presieve::shared(count, wheel_ ? sieve::Presieve::Layout::wheel
                                                            : sieve::Presieve::Layout::numbers)),
      prime_word_base_(sieve::kCountUnit),
      power_word_base_(count == Count::total ? sieve::kCountUnit : 0) {}

std::unique_ptr<Kernel> SieveKernel::clone() const {
  return std::unique_ptr<Kernel>(
      new SieveKernel(count_, primes_, stored_limit_, wheel_, presieve_));
}

// Inlined into add_prime and add_powers: the direct kernel's set-up (~2M primes a pass near
// 10^15) keeps the code it had before the wheel shared these.
[[gnu::always_inline]] inline void SieveKernel::add_power_progression(u64 stride, u64 o, Cell word,
                                                                      u64 chunk_cells) {
  if (stride <= kDirectModulusLimit) {
    direct_powers_.emplace_back(stride, o, word);
  } else {
    for (; o < chunk_cells; o += stride) {
      rare_.push_back({o, word});
      if (stride > chunk_cells - 1 - o) break;  // o + stride would pass the chunk (or 2^64)
    }
  }
}

/// Returns whether the progression hits the chunk at all.
[[gnu::always_inline]] inline bool SieveKernel::add_prime_progression(u64 stride, u64 o,
                                                                      std::uint32_t weight,
                                                                      u64 chunk_cells) {
  if (stride <= kDirectModulusLimit) {
    (stride <= kBlockedModulusLimit ? direct_small_ : direct_)
        .emplace_back(stride, o, static_cast<Cell>(prime_word_base_ + weight));
    return true;
  }
  if (o >= chunk_cells) return false;
  // stride < 2^32 (a prime <= 2^32 - 1, or twice one below 2^31), so is o.
  buckets_.push(o >> kLog2SegmentCells, {static_cast<std::uint32_t>(stride),
                                         static_cast<std::uint32_t>(o & (kSegmentCells - 1)) |
                                             (static_cast<std::uint32_t>(prime_word_base_ + weight)
                                              << sieve::kOffsetBits)});
  return true;
}

void SieveKernel::add_powers(u64 p, u64 q, const Range& r) {
  const u64 chunk_cells = r.size();
  const u64 top = number_of(r.hi);
  const auto word = static_cast<Cell>(power_word_base_ + sieve::weight_of(p));
  // q <= top at the top of each round; q * p is formed only after checking q <= top / p. In the
  // wheel, top < 2^62 so 2q fits.
  for (; q <= top; q *= p) {
    if (wheel_) {
      for (const u64 o : wheel::multiple_offsets(r.lo, q)) add_power_progression(2 * q, o, word, chunk_cells);
    } else {
      add_power_progression(q, offset_to_multiple(r.lo, q), word, chunk_cells);
    }
    if (q > top / p) break;
  }
}

void SieveKernel::add_prime(u64 p, const Range& r) {
  const std::uint32_t weight = sieve::weight_of(p);
  bool hits;
  if (wheel_) {
    const auto o = wheel::multiple_offsets(r.lo, p);
    hits = add_prime_progression(2 * p, o[0], weight, r.size());
    hits = add_prime_progression(2 * p, o[1], weight, r.size()) || hits;
  } else {
    hits = add_prime_progression(p, offset_to_multiple(r.lo, p), weight, r.size());
  }
  // Most primes near sqrt(hi) miss a pass entirely; then so do their powers, and the division
  // for p^2 is saved.
  if (hits) add_powers(p, p * p, r);  // p <= isqrt(hi) < 2^32: p * p <= hi, no wrap
}

/// add_prime in the direct layout, with the offsets of p's first multiple and of p^2's found
/// beforehand (first_multiple_offsets_exact).
[[gnu::always_inline]] inline void SieveKernel::add_prime_at(u64 p, u64 offset, u64 square_offset,
                                                             const Range& r) {
  const std::uint32_t weight = sieve::weight_of(p);
  if (!add_prime_progression(p, offset, weight, r.size())) return;
  const u64 square = p * p;  // p <= isqrt(hi): no wrap
  if (square > r.hi) return;
  add_power_progression(square, square_offset, static_cast<Cell>(power_word_base_ + weight),
                        r.size());
  if (square <= r.hi / p) add_powers(p, square * p, r);
}

double SieveKernel::pass_bytes(double c, u64 root, u64 large_from, bool wheel) {
  // Bucket entries in flight during a pass of C cells: every carried prime in (L, min(C, R)] has
  // one, and a carried prime in (C, R] has one per hit, C * sum 1/p = C * ln(ln R / ln C) in all
  // (Mertens). The prime count is over-estimated by x / (ln x - 1.1), and blocks add up to ~10%.
  // In the wheel a prime has two progressions, and a cell stands for 3 numbers: counting 2
  // entries a prime over the same C over-estimates it.
  const double r = static_cast<double>(root);
  const double entry = sizeof(sieve::BucketEntry);
  // Powers longer than the direct limit L are listed per pass, a RareHit a hit: c / p^2 for each
  // prime p in (sqrt L, R], under c / (sqrt L ln sqrt L) in all, and c / p^j < c / L for the first
  // power above L of each smaller prime. Near 1 a chunk of 2^40 numbers with R = 2^20 would
  // otherwise be one pass listing 2.3e8 of them (3.7 GB).
  const double s = std::sqrt(static_cast<double>(kDirectModulusLimit));
  const double rare_per_cell = (r > s ? 1.2 / (s * std::log(s)) : 0) +
                               pi_above(s) / static_cast<double>(kDirectModulusLimit);
  const auto carried_bytes = [&](double carried) {
    double entries = 0;
    if (carried > kDirectModulusLimit) entries += pi_above(std::min(c, carried));
    if (carried > c) entries += c * std::log(std::log(carried) / std::log(c));
    return entries * entry * (wheel ? 2 : 1) + c * rare_per_cell * sizeof(RareHit);
  };
  if (wheel || root <= large_from) return carried_bytes(r);
  // Large primes: 2 bytes a hit, and up to half a 4 KB block a list left unused.
  const double lists = c / (u64{1} << sieve::HitLists::kLog2ListCells);
  const double large = 2 * c * std::log(std::log(r) / std::log(static_cast<double>(large_from)));
  return carried_bytes(static_cast<double>(large_from)) + large + 2048 * lists;
}

SieveKernel::PassPlan SieveKernel::pass_plan(u64 root, bool wheel) {
  // Pass lengths 2^k, 1.25 2^k, 1.5 2^k and 1.75 2^k, longest first: near 2^64 the memory bound
  // falls between powers of two, and every pass saved is a visit of 203M primes. (The wheel has
  // no large primes: its R stays small in practice.)
  for (unsigned k = 40; k > kLog2SegmentCells + 4; --k)
    for (const u64 quarters : {7, 6, 5, 4}) {
      const u64 cells = quarters << (k - 2);
      const u64 large_from = wheel ? root : std::clamp(cells / 4, kMinLargeFrom, kStoredPrimeLimit);
      if (pass_bytes(static_cast<double>(cells), root, large_from, wheel) * 1.1 <= kPassBudgetBytes)
        return {cells, std::min(root, large_from)};
    }
  const u64 c = u64{1} << (kLog2SegmentCells + 4);
  return {c, wheel ? root : std::max(root, kMinLargeFrom)};
}

u64 SieveKernel::worker_bytes(u64 max_hi, u64 chunk_cells, bool wheel) {
  const u64 root = isqrt(max_hi);
  const PassPlan plan = pass_plan(root, wheel);
  // A pass of a segment at least: pi_above holds from 2^10, and shorter chunks hold as much.
  const double c = static_cast<double>(std::clamp<u64>(chunk_cells, kSegmentCells, plan.cells));
  // The buckets and the hit lists take whole 2 MiB slabs (bucket_sieve.hpp): a slab more each
  // covers the rounding.
  const double slabs =
      (root > kDirectModulusLimit ? 1.0 : 0.0) + (root > plan.large_from ? 1.0 : 0.0);
  // Direct entries: prepare_chunk reserves the primes' estimate and room for the powers, under
  // twice the estimate (and a vector that grows doubles at most).
  const double direct =
      pi_above(static_cast<double>(std::clamp<u64>(root, 1024, kDirectModulusLimit))) *
      sizeof(DirectEntry) * (wheel ? 2 : 1) * 2;
  const double segment = static_cast<double>(huge_page_round(kSegmentCells * sizeof(Cell))) +
                         (wheel ? kSegmentCells : 0);  // cells_, keys_
  return static_cast<u64>(segment + direct + slabs * sieve::Slabs::kSlabBytes +
                          pass_bytes(c, root, plan.large_from, wheel));
}

u64 SieveKernel::shared_bytes(u64 max_hi) {
  // The stored primes, and the pre-sieve patterns (5 of about 2^17 cells at most: under 1 MiB).
  // The primes take whole huge pages from half a huge page on (HugePageAllocator).
  const auto stored = static_cast<u64>(
      pi_above(static_cast<double>(std::clamp(isqrt(max_hi), u64{1024}, kStoredPrimeLimit))) *
      sizeof(std::uint32_t));
  return (stored < HugePageAllocator<std::uint32_t>::kSmallBytes ? stored
                                                                 : huge_page_round(stored)) +
         (u64{1} << 20);
}

u64 SieveKernel::held_bytes() const {
  const auto held = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  // A segment maps whole huge pages; a tiny chunk's cells are on the heap (HugePageAllocator).
  const u64 cells = held(cells_) < HugePageAllocator<Cell>::kSmallBytes
                        ? held(cells_)
                        : huge_page_round(held(cells_));
  return held(direct_small_) + held(direct_) + held(direct_powers_) + held(rare_) + held(offsets_) +
         held(batch_) + cells + held(keys_) + buckets_.bytes() + hits_.bytes();
}

void SieveKernel::prepare_chunk(const Range& r, u64 large_from) {
  const u64 root = isqrt(number_of(r.hi));
  // Primes up to `carried` are sieved directly or carried in buckets; those above are large.
  const u64 carried = std::min(root, large_from);
  direct_small_.clear();
  direct_.clear();
  direct_powers_.clear();
  // One allocation for the direct entries, not a chain of doublings that each copy them to fresh
  // pages: pi_above over-estimates the primes, and the powers p^j <= c are fewer than 2 pi(sqrt c)
  // beside the patterns' few.
  const double c = static_cast<double>(std::clamp<u64>(carried, 1024, kDirectModulusLimit));
  direct_.reserve(
      static_cast<std::size_t>((pi_above(c) + 2 * pi_above(std::sqrt(c)) + 64) * (wheel_ ? 2 : 1)));
  rare_.clear();
  rare_next_ = 0;
  segments_in_chunk_ = ((r.size() - 1) >> kLog2SegmentCells) + 1;
  // A bucket stride s (p <= carried, or 2p in the wheel) moves at most (L - 1 + s) / L segments
  // ahead.
  const u64 max_stride = wheel_ ? 2 * carried : carried;
  buckets_.reset(((max_stride + kSegmentCells) >> kLog2SegmentCells) + 1);

  // The patterns sieve 2..47 whatever R is, so all their powers <= hi must follow.
  for (const auto& [p, first] : presieve_->uncovered_powers()) add_powers(p, first, r);
  const Primes& stored = *primes_;
  auto first = std::upper_bound(stored.begin(), stored.end(), presieve_->largest_prime());
  const auto last = std::upper_bound(first, stored.end(), carried);
  if (wheel_ || r.lo >= kExactDoubleLimit) {
    for (; first < last; ++first) {
      if ((last - first) % kPrimesBetweenStopChecks == 0) check_stop();
      add_prime(*first, r);
    }
  } else {
    // Stored primes are below 2^26, so p^2 < 2^52: the offsets come by double division, in
    // vectors where the CPU has them (first_multiple_offsets_exact).
    constexpr std::ptrdiff_t kBatch = 1024;
    std::array<u64, kBatch> offsets, square_offsets;
    for (; first < last; first += std::min(kBatch, last - first)) {
      if ((last - first) % kPrimesBetweenStopChecks < kBatch) check_stop();
      const auto n = static_cast<std::size_t>(std::min(kBatch, last - first));
      sieve::first_multiple_offsets_exact(r.lo, &*first, n, offsets.data(), square_offsets.data());
      for (std::size_t i = 0; i < n; ++i) add_prime_at(first[i], offsets[i], square_offsets[i], r);
    }
  }
  if (carried > stored_limit_) {
    // The rest is generated in pieces: never more than primesieve's buffer is held at once. (The
    // direct layout's large primes start at or below stored_limit_ whenever root passes it.)
    primesieve::iterator it(stored_limit_ + 1, carried);
    std::ptrdiff_t since_check = 0;
    for (u64 p = it.next_prime(); p <= carried; p = it.next_prime()) {
      add_prime(p, r);
      if (++since_check == kPrimesBetweenStopChecks) {
        check_stop();
        since_check = 0;
      }
    }
  }
  large_ = carried < root;
  if (large_) add_large_primes(r, carried, root);
  std::sort(rare_.begin(), rare_.end());
  // The primes' entries came ascending; the powers' are merged in.
  std::sort(direct_powers_.begin(), direct_powers_.end(), DirectEntry::by_modulus);
  const DirectEntry* const powers = direct_powers_.data();
  const DirectEntry* const split = std::partition_point(
      powers, powers + direct_powers_.size(),
      [](const DirectEntry& d) { return d.modulus() <= kBlockedModulusLimit; });
  set_bands(direct_small_, powers, split, kBlockCells, small_bands_);
  set_bands(direct_, split, powers + direct_powers_.size(), kSegmentCells, bands_);
}

void SieveKernel::set_bands(std::vector<DirectEntry>& d, const DirectEntry* first,
                            const DirectEntry* last, std::size_t full, Bands& bands) {
  // A merge from the back, in place: d's entries move up by at most last - first.
  std::size_t i = d.size(), out = d.size() + static_cast<std::size_t>(last - first);
  d.insert(d.end(), first, last);
  while (last > first)
    d[--out] = i > 0 && d[i - 1].modulus() > last[-1].modulus() ? d[--i] : *--last;
  // The bands need every entry in its place: sorted anew should the order ever be broken.
  if (!std::is_sorted(d.begin(), d.end(), DirectEntry::by_modulus))
    std::sort(d.begin(), d.end(), DirectEntry::by_modulus);
  bands[0] = d.size();
  for (unsigned k = 1; k <= kMaxBand; ++k)
    bands[k] = static_cast<std::size_t>(
        std::partition_point(d.begin(), d.end(),
                             [&](const DirectEntry& e) { return e.modulus() <= full / (k + 1); }) -
        d.begin());
}

void SieveKernel::add_large_batch(const Range& r, const std::uint32_t* primes, std::size_t n) {
  offsets_.resize(n);
  std::uint32_t* const offsets = offsets_.data();
  const u64 cells = r.size();
  // Primes up to the pass length may hit it several times; the longer ones (most of them) at
  // most once: single_hits gathers those hits without a branch on whether they hit. Primes
  // ascend.
  const std::size_t many = static_cast<std::size_t>(
      std::upper_bound(primes, primes + n, cells, [](u64 c, std::uint32_t p) { return c < p; }) -
      primes);
  sieve::first_multiple_offsets(r.lo, primes, many, offsets);
  for (std::size_t i = 0; i < many; ++i)
    for (u64 o = offsets[i]; o < cells; o += primes[i]) hits_.push(o);  // o < 2^40: no wrap
  const std::size_t k = sieve::single_hits(r.lo, primes + many, n - many, cells, offsets);
  for (std::size_t i = 0; i < k; ++i) hits_.push(offsets[i]);
}

void SieveKernel::add_large_primes(const Range& r, u64 large_from, u64 root) {
  hits_.reset(((r.size() - 1) >> sieve::HitLists::kLog2ListCells) + 1);
  // Every large prime is >= large_from + 1, so its weight is at least this one (weight_of does
  // not decrease) and at most c*log2(root) - this one + kWeightError below c*log2(p).
  const std::uint16_t least = sieve::weight_of(large_from + 1);
  large_word_ = static_cast<Cell>(sieve::kCountUnit + least);
  large_error_ = sieve::kLogScale * std::log2(static_cast<double>(root) + 1) - least;
  // The stored large primes, then the generated ones, in batches (the offsets are vectorized).
  constexpr std::size_t kBatch = 1024;
  const Primes& stored = *primes_;
  const auto first = std::upper_bound(stored.begin(), stored.end(), large_from);
  const auto last = std::upper_bound(first, stored.end(), root);
  for (auto it = first; it < last; it += std::min<std::ptrdiff_t>(kBatch, last - it)) {
    if ((last - it) % kPrimesBetweenStopChecks < static_cast<std::ptrdiff_t>(kBatch)) check_stop();
    add_large_batch(r, &*it, static_cast<std::size_t>(std::min<std::ptrdiff_t>(kBatch, last - it)));
  }
  if (root > stored_limit_) {
    // primesieve hands out ~1000 primes at a time; they are gathered into long batches, so that
    // its sieve and ours take turns with the caches rarely.
    constexpr std::size_t kGathered = std::size_t{1} << 15;
    primesieve::iterator it(std::max(stored_limit_, large_from) + 1, root);
    batch_.clear();
    for (bool done = false; !done;) {
      it.generate_next_primes();
      const u64* const begin = it.primes_ + it.i_;
      const u64* const end = it.primes_ + it.size_;
      const u64* const stop = end[-1] <= root ? end : std::upper_bound(begin, end, root);
      batch_.insert(batch_.end(), begin, stop);  // primes <= root < 2^32
      done = stop != end;
      if (batch_.size() >= kGathered || done) {
        check_stop();  // tens of millions of primes near 2^64: look at the flag between batches
        add_large_batch(r, batch_.data(), batch_.size());
        batch_.clear();
      }
    }
  }
  // Squares: a large p has p^3 > 2^72, so p^2 is its only power that can divide n <= hi. Its
  // multiples n = p^2 j in the pass are found by j <= hi / (large_from + 1)^2 (at most 2^16):
  // for each j the p with p^2 j in [lo, hi] form a short interval (hi - lo over 2 sqrt(lo j)).
  const u64 lo = r.lo, hi = r.hi, least_p = large_from + 1;  // least_p^2 < 2^53
  const auto ceil_sqrt = [](u64 x) {
    const u64 s = isqrt(x);
    return s * s == x ? s : s + 1;
  };
  for (u64 j = 1; j <= hi / least_p / least_p; ++j) {
    const u64 p_min = std::max(least_p, ceil_sqrt((lo - 1) / j + 1));
    const u64 p_max = std::min(root, isqrt(hi / j));
    for (u64 p = p_min; p <= p_max; ++p)
      if (is_prime_u64(p))  // p^2 j <= hi: no wrap
        rare_.push_back(
            {p * p * j - lo, static_cast<Cell>(power_word_base_ + sieve::weight_of(p))});
  }
}

namespace {

/// Adds `word` to cells[i], cells[i + m], ... below len; returns the first offset past len, minus
/// len (where the modulus next hits, counted from the following block).
inline std::size_t sieve_run(Cell* cells, std::size_t len, std::size_t i, std::size_t m,
                             Cell word) {
  // Four hits a round while they fit: a third fewer loop instructions per hit.
  if (4 * m <= len) {
    for (; i + 3 * m < len; i += 4 * m) {
      cells[i] = static_cast<Cell>(cells[i] + word);
      cells[i + m] = static_cast<Cell>(cells[i + m] + word);
      cells[i + 2 * m] = static_cast<Cell>(cells[i + 2 * m] + word);
      cells[i + 3 * m] = static_cast<Cell>(cells[i + 3 * m] + word);
    }
  }
  for (; i < len; i += m) cells[i] = static_cast<Cell>(cells[i] + word);
  return i - len;
}

/// sieve_run for entries e of moduli m in (len / (k + 1), len / k] with e.next < m (len a power of
/// two): each hits [0, len) k or k + 1 times. The first k hits need no test and the last is added
/// without a branch (a zero to a cell below len when it falls past it), where sieve_run's loop
/// would mispredict its end about once an entry: most direct entries hit a segment a few times.
/// K > 0 fixes k at compile time (the bands of most entries), 0 takes it at run time.
template <unsigned K, class Entry>
void sieve_band_k(Cell* cells, std::size_t len, Entry* e, Entry* end, unsigned k) {
  if constexpr (K != 0) k = K;
  for (; e < end; ++e) {
    std::size_t i = e->next;
    const std::size_t m = e->modulus();
    const Cell word = e->word();
    for (unsigned j = 0; j < k; ++j, i += m) cells[i] = static_cast<Cell>(cells[i] + word);
    // All ones on a hit, else zero: masks, since a compiler may turn a ?: into the branch.
    const std::size_t hit = std::size_t{0} - static_cast<std::size_t>(i < len);
    Cell& last = cells[i & (len - 1)];
    last = static_cast<Cell>(last + (word & hit));
    e->next = static_cast<std::uint32_t>(i + (m & hit) - len);
  }
}

template <class Entry>
void sieve_band(Cell* cells, std::size_t len, Entry* e, Entry* end, unsigned k) {
  switch (k) {
    case 1:
      return sieve_band_k<1>(cells, len, e, end, k);
    case 2:
      return sieve_band_k<2>(cells, len, e, end, k);
    case 3:
      return sieve_band_k<3>(cells, len, e, end, k);
    case 4:
      return sieve_band_k<4>(cells, len, e, end, k);
    default:
      return sieve_band_k<0>(cells, len, e, end, k);
  }
}

}  // namespace

// Every entry's next offset is below its modulus, as sieve_band needs: the first multiple's
// offset, then what sieve_run and sieve_band return.
void SieveKernel::sieve_direct(Cell* cells, std::size_t len, std::size_t full,
                               std::vector<DirectEntry>& d, const Bands& bands) {
  DirectEntry* const e = d.data();
  if (len < full) {  // a chunk's last segment: its offsets are not read again
    for (std::size_t i = 0; i < d.size(); ++i)
      sieve_run(cells, len, e[i].next, e[i].modulus(), e[i].word());
    return;
  }
  for (std::size_t i = 0; i < bands[kMaxBand]; ++i)
    e[i].next =
        static_cast<std::uint32_t>(sieve_run(cells, len, e[i].next, e[i].modulus(), e[i].word()));
  for (unsigned k = kMaxBand; k >= 1; --k)
    sieve_band(cells, len, e + bands[k], e + bands[k - 1], k);
}

void SieveKernel::sieve_segment(u64 segment, u64 a, std::size_t len) {
  Cell* cells = cells_.data();
  // Patterns and moduli up to a block are applied one L1-sized block at a time: their ~1 hit a
  // cell then stays in L1 instead of moving a line between L1 and L2 per hit.
  for (std::size_t start = 0; start < len; start += kBlockCells) {
    const std::size_t block_len = std::min(kBlockCells, len - start);
    presieve_->fill(a + start, cells + start, block_len);
    sieve_direct(cells + start, block_len, kBlockCells, direct_small_, small_bands_);
  }
  sieve_direct(cells, len, kSegmentCells, direct_, bands_);
  // Locals, so that no push (a store that might alias them) makes the loop read them again.
  const u64 segments = segments_in_chunk_;
  const std::uint32_t ring_mask = buckets_.mask();
  // An entry's hit, and its push to the segment of its next multiple within the chunk. Only a
  // chunk's last, shorter segment (full false) can hold entries past its end.
  const auto hit = [&, cells, segments, ring_mask](const sieve::BucketEntry& e, auto full) {
    const std::uint32_t offset = e.offset_word & sieve::kOffsetMask;
    if constexpr (!decltype(full)::value)
      if (offset >= len) return;
    cells[offset] = static_cast<Cell>(cells[offset] + (e.offset_word >> sieve::kOffsetBits));
    const u64 next = u64{offset} + e.prime;
    const u64 target = segment + (next >> kLog2SegmentCells);
    if (target < segments) {
      // The entry with its offset replaced, in one 64-bit register: the prime and the word kept.
      constexpr u64 kKeep = std::bit_cast<u64>(sieve::BucketEntry{~0u, ~sieve::kOffsetMask});
      const auto offset_bits = std::bit_cast<u64>(
          sieve::BucketEntry{0, static_cast<std::uint32_t>(next & (kSegmentCells - 1))});
      buckets_.push_to(target & ring_mask, std::bit_cast<sieve::BucketEntry>(
                                               (std::bit_cast<u64>(e) & kKeep) | offset_bits));
    }
  };
  // Each entry's cell is a random one of the segment (in L2): it is prefetched a few entries
  // ahead, so that the misses overlap instead of stalling one after another.
  static constexpr std::ptrdiff_t kAhead = 16;
  const auto drain = [&, cells](auto full) {
    buckets_.drain_runs(segment, [&](const sieve::BucketEntry* e, const sieve::BucketEntry* end) {
      for (const auto* const stop = end - std::min(end - e, kAhead); e < stop; ++e) {
        __builtin_prefetch(cells + (e[kAhead].offset_word & sieve::kOffsetMask), 1);
        hit(*e, full);
      }
      for (; e < end; ++e) hit(*e, full);
    });
  };
  if (len == kSegmentCells)
    drain(std::true_type{});
  else
    drain(std::false_type{});
  if (large_) {
    // The segment's lists: its cells in runs of 2^16; a hit's offset is inside the pass, so the
    // last, shorter segment gets only hits within its length.
    constexpr unsigned kShift = sieve::HitLists::kLog2ListCells;
    const Cell word = large_word_;
    const std::size_t first = static_cast<std::size_t>(segment) << (kLog2SegmentCells - kShift);
    const std::size_t end = std::min(hits_.size(), first + (kSegmentCells >> kShift));
    for (std::size_t list = first; list < end; ++list) {
      Cell* const run = cells + ((list - first) << kShift);
      // As the buckets' drain: the cells of the hits 16 ahead are prefetched.
      hits_.drain_runs(list, [run, word](const std::uint16_t* e, const std::uint16_t* end) {
        for (const std::uint16_t* const stop = end - std::min(end - e, kAhead); e < stop; ++e) {
          __builtin_prefetch(run + e[kAhead], 1);
          run[*e] = static_cast<Cell>(run[*e] + word);
        }
        for (; e < end; ++e) run[*e] = static_cast<Cell>(run[*e] + word);
      });
    }
  }
  const u64 base = segment << kLog2SegmentCells;
  for (; rare_next_ < rare_.size() && rare_[rare_next_].offset - base < len; ++rare_next_) {
    Cell& c = cells[rare_[rare_next_].offset - base];
    c = static_cast<Cell>(c + rare_[rare_next_].word);
  }
}

void SieveKernel::count(const Range& r, Histogram& out) {
  // The stored primes reach sqrt(max_hi) (or the limit beyond which they are generated per pass):
  // a chunk above max_hi would miss sieving primes and be silently wrong, so it is refused.
  const u64 root = isqrt(r.hi);
  if ((root > stored_limit_ && stored_limit_ < kStoredPrimeLimit) ||
      (wheel_ && r.hi > wheel_->range().hi))
    throw std::logic_error("sieve kernel made for numbers up to " +
                           std::to_string(wheel_ ? wheel_->range().hi : stored_limit_ * stored_limit_) +
                           " asked to count up to " + std::to_string(r.hi));
  Range cells = r;
  if (wheel_) {
    // r is a range of m; its cells are those of the m coprime to 6 in it (maybe none).
    cells = {wheel::cells_upto(r.lo - 1), wheel::cells_upto(r.hi)};
    if (cells.lo == cells.hi) return;
    --cells.hi;
  }
  const PassPlan plan = pass_plan(root, wheel_ != nullptr);
  for (u64 lo = cells.lo;;) {
    const bool last = cells.hi - lo < plan.cells;
    const u64 hi = last ? cells.hi : lo + (plan.cells - 1);
    count_pass({lo, hi}, plan.large_from, out);
    if (last) break;
    lo = hi + 1;
  }
}

void SieveKernel::add_wheel_segment(u64 a, std::size_t len, int threshold, sieve::Bins& bins) {
  // Cut the segment where the weights change (rare but for the first segments); each piece's key
  // histogram h adds w_s * h[k] to key k + s. k + s <= 63 whenever both are non-zero: it is then
  // omega(n) (Omega(n)) of some n = 2^a 3^b m of the target.
  std::array<u64, 64> w;
  for (u64 cell = a; cell < a + len;) {
    const u64 change = wheel_->weights_at(wheel::m_of(cell), w);
    const u64 end = std::min<u64>(a + len, wheel::cells_upto(change - 1));
    if (std::any_of(w.begin(), w.end(), [](u64 x) { return x != 0; })) {
      sieve::Bins h{};
      const std::size_t i = cell - a, n = end - cell;
      if (threshold >= 0) {
        sieve::add_cell_keys(cells_.data() + i, n, threshold, h);
      } else {
        for (std::size_t j = i; j < i + n; ++j) ++h[keys_[j]];
      }
      for (unsigned s = 0; s <= Histogram::kMaxKey; ++s) {
        if (w[s] == 0) continue;
        for (unsigned k = 0; k + s <= Histogram::kMaxKey; ++k) bins[k + s] += w[s] * h[k];
      }
    }
    cell = end;
  }
}

void SieveKernel::count_pass(const Range& r, u64 large_from, Histogram& out) {
  prepare_chunk(r, large_from);
  // A segment, or the whole chunk where it is shorter (a tiny chunk then costs no 2 MiB segment).
  if (cells_.size() < std::min<u64>(kSegmentCells, r.size()))
    cells_.resize(std::min<u64>(kSegmentCells, r.size()));
  const u64 root = isqrt(number_of(r.hi));
  sieve::Bins bins{};
  for (u64 segment = 0;; ++segment) {
    check_stop();
    const u64 a = r.lo + (segment << kLog2SegmentCells);
    const u64 left = r.hi - a;  // cells after a; never wraps
    const std::size_t len = left < kSegmentCells ? left + 1 : kSegmentCells;
    sieve_segment(segment, a, len);
    // The wheel's cells are some of the numbers in [m_of(a), m_of(last)], all <= m_of(r.hi) <
    // (root + 1)^2, with every prime <= root sieved: the proof holds for each of them.
    const int threshold = sieve::segment_threshold(number_of(a), number_of(a + (len - 1)), root,
                                                   large_ ? 2 * large_error_ : 0.0);
    if (wheel_) {
      if (threshold < 0) {
        if (keys_.size() < len) keys_.resize(len);
        wheel::exact_keys(a, len, *primes_, count_, keys_.data());
      }
      add_wheel_segment(a, len, threshold, bins);
    } else if (threshold >= 0) {
      sieve::add_cell_keys(cells_.data(), len, threshold, bins);
    } else {
      // No margin for the log test (a is tiny beside sqrt(b)): such segments hold small numbers
      // only, whose primes <= sqrt(b) the stored table always has. (With large primes, a >= 2^48
      // leaves a margin of c*log2(R) >= 360 units, more than the 313 the proof then needs.)
      if (large_)
        throw std::logic_error("sieve kernel: no threshold for a segment with large primes");
      sieve::count_segment_exactly(a, len, *primes_, count_, out);
    }
    if (left < kSegmentCells) break;
  }
  for (unsigned k = 0; k <= Histogram::kMaxKey; ++k) out.add(k, bins[k]);
}

}  // namespace numfactors
