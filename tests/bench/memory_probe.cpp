/// @file memory_probe.cpp
/// @brief How much more work this machine's caches and memory serve all its CPUs at once than
/// one: the same loads on one thread alone, then on one thread a CPU, each over its own array.
///
///   numfactors_memory_probe [MIB...]   random reads from arrays of MIB MiB (default 16 64 256),
///                                      then streaming over 256 MiB, a line each, as
///   random reads, 64 MiB: 9.02 ns alone, 13.42 ns on 2 CPUs at once: 1.34x
///
/// Random reads are independent 4-byte loads, as the analytic method's gathers from its table
/// (216 MB at 10^15, the small keys 63 MB of it); streaming reads and writes every word in order,
/// as a sieve does. The ratio (loads a second, all CPUs against one) bounds what two MPI ranks or
/// threads gain on a phase bound by such loads, however the program splits it: where the CPUs
/// share a last-level cache, an array that one CPU alone keeps partly in it is read at memory's
/// speed by two.
#include <sched.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kReads = std::size_t{32} << 20;
constexpr int kPasses = 4;
constexpr std::size_t kStreamMiB = 256;

struct Freer {
  void operator()(std::uint32_t* p) const { std::free(p); }
};
using Array = std::unique_ptr<std::uint32_t[], Freer>;

/// On huge pages where the kernel grants them, as the program's tables are (4 KB pages would
/// time the TLB too); written by the thread that reads it.
Array make_array(std::size_t words) {
  const std::size_t bytes = words * sizeof(std::uint32_t);
  auto* array = static_cast<std::uint32_t*>(std::aligned_alloc(std::size_t{1} << 21, bytes));
  if (array == nullptr) {
    std::fprintf(stderr, "numfactors_memory_probe: out of memory\n");
    std::exit(1);
  }
#ifdef MADV_HUGEPAGE
  (void)madvise(array, bytes, MADV_HUGEPAGE);
#endif
  for (std::size_t i = 0; i < words; ++i) array[i] = static_cast<std::uint32_t>(i * 2654435761u);
  return Array(array);
}

/// Loads at pseudo-random places of a power-of-two array: each address comes from a generator,
/// not from the load before, so the CPU keeps many loads in flight, as a gather does.
std::uint64_t random_reads(const std::uint32_t* array, std::size_t words, std::uint64_t seed) {
  std::uint64_t sum = 0, h = seed;
  for (std::size_t i = 0; i < kReads; ++i) {
    h = h * 6364136223846793005ull + 1442695040888963407ull;
    sum += array[(h >> 20) & (words - 1)];
  }
  return sum;
}

/// Passes over the array, each adding a value the pass before ended with: no two fuse.
std::uint64_t streaming(std::uint32_t* array, std::size_t words, std::uint64_t) {
  std::uint32_t carry = 1;
  for (int pass = 0; pass < kPasses; ++pass) {
    for (std::size_t i = 0; i < words; ++i) array[i] += carry;
    carry = array[words - 1] | 1;
  }
  return carry;
}

/// Seconds for `threads` threads to run `work` at once, each over its own array of `words`.
template <class Work>
double timed(int threads, std::size_t words, const Work& work) {
  std::vector<Array> arrays(static_cast<std::size_t>(threads));
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(threads));
  std::vector<std::thread> team;
  for (int t = 0; t < threads; ++t)
    team.emplace_back([&, t] { arrays[static_cast<std::size_t>(t)] = make_array(words); });
  for (auto& thread : team) thread.join();
  team.clear();
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    team.emplace_back([&, t] {
      const auto i = static_cast<std::size_t>(t);
      sums[i] = work(arrays[i].get(), words, static_cast<std::uint64_t>(t) + 1);
    });
  for (auto& thread : team) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The sums go where no reader looks, so that the loads cannot be dropped.
  std::uint64_t all = 0;
  for (const std::uint64_t s : sums) all ^= s;
  std::fprintf(stderr, "%llx\n", static_cast<unsigned long long>(all));
  return seconds;
}

std::size_t words_of(std::size_t mib) { return (mib << 20) / sizeof(std::uint32_t); }

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) {
    char* end = nullptr;
    const unsigned long mib = std::strtoul(argv[i], &end, 10);
    if (*end != '\0' || mib == 0 || mib > 4096 || (mib & (mib - 1)) != 0) {
      std::fprintf(stderr, "numfactors_memory_probe: %s is not a power of two of MiB up to 4096\n",
                   argv[i]);
      return 2;
    }
    sizes.push_back(mib);
  }
  if (sizes.empty()) sizes = {16, 64, 256};
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  for (const std::size_t mib : sizes) {
    const double one = timed(1, words_of(mib), random_reads);
    const double all = timed(cpus, words_of(mib), random_reads);
    std::printf("random reads, %zu MiB: %.2f ns alone, %.2f ns on %d CPUs at once: %.2fx\n", mib,
                one * 1e9 / kReads, all * 1e9 / kReads, cpus, cpus * one / all);
  }
  const double one = timed(1, words_of(kStreamMiB), streaming);
  const double all = timed(cpus, words_of(kStreamMiB), streaming);
  std::printf("streaming, %zu MiB: %.3f s alone, %.3f s on %d CPUs at once: %.2fx\n", kStreamMiB,
              one, all, cpus, cpus * one / all);
}
