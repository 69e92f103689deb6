/// @file cell_histogram.cpp
/// @brief Keys are counted with compare-and-sum passes over a block of keys rather than with
/// bins[key]++, whose scattered increments to a few hot bins serialize on store forwarding.
/// A block of 2^12 keys is read once per key value present (~10..20 values), all from L1.
#include "core/cell_histogram.hpp"

#include <algorithm>
#include <cstdint>

namespace nf::sieve {
namespace {

constexpr std::size_t kBlock = 4096;

}  // namespace

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void add_cell_keys(const Cell* cells, std::size_t len, int threshold, Bins& bins) {
  // threshold <= 0: no sum is below it; > kLogMask: every sum is. Clamped to a Cell either way.
  const Cell t = static_cast<Cell>(std::clamp(threshold, 0, static_cast<int>(kLogMask) + 1));
  alignas(64) std::uint8_t keys[kBlock];
  for (std::size_t start = 0; start < len; start += kBlock) {
    const std::size_t n = std::min(kBlock, len - start);
    const Cell* c = cells + start;
    std::uint8_t max_key = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto key = static_cast<std::uint8_t>((c[i] >> kCountShift) + ((c[i] & kLogMask) < t));
      keys[i] = key;
      max_key = std::max(max_key, key);
    }
    for (unsigned k = 0; k <= max_key; ++k) {
      std::uint32_t hits = 0;
      for (std::size_t i = 0; i < n; ++i) hits += keys[i] == k;
      bins[k] += hits;
    }
  }
}

}  // namespace nf::sieve
