/// @file cpu_probe.cpp
/// @brief The seconds this CPU takes for a fixed amount of integer work: eight independent
/// multiply chains, which keep a core's multipliers busy (the same count of one chain would
/// leave them mostly idle for a second hardware thread to use).
///
///   numfactors_cpu_probe        prints the seconds, as "0.531"
///
/// scripts/bench runs it pinned to each CPU (taskset) beside the runs it compares: a virtual
/// CPU whose host gives part of its core to other work takes longer here, and so does every
/// run on it, which explains a ratio between runs that the program alone does not.
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace {

constexpr int kChains = 8;

/// The chains stay scalar in this project's build for the baseline x86-64, which has no 64-bit
/// vector multiply (a build for AVX-512 may vectorize them and then times the vector units).
std::uint64_t chains(std::uint64_t rounds) {
  std::uint64_t x[kChains];
  for (int j = 0; j < kChains; ++j) x[j] = static_cast<std::uint64_t>(j) + 1;
  for (std::uint64_t i = 0; i < rounds; ++i)
    for (int j = 0; j < kChains; ++j) {
      x[j] = x[j] * 6364136223846793005ull + static_cast<std::uint64_t>(j);
      x[j] ^= x[j] >> 29;
    }
  std::uint64_t all = 0;
  for (const std::uint64_t v : x) all ^= v;
  return all;
}

}  // namespace

int main() {
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t all = chains(50'000'000);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The chains' result is printed where no reader looks, so that the loop cannot be dropped.
  std::fprintf(stderr, "%llx\n", static_cast<unsigned long long>(all));
  std::printf("%.3f\n", seconds);
}
