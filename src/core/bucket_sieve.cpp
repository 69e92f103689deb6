/// @file bucket_sieve.cpp
#include "core/bucket_sieve.hpp"

#include <immintrin.h>

#include "core/cpu_features.hpp"
#include "core/huge_pages.hpp"

namespace numfactors::sieve {

Slabs::~Slabs() {
  for (void* slab : slabs_) huge_page_free(slab, kSlabBytes);
}

void* Slabs::add() {
  static_assert(kSlabBytes == huge_page_round(kSlabBytes));
  slabs_.reserve(slabs_.size() + 1);  // so that the push below cannot throw and lose the slab
  slabs_.push_back(huge_page_alloc(kSlabBytes));
  return slabs_.back();
}

/// Why the double quotient is within one of floor(a / p), for 2^22 <= p < 2^32 and a < 2^64:
/// (double)a is within 2^10 of a (half a unit in the last place below 2^64), so a / p moves by at
/// most 2^10 / 2^22; the quotient, below 2^42, is rounded by at most 2^-11. Both together are
/// far below 1, so trunc(q) is floor(a / p) - 1, floor(a / p) or floor(a / p) + 1, and
/// a - trunc(q) * p (formed mod 2^64, its true value in [-p, 2p), far inside int64) needs one
/// correction either way.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
first_multiple_offsets(u64 a, const std::uint32_t* primes, std::size_t n, std::uint32_t* offsets) {
  const double da = static_cast<double>(a);
  for (std::size_t i = 0; i < n; ++i) {
    const auto p = static_cast<std::int64_t>(primes[i]);
    const auto q = static_cast<std::int64_t>(da / static_cast<double>(p));
    auto r = static_cast<std::int64_t>(a - static_cast<u64>(q) * static_cast<u64>(p));
    r += r < 0 ? p : 0;
    r -= r >= p ? p : 0;
    offsets[i] = static_cast<std::uint32_t>(r == 0 ? 0 : p - r);
  }
}

/// a and m < 2^53 are exact doubles, and so is the quotient's truncation: a / m = k + f with f = 0
/// or f >= 1/m, while rounding moves it by at most half an ulp of k, k 2^-53 < 1/m since k m <= a
/// < 2^53. So the remainder needs no correction (analytic_quotient.hpp proves the same for x <
/// 2^52 and one more bit changes nothing).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
first_multiple_offsets_exact(u64 a, const std::uint32_t* primes, std::size_t n, u64* offsets,
                             u64* square_offsets) {
  const auto ia = static_cast<std::int64_t>(a);
  const double da = static_cast<double>(a);
  for (std::size_t i = 0; i < n; ++i) {
    const auto p = static_cast<std::int64_t>(primes[i]);
    const std::int64_t r = ia - static_cast<std::int64_t>(da / static_cast<double>(p)) * p;
    offsets[i] = static_cast<u64>(r == 0 ? 0 : p - r);
    const std::int64_t s = p * p;
    const std::int64_t r2 = ia - static_cast<std::int64_t>(da / static_cast<double>(s)) * s;
    square_offsets[i] = static_cast<u64>(r2 == 0 ? 0 : s - r2);
  }
}

namespace {

/// single_hits without AVX-512: the offsets, then the hits gathered by writing every offset and
/// advancing on a hit.
std::size_t single_hits_portable(u64 a, const std::uint32_t* primes, std::size_t n, u64 cells,
                                 std::uint32_t* hits) {
  first_multiple_offsets(a, primes, n, hits);
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    hits[k] = hits[i];  // k <= i
    k += hits[i] < cells;
  }
  return k;
}

/// The same 8 primes at a time, by first_multiple_offsets's arithmetic: the quotient's double
/// division, the remainder's two corrections, and the hits compressed into place.
__attribute__((target("avx512f,avx512dq,avx512vl"))) std::size_t single_hits_avx512(
    u64 a, const std::uint32_t* primes, std::size_t n, u64 cells, std::uint32_t* hits) {
  const __m512d da = _mm512_set1_pd(static_cast<double>(a));
  const __m512i va = _mm512_set1_epi64(static_cast<long long>(a));
  const __m512i vcells = _mm512_set1_epi64(static_cast<long long>(cells));
  const __m512i zero = _mm512_setzero_si512();
  std::size_t k = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    // (The maskz forms: GCC 12 warns of the unmasked ones' undefined source.)
    const __m512i p = _mm512_maskz_cvtepu32_epi64(
        0xFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(primes + i)));
    const __m512i q = _mm512_cvttpd_epu64(_mm512_div_pd(da, _mm512_cvtepu64_pd(p)));
    __m512i r = _mm512_sub_epi64(va, _mm512_mullo_epi64(q, p));
    r = _mm512_mask_add_epi64(r, _mm512_cmplt_epi64_mask(r, zero), r, p);
    r = _mm512_mask_sub_epi64(r, _mm512_cmpge_epi64_mask(r, p), r, p);
    const __m512i o = _mm512_maskz_sub_epi64(_mm512_cmpneq_epi64_mask(r, zero), p, r);
    const __mmask8 hit = _mm512_cmplt_epu64_mask(o, vcells);
    // Compressed in a register and stored whole (hits has room: k <= i): cheaper than a
    // compressing store to memory.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(hits + k),
                        _mm256_maskz_compress_epi32(hit, _mm512_maskz_cvtepi64_epi32(0xFF, o)));
    k += static_cast<std::size_t>(__builtin_popcount(hit));
  }
  return k + single_hits_portable(a, primes + i, n - i, cells, hits + k);
}

}  // namespace

std::size_t single_hits(u64 a, const std::uint32_t* primes, std::size_t n, u64 cells,
                        std::uint32_t* hits) {
  static const bool avx512 = cpu_has_avx512_dq_vl();
  return avx512 ? single_hits_avx512(a, primes, n, cells, hits)
                : single_hits_portable(a, primes, n, cells, hits);
}

}  // namespace numfactors::sieve
