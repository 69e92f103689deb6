/// @file planner.cpp
/// @brief plan_job: every decision of a run, made once from the request and the environment.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "core/analytic.hpp"
#include "core/plan.hpp"
#include "numfactors/errors.hpp"
#include "numfactors/job.hpp"

namespace numfactors {
namespace {

/// Workers without a request: one per core, but one alone for a run estimated under 5 ms on one
/// core, where starting the other threads (or processes) and their kernels costs more than they
/// save (the default job: 0.14 ms of counting on one core, a second thread adds 0.2 ms). The
/// estimates are the cost model's for the method and kernel: the trial kernel, not modeled and
/// thousands of times slower than the others, always gets every core.
unsigned default_workers(const Range& r, Method method, KernelKind kernel, unsigned cores) {
  constexpr double kOneWorkerSeconds = 5e-3;
  const double seconds = method == Method::analytic ? estimate_cost(r).analytic_seconds
                                                    : sieve_method_seconds(r, kernel);
  return seconds < kOneWorkerSeconds ? 1 : cores;
}

void check_conflicts(const Request& q) {
  if (q.method == Method::analytic && q.kernel)
    throw ConflictError("a kernel is a choice of the sieve method, which the analytic method is "
                        "not",
                        ConflictError::Kind::kernel_with_analytic, to_string(*q.kernel));
  if (q.method == Method::analytic && q.chunk != 0)
    throw ConflictError("a chunk size cuts the range for the sieve method; the analytic method "
                        "cuts its own work into items",
                        ConflictError::Kind::chunk_with_analytic, "analytic");
  if (q.mode == Mode::mpi) {
    if (q.workers != 0)
      throw ConflictError("MPI mode runs ranks x threads per rank, not a number of workers",
                          ConflictError::Kind::workers_in_mpi, "mpi");
    return;
  }
  if (q.mode == Mode::serial && q.workers > 1)
    throw ConflictError("serial mode runs one worker, not " + std::to_string(q.workers),
                        ConflictError::Kind::workers_in_serial, std::to_string(q.workers));
  if (q.threads_per_rank != 0)
    throw ConflictError("threads per rank apply to MPI mode only",
                        ConflictError::Kind::threads_outside_mpi, to_string(q.mode));
  if (q.schedule)
    throw ConflictError("a schedule applies to MPI mode only",
                        ConflictError::Kind::schedule_outside_mpi, to_string(q.mode));
}

/// What a process holds beside its work: the program; and a thread's stack (the default, ulimit
/// -s), which ulimit -v counts whole.
constexpr u64 kProgramBytes = u64{16} << 20, kStackBytes = u64{8} << 20;
/// What ulimit -v counts of a process beside its work: what it maps already when the plan is
/// made (Environment::mapped_bytes: the command line about 10 MB, CPython with the module 21 MB,
/// an Open MPI rank about 190 MB), and 6 MiB for what it maps after (kProgramBytes, which has
/// held the command line, less its 10 MB); kProgramBytes when that is unknown.
u64 program_mapped(const Environment& env) {
  return std::max(kProgramBytes, env.mapped_bytes + (u64{6} << 20));
}
/// glibc gives each thread that allocates a malloc arena of its own, up to its cap (8 an online
/// core unless MALLOC_ARENA_MAX sets one), and maps 64 MiB of address space for each (for a
/// moment twice that, to align it), which ulimit -v counts whole.
constexpr u64 kArenaBytes = u64{64} << 20;

/// A limit of the environment: its bytes (0: none) and what sets it.
struct Limit {
  u64 bytes = 0;
  std::string by;
};
/// ulimit -v, which counts every page a process maps.
Limit address_space_limit(const Environment& env) {
  return env.memory_limit_counts_mapped ? Limit{env.memory_limit, env.memory_limit_by} : Limit{};
}
/// A cgroup's limit, which counts the pages touched: memory_limit when it stands alone, else
/// cgroup_limit beside ulimit -v.
Limit touched_limit(const Environment& env) {
  return env.memory_limit_counts_mapped ? Limit{env.cgroup_limit, Environment::kCgroupLimitBy}
                                        : Limit{env.memory_limit, env.memory_limit_by};
}

/// Memory a process of the analytic method maps for the table of [1, hi] with `threads`
/// threads (0: what it touches, without the stacks), `program` beside: the table, an eighth more
/// for the walk and the allocator, the program and the stacks (measured under ulimit -v: [2,
/// 10^14] on 2 threads runs in 75 MB, [2, 10^15] in 230 MB; this says 100 and 269).
u64 analytic_footprint(u64 hi, unsigned threads, u64 program) {
  const u64 table = PrimeCountTable::memory_bytes(hi);
  return table + table / 8 + program + u64{threads} * kStackBytes;
}

/// Throws TableTooLarge when the analytic method's table for r does not fit the library's budget
/// or the memory this process may use.
void check_analytic_fits(const Range& r, unsigned threads, const Environment& env) {
  const u64 table = PrimeCountTable::memory_bytes(r.hi);
  const std::string of = " for the prime count table of " + std::to_string(r.hi);
  if (table > PrimeCountTable::kDefaultMaxBytes)
    throw TableTooLarge("the analytic method would need about " + std::to_string(table >> 20) +
                            " MiB a process" + of + " (at most " +
                            std::to_string(PrimeCountTable::kDefaultMaxBytes >> 20) + " MiB)",
                        r.hi, table, PrimeCountTable::kDefaultMaxBytes, "the table budget");
  const auto refuse = [&](u64 need, u64 limit, const std::string& by) {
    throw TableTooLarge("the analytic method would need about " + std::to_string(need >> 20) +
                            " MiB a process" + of + ", and " + by + " allows " +
                            std::to_string(limit >> 20) + " MiB",
                        r.hi, need, limit, by);
  };
  // What it maps against ulimit -v; what it touches against a cgroup's limit and what this
  // machine has free.
  const u64 mapped = analytic_footprint(r.hi, threads, program_mapped(env));
  const u64 touched = analytic_footprint(r.hi, 0, kProgramBytes);
  if (const Limit l = address_space_limit(env); l.bytes != 0 && mapped > l.bytes)
    refuse(mapped, l.bytes, l.by);
  if (const Limit l = touched_limit(env); l.bytes != 0 && touched > l.bytes)
    refuse(touched, l.bytes, l.by);
  if (env.memory_available != 0 && touched > env.memory_available)
    refuse(touched, env.memory_available, "this machine's available memory");
}

/// What `workers` sieving workers of `job` (threads, processes, or an MPI rank's threads)
/// would need beyond a limit of env, and which: the memory a process maps (ulimit -v: with each
/// started thread's whole stack), or the memory touched by all of this machine's workers (a
/// cgroup's limit, and the memory available). Nothing when they fit. A worker makes its memory at
/// its first chunk, and a thread starts only for a chunk: workers beyond the chunks need none.
struct SieveOverflow {
  u64 need, each, limit;
  std::string by;
  unsigned ranks = 1;  // MPI ranks whose workers `need` counts: those of one machine
};
std::optional<SieveOverflow> sieve_overflow(const Job& job, const Plan& plan,
                                            const WorkerMemory& memory, unsigned workers,
                                            const Environment& env) {
  constexpr u64 kChild = u64{2} << 20;  // a forked pool process's own pages beside its kernel
  const bool pool = job.mode == Mode::pool;
  const u64 busy = std::min<u64>(workers, plan.chunk_count());
  const u64 worker = memory.each, base = kProgramBytes + memory.shared;
  const u64 each = worker + (pool ? kChild : 0);
  // The ranks of a machine each touch their own workers' memory (and a Slurm job's cgroup on a
  // node holds them all), the busy ones among them no more than there are chunks; an address
  // space (ulimit -v) is one rank's.
  const unsigned ranks =
      job.mode == Mode::mpi ? std::clamp(env.ranks_per_machine, 1u, std::max(job.ranks, 1u)) : 1;
  const u64 touched = ranks * base + std::min<u64>(ranks * busy, plan.chunk_count()) * each;
  if (const Limit l = address_space_limit(env); l.bytes != 0) {
    // A pool process runs one worker, on its main thread, whatever their number. Threads map
    // their stacks and arenas as they start, before their sieves: arenas left out would take
    // the space the sieves need (16 workers near 10^15 ran out of memory under ulimit -v 1 GiB).
    // Worker 0 runs on the calling thread, in the main arena; one more arena for the thread
    // that shows progress (or the MPI rank's worker 0, off its main thread), one for the moment
    // an arena is made. glibc's default cap counts the online cores, not the affinity's.
    const u64 cap = env.malloc_arena_max != 0
                        ? env.malloc_arena_max - 1  // beside the main one
                        : 8 * u64{std::max({env.online_cores, env.cores, 1u})};
    const u64 thread_arenas = busy > 1 ? std::min<u64>(busy, cap) : 0;
    const u64 arenas = thread_arenas > 0 ? thread_arenas + 1 : 0;
    const u64 program = program_mapped(env) + memory.shared;
    const u64 mapped = pool ? program + worker + kStackBytes
                            : program + busy * (worker + kStackBytes) + arenas * kArenaBytes;
    if (mapped > l.bytes)
      return SieveOverflow{mapped, pool ? worker + kStackBytes : (mapped - program) / busy, l.bytes,
                           l.by};
  }
  if (const Limit l = touched_limit(env); l.bytes != 0 && touched > l.bytes)
    return SieveOverflow{touched, each, l.bytes, l.by, ranks};
  if (env.memory_available != 0 && touched > env.memory_available)
    return SieveOverflow{touched, each, env.memory_available, "this machine's available memory",
                         ranks};
  return std::nullopt;
}

/// Throws TooManyWorkers when the sieve's workers would not fit in memory but one would. (4096
/// workers near 10^15 took 11 to 20 GB: a machine short of that swaps or kills the run long
/// before a stop is answered.) A single worker that does not fit is left to try: the estimate
/// errs high, and running out of memory is an error of its own.
void check_sieve_fits(const Job& job, const Plan& plan, const WorkerMemory& memory,
                      const Environment& env) {
  const bool mpi = job.mode == Mode::mpi;
  const unsigned asked = mpi ? job.threads_per_rank : job.workers;
  const std::optional<SieveOverflow> over = sieve_overflow(job, plan, memory, asked, env);
  if (!over || sieve_overflow(job, plan, memory, 1, env)) return;
  const std::string ranks =
      over->ranks > 1 ? ", on each of the " + std::to_string(over->ranks) + " ranks of a machine,"
                      : "";
  throw TooManyWorkers(std::to_string(asked) + (mpi ? " threads a rank" : " workers") + ranks +
                           " would need about " + std::to_string(over->need >> 20) + " MiB (" +
                           std::to_string((over->each >> 20) + 1) + " MiB a worker), and " +
                           over->by + " allows " + std::to_string(over->limit >> 20) +
                           " MiB; ask for fewer",
                       asked, mpi, over->each, over->need, over->limit, over->by, over->ranks);
}

/// check_analytic_fits with `threads` threads, which, when they are the default (a thread a
/// core), are halved until the table fits, as the sieve's workers are: each thread maps a stack.
void fit_analytic(const Range& r, unsigned& threads, bool by_default, const Environment& env) {
  for (; by_default && threads > 1; threads /= 2) {
    try {
      check_analytic_fits(r, threads, env);
      return;
    } catch (const TableTooLarge&) {
    }
  }
  check_analytic_fits(r, threads, env);
}

/// The method: the one asked for; else the sieve when a choice of the sieve (kernel, chunk) is
/// made; else the checkpoint's (a resumed run goes on as it started); else the cheaper, when its
/// table fits the memory this process may use (else the sieve, with a note). For the analytic
/// method, `threads` becomes the default threads that fit.
Method method_for(const Request& q, const Environment& env, unsigned& threads,
                  bool threads_by_default, std::vector<PlanNote>& notes) {
  if (q.method == Method::analytic) fit_analytic(q.range, threads, threads_by_default, env);
  if (q.method != Method::automatic) return q.method;
  if (q.kernel || q.chunk != 0) return Method::sieve;
  if (env.checkpoint) {
    // Resumed as it started, with as many threads as fit (those it started with did).
    if (env.checkpoint->method == Method::analytic)
      fit_analytic(q.range, threads, threads_by_default, env);
    return env.checkpoint->method;
  }
  if (!analytic_is_cheaper(q.range)) return Method::sieve;
  try {
    fit_analytic(q.range, threads, threads_by_default, env);
  } catch (const TableTooLarge&) {
    notes.push_back(PlanNote::analytic_does_not_fit);
    return Method::sieve;
  }
  return Method::analytic;
}

/// The kernel: the one asked for; else one for the checkpoint's chunks (the wheel for the
/// wheel's where the range can take it, else the automatic kernel, which any chunks of numbers
/// suit: a file written before the wheel existed goes on in numbers, and a wheel file for a
/// window far from 1 is refused when opened, not by the planner); else the default for the range.
/// The choice depends on the range alone, so the same command resumes the same checkpoint.
KernelKind kernel_for(const Request& q, const Environment& env) {
  if (q.kernel) return *q.kernel;
  const KernelKind fallback = default_kernel(q.range);
  if (env.checkpoint && env.checkpoint->kernel)
    return *env.checkpoint->kernel == KernelKind::wheel && fallback == KernelKind::wheel
               ? KernelKind::wheel
               : KernelKind::automatic;
  return fallback;
}

/// Estimated seconds of a part, by the method its run will take: the one the request forces
/// (the analytic method; the sieve, by a kernel or a chunk asked for), else the cheaper, as the
/// planner picks it (the analytic method only where its table fits the library's budget).
struct PartCost {
  Method method = Method::automatic;
  std::optional<KernelKind> kernel;

  double operator()(const Range& r) const {
    const MethodCost c = estimate_cost(r);
    switch (method) {
      case Method::analytic:
        return c.analytic_seconds;
      case Method::sieve:
        // The wheel's and the trial kernel's models price [1, hi] and every number alike, not a
        // part: its width in the default kernel's cost stands for theirs.
        if (kernel && *kernel != KernelKind::wheel && *kernel != KernelKind::trial)
          return sieve_method_seconds(r, *kernel);
        return c.sieve_seconds;
      case Method::automatic:
        break;
    }
    return c.analytic_bytes <= PrimeCountTable::kDefaultMaxBytes
               ? std::min(c.sieve_seconds, c.analytic_seconds)
               : c.sieve_seconds;
  }
};

/// The largest b in [a, hi] with cost([a, b]) <= budget (costs grow with b), or a.
u64 exact_part_end(const PartCost& cost, u64 a, u64 hi, double budget) {
  u64 lo = a, top = hi;
  while (lo < top) {
    const u64 mid = lo + (top - lo + 1) / 2;  // no wrap: top - lo < 2^64
    if (cost({a, mid}) <= budget)
      lo = mid;
    else
      top = mid - 1;
  }
  return lo;
}

/// A b in [a, hi] with cost([a, b]) <= budget < cost([a, b + e]) for an
/// e in [1, tolerance] (costs grow with b), or hi if that fits, or a. A part costs about
/// what the one before it did, so the search starts at that one's width (`guess`) and steps
/// out by doubling steps until b is bracketed; then it probes where the line through the last
/// two costs meets the budget (costs are near linear in the width, up to the jumps where the
/// model changes its chunks: the last two points are then both below the jump), halving the
/// bracket where that stalls. A handful of estimates a part, where halving [a, hi] took 64.
u64 fast_part_end(const PartCost& cost, u64 a, u64 hi, double budget, u64 guess, u64 tolerance) {
  struct Point {
    u64 b;
    double cost;
  };
  Point lo{a, 0}, top{}, last{}, before{};  // lo fits (a is taken as fitting), top does not
  const auto probe = [&](u64 b) {
    before = last;
    last = {b, cost({a, b})};
    (last.cost <= budget ? lo : top) = last;
  };
  const u64 start = a + (std::clamp<u64>(guess, 1, hi - a + 1) - 1);
  probe(start);
  for (u64 step = std::max<u64>((start - a) / 16, 1); top.b <= lo.b; step *= 2) {
    if (lo.b == hi) return hi;
    probe(step >= hi - lo.b ? hi : lo.b + step);
  }
  for (u64 step = std::max<u64>((start - a) / 16, 1); lo.b == a && step < top.b - a; step *= 2)
    probe(top.b - step);
  bool halve = false;
  for (;;) {
    const u64 gap = top.b - lo.b;
    if (gap <= tolerance) return lo.b;
    u64 offset = gap / 2;  // from lo
    if (!halve && last.cost != before.cost && before.b != 0) {
      const double slope =
          (last.cost - before.cost) / (static_cast<double>(last.b) - static_cast<double>(before.b));
      const double at =
          static_cast<double>(last.b) - static_cast<double>(lo.b) + (budget - last.cost) / slope;
      offset = at <= static_cast<double>(tolerance) ? tolerance
               : at >= static_cast<double>(gap)     ? gap - 1
                                                    : static_cast<u64>(at);
      // Within a tolerance of either end: the probe that closes the bracket.
      offset = std::clamp(offset, std::min(tolerance, gap - 1),
                          gap > 2 * tolerance ? gap - tolerance : gap - 1);
    }
    probe(lo.b + offset);
    halve = !halve && top.b - lo.b > gap / 2;  // a line step that did not halve the bracket
  }
}

/// Parts from r.lo on, each as wide as `budget` allows; stops counting past `limit` parts. A
/// fast split ends each part to a tolerance (fast_part_end), the k-th part of `near`, a split
/// for budget `near_budget`, guessing the k-th width (scaled by the budgets, as a part's cost
/// grows about with its width); else each part ends exactly.
std::vector<Range> greedy_parts(const PartCost& cost, const Range& r, double budget, unsigned limit,
                                bool fast, const std::vector<Range>& near = {},
                                double near_budget = 0) {
  std::vector<Range> parts;
  for (u64 a = r.lo, width = r.size() / limit + 1;;) {
    if (parts.size() < near.size()) {
      const double w = static_cast<double>(near[parts.size()].size()) * budget / near_budget;
      width = w < 0x1p63 ? static_cast<u64>(w) : r.size();  // fast_part_end cuts it to the range
    }
    // Within 1/(64 limit) of the part before's width (the first part exactly: near 1 its cost
    // is flat in its end, which moves all the others).
    const u64 tolerance = parts.empty() ? 1 : std::max<u64>(width / (64 * u64{limit}), 1);
    const u64 b = fast ? fast_part_end(cost, a, r.hi, budget, width, tolerance)
                       : exact_part_end(cost, a, r.hi, budget);
    parts.push_back({a, b});
    if (b == r.hi || parts.size() > limit) break;
    width = b - a + 1;
    a = b + 1;
  }
  return parts;
}

/// Whether the split has `parts` parts and its last, which takes what the others leave, costs
/// at least 4/5 of the budget (the others' cost is the budget, within the search's tolerance).
bool full(const PartCost& cost, const std::vector<Range>& split, unsigned parts, double budget) {
  return split.size() == parts && cost(split.back()) >= 0.8 * budget;
}

/// The greedy split for the least budget a part that cuts r into at most `parts` parts.
/// Fast: by bisection (in log) from a part's share of the whole (enough only when parts cost
/// less than their share) and the whole, until the budget is known to 1/(64 parts) (each
/// part's excess over the least budget then shortens the last part by about 1/64 of a part,
/// together, where costs grow with the width) and the split is full, or 60 steps. Exact: 60
/// halvings of [0, whole], with exact part ends. Sets `budget` to the split's.
std::vector<Range> least_budget_split(const PartCost& cost, const Range& r, unsigned parts,
                                      bool fast, double& budget) {
  const double whole = cost(r);
  std::vector<Range> result{r};  // the split at `high`
  if (!fast) {
    double low = 0, high = whole;
    for (int i = 0; i < 60; ++i) {
      const double mid = (low + high) / 2;
      std::vector<Range> split = greedy_parts(cost, r, mid, parts, false);
      if (split.size() <= parts)
        high = mid, result = std::move(split);
      else
        low = mid;
    }
    budget = high;
    return result;
  }
  double low = whole / parts, high = whole;
  // The latest split: its widths guess the next one's.
  std::vector<Range> near = greedy_parts(cost, r, low, parts, true);
  double near_budget = low;
  if (near.size() <= parts) high = low, low = 0, result = near;
  for (int i = 0; i < 60; ++i) {
    if (high - low <= high / (64.0 * parts) && full(cost, result, parts, high)) break;
    const double mid = low > 0 ? std::sqrt(low * high) : high / 2;
    near = greedy_parts(cost, r, mid, parts, true, near, near_budget);
    near_budget = mid;
    if (near.size() <= parts)
      high = mid, result = near;
    else
      low = mid;
  }
  budget = high;
  return result;
}

/// The most estimated cost of a part over the least.
double cost_spread(const PartCost& cost, const std::vector<Range>& split) {
  double most = 0, least = 1e300;
  for (const Range& p : split) {
    const double s = cost(p);
    most = std::max(most, s);
    least = std::min(least, s);
  }
  return most / least;
}

/// Above this many parts, split_by_cost cuts groups of equal cost in equal widths.
constexpr unsigned kGroups = 256;

/// r in `parts` parts of equal width (the first r.size() % parts one wider); r.size() >= parts.
std::vector<Range> equal_widths(const Range& r, unsigned parts) {
  std::vector<Range> result;
  result.reserve(parts);
  const u64 width = r.size() / parts, wider = r.size() % parts;
  for (u64 a = r.lo, k = 0; k < parts; ++k) {
    const u64 w = width + (k < wider ? 1 : 0);
    result.push_back({a, a + (w - 1)});
    a += w;  // wraps past 2^64 - 1 after the last part only
  }
  return result;
}

}  // namespace

std::vector<Range> split_by_cost(const Range& r, unsigned parts, Method method,
                                 std::optional<KernelKind> kernel) {
  check_range(r);
  const PartCost cost{method, kernel};
  if (parts <= 1) return {r};
  if (r.size() <= parts) return equal_widths(r, static_cast<unsigned>(r.size()));  // a number each
  // Many parts: the search's work grows with them. Parts of under 1024 numbers cost about their
  // set-up each, wherever they are: equal widths. From 64 parts a group on, groups of equal
  // cost, each cut in equal widths (costs change slowly within one of 1/256 of the cost; a
  // group's 64 or 65 parts are within 1/64 of the others').
  if (r.size() / parts < 1024) return equal_widths(r, parts);
  if (parts >= 64 * kGroups) {
    const std::vector<Range> groups = split_by_cost(r, kGroups, method, kernel);
    std::vector<Range> result;
    result.reserve(parts);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const auto share = static_cast<unsigned>(parts / kGroups + (g < parts % kGroups ? 1 : 0));
      if (groups[g].size() < share) return equal_widths(r, parts);
      const std::vector<Range> cut = equal_widths(groups[g], share);
      result.insert(result.end(), cut.begin(), cut.end());
    }
    return result;
  }
  // Equal widths where they cost the same within 2% (far from 1 in a narrow range; near 2^64,
  // parts of one sieve pass, which cost about the pass whatever their width). Else the fast
  // search, unless its split is not full: where costs jump with the width (sieve passes, a
  // sieve part's set-up beside an analytic part near 1), the budgets that give `parts` even
  // parts can be a sliver that only the exact search finds; equal widths within 1.25 do too.
  std::vector<Range> even = equal_widths(r, parts);
  const double even_spread = cost_spread(cost, even);
  if (even_spread <= 1.02) return even;
  double budget = 0;
  std::vector<Range> result = least_budget_split(cost, r, parts, true, budget);
  if (!full(cost, result, parts, budget))
    result =
        even_spread <= 1.25 ? std::move(even) : least_budget_split(cost, r, parts, false, budget);
  // A budget that fits in fewer parts: split the widest until there are `parts`, so every task
  // of the array has work.
  while (result.size() < parts) {
    const auto widest = std::max_element(result.begin(), result.end(), [](const Range& x, const Range& y) {
      return x.size() < y.size();
    });
    if (widest->size() < 2) break;
    const Range w = *widest;
    const u64 middle = w.lo + (w.size() / 2 - 1);
    *widest = {w.lo, middle};
    result.insert(widest + 1, Range{middle + 1, w.hi});
  }
  return result;
}

Job plan_job(const Request& q, const Environment& env) {
  check_range(q.range);
  if (q.part.of == 0 && q.part.index != 0)
    throw InvalidRequest("part " + std::to_string(q.part.index) +
                         " of 0 does not exist: {0, 0} is the whole range");
  if (q.part.of != 0) {
    if (q.part.index < 1 || q.part.index > q.part.of)
      throw InvalidRequest("part " + std::to_string(q.part.index) + " of " +
                           std::to_string(q.part.of) + " does not exist: parts count from 1");
    // Priced by the method the parts will run: a forced sieve's parts cost the sieve's time.
    const bool sieve = q.method == Method::sieve || q.kernel || q.chunk != 0;
    const std::vector<Range> parts =
        split_by_cost(q.range, q.part.of, sieve ? Method::sieve : q.method, q.kernel);
    // Every task of an array alike: all refused, not the last few only (whose failure would
    // leave the others' merge waiting on an afterok that never comes).
    if (parts.size() < q.part.of)
      throw InvalidRequest("the range has " + std::to_string(parts.size()) + " numbers, too few "
                           "for " + std::to_string(q.part.of) + " parts");
    Request whole = q;
    whole.range = parts[q.part.index - 1];
    whole.part = {};
    return plan_job(whole, env);
  }
  check_conflicts(q);
  const unsigned cores = std::max(env.cores, 1u);
  Job job;
  job.range = q.range;
  job.count = q.count;
  job.mode = q.mode;
  // An MPI rank's threads: Slurm's CPUs per task, but no more than the cores this rank may run
  // on (a SLURM_CPUS_PER_TASK the allocation does not back would only crowd the cores it has).
  const unsigned rank_threads = q.threads_per_rank != 0 ? q.threads_per_rank
                                : env.slurm_cpus_per_task != 0
                                    ? std::min(env.slurm_cpus_per_task, cores)
                                    : 1;
  // The threads of one process, for its memory: those asked for, or the default.
  unsigned threads = q.mode == Mode::serial ? 1
                     : q.mode == Mode::mpi  ? rank_threads
                     : q.workers != 0       ? q.workers
                                            : cores;
  const bool threads_by_default =
      q.mode == Mode::mpi ? q.threads_per_rank == 0 : q.mode != Mode::serial && q.workers == 0;
  job.method = method_for(q, env, threads, threads_by_default, job.notes);
  job.kernel = job.method == Method::sieve ? kernel_for(q, env) : KernelKind::sieve;

  if (q.mode == Mode::mpi) {
    job.ranks = std::max(env.ranks, 1u);
    job.threads_per_rank = rank_threads;
    if (job.method == Method::analytic && threads < rank_threads) {
      job.threads_per_rank = threads;  // the default threads that fit (fit_analytic)
      job.notes.push_back(PlanNote::workers_capped_by_memory);
    }
    if (q.threads_per_rank == 0 && env.slurm_cpus_per_task > cores)
      job.notes.push_back(PlanNote::slurm_cpus_capped);
    if (q.threads_per_rank == 0 && env.slurm_cpus_per_task == 0 &&
        env.slurm_cpus_per_task_unreadable)
      job.notes.push_back(PlanNote::slurm_cpus_unreadable);
    job.workers = job.ranks * job.threads_per_rank;
    // Rank 0 journals each task as its histogram arrives, which the dynamic schedule's messages
    // give it; the static one sends nothing until the end.
    job.schedule = q.checkpoint ? Schedule::dynamic : q.schedule.value_or(Schedule::static_cyclic);
    if (q.checkpoint && q.schedule == Schedule::static_cyclic)
      job.notes.push_back(PlanNote::checkpoint_runs_dynamic);
    // mpiexec binds each rank to one core by default with up to 2 ranks: threads then share it.
    if (job.threads_per_rank > cores) job.notes.push_back(PlanNote::threads_exceed_cores);
  } else {
    job.workers = q.mode == Mode::serial ? 1
                  : q.workers != 0       ? q.workers
                                         : default_workers(q.range, job.method, job.kernel, cores);
    if (job.method == Method::analytic && threads < job.workers) {
      job.workers = threads;
      job.notes.push_back(PlanNote::workers_capped_by_memory);
    }
  }

  if (job.method == Method::sieve) {
    // A resumed run cuts the range as the checkpoint did, whatever its workers.
    const u64 chunk = q.chunk != 0                                        ? q.chunk
                      : env.checkpoint && env.checkpoint->chunk_size != 0 ? env.checkpoint->chunk_size
                                                                          : 0;
    Plan plan = make_plan(q.range, q.count, job.kernel, chunk, job.workers);
    WorkerMemory memory = worker_memory(plan);
    // The default, a worker a core (an MPI rank's SLURM_CPUS_PER_TASK), is halved until it fits
    // (fewer workers get longer chunks).
    const bool mpi = q.mode == Mode::mpi;
    unsigned& each_process = mpi ? job.threads_per_rank : job.workers;
    const bool by_default = mpi ? q.threads_per_rank == 0 : q.workers == 0;
    if (by_default && each_process > 1 && sieve_overflow(job, plan, memory, each_process, env)) {
      job.notes.push_back(PlanNote::workers_capped_by_memory);
      do {
        each_process /= 2;
        if (mpi) job.workers = job.ranks * job.threads_per_rank;
        plan = make_plan(q.range, q.count, job.kernel, chunk, job.workers);
        memory = worker_memory(plan);
      } while (each_process > 1 && sieve_overflow(job, plan, memory, each_process, env));
    }
    job.chunk_size = plan.chunk_size;
    check_sieve_fits(job, plan, memory, env);
  }
  return job;
}

}  // namespace numfactors
