/// @file trial_kernel.cpp
#include "core/trial_kernel.hpp"

namespace numfactors {

unsigned trial_factor_count(u64 n, Count count, const std::atomic<int>* stop) {
  const bool total = count == Count::total;
  unsigned k = 0;
  if (n % 2 == 0) {
    ++k;
    n /= 2;
    while (n % 2 == 0) {
      k += total;
      n /= 2;
    }
  }
  // `p <= n / p` rather than `p * p <= n`: p * p wraps for p >= 2^32, which n near 2^64 reaches.
  for (u64 p = 3; p <= n / p; p += 2) {
    // A prime near 2^64 takes 2^31 divisions, seconds: look at the flag every 2^16 of them
    // (a fraction of a millisecond, as hundreds of workers may share a core).
    if ((p & 0x1FFFF) == 1 && stop != nullptr && stop->load(std::memory_order_relaxed) != 0)
      throw Stopped{};
    if (n % p != 0) continue;
    ++k;
    n /= p;
    while (n % p == 0) {
      k += total;
      n /= p;
    }
  }
  // What is left has no factor <= its square root: it is 1 or a prime.
  return k + (n > 1);
}

void TrialKernel::count(const Range& r, Histogram& out) {
  // Walk by offset so that r.hi = 2^64-1 ends the loop without wrapping.
  for (u64 n = r.lo;; ++n) {
    // Below 2^34 the check inside never comes (p < 2^17), and a number there takes up to 2^16
    // divisions: look at the flag every 16 numbers too.
    if ((n & 15) == 0) check_stop();
    out.add(trial_factor_count(n, count_, stop_));
    if (n == r.hi) break;
  }
}

}  // namespace numfactors
