/// @file kernel_bench.cpp
/// @brief The sieve kernel on one segment (SieveKernel::kSegmentCells numbers) at several heights,
/// and its passes alone: pre-sieve fill and the histogram pass. Numbers per second are reported as
/// items.
#include <benchmark/benchmark.h>

#include <limits>
#include <vector>

#include "core/cell_histogram.hpp"
#include "core/kernel.hpp"
#include "core/presieve.hpp"
#include "core/sieve_kernel.hpp"

namespace numfactors {
namespace {

constexpr u64 kSegment = SieveKernel::kSegmentCells;

/// One segment ending at `hi`; the kernel (and its stored primes) is made outside the timing.
void count_one_segment(benchmark::State& state, u64 hi, Count count) {
  auto kernel = make_kernel(KernelKind::sieve, count, hi);
  const Range r{hi - (kSegment - 1), hi};
  for (auto _ : state) {
    Histogram h;
    kernel->count(r, h);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSegment));
}

void BM_SegmentAt1e9(benchmark::State& s) { count_one_segment(s, 1'000'000'000, Count::distinct); }
void BM_SegmentAt1e10(benchmark::State& s) {
  count_one_segment(s, 10'000'000'000, Count::distinct);
}
void BM_SegmentAt1e10Total(benchmark::State& s) {
  count_one_segment(s, 10'000'000'000, Count::total);
}
void BM_SegmentAt1e15(benchmark::State& s) {
  count_one_segment(s, 1'000'000'000'000'000, Count::distinct);
}
BENCHMARK(BM_SegmentAt1e9);
BENCHMARK(BM_SegmentAt1e10);
BENCHMARK(BM_SegmentAt1e10Total);
BENCHMARK(BM_SegmentAt1e15);

/// A chunk of 64 segments at 10^15: the pass over the 1.9M primes <= sqrt(hi) amortized.
void BM_ChunkOf64SegmentsAt1e15(benchmark::State& state) {
  const u64 hi = 1'000'000'000'000'000;
  auto kernel = make_kernel(KernelKind::sieve, Count::distinct, hi);
  const Range r{hi - (64 * kSegment - 1), hi};
  for (auto _ : state) {
    Histogram h;
    kernel->count(r, h);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * r.size()));
}
BENCHMARK(BM_ChunkOf64SegmentsAt1e15)->Unit(benchmark::kMillisecond);

void BM_PresieveFill(benchmark::State& state) {
  const sieve::Presieve presieve(Count::distinct);
  std::vector<sieve::Cell> cells(kSegment);
  u64 a = 10'000'000'000;
  for (auto _ : state) {
    presieve.fill(a, cells.data(), cells.size());
    benchmark::DoNotOptimize(cells.data());
    a += kSegment;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSegment));
}
BENCHMARK(BM_PresieveFill);

void BM_HistogramPass(benchmark::State& state) {
  const sieve::Presieve presieve(Count::distinct);
  std::vector<sieve::Cell> cells(kSegment);
  presieve.fill(10'000'000'000, cells.data(), cells.size());  // realistic keys (counts 0..~8)
  for (auto _ : state) {
    sieve::Bins bins{};
    sieve::add_cell_keys(cells.data(), cells.size(), 300, bins);
    benchmark::DoNotOptimize(bins);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSegment));
}
BENCHMARK(BM_HistogramPass);

}  // namespace
}  // namespace numfactors
