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
#include <stdexcept>
#include <cmath>
#include <primesieve.hpp>

#include "core/arith.hpp"
#include "core/cell_histogram.hpp"
#include "core/exact_segment.hpp"

namespace numfactors {
namespace {

using sieve::Cell;

/// Offset of the first multiple of m at or after a, without forming the multiple (it could pass
/// 2^64-1). Costs one 64-bit division: the price each prime pays per chunk.
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
                         std::shared_ptr<const wheel::Target> wheel)
    : count_(count),
      primes_(std::move(primes)),
      stored_limit_(stored_limit),
      wheel_(std::move(wheel)),
      presieve_(count, wheel_ ? sieve::Presieve::Layout::wheel : sieve::Presieve::Layout::numbers),
      prime_word_base_(sieve::kCountUnit),
      power_word_base_(count == Count::total ? sieve::kCountUnit : 0) {}

std::unique_ptr<Kernel> SieveKernel::clone() const {
  return std::unique_ptr<Kernel>(new SieveKernel(count_, primes_, stored_limit_, wheel_));
}

// Inlined into add_prime and add_powers: the direct kernel's set-up (~2M primes a pass near
// 10^15) keeps the code it had before the wheel shared these.
[[gnu::always_inline]] inline void SieveKernel::add_power_progression(u64 stride, u64 o, Cell word,
                                                                      u64 chunk_cells) {
  if (stride <= kSegmentCells) {
    (stride <= kBlockedModulusLimit ? direct_small_ : direct_)
        .push_back({static_cast<std::uint32_t>(stride), static_cast<std::uint32_t>(o), word});
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
  if (stride <= kSegmentCells) {
    (stride <= kBlockedModulusLimit ? direct_small_ : direct_)
        .push_back({static_cast<std::uint32_t>(stride), static_cast<std::uint32_t>(o),
                    static_cast<Cell>(prime_word_base_ + weight)});
    return true;
  }
  if (o >= chunk_cells) return false;
  // stride < 2^32 (a prime <= 2^32 - 1, or twice one below 2^31), so is o.
  buckets_.push(o >> kLog2SegmentCells,
                {static_cast<std::uint32_t>(stride),
                 static_cast<std::uint32_t>(o & (kSegmentCells - 1)) |
                     (weight << sieve::kOffsetBits)});
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

u64 SieveKernel::max_pass_cells(u64 root, unsigned entries_per_prime) {
  // Bucket entries in flight during a pass of C cells: every prime in (L, min(C, R)] has one, and
  // a prime in (C, R] has one per hit, C * sum 1/p = C * ln(ln R / ln C) in all (Mertens). The
  // prime count is over-estimated by x / (ln x - 1.1), and blocks add up to ~10%. In the wheel a
  // prime has two progressions, and a cell stands for 3 numbers: counting 2 entries a prime over
  // the same C over-estimates it.
  const auto pi = [](double x) { return x / (std::log(x) - 1.1); };
  const double r = static_cast<double>(root);
  const double budget = root > kTopRoot ? kTopBucketBudgetBytes : kBucketBudgetBytes;
  for (unsigned k = 40; k > kLog2SegmentCells + 4; --k) {
    const double c = std::ldexp(1.0, static_cast<int>(k));
    double entries = 0;
    if (r > kSegmentCells) entries += pi(std::min(c, r));
    if (r > c) entries += c * std::log(std::log(r) / std::log(c));
    if (entries * entries_per_prime * sizeof(sieve::BucketEntry) * 1.1 <= budget)
      return u64{1} << k;
  }
  return u64{1} << (kLog2SegmentCells + 4);
}

void SieveKernel::prepare_chunk(const Range& r) {
  const u64 root = isqrt(number_of(r.hi));
  direct_small_.clear();
  direct_.clear();
  rare_.clear();
  rare_next_ = 0;
  segments_in_chunk_ = ((r.size() - 1) >> kLog2SegmentCells) + 1;
  // A bucket stride s (p <= root, or 2p in the wheel) moves at most (L - 1 + s) / L segments ahead.
  const u64 max_stride = wheel_ ? 2 * root : root;
  buckets_.reset(((max_stride + kSegmentCells) >> kLog2SegmentCells) + 1);

  // The patterns sieve 2..47 whatever R is, so all their powers <= hi must follow.
  for (const auto& [p, first] : presieve_.uncovered_powers()) add_powers(p, first, r);
  for (const std::uint32_t p : *primes_) {
    if (p <= presieve_.largest_prime()) continue;
    if (p > root) break;
    add_prime(p, r);
  }
  if (root > stored_limit_) {
    // The rest is generated in pieces: never more than primesieve's buffer is held at once.
    primesieve::iterator it(stored_limit_ + 1, root);
    u64 since_check = 0;
    for (u64 p = it.next_prime(); p <= root; p = it.next_prime()) {
      add_prime(p, r);
      if (++since_check == u64{1} << 20) {  // 203M primes near 2^64: about a second
        check_stop();
        since_check = 0;
      }
    }
  }
  std::sort(rare_.begin(), rare_.end());
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

}  // namespace

void SieveKernel::sieve_segment(u64 segment, u64 a, std::size_t len) {
  Cell* cells = cells_.data();
  // Patterns and moduli up to a block are applied one L1-sized block at a time: their ~1 hit a
  // cell then stays in L1 instead of moving a line between L1 and L2 per hit.
  for (std::size_t start = 0; start < len; start += kBlockCells) {
    const std::size_t block_len = std::min(kBlockCells, len - start);
    Cell* block = cells + start;
    presieve_.fill(a + start, block, block_len);
    for (DirectEntry& d : direct_small_)
      d.next = static_cast<std::uint32_t>(sieve_run(block, block_len, d.next, d.modulus, d.word));
  }
  // d.next is only read again when len was a full segment.
  for (DirectEntry& d : direct_)
    d.next = static_cast<std::uint32_t>(sieve_run(cells, len, d.next, d.modulus, d.word));
  const u64 segments = segments_in_chunk_;  // a local: pushes cannot alias it
  buckets_.drain(segment, [&, segments](sieve::BucketEntry e) {
    const std::uint32_t offset = e.offset_weight & sieve::kOffsetMask;
    if (offset >= len) return;  // past the end of the chunk's last, shorter segment
    const std::uint32_t weight = e.offset_weight >> sieve::kOffsetBits;
    cells[offset] = static_cast<Cell>(cells[offset] + sieve::kCountUnit + weight);
    const u64 next = u64{offset} + e.prime;
    const u64 target = segment + (next >> kLog2SegmentCells);
    if (target < segments)
      buckets_.push(target, {e.prime, static_cast<std::uint32_t>(next & (kSegmentCells - 1)) |
                                          (e.offset_weight & ~sieve::kOffsetMask)});
  });
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
  const u64 pass = max_pass_cells(root, wheel_ ? 2 : 1);
  for (u64 lo = cells.lo;;) {
    const bool last = cells.hi - lo < pass;
    const u64 hi = last ? cells.hi : lo + (pass - 1);
    count_pass({lo, hi}, out);
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

void SieveKernel::count_pass(const Range& r, Histogram& out) {
  prepare_chunk(r);
  cells_.resize(kSegmentCells);
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
    const int threshold =
        sieve::segment_threshold(number_of(a), number_of(a + (len - 1)), root);
    if (wheel_) {
      if (threshold < 0) {
        keys_.resize(kSegmentCells);
        wheel::exact_keys(a, len, *primes_, count_, keys_.data());
      }
      add_wheel_segment(a, len, threshold, bins);
    } else if (threshold >= 0) {
      sieve::add_cell_keys(cells_.data(), len, threshold, bins);
    } else {
      // No margin for the log test (a is tiny beside sqrt(b)): such segments hold small numbers
      // only, whose primes <= sqrt(b) the stored table always has.
      sieve::count_segment_exactly(a, len, *primes_, count_, out);
    }
    if (left < kSegmentCells) break;
  }
  for (unsigned k = 0; k <= Histogram::kMaxKey; ++k) out.add(k, bins[k]);
}

}  // namespace numfactors
