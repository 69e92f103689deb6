/// @file factor_bench.cpp
/// @brief factor64 against FLINT's n_factor, and the factor, hybrid and sieve kernels by position
/// and width, timed in thread CPU seconds (the best of a few runs: the machine is shared).
///
///   numfactors_factor_bench numbers            factor64 (and FLINT, when built with it) on
///                                              [2^64-1000, 2^64-1], [10^18, 10^18+10^4], 10^5
///                                              random 64-bit numbers, 10^3 products of two
///                                              primes near 2^32; the sums of omega must agree
///   numfactors_factor_bench kernels [MAX_S]    ns a number of each kernel by position and
///                                              width (a run estimated above MAX_S seconds,
///                                              default 3, is skipped)
///   numfactors_factor_bench bounds             the hybrid kernel's ns a number by sieving bound
///   numfactors_factor_bench model              the hybrid kernel's cost model: ns per sieving
///                                              prime, and ns a number by bound and height
///   numfactors_factor_bench costs              the constants of the direct kernels' cost model
///                                              (kernel_cost.cpp): factor64 ns a number, the
///                                              sieve's ns a number and seconds a chunk, and the
///                                              set-ups, by height; each beside the model's value
///
/// Built by tests/bench/factor_bench.cmake, or by hand (FLINT optional):
///   g++ -std=c++20 -O3 -DNDEBUG -Isrc -Iinclude -Ibuild/generated/include
///       -DNUMFACTORS_BENCH_FLINT tests/bench/factor_bench.cpp build/libnumfactors.a -lprimesieve
///       -lflint -lgmp -o factor_bench
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <primesieve.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/arith.hpp"
#include "core/factor64.hpp"
#include "core/factor_kernel.hpp"
#include "core/hybrid_kernel.hpp"
#include "core/kernel.hpp"
#include "core/kernel_cost.hpp"
#include "core/sieve_kernel.hpp"

#ifdef NUMFACTORS_BENCH_FLINT
#include <flint/ulong_extras.h>
#endif

namespace {

using numfactors::Count;
using numfactors::Histogram;
using numfactors::Range;
using numfactors::u64;

constexpr u64 kTop = std::numeric_limits<u64>::max();

double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// The best of `runs` timings of f.
double best_of(int runs, const std::function<void()>& f) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) {
    const double t0 = cpu_seconds();
    f();
    best = std::min(best, cpu_seconds() - t0);
  }
  return best;
}

std::vector<u64> range_numbers(u64 lo, u64 hi) {
  std::vector<u64> v;
  for (u64 n = lo;; ++n) {
    v.push_back(n);
    if (n == hi) break;
  }
  return v;
}

#ifdef NUMFACTORS_BENCH_FLINT
unsigned flint_omega(u64 n, int proved) {
  n_factor_t f;
  n_factor_init(&f);
  n_factor(&f, n, proved);
  return static_cast<unsigned>(f.num);
}
#endif

void bench_numbers() {
  std::mt19937_64 rng(20261121);
  std::vector<u64> random(100000);
  for (u64& n : random) n = std::max<u64>(rng(), 1);
  std::vector<u64> semiprimes;
  while (semiprimes.size() < 1000) {
    const u64 p = (u64{1} << 32) - 1 - rng() % (u64{1} << 28);
    const u64 q = (u64{1} << 32) - 1 - rng() % (u64{1} << 28);
    if (numfactors::is_prime_u64(p) && numfactors::is_prime_u64(q)) semiprimes.push_back(p * q);
  }
  struct Set {
    const char* name;
    std::vector<u64> numbers;
  };
  const Set sets[] = {
      {"[2^64-1000, 2^64-1]", range_numbers(kTop - 999, kTop)},
      {"[10^18, 10^18+10^4]", range_numbers(1'000'000'000'000'000'000, 1'000'000'000'000'010'000)},
      {"10^5 random 64-bit", random},
      {"10^3 p*q, p,q near 2^32", semiprimes},
  };
  std::printf("%-26s %10s %12s %12s %14s\n", "numbers", "count", "factor64 ms", "us/number",
              "omega sum");
  for (const Set& s : sets) {
    u64 sum = 0;
    const double t = best_of(3, [&] {
      sum = 0;
      for (const u64 n : s.numbers) sum += numfactors::factor_count(n, Count::distinct);
    });
    std::printf("%-26s %10zu %12.2f %12.3f %14llu\n", s.name, s.numbers.size(), 1e3 * t,
                1e6 * t / static_cast<double>(s.numbers.size()),
                static_cast<unsigned long long>(sum));
#ifdef NUMFACTORS_BENCH_FLINT
    for (const int proved : {0, 1}) {
      u64 flint_sum = 0;
      const double tf = best_of(3, [&] {
        flint_sum = 0;
        for (const u64 n : s.numbers) flint_sum += flint_omega(n, proved);
      });
      std::printf("%-26s %10s %12.2f %12.3f %14llu  FLINT n_factor(proved=%d): %.2fx factor64%s\n",
                  "", "", 1e3 * tf, 1e6 * tf / static_cast<double>(s.numbers.size()),
                  static_cast<unsigned long long>(flint_sum), proved, tf / t,
                  flint_sum == sum ? "" : "  SUMS DIFFER");
    }
#endif
  }
  // The two target ranges through the kernels (each made outside the timing).
  for (const Range r :
       {Range{kTop - 999, kTop}, Range{1'000'000'000'000'000'000, 1'000'000'000'000'010'000}}) {
    numfactors::FactorKernel factor(Count::distinct);
    numfactors::HybridKernel hybrid(Count::distinct, r.hi);
    const double tf = best_of(3, [&] {
      Histogram h;
      factor.count(r, h);
    });
    const double th = best_of(3, [&] {
      Histogram h;
      hybrid.count(r, h);
    });
    std::printf("[%llu, %llu]: FactorKernel %.2f ms, HybridKernel %.2f ms (bound %llu)\n",
                static_cast<unsigned long long>(r.lo), static_cast<unsigned long long>(r.hi),
                1e3 * tf, 1e3 * th,
                static_cast<unsigned long long>(numfactors::HybridKernel::choose_bound(r)));
  }
  // The slowest single number among the semiprimes.
  double worst = 0;
  u64 worst_n = 0;
  for (const u64 n : semiprimes) {
    const double t = best_of(1, [&] { (void)numfactors::factor_count(n, Count::distinct); });
    if (t > worst) worst = t, worst_n = n;
  }
  std::printf("slowest of the p*q: %llu, %.1f us\n", static_cast<unsigned long long>(worst_n),
              1e6 * worst);
}

struct KernelTiming {
  double ns_per_number;
  bool skipped;
};

/// ns a number of `kernel` on [hi - width + 1, hi] (kernel made outside the timing).
KernelTiming time_kernel(numfactors::Kernel& kernel, u64 hi, u64 width, double estimate_ns,
                         double max_seconds) {
  if (estimate_ns * 1e-9 * static_cast<double>(width) > max_seconds) return {0, true};
  const Range r{hi - (width - 1), hi};
  const int runs = estimate_ns * 1e-9 * static_cast<double>(width) < 0.2 ? 3 : 1;
  const double t = best_of(runs, [&] {
    Histogram h;
    kernel.count(r, h);
  });
  return {1e9 * t / static_cast<double>(width), false};
}

void bench_kernels(double max_seconds) {
  const std::pair<const char*, u64> positions[] = {{"10^12", 1'000'000'000'000},
                                                   {"10^15", 1'000'000'000'000'000},
                                                   {"10^18", 1'000'000'000'000'000'000},
                                                   {"2^64-1", kTop}};
  const u64 widths[] = {10, 100, 1000, 10'000, 100'000, 1'000'000, 10'000'000};
  std::printf("ns a number (thread CPU time); '-' = skipped (estimated above %.0f s)\n",
              max_seconds);
  std::printf("%-8s %-8s %12s %12s %12s %8s\n", "hi", "width", "factor", "hybrid", "sieve",
              "bound");
  for (const auto& [name, hi] : positions) {
    auto sieve = numfactors::make_kernel(numfactors::KernelKind::sieve, Count::distinct, hi);
    numfactors::FactorKernel factor(Count::distinct);
    numfactors::HybridKernel hybrid(Count::distinct, hi);
    double factor_ns = 10000, hybrid_ns = 10000, sieve_ns = 1e9;  // estimates, then measured
    for (const u64 w : widths) {
      const KernelTiming f = time_kernel(factor, hi, w, factor_ns, max_seconds);
      const KernelTiming h = time_kernel(hybrid, hi, w, hybrid_ns, max_seconds);
      const KernelTiming s = time_kernel(*sieve, hi, w, sieve_ns / 10, max_seconds);
      if (!f.skipped) factor_ns = f.ns_per_number;
      if (!h.skipped) hybrid_ns = h.ns_per_number;
      if (!s.skipped) sieve_ns = s.ns_per_number;
      auto cell = [](const KernelTiming& t) {
        return t.skipped ? std::string("-") : std::to_string(t.ns_per_number).substr(0, 10);
      };
      const u64 bound = numfactors::HybridKernel::choose_bound({hi - (w - 1), hi});
      std::printf("%-8s %-8llu %12s %12s %12s %8llu\n", name, static_cast<unsigned long long>(w),
                  cell(f).c_str(), cell(h).c_str(), cell(s).c_str(),
                  static_cast<unsigned long long>(bound));
      std::fflush(stdout);
    }
  }
}

void bench_bounds() {
  const std::pair<const char*, u64> positions[] = {{"10^12", 1'000'000'000'000},
                                                   {"10^15", 1'000'000'000'000'000},
                                                   {"10^18", 1'000'000'000'000'000'000},
                                                   {"2^64-1", kTop}};
  const u64 widths[] = {100, 1000, 10'000, 100'000};
  std::vector<u64> bounds;
  for (u64 b = 16; b <= numfactors::HybridKernel::kMaxBound; b *= 4) bounds.push_back(b);
  std::printf("hybrid kernel, ns a number by bound (columns)\n%-8s %-8s", "hi", "width");
  for (const u64 b : bounds) std::printf(" %8llu", static_cast<unsigned long long>(b));
  std::printf("\n");
  for (const auto& [name, hi] : positions)
    for (const u64 w : widths) {
      std::printf("%-8s %-8llu", name, static_cast<unsigned long long>(w));
      for (const u64 b : bounds) {
        numfactors::HybridKernel hybrid(Count::distinct, hi, b);
        const KernelTiming t = time_kernel(hybrid, hi, w, 3000, 5);
        std::printf(" %8.0f", t.ns_per_number);
        std::fflush(stdout);
      }
      std::printf("\n");
    }
}

/// The hybrid kernel's cost model (hybrid_kernel.cpp): ns per sieving prime per chunk, from a
/// one-number chunk with the largest bound, and g(B, hi), the ns a number on a wide chunk (the
/// primes' share taken out) for B = 2^8, 2^10, ..., 2^22, the cube root and the square root of hi.
void bench_model() {
  const unsigned heights[] = {32, 40, 48, 56, 64};
  auto top_of = [](unsigned bits) { return bits == 64 ? kTop : (u64{1} << bits) - 1; };
  auto prime_count = [](u64 b) {
    std::vector<std::uint32_t> p;
    primesieve::generate_primes(3, b, &p);
    return static_cast<double>(p.size());
  };
  double per_prime = 0;
  {
    numfactors::HybridKernel hybrid(Count::distinct, kTop, numfactors::HybridKernel::kMaxBound);
    const double t = best_of(5, [&] {
      Histogram h;
      hybrid.count({kTop, kTop}, h);
    });
    per_prime = 1e9 * t / prime_count(numfactors::HybridKernel::kMaxBound);
  }
  std::printf("ns per sieving prime per chunk: %.2f\n", per_prime);
  const u64 width = u64{1} << 17;
  std::printf(
      "g(B, hi) in ns a number, rows B = 2^8 .. 2^22, cube root, square root; columns hi = "
      "2^32 .. 2^64\n");
  std::vector<std::pair<std::string, std::function<u64(u64)>>> rows;
  for (unsigned e = 8; e <= 22; e += 2)
    rows.push_back({"2^" + std::to_string(e), [e](u64) { return u64{1} << e; }});
  rows.push_back({"cbrt", [](u64 hi) {
                    u64 c = static_cast<u64>(std::cbrt(static_cast<long double>(hi)));
                    while (c * c * c <= hi / 1) {  // c^3 <= hi: c < 2^22, no overflow
                      if (c * c > hi / c) break;
                      ++c;
                    }
                    return c;
                  }});
  rows.push_back({"sqrt", [](u64 hi) { return numfactors::isqrt(hi) + 1; }});
  for (const auto& [name, bound_of] : rows) {
    std::printf("{");
    for (const unsigned bits : heights) {
      const u64 hi = top_of(bits);
      const u64 b = std::min(bound_of(hi), numfactors::HybridKernel::kMaxBound);
      numfactors::HybridKernel hybrid(Count::distinct, hi, b);
      const KernelTiming t = time_kernel(hybrid, hi, width, 3000, 100);
      const double g = t.ns_per_number - per_prime *
                                             prime_count(std::min(b, numfactors::isqrt(hi) + 1)) /
                                             static_cast<double>(width);
      std::printf("%s%.0f", bits == 32 ? "" : ", ", std::max(g, 1.0));
      std::fflush(stdout);
    }
    std::printf("},  // %s\n", name.c_str());
  }
}

/// Measures what kernel_cost.cpp models, beside the model's own estimate, so its constants can be
/// fitted: by height hi = 2^b - 1 (the top for b = 64),
///   factor: ns a number over 3 windows of 2000 numbers below hi;
///   sieve:  one chunk of w1 and one of w2 numbers below hi, both within one pass: the slope is
///           the ns a number, the intercept the seconds a chunk (its prime visits);
///   set-up: making a SieveKernel and a HybridKernel for max_hi = hi (its tables);
///   hybrid: chunks of 1 and of 10^4 numbers against HybridKernel::model_seconds.
void bench_costs() {
  using numfactors::KernelKind;
  namespace cost = numfactors::cost;
  std::printf("%-5s %10s %10s | %10s %10s %12s %12s | %10s %10s | %10s %10s | %9s %9s %9s\n",
              "bits", "factor ns", "model", "sieve ns", "model", "chunk s", "model", "sv set s",
              "model", "hy set s", "model", "hy w=1 us", "hy 1e4 ms", "model ms");
  for (const unsigned b : {12u, 16u, 20u, 24u, 28u, 32u, 36u, 40u, 44u, 48u, 52u, 56u, 60u, 64u}) {
    const u64 hi = b == 64 ? kTop : (u64{1} << b) - 1;
    // factor64
    numfactors::FactorKernel factor(Count::distinct);
    double factor_s = 0;
    const u64 n = std::min<u64>(2000, hi / 4);
    for (const u64 back : {u64{0}, hi / 7, hi / 3}) {
      const Range r{hi - back - (n - 1), hi - back};
      factor_s += best_of(3, [&] {
        Histogram h;
        factor.count(r, h);
      });
    }
    const double factor_ns = 1e9 * factor_s / static_cast<double>(3 * n);
    const double factor_model =
        1e9 * cost::chunk_seconds(KernelKind::factor, {hi - (n - 1), hi}) / static_cast<double>(n);
    // sieve set-up and chunks
    const double t0 = cpu_seconds();
    numfactors::SieveKernel sieve(Count::distinct, hi);
    const double sieve_setup = cpu_seconds() - t0;
    const u64 pass = numfactors::SieveKernel::pass_plan(numfactors::isqrt(hi), false).cells;
    const u64 w2 = std::min({pass, hi / 2, u64{1} << 24});
    const u64 w1 = w2 / 4;
    const auto chunk_time = [&](u64 w) {
      return best_of(b >= 56 ? 1 : 3, [&] {
        Histogram h;
        sieve.count({hi - (w - 1), hi}, h);
      });
    };
    const double s1 = chunk_time(w1), s2 = chunk_time(w2);
    const double per_number = (s2 - s1) / static_cast<double>(w2 - w1);
    const double per_chunk = s1 - per_number * static_cast<double>(w1);
    const Range c1{hi - (w1 - 1), hi}, c2{hi - (w2 - 1), hi};
    const double m1 = cost::chunk_seconds(KernelKind::sieve, c1);
    const double m2 = cost::chunk_seconds(KernelKind::sieve, c2);
    const double model_number = (m2 - m1) / static_cast<double>(w2 - w1);
    const double model_chunk = m1 - model_number * static_cast<double>(w1);
    // hybrid
    const double t1 = cpu_seconds();
    numfactors::HybridKernel hybrid(Count::distinct, hi);
    const double hybrid_setup = cpu_seconds() - t1;
    const double hy1 = best_of(5, [&] {
      Histogram h;
      hybrid.count({hi, hi}, h);
    });
    const Range r4{hi - std::min<u64>(hi - 1, 9999), hi};
    const double hy4 = best_of(3, [&] {
      Histogram h;
      hybrid.count(r4, h);
    });
    std::printf(
        "%-5u %10.1f %10.1f | %10.2f %10.2f %12.6f %12.6f | %10.6f %10.6f | %10.6f %10.6f | %9.1f "
        "%9.3f %9.3f\n",
        b, factor_ns, factor_model, 1e9 * per_number, 1e9 * model_number, per_chunk, model_chunk,
        sieve_setup, cost::setup_seconds(KernelKind::sieve, {hi, hi}), hybrid_setup,
        cost::setup_seconds(KernelKind::hybrid, {1, hi}), 1e6 * hy1, 1e3 * hy4,
        1e3 * cost::chunk_seconds(KernelKind::hybrid, r4));
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "numbers";
  if (mode == "numbers") {
    bench_numbers();
  } else if (mode == "kernels") {
    bench_kernels(argc > 2 ? std::atof(argv[2]) : 3.0);
  } else if (mode == "bounds") {
    bench_bounds();
  } else if (mode == "model") {
    bench_model();
  } else if (mode == "costs") {
    bench_costs();
  } else {
    std::fprintf(stderr, "usage: %s numbers | kernels [MAX_S] | bounds | model | costs\n", argv[0]);
    return 2;
  }
  return 0;
}
