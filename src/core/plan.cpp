/// @file plan.cpp
#include "core/plan.hpp"

#include <algorithm>

#include "core/arith.hpp"
#include "core/auto_kernel.hpp"
#include "core/kernel_cost.hpp"
#include "core/sieve_kernel.hpp"
#include "core/wheel.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {

u64 default_chunk_size(const Range& r, unsigned workers) {
  // 32 chunks a worker, at most 2^28 numbers (about a second of sieving: little is lost if a
  // chunk must be redone). At least 2^16 numbers and 4 sqrt(hi): every chunk pays one pass over
  // the sieving primes <= sqrt(hi) (a division each, ~sqrt(hi) / ln(sqrt(hi)) of them), which
  // must stay small beside the chunk's own work; but never so large that a worker gets no chunk.
  constexpr u64 kMax = u64{1} << 28;
  const u64 per_worker = r.size() / (2 * u64{std::max(workers, 1u)}) + 1;
  const u64 floor = std::max(u64{1} << 16, std::min({4 * isqrt(r.hi), kMax, per_worker}));
  const u64 target = r.size() / (u64{std::max(workers, 1u)} * 32);
  return std::max(std::min(target, kMax), floor);
}

u64 default_chunk_size(const Range& r, KernelKind kernel, unsigned workers) {
  if (kernel == KernelKind::wheel || kernel == KernelKind::trial)
    return default_chunk_size(r, workers);
  return cost::chunk_size_for(kernel, r, workers);
}

void check_kernel_range(const Range& r, KernelKind kernel) {
  if (kernel == KernelKind::wheel && r.hi > wheel::kMaxHi)
    throw KernelRangeError("the wheel kernel counts up to 2^62-1, not up to " + std::to_string(r.hi),
                           kernel, r);
  // The wheel sieves all of [1, hi] / 3 whatever lo is: far from 1 that is many times the work.
  // 3 (lo - 1) > 2 hi: lo - 1 above 2 hi / 3 exactly (hi < 2^62 here: no wrap).
  if (kernel == KernelKind::wheel && 3 * (r.lo - 1) > 2 * r.hi)
    throw KernelRangeError("the wheel kernel sieves [1, hi] and is for ranges near 1 (lo-1 at most "
                           "2 hi/3)",
                           kernel, r);
}

Plan make_plan(const Range& r, Count count, KernelKind kernel, u64 chunk_size, unsigned workers) {
  check_range(r);
  check_kernel_range(r, kernel);
  Plan plan{r, count, kernel, chunk_size};
  if (chunk_size == 0) plan.chunk_size = default_chunk_size(plan.space(), kernel, workers);
  return plan;
}

u64 Plan::numbers_in_chunk(u64 i) const {
  const Range c = chunk(i);
  if (kernel != KernelKind::wheel) return c.size();
  return wheel::Target(range, count).numbers_in(c.lo, c.hi);
}

std::unique_ptr<Kernel> make_kernel(const Plan& plan) {
  if (plan.kernel == KernelKind::wheel) return std::make_unique<SieveKernel>(plan.count, plan.range);
  if (plan.kernel == KernelKind::automatic)
    return std::make_unique<AutoKernel>(plan.count, plan.range, plan.chunk_size);
  return make_kernel(plan.kernel, plan.count, plan.range.hi);
}

std::vector<KernelKind> chunk_kernels(const Plan& plan) {
  if (plan.kernel != KernelKind::automatic) return {plan.kernel};
  const AutoKernel automatic(plan.count, plan.range, plan.chunk_size);
  const u64 n = plan.chunk_count();
  std::vector<KernelKind> kinds;
  for (const u64 i : {u64{0}, n > 1 ? n - 2 : 0, n - 1}) {
    const KernelKind k = automatic.choice(plan.chunk(i));
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  }
  return kinds;
}

WorkerMemory worker_memory(const Plan& plan) {
  // A kernel that sieves (the automatic one only where it picks the sieve), or the hybrid's
  // windows, offsets and primes at most, its inverses (2.4 MB at most) counted with each worker:
  // a pool's processes each make their own, after the fork.
  const std::vector<KernelKind> kinds = chunk_kernels(plan);
  if (std::none_of(kinds.begin(), kinds.end(),
                   [](KernelKind k) { return k == KernelKind::sieve || k == KernelKind::wheel; }))
    return {u64{5} << 20, u64{2} << 20};
  const bool wheel = plan.kernel == KernelKind::wheel;
  // A wheel chunk of m values holds a third as many cells.
  return {SieveKernel::worker_bytes(plan.range.hi,
                                    wheel ? plan.chunk_size / 3 + 1 : plan.chunk_size, wheel),
          SieveKernel::shared_bytes(plan.range.hi)};
}

KernelKind default_kernel(const Range& r) {
  return wheel::pays_for(r) ? KernelKind::wheel : KernelKind::automatic;
}

}  // namespace numfactors
