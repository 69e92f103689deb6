/// @file cell_histogram.cpp
/// @brief Keys are counted with compare-and-add passes over a block of keys rather than with
/// bins[key]++, whose scattered increments to a few hot bins serialize on store forwarding.
/// A block of kBlock keys is re-read from L1 once per key value present (~10..20 values); each
/// pass costs a load, a compare and an add per vector of keys. The loops are written in 8- and
/// 16-bit arithmetic so that the compiler vectorizes them without widening; one clone each for
/// SSE2, AVX2 and AVX-512 is picked at load time for the running CPU.
#include "core/cell_histogram.hpp"

#include <algorithm>
#include <cstdint>

namespace numfactors::sieve {
namespace {

constexpr std::size_t kLanes = 32;
constexpr std::size_t kBlock = 4096;  // keys per block: 128 rows of kLanes, so a lane counts <= 128

/// count + (log sum < t): (log - t) is negative exactly when log < t, and |log - t| <= 1024, so
/// bit 15 of the 16-bit difference is that flag.
inline std::uint8_t key_of(Cell c, Cell t) {
  const auto below =
      static_cast<std::uint16_t>(static_cast<std::uint16_t>((c & kLogMask) - t) >> 15);
  return static_cast<std::uint8_t>((c >> kCountShift) + below);
}

}  // namespace

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void add_cell_keys(
    const Cell* cells, std::size_t len, int threshold, Bins& bins) {
  // threshold <= 0: no sum is below it; > kLogMask: every sum is. Clamped to a Cell either way.
  const Cell t = static_cast<Cell>(std::clamp(threshold, 0, static_cast<int>(kLogMask) + 1));
  alignas(64) std::uint8_t keys[kBlock];
  for (std::size_t start = 0; start < len; start += kBlock) {
    const std::size_t n = std::min(kBlock, len - start);
    const std::size_t rows = n / kLanes;
    const Cell* c = cells + start;
    std::uint8_t top = 0;
    for (std::size_t i = 0; i < rows * kLanes; ++i) {
      keys[i] = key_of(c[i], t);
      top = std::max(top, keys[i]);
    }
    for (unsigned k = 0; k <= top; ++k) {
      const auto key = static_cast<std::uint8_t>(k);
      std::uint8_t hits[kLanes] = {};
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t lane = 0; lane < kLanes; ++lane)
          hits[lane] = static_cast<std::uint8_t>(hits[lane] + (keys[r * kLanes + lane] == key));
      unsigned sum = 0;
      for (std::size_t lane = 0; lane < kLanes; ++lane) sum += hits[lane];
      bins[k] += sum;
    }
    for (std::size_t i = rows * kLanes; i < n; ++i) bins[key_of(c[i], t)] += 1;
  }
}

const char* simd_path() {
#if defined(__x86_64__)
  // The choice target_clones makes, asked feature by feature (clang knows no ISA levels here).
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512cd"))
    return "AVX-512 (x86-64-v4)";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
      __builtin_cpu_supports("fma"))
    return "AVX2 (x86-64-v3)";
  return "baseline x86-64";
#else
  return "portable C++";
#endif
}

}  // namespace numfactors::sieve
