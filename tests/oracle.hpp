/// @file oracle.hpp
/// @brief An independent omega/Omega for tests: Miller-Rabin plus Pollard-Brent rho, which shares
/// no code or method with the kernels (neither sieves nor trial-divides beyond tiny primes).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <sstream>
#include <string>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors::test {

__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin; -pedantic wants the marker

inline u64 mulmod(u64 a, u64 b, u64 m) { return static_cast<u64>(u128{a} * b % m); }

inline u64 powmod(u64 a, u64 e, u64 m) {
  u64 r = 1 % m;
  for (a %= m; e; e >>= 1, a = mulmod(a, a, m))
    if (e & 1) r = mulmod(r, a, m);
  return r;
}

/// Deterministic for all n < 2^64 with these 12 prime bases.
inline bool is_prime(u64 n) {
  if (n < 2) return false;
  for (u64 p : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37})
    if (n % p == 0) return n == p;
  u64 d = n - 1;
  int s = 0;
  while (d % 2 == 0) d /= 2, ++s;
  for (u64 a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    u64 x = powmod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int r = 1; r < s && composite; ++r) {
      x = mulmod(x, x, n);
      if (x == n - 1) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

/// A non-trivial factor of an odd composite n.
inline u64 rho(u64 n) {
  for (u64 c = 1;; ++c) {
    u64 x = 2, y = 2, d = 1;
    auto f = [&](u64 v) { return (mulmod(v, v, n) + c) % n; };
    while (d == 1) {
      x = f(x);
      y = f(f(y));
      d = std::gcd(x > y ? x - y : y - x, n);
    }
    if (d != n) return d;
  }
}

inline void factor(u64 n, std::map<u64, unsigned>& out) {
  if (n == 1) return;
  for (u64 p : {2, 3, 5, 7, 11, 13}) {
    while (n % p == 0) {
      ++out[p];
      n /= p;
    }
  }
  if (n == 1) return;
  if (is_prime(n)) {
    ++out[n];
    return;
  }
  const u64 d = rho(n);
  factor(d, out);
  factor(n / d, out);
}

inline unsigned oracle_count(u64 n, Count count) {
  std::map<u64, unsigned> f;
  factor(n, f);
  if (count == Count::distinct) return static_cast<unsigned>(f.size());
  unsigned total = 0;
  for (const auto& [p, e] : f) total += e;
  return total;
}

/// The histogram of [r.lo, r.hi] from the oracle, one number at a time (r.hi may be 2^64-1).
inline Histogram oracle_histogram(const Range& r, Count count) {
  Histogram h;
  for (u64 n = r.lo;; ++n) {
    h.add(oracle_count(n, count));
    if (n == r.hi) break;
  }
  return h;
}

/// "[lo, hi] count", for failure messages.
inline std::string describe(const Range& r, Count count) {
  std::ostringstream s;
  s << "[" << r.lo << ", " << r.hi << "] " << to_string(count);
  return s.str();
}

}  // namespace numfactors::test
