/// @file analytic_leaves.cpp
/// @brief small_leaf_sum (by division and by reciprocal) and subtract_small_counts, compiled for
/// the baseline CPU and (on x86-64 with GCC or Clang) for AVX2, which divides or multiplies four
/// doubles and gathers four counts an instruction, and the reciprocal sum also for AVX-512
/// (sixteen). The build's flags stay baseline; the choice is made at run time.
#include "core/analytic_leaves.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "core/cpu_features.hpp"

namespace numfactors {
namespace {

// The loop has no early exit and no correction step, so the compiler vectorizes it where the
// target allows. y < 2^31 (y <= sqrt(N) < 2^26 below 2^52), so it converts to int32 exactly.
[[gnu::always_inline]] inline u64 leaf_sum(const std::uint32_t* small, const std::uint32_t* primes,
                                           u64 begin, u64 end, double xd) {
  u64 sum = 0;
  for (u64 i = begin; i < end; ++i) {
    const auto y = static_cast<std::int32_t>(xd / static_cast<double>(primes[i]));
    sum += small[static_cast<std::uint32_t>(y - 1) >> 1];
  }
  return sum;
}

// The same with the quotients by reciprocal (x < 2^51, analytic_quotient.hpp).
[[gnu::always_inline]] inline u64 leaf_sum_reciprocal(const std::uint32_t* small,
                                                      const double* inverses, u64 begin, u64 end,
                                                      double x_half) {
  u64 sum = 0;
  for (u64 i = begin; i < end; ++i) {
    const auto y = static_cast<std::int32_t>(x_half * inverses[i]);
    sum += small[static_cast<std::uint32_t>(y - 1) >> 1];
  }
  return sum;
}

// x < 2^52 and d are exact as doubles, and so is the quotient (plain_double).
// `large` and `small` are different tables: __restrict lets the gathers run ahead of the stores.
template <int kStride, class Key>
[[gnu::always_inline]] inline void subtract_strided(Key* __restrict large,
                                                    const std::uint32_t* __restrict small,
                                                    u64 begin, u64 end, std::uint32_t c,
                                                    double xd) {
  // d = begin + k with k < 2^31 (d <= sqrt(n) < 2^31), so k converts as int32, which AVX2 can.
  const double first = static_cast<double>(begin);
  const auto count = static_cast<std::int32_t>(end - begin);
  for (std::int32_t k = 0; k < count; k += kStride) {
    const auto q = static_cast<std::int32_t>(xd / (first + k));
    large[k] -= small[static_cast<std::uint32_t>(q - 1) >> 1] - c;
  }
}

template <class Key>
[[gnu::always_inline]] inline void subtract(Key* large, const std::uint32_t* small, u64 begin,
                                            u64 end, u64 stride, std::uint32_t c, double xd) {
  if (stride == 1)
    subtract_strided<1>(large, small, begin, end, c, xd);
  else
    subtract_strided<2>(large, small, begin, end, c, xd);
}

template <class Key>
void subtract_baseline(Key* large, const std::uint32_t* small, u64 begin, u64 end,
                       u64 stride, std::uint32_t c, double xd) {
  subtract(large, small, begin, end, stride, c, xd);
}

u64 leaf_sum_baseline(const std::uint32_t* small, const std::uint32_t* primes, u64 begin, u64 end,
                      double xd) {
  return leaf_sum(small, primes, begin, end, xd);
}

u64 leaf_sum_reciprocal_baseline(const std::uint32_t* small, const double* inverses, u64 begin,
                                 u64 end, double x_half) {
  return leaf_sum_reciprocal(small, inverses, begin, end, x_half);
}

// x < 2^52 and d exact as doubles, as in subtract_strided.
template <class Key>
void packed_baseline(Key* large, const std::uint32_t* packed, u64 begin, u64 end, u64 stride,
                     std::uint32_t c, double xd) {
  for (u64 d = begin; d < end; d += stride) {
    const auto q = static_cast<u64>(xd / static_cast<double>(d));
    large[d - begin] -= static_cast<Key>(packed_count(packed, (q - 1) >> 1) - c);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// The packed loops compute their lanes' amounts in vectors (a division, two gathers of 64 bits:
// the bits and the count of each key's block, a mask and a popcount), then subtract them from
// the keys one by one, which also serves the stride of 2.
template <int kLanes, class Key>
[[gnu::always_inline]] inline void subtract_lanes(Key* keys, u64 stride, std::uint32_t c,
                                                  const std::uint64_t* amounts) {
  for (int j = 0; j < kLanes; ++j) keys[j * stride] -= static_cast<Key>(amounts[j] - c);
}

// A 64-bit popcount in each lane by nibbles (Mula's method): AVX2 has none of its own.
[[gnu::target("avx2"), gnu::always_inline]] inline __m256i popcount_avx2(__m256i v) {
  const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                         1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i counts =
      _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(v, low)),
                      _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi64(v, 4), low)));
  return _mm256_sad_epu8(counts, _mm256_setzero_si256());
}

template <class Key>
[[gnu::target("avx2")]] void packed_avx2(Key* large, const std::uint32_t* packed, u64 begin,
                                         u64 end, u64 stride, std::uint32_t c, double xd) {
  const __m256d x = _mm256_set1_pd(xd);
  const __m256d steps =
      _mm256_mul_pd(_mm256_setr_pd(0, 1, 2, 3), _mm256_set1_pd(static_cast<double>(stride)));
  const __m256i one = _mm256_set1_epi64x(1), low6 = _mm256_set1_epi64x(63);
  const auto* words = reinterpret_cast<const long long*>(packed);
  alignas(32) std::uint64_t amounts[4];
  u64 d = begin;
  for (; d + 3 * stride < end; d += 4 * stride) {
    const __m256d ds = _mm256_add_pd(_mm256_set1_pd(static_cast<double>(d)), steps);
    // q < 2^31: through 32-bit lanes, which AVX2 converts.
    const __m256i q = _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(_mm256_div_pd(x, ds)));
    const __m256i i = _mm256_srli_epi64(_mm256_sub_epi64(q, one), 1);
    const __m256i block2 = _mm256_slli_epi64(_mm256_srli_epi64(i, 6), 1);  // 16 bytes a block
    const __m256i bits = _mm256_i64gather_epi64(words, block2, 8);
    const __m256i below = _mm256_i64gather_epi64(words, _mm256_add_epi64(block2, one), 8);
    const __m256i mask = _mm256_srlv_epi64(_mm256_set1_epi64x(-1),
                                           _mm256_sub_epi64(low6, _mm256_and_si256(i, low6)));
    // word 3 is 0, so the gathered count is word 2 alone
    _mm256_store_si256(reinterpret_cast<__m256i*>(amounts),
                       _mm256_add_epi64(below, popcount_avx2(_mm256_and_si256(bits, mask))));
    subtract_lanes<4>(large + (d - begin), stride, c, amounts);
  }
  packed_baseline(large + (d - begin), packed, d, end, stride, c, xd);
}

// (GCC 12 warns that its own AVX-512 intrinsics read an undefined vector: they do not.)
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
template <class Key>
[[gnu::target("avx512f,avx512dq,avx512vl,avx512vpopcntdq")]] void packed_avx512(
    Key* large, const std::uint32_t* packed, u64 begin, u64 end, u64 stride, std::uint32_t c,
    double xd) {
  const __m512d x = _mm512_set1_pd(xd);
  const __m512d steps = _mm512_mul_pd(_mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7),
                                      _mm512_set1_pd(static_cast<double>(stride)));
  const __m512i one = _mm512_set1_epi64(1), low6 = _mm512_set1_epi64(63);
  const auto* words = reinterpret_cast<const long long*>(packed);
  alignas(64) std::uint64_t amounts[8];
  u64 d = begin;
  for (; d + 7 * stride < end; d += 8 * stride) {
    const __m512d ds = _mm512_add_pd(_mm512_set1_pd(static_cast<double>(d)), steps);
    const __m512i q = _mm512_cvttpd_epi64(_mm512_div_pd(x, ds));
    const __m512i i = _mm512_srli_epi64(_mm512_sub_epi64(q, one), 1);
    const __m512i block2 = _mm512_slli_epi64(_mm512_srli_epi64(i, 6), 1);
    const __m512i bits = _mm512_i64gather_epi64(block2, words, 8);
    const __m512i below = _mm512_i64gather_epi64(_mm512_add_epi64(block2, one), words, 8);
    const __m512i mask =
        _mm512_srlv_epi64(_mm512_set1_epi64(-1), _mm512_sub_epi64(low6, _mm512_and_si512(i, low6)));
    _mm512_store_si512(amounts,
                       _mm512_add_epi64(below, _mm512_popcnt_epi64(_mm512_and_si512(bits, mask))));
    subtract_lanes<8>(large + (d - begin), stride, c, amounts);
  }
  packed_baseline(large + (d - begin), packed, d, end, stride, c, xd);
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Written out with intrinsics for the hardware gather: GCC emulates a gather with scalar loads,
// which measured a quarter slower on the development machine (Intel). The quotients are below
// 2^31 and the primes below 2^26 (x < 2^52), so both convert as signed 32-bit lanes.
// small[(y - 1) / 2] in four lanes, for y = floor(quotients): one gather.
[[gnu::target("avx2"), gnu::always_inline]] inline __m128i gather_at(const std::uint32_t* small,
                                                                     __m256d quotients) {
  const __m128i y = _mm256_cvttpd_epi32(quotients);
  const __m128i index = _mm_srli_epi32(_mm_sub_epi32(y, _mm_set1_epi32(1)), 1);
  return _mm_i32gather_epi32(reinterpret_cast<const int*>(small), index, 4);
}

// small[(floor(x / divisor) - 1) / 2] in four lanes: one division and one gather.
[[gnu::target("avx2"), gnu::always_inline]] inline __m128i gather_counts(const std::uint32_t* small,
                                                                         __m256d x,
                                                                         __m256d divisors) {
  return gather_at(small, _mm256_div_pd(x, divisors));
}

[[gnu::target("avx2")]] u64 leaf_sum_avx2(const std::uint32_t* small, const std::uint32_t* primes,
                                          u64 begin, u64 end, double xd) {
  const __m256d x = _mm256_set1_pd(xd);
  __m256i sums = _mm256_setzero_si256();
  u64 i = begin;
  for (; i + 4 <= end; i += 4) {
    const __m256d q =
        _mm256_cvtepi32_pd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(primes + i)));
    const __m128i counts = gather_counts(small, x, q);
    sums = _mm256_add_epi64(sums, _mm256_cvtepu32_epi64(counts));
  }
  alignas(32) u64 lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sums);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + leaf_sum(small, primes, i, end, xd);
}

// A multiplication in place of the division, which bounded leaf_sum_avx2.
[[gnu::target("avx2")]] u64 leaf_sum_reciprocal_avx2(const std::uint32_t* small,
                                                     const double* inverses, u64 begin, u64 end,
                                                     double x_half) {
  const __m256d x = _mm256_set1_pd(x_half);
  __m256i sums = _mm256_setzero_si256();
  u64 i = begin;
  for (; i + 4 <= end; i += 4) {
    const __m128i counts = gather_at(small, _mm256_mul_pd(x, _mm256_loadu_pd(inverses + i)));
    sums = _mm256_add_epi64(sums, _mm256_cvtepu32_epi64(counts));
  }
  alignas(32) u64 lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sums);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] +
         leaf_sum_reciprocal(small, inverses, i, end, x_half);
}

// The reciprocal loop on AVX-512: sixteen leaves a gather (one gather of 16 counts costs less than
// two of 8), and the last 1-15 leaves in one masked step rather than a scalar loop, as most nodes
// have a few dozen leaves. Masked-off lanes load nothing and gather nothing. (GCC 12 warns that
// its own AVX-512 intrinsics read an undefined pass-through vector: they do not.)
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
[[gnu::target("avx512f,avx512dq,avx512vl"), gnu::always_inline]] inline void add_leaves16(
    __m512i& sums, const std::uint32_t* small, const double* inverses, const __m512d& x,
    __mmask16 lanes) {
  const auto low = static_cast<__mmask8>(lanes), high = static_cast<__mmask8>(lanes >> 8);
  const __m256i y0 =
      _mm512_maskz_cvttpd_epi32(low, _mm512_mul_pd(x, _mm512_maskz_loadu_pd(low, inverses)));
  const __m256i y1 =
      _mm512_maskz_cvttpd_epi32(high, _mm512_mul_pd(x, _mm512_maskz_loadu_pd(high, inverses + 8)));
  const __m512i y = _mm512_inserti64x4(_mm512_castsi256_si512(y0), y1, 1);
  const __m512i index = _mm512_srli_epi32(_mm512_sub_epi32(y, _mm512_set1_epi32(1)), 1);
  const __m512i counts =
      _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), lanes, index, small, 4);
  sums = _mm512_add_epi64(sums, _mm512_cvtepu32_epi64(_mm512_castsi512_si256(counts)));
  sums = _mm512_add_epi64(sums, _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(counts, 1)));
}

[[gnu::target("avx512f,avx512dq,avx512vl")]] u64 leaf_sum_reciprocal_avx512(
    const std::uint32_t* small, const double* inverses, u64 begin, u64 end, double x_half) {
  const __m512d x = _mm512_set1_pd(x_half);
  __m512i sums = _mm512_setzero_si512();
  u64 i = begin;
  for (; i + 16 <= end; i += 16) add_leaves16(sums, small, inverses + i, x, 0xFFFF);
  if (i < end)
    add_leaves16(sums, small, inverses + i, x, static_cast<__mmask16>((1u << (end - i)) - 1));
  return static_cast<u64>(_mm512_reduce_add_epi64(sums));
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <class Key>
[[gnu::target("avx2")]] void subtract_avx2(Key* large, const std::uint32_t* small, u64 begin,
                                           u64 end, u64 stride, std::uint32_t c, double xd) {
  if (stride != 1) return subtract(large, small, begin, end, stride, c, xd);
  // As leaf_sum_avx2, with d = begin + k for k < 2^31 in the lanes.
  const __m256d x = _mm256_set1_pd(xd);
  const __m128i cs = _mm_set1_epi32(static_cast<int>(c));
  const __m256d steps = _mm256_setr_pd(0, 1, 2, 3);
  const double first = static_cast<double>(begin);
  const u64 count = end - begin;
  u64 k = 0;
  for (; k + 4 <= count; k += 4) {
    const __m256d d = _mm256_add_pd(_mm256_set1_pd(first + static_cast<double>(k)), steps);
    const __m128i counts = gather_counts(small, x, d);
    const __m128i amounts = _mm_sub_epi32(counts, cs);  // S(v) >= c: no wrap
    if constexpr (sizeof(Key) == 4) {
      auto* keys = reinterpret_cast<__m128i*>(large + k);
      _mm_storeu_si128(keys, _mm_sub_epi32(_mm_loadu_si128(keys), amounts));
    } else {
      auto* keys = reinterpret_cast<__m256i*>(large + k);
      _mm256_storeu_si256(keys, _mm256_sub_epi64(_mm256_loadu_si256(keys),
                                                 _mm256_cvtepu32_epi64(amounts)));
    }
  }
  subtract(large + k, small, begin + k, end, 1, c, xd);
}

#endif

std::vector<LeafPath> available_paths() {
  std::vector<LeafPath> paths{{"baseline", leaf_sum_baseline, leaf_sum_reciprocal_baseline,
                               subtract_baseline<std::uint32_t>, subtract_baseline<std::uint64_t>,
                               packed_baseline<std::uint32_t>, packed_baseline<std::uint64_t>}};
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx2()) {
    paths.push_back({"avx2", leaf_sum_avx2, leaf_sum_reciprocal_avx2, subtract_avx2<std::uint32_t>,
                     subtract_avx2<std::uint64_t>, packed_avx2<std::uint32_t>,
                     packed_avx2<std::uint64_t>});
    if (cpu_has_avx512_dq_vl()) {
      const bool popcount = cpu_has_avx512_popcount();
      paths.push_back({"avx512", leaf_sum_avx2, leaf_sum_reciprocal_avx512,
                       subtract_avx2<std::uint32_t>, subtract_avx2<std::uint64_t>,
                       popcount ? packed_avx512<std::uint32_t> : packed_avx2<std::uint32_t>,
                       popcount ? packed_avx512<std::uint64_t> : packed_avx2<std::uint64_t>});
    }
  }
#endif
  return paths;
}

const LeafPath kPath = available_paths().back();

}  // namespace

std::vector<LeafPath> leaf_paths() { return available_paths(); }

u64 small_leaf_sum(const std::uint32_t* small, const std::uint32_t* primes, u64 begin, u64 end,
                   double xd) {
  return kPath.leaf_sum(small, primes, begin, end, xd);
}

u64 small_leaf_sum_reciprocal(const std::uint32_t* small, const double* inverses, u64 begin,
                              u64 end, double x_half) {
  return kPath.leaf_sum_reciprocal(small, inverses, begin, end, x_half);
}

void subtract_small_counts(std::uint32_t* large, const std::uint32_t* small, u64 begin, u64 end,
                           u64 stride, std::uint32_t c, double xd) {
  kPath.subtract32(large, small, begin, end, stride, c, xd);
}

void subtract_small_counts(std::uint64_t* large, const std::uint32_t* small, u64 begin, u64 end,
                           u64 stride, std::uint32_t c, double xd) {
  kPath.subtract64(large, small, begin, end, stride, c, xd);
}

void subtract_packed_counts(std::uint32_t* large, const std::uint32_t* packed, u64 begin, u64 end,
                            u64 stride, std::uint32_t c, double xd) {
  kPath.packed32(large, packed, begin, end, stride, c, xd);
}

void subtract_packed_counts(std::uint64_t* large, const std::uint32_t* packed, u64 begin, u64 end,
                            u64 stride, std::uint32_t c, double xd) {
  kPath.packed64(large, packed, begin, end, stride, c, xd);
}

}  // namespace numfactors
