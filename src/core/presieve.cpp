/// @file presieve.cpp
#include "core/presieve.hpp"

#include <algorithm>
#include <cstring>

namespace nf::sieve {
namespace {

struct PrimePower {
  unsigned prime;
  unsigned exponent;  // the pattern covers p, p^2, ..., p^exponent
};

/// Groups whose product stays <= ~2^17 words (their patterns stay in L2 beside a segment).
const std::vector<std::vector<PrimePower>> kGroups = {
    {{2, 5}, {3, 3}, {5, 2}},          // 21600
    {{7, 2}, {11, 1}, {13, 1}, {17, 1}},  // 119119
    {{19, 1}, {23, 1}, {29, 1}},       // 12673
    {{31, 1}, {37, 1}, {41, 1}},       // 47027
    {{43, 1}, {47, 1}},                // 2021
};

}  // namespace

Presieve::Presieve(Count count) {
  for (const auto& group : kGroups) {
    Pattern pattern{1, {}};
    for (const PrimePower& pp : group)
      for (unsigned e = 0; e < pp.exponent; ++e) pattern.period *= pp.prime;
    pattern.words.assign(pattern.period, 0);
    for (const PrimePower& pp : group) {
      const Cell prime_word = static_cast<Cell>(kCountUnit + weight_of(pp.prime));
      const Cell power_word =
          static_cast<Cell>((count == Count::total ? kCountUnit : 0) + weight_of(pp.prime));
      u64 q = 1;
      for (unsigned e = 1; e <= pp.exponent; ++e) {
        q *= pp.prime;
        for (u64 r = 0; r < pattern.period; r += q) pattern.words[r] += e == 1 ? prime_word : power_word;
      }
      uncovered_.push_back({pp.prime, q * pp.prime});
    }
    patterns_.push_back(std::move(pattern));
  }
  std::sort(uncovered_.begin(), uncovered_.end());
}

void Presieve::fill(u64 a, Cell* cells, std::size_t len) const {
  bool first = true;
  for (const Pattern& pattern : patterns_) {
    std::size_t j = a % pattern.period;
    for (std::size_t i = 0; i < len;) {
      const std::size_t run = std::min<std::size_t>(pattern.period - j, len - i);
      if (first)
        std::memcpy(cells + i, pattern.words.data() + j, run * sizeof(Cell));
      else
        add_cells(cells + i, pattern.words.data() + j, run);
      i += run;
      j = 0;
    }
    first = false;
  }
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void add_cells(Cell* dst, const Cell* src, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<Cell>(dst[i] + src[i]);
}

}  // namespace nf::sieve
