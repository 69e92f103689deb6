/// @file analytic_bench.cpp
/// @brief Times the analytic method's two phases on [1, N] (and the sieve kernel on a window, for
/// the cost model), on the threads of the executors' ParallelFor (exec/thread_team.hpp).
///
///   numfactors_analytic_bench N [threads] [distinct|total|both]
///                                                table build, walk, total; peak memory (the walk
///                                                of one count, as a run makes it: distinct by
///                                                default; both: the walk of both counts at once)
///   numfactors_analytic_bench --sieve LO HI      the sieve kernel on [LO, HI], one thread
///   numfactors_analytic_bench --items N          each walk item's estimated cost and seconds
///
/// Wall-clock and process CPU seconds go to stdout, one line a phase. On a shared machine the
/// CPU seconds are the steadier number.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "core/analytic.hpp"
#include "core/kernel.hpp"
#include "exec/thread_team.hpp"

namespace {

using numfactors::u64;

double wall() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu(clockid_t clock = CLOCK_PROCESS_CPUTIME_ID) {
  timespec t{};
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// CPU seconds of the calling thread, which also runs every step too short to split.
double main_cpu() { return cpu(CLOCK_THREAD_CPUTIME_ID); }

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

int bench_sieve(u64 lo, u64 hi) {
  const double w0 = wall(), c0 = cpu();
  numfactors::Histogram h;
  numfactors::make_kernel(numfactors::KernelKind::sieve, numfactors::Count::distinct, hi)
      ->count({lo, hi}, h);
  const double w1 = wall(), c1 = cpu();
  std::printf("sieve [%llu, %llu]: wall %.3f s, cpu %.3f s, %.3f ns a number (cpu)\n",
              static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi), w1 - w0,
              c1 - c0, (c1 - c0) * 1e9 / static_cast<double>(hi - lo + 1));
  return 0;
}

/// One line a walk item, one thread: its estimated cost and its time, to check the estimate
/// that the items' cut and the MPI deal rely on.
int bench_items(u64 n) {
  numfactors::PrimeCountTable table(n);
  table.build(numfactors::threads_for(1));
  const numfactors::AnalyticWalk walk(table);
  std::printf("item cost seconds span_lo span_hi\n");
  for (std::size_t k = 0; k < walk.item_count(); ++k) {
    const double w0 = wall();
    walk.run_item(k);
    const numfactors::Range span = walk.item_span(k);
    std::printf("%zu %.6g %.6f %llu %llu\n", k, walk.item_cost(k), wall() - w0,
                static_cast<unsigned long long>(span.lo), static_cast<unsigned long long>(span.hi));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "--sieve")
    return bench_sieve(std::strtoull(argv[2], nullptr, 10), std::strtoull(argv[3], nullptr, 10));
  if (argc >= 3 && std::string(argv[1]) == "--items")
    return bench_items(std::strtoull(argv[2], nullptr, 10));
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s N [threads] [distinct|total|both] | --sieve LO HI | --items N\n",
                 argv[0]);
    return 2;
  }
  const u64 n = std::strtoull(argv[1], nullptr, 10);
  const unsigned threads = argc > 2 ? static_cast<unsigned>(std::max(1, std::atoi(argv[2]))) : 1;
  const std::string counts = argc > 3 ? argv[3] : "distinct";
  if (counts != "distinct" && counts != "total" && counts != "both") {
    std::fprintf(stderr, "count must be distinct, total or both, not %s\n", counts.c_str());
    return 2;
  }
  // The executors' own ParallelFor, so the phases are timed as --method analytic runs them.
  const numfactors::ParallelFor parallel_for = numfactors::threads_for(threads);

  const double w0 = wall(), c0 = cpu(), m0 = main_cpu();
  numfactors::PrimeCountTable table(n);
  table.build(parallel_for);
  const double w1 = wall(), c1 = cpu(), m1 = main_cpu();
  const numfactors::AnalyticWalk walk(table);
  std::vector<numfactors::FactorHistograms> parts(walk.item_count());
  // One item at a time from a shared counter, as the executors deal them: the items' costs are
  // far apart, so pieces of many items would leave a thread idle at the end.
  std::atomic<std::size_t> next{0};
  parallel_for(0, threads, [&](u64, u64) {
    for (std::size_t k; (k = next.fetch_add(1)) < parts.size();) {
      if (counts == "both") {
        parts[k] = walk.run_item(k);
      } else if (counts == "distinct") {
        parts[k].distinct = walk.run_item(k, numfactors::Count::distinct);
      } else {
        parts[k].total = walk.run_item(k, numfactors::Count::total);
      }
    }
  });
  numfactors::FactorHistograms h;
  for (const auto& part : parts) h += part;
  if (counts == "distinct")
    numfactors::AnalyticWalk::complete(h.distinct, numfactors::Count::distinct);
  if (counts == "total") numfactors::AnalyticWalk::complete(h.total, numfactors::Count::total);
  const double w2 = wall(), c2 = cpu(), m2 = main_cpu();

  std::printf("N=%llu threads=%u items=%zu table_mib=%.0f peak_rss_mib=%ld\n",
              static_cast<unsigned long long>(n), threads, walk.item_count(),
              static_cast<double>(numfactors::PrimeCountTable::memory_bytes(n)) / (1 << 20),
              peak_rss_mib());
  // On a loaded machine wall time says little; the main thread's share of the CPU time does:
  // with every thread on its own core the phase would take about the largest share.
  std::printf("table: wall %.3f s cpu %.3f s (main thread %.3f s)\n", w1 - w0, c1 - c0, m1 - m0);
  std::printf("walk:  wall %.3f s cpu %.3f s (main thread %.3f s)\n", w2 - w1, c2 - c1, m2 - m1);
  std::printf("total: wall %.3f s cpu %.3f s\n", w2 - w0, c2 - c0);
  for (unsigned k = 0; k <= numfactors::Histogram::kMaxKey; ++k)
    if (h.distinct[k] != 0 || h.total[k] != 0)
      std::printf("  %2u: distinct %llu total %llu\n", k,
                  static_cast<unsigned long long>(h.distinct[k]),
                  static_cast<unsigned long long>(h.total[k]));
  return 0;
}
