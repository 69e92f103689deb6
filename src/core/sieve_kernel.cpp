/// @file sieve_kernel.cpp
/// @brief Segmented omega/Omega sieve: chunk set-up, the segment loop, and the exact fallback.
///
/// Exactness rests on one invariant, checked in sieve_cells.hpp: in every segment, every prime
/// p <= R = isqrt(chunk hi) and every power p^j <= chunk hi of it has added its word to each cell
/// it divides (the patterns for p <= 47, direct entries, buckets or rare hits for the others), and
/// nothing else has. Sieving the same R for all segments of a chunk is allowed: the proof only
/// needs b < (R+1)^2 and every prime <= R sieved.
#include "core/sieve_kernel.hpp"

#include <algorithm>
#include <stdexcept>
#include <cmath>
#include <primesieve.hpp>

#include "core/arith.hpp"
#include "core/cell_histogram.hpp"
#include "core/exact_segment.hpp"

namespace nf {
namespace {

using sieve::Cell;

/// Offset of the first multiple of m at or after a, without forming the multiple (it could pass
/// 2^64-1). Costs one 64-bit division: the price each prime pays per chunk.
inline u64 first_offset(u64 a, u64 m) {
  const u64 r = a % m;
  return r == 0 ? 0 : m - r;
}

}  // namespace

SieveKernel::SieveKernel(Count count, u64 max_hi)
    : SieveKernel(count, nullptr, std::min(isqrt(max_hi), kStoredPrimeLimit)) {
  auto primes = std::make_shared<Primes>();
  primesieve::generate_primes(stored_limit_, primes.get());
  primes_ = std::move(primes);
}

SieveKernel::SieveKernel(Count count, std::shared_ptr<const Primes> primes, u64 stored_limit)
    : count_(count),
      primes_(std::move(primes)),
      stored_limit_(stored_limit),
      presieve_(count),
      prime_word_base_(sieve::kCountUnit),
      power_word_base_(count == Count::total ? sieve::kCountUnit : 0) {}

std::unique_ptr<Kernel> SieveKernel::clone() const {
  return std::unique_ptr<Kernel>(new SieveKernel(count_, primes_, stored_limit_));
}

void SieveKernel::add_powers(u64 p, u64 q, const Range& r) {
  const u64 chunk_cells = r.size();
  const auto word = static_cast<Cell>(power_word_base_ + sieve::weight_of(p));
  // q <= r.hi at the top of each round; q * p is formed only after checking q <= hi / p.
  for (; q <= r.hi; q *= p) {
    if (q <= kSegmentCells) {
      (q <= kBlockedModulusLimit ? direct_small_ : direct_)
          .push_back({static_cast<std::uint32_t>(q),
                      static_cast<std::uint32_t>(first_offset(r.lo, q)), word});
    } else {
      for (u64 o = first_offset(r.lo, q); o < chunk_cells; o += q) {
        rare_.push_back({o, word});
        if (q > chunk_cells - 1 - o) break;  // o + q would pass the chunk (or 2^64)
      }
    }
    if (q > r.hi / p) break;
  }
}

void SieveKernel::add_prime(u64 p, const Range& r) {
  const u64 o = first_offset(r.lo, p);
  if (p <= kSegmentCells) {
    (p <= kBlockedModulusLimit ? direct_small_ : direct_)
        .push_back({static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(o),
                    static_cast<Cell>(prime_word_base_ + sieve::weight_of(p))});
  } else {
    // Most primes near sqrt(hi) miss a pass entirely; then so do their powers, and the division
    // for p^2 is saved.
    if (o >= r.size()) return;
    const auto weight = std::uint32_t{sieve::weight_of(p)} << sieve::kOffsetBits;
    buckets_.push(o >> kLog2SegmentCells,
                  {static_cast<std::uint32_t>(p),
                   static_cast<std::uint32_t>(o & (kSegmentCells - 1)) | weight});
  }
  add_powers(p, p * p, r);  // p <= isqrt(hi) < 2^32: p * p <= hi, no wrap
}

u64 SieveKernel::max_pass_cells(u64 root) {
  // Bucket entries in flight during a pass of C cells: every prime in (L, min(C, R)] has one, and
  // a prime in (C, R] has one per hit, C * sum 1/p = C * ln(ln R / ln C) in all (Mertens). The
  // prime count is over-estimated by x / (ln x - 1.1), and blocks add up to ~10%.
  const auto pi = [](double x) { return x / (std::log(x) - 1.1); };
  const double r = static_cast<double>(root);
  const double budget = root > kTopRoot ? kTopBucketBudgetBytes : kBucketBudgetBytes;
  for (unsigned k = 40; k > kLog2SegmentCells + 4; --k) {
    const double c = std::ldexp(1.0, static_cast<int>(k));
    double entries = 0;
    if (r > kSegmentCells) entries += pi(std::min(c, r));
    if (r > c) entries += c * std::log(std::log(r) / std::log(c));
    if (entries * sizeof(sieve::BucketEntry) * 1.1 <= budget) return u64{1} << k;
  }
  return u64{1} << (kLog2SegmentCells + 4);
}

void SieveKernel::prepare_chunk(const Range& r) {
  const u64 root = isqrt(r.hi);
  direct_small_.clear();
  direct_.clear();
  rare_.clear();
  rare_next_ = 0;
  segments_in_chunk_ = ((r.size() - 1) >> kLog2SegmentCells) + 1;
  // A bucket prime p <= root moves at most (L - 1 + p) / L segments ahead.
  buckets_.reset(((root + kSegmentCells) >> kLog2SegmentCells) + 1);

  // The patterns sieve 2..47 whatever R is, so all their powers <= hi must follow.
  for (const auto& [p, first] : presieve_.uncovered_powers()) add_powers(p, first, r);
  for (const std::uint32_t p : *primes_) {
    if (p <= sieve::Presieve::kLargestPrime) continue;
    if (p > root) break;
    add_prime(p, r);
  }
  if (root > stored_limit_) {
    // The rest is generated in pieces: never more than primesieve's buffer is held at once.
    primesieve::iterator it(stored_limit_ + 1, root);
    for (u64 p = it.next_prime(); p <= root; p = it.next_prime()) add_prime(p, r);
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
  if (root > stored_limit_ && stored_limit_ < kStoredPrimeLimit)
    throw std::logic_error("sieve kernel made for numbers up to " +
                           std::to_string(stored_limit_ * stored_limit_) + " asked to count up to " +
                           std::to_string(r.hi));
  const u64 pass = max_pass_cells(root);
  for (u64 lo = r.lo;;) {
    const bool last = r.hi - lo < pass;
    const u64 hi = last ? r.hi : lo + (pass - 1);
    count_pass({lo, hi}, out);
    if (last) break;
    lo = hi + 1;
  }
}

void SieveKernel::count_pass(const Range& r, Histogram& out) {
  prepare_chunk(r);
  cells_.resize(kSegmentCells);
  const u64 root = isqrt(r.hi);
  sieve::Bins bins{};
  for (u64 segment = 0;; ++segment) {
    const u64 a = r.lo + (segment << kLog2SegmentCells);
    const u64 left = r.hi - a;  // cells after a; never wraps
    const std::size_t len = left < kSegmentCells ? left + 1 : kSegmentCells;
    sieve_segment(segment, a, len);
    const int threshold = sieve::segment_threshold(a, a + (len - 1), root);
    if (threshold >= 0) {
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

}  // namespace nf
