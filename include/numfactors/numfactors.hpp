/// @file numfactors.hpp
/// @brief numfactors: histograms of omega(n) (distinct prime factors) or Omega(n) (with
/// multiplicity) over any range [lo, hi] inside [1, 2^64-1], exact, serially, on threads, in a
/// pool of processes or on MPI ranks. The whole public API.
///
///   #include <numfactors/numfactors.hpp>
///
///   numfactors::Histogram h = numfactors::histogram(2, 500000);
///   std::cout << numfactors::format_dict(h) << "\n";  // {1: 41724, 2: 150785, ...}
///
///   numfactors::Request request;                     // more control: choices,
///   request.range = {1'000'000'000'000, 1'000'100'000'000};
///   request.count = numfactors::Count::total;
///   numfactors::Job job = numfactors::plan_job(request, numfactors::current_environment());
///   numfactors::CancelToken cancel;                  // trip from any thread or a signal handler
///   numfactors::Hooks hooks;
///   hooks.cancel = &cancel;
///   hooks.progress = [](const numfactors::Progress& p) { /* p.done / p.total */ };
///   numfactors::RunResult result = numfactors::run(job, hooks);  // histogram + worker stats
///
/// Costs (one core of a current x86-64; the planner picks the cheaper method, and spreads either
/// over the workers it plans):
///  - the sieve method: about 1 ns a number (0.3 to 0.7 ns near 1, with the wheel), memory a few
///    MiB a worker, at most 64 MiB a worker up to hi = 10^18;
///  - the analytic method, for wide ranges: about 15 ns * N^(3/4) / ln N for a prefix [1, N]
///    (0.3 s at 10^12, 8 s at 10^14), memory about 7 sqrt(N) bytes a process (a 2 GiB limit,
///    so N up to about 10^17).
///
/// Thread safety: every function may be called from several threads at once; each run keeps its
/// own state. Hooks are called from the run's worker threads, one call at a time. Pool mode forks:
/// run it from a process whose other threads hold no locks the children would need.
///
/// Errors: errors.hpp (typed, derived from numfactors::Error; bad requests from
/// numfactors::InvalidRequest), and std::bad_alloc.
#pragma once

#include "numfactors/choices.hpp"
#include "numfactors/errors.hpp"
#include "numfactors/format.hpp"
#include "numfactors/histogram.hpp"
#include "numfactors/job.hpp"
#include "numfactors/result.hpp"
#include "numfactors/run.hpp"
#include "numfactors/version.hpp"
