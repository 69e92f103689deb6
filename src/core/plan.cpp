/// @file plan.cpp
#include "core/plan.hpp"

#include <algorithm>

#include "core/arith.hpp"

namespace nf {

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

Plan make_plan(const Range& r, Count count, KernelKind kernel, u64 chunk_size, unsigned workers) {
  check_range(r);
  Plan plan{r, count, kernel, chunk_size == 0 ? default_chunk_size(r, workers) : chunk_size};
  return plan;
}

}  // namespace nf
