/// @file factor64.cpp
/// @brief Trial division, BPSW, Pollard-Brent rho and ECM for one 64-bit number.
///
/// Trial division: the odd primes below kTrialLimit = 2^10, each tested by one multiplication
/// (OddDivisor). What is left has no prime factor below 2^10: below 2^20 it is 1 or prime, and a
/// composite below 2^30 is p * q or p^2.
///
/// Primality: BPSW, a strong Fermat test to base 2 followed by a strong Lucas test with
/// Selfridge's parameters (method A: the first D of 5, -7, 9, -11, ... with Jacobi(D/n) = -1,
/// P = 1, Q = (1 - D) / 4). It is deterministic below 2^64: a composite passing it is in
/// particular a base-2 Fermat pseudoprime, Feitsma and Galway enumerated every base-2 Fermat
/// pseudoprime below 2^64, and none of them passes the strong Lucas test (checked by Gilchrist on
/// that list). Perfect squares are rejected first: no D with Jacobi(D/n) = -1 exists for them, and
/// squares of the Wieferich primes 1093 and 3511 are strong base-2 pseudoprimes. A prime costs
/// one base-2 exponentiation plus a Lucas chain of about twice its cost, where the proven set of
/// seven Miller-Rabin bases (Sinclair) would cost seven exponentiations.
///
/// Splitting a composite: Pollard-Brent rho alone below 2^36; above, a short rho run for the
/// small factors and then ECM (Montgomery curves, Suyama's parametrization, stage 1 by a ladder
/// over lcm(1..B1), stage 2 by baby and giant steps up to B2), with rho as the last resort. Rho
/// needs about sqrt(p) steps for the factor p it finds, ~2^16 for a product of two primes near
/// 2^32, while ECM's cost grows far more slowly with p.
///
/// Why not FLINT: Debian's FLINT (2.9) n_factor was measured slower than factor64 on every set
/// tried (tests/bench/factor_bench.cpp, mode numbers: ranges near 10^18 and 2^64, random 64-bit
/// numbers, products of two primes near 2^32), and Debian ships it only as a shared library, with
/// GMP, MPFR and NTL behind it, which the statically linked numfactors could not take.
///
/// All modular arithmetic is Montgomery's (REDC in its subtracting form, exact for every odd
/// n < 2^64, including n > 2^63), with selects rather than branches where the bits are random.
#include "core/factor64.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <tuple>
#include <utility>

#include "core/arith.hpp"

namespace numfactors {
namespace {

// ---------------------------------------------------------------------------------------------
// Trial division table

/// Odd primes below this are trial divided; a cofactor left after them has no prime factor
/// below kTrialLimit.
constexpr u64 kTrialLimit = 1 << 10;

struct TrialPrime {
  u64 p;
  OddDivisor div;
};

constexpr std::size_t count_odd_primes_below(u64 limit) {
  std::size_t count = 0;
  for (u64 i = 3; i < limit; i += 2) {
    bool prime = true;
    for (u64 d = 3; d * d <= i && prime; d += 2) prime = i % d != 0;
    count += prime;
  }
  return count;
}

template <std::size_t N>
constexpr std::array<TrialPrime, N> odd_primes_table() {
  std::array<TrialPrime, N> table{};
  std::size_t k = 0;
  for (u64 i = 3; k < N; i += 2) {
    bool prime = true;
    for (u64 d = 3; d * d <= i && prime; d += 2) prime = i % d != 0;
    if (prime) table[k++] = {i, OddDivisor::of(i)};
  }
  return table;
}

constexpr auto kTrialPrimes = odd_primes_table<count_odd_primes_below(kTrialLimit)>();
/// The first prime >= kTrialLimit is at least kTrialLimit + 1: a cofactor left by trial division
/// below that has all its prime factors >= kTrialRough.
constexpr u64 kTrialRough = kTrialLimit + 1;

// ---------------------------------------------------------------------------------------------
// Montgomery arithmetic

constexpr u64 inverse_mod_2_64(u64 n) { return OddDivisor::inverse_of(n); }

/// Residues mod an odd n > 1 in Montgomery form: x is held as x * 2^64 mod n, always in [0, n).
class Montgomery {
 public:
  Montgomery() = default;  // mod 1, only to be assigned over
  explicit Montgomery(u64 n)
      : n_(n), inv_(inverse_mod_2_64(n)), one_((0 - n) % n) /* 2^64 mod n */ {}

  u64 modulus() const { return n_; }
  u64 one() const { return one_; }
  u64 minus_one() const { return n_ - one_; }

  /// a * b / 2^64 mod n for a, b < n. With t = a * b < n * 2^64 and m = t * n^-1 mod 2^64, the
  /// low words of t and m * n agree, so (t - m * n) / 2^64 is the difference of the high words,
  /// which lies in (-n, n): one conditional add of n, and no sum that could pass 2^128.
  u64 mul(u64 a, u64 b) const {
    const u128 t = static_cast<u128>(a) * b;
    const u64 m = static_cast<u64>(t) * inv_;
    const u64 mn_hi = static_cast<u64>((static_cast<u128>(m) * n_) >> 64);
    const u64 t_hi = static_cast<u64>(t >> 64);
    const u64 r = t_hi - mn_hi;
    return t_hi < mn_hi ? r + n_ : r;
  }
  /// a + b mod n, compared as a >= n - b so that a + b (which may pass 2^64 when n > 2^63) is
  /// formed only when it is below n: one comparison, which compiles to a conditional move.
  u64 add(u64 a, u64 b) const {
    const u64 gap = n_ - b;
    return a >= gap ? a - gap : a + b;
  }
  u64 sub(u64 a, u64 b) const { return a >= b ? a - b : a - b + n_; }
  /// k in Montgomery form, by doubling and adding `one` (no division).
  u64 from_small(u64 k) const {
    u64 r = 0;
    for (int bit = 63 - std::countl_zero(k | 1); bit >= 0; --bit) {
      r = add(r, r);
      if ((k >> bit) & 1) r = add(r, one_);
    }
    return r;
  }
  u64 from_signed(long long k) const {
    return k >= 0 ? from_small(static_cast<u64>(k)) : sub(0, from_small(0 - static_cast<u64>(k)));
  }

 private:
  u64 n_ = 1;
  u64 inv_ = 1;  // n^-1 mod 2^64
  u64 one_ = 0;  // 2^64 mod n
};

/// a where mask is all ones, b where it is zero: a select that is never a branch.
inline u64 select(u64 mask, u64 a, u64 b) { return b ^ ((a ^ b) & mask); }

/// Binary gcd; ctz(b - a) equals ctz(|b - a|), so the next shift is found while the difference's
/// sign is being fixed.
u64 gcd(u64 a, u64 b) {
  if (a == 0) return b;
  if (b == 0) return a;
  const int shift = std::countr_zero(a | b);
  a >>= std::countr_zero(a);
  int bz = std::countr_zero(b);
  do {
    b >>= bz;
    const u64 diff = b - a;
    bz = std::countr_zero(diff);
    const u64 smaller = std::min(a, b);
    b = b >= a ? diff : a - b;
    a = smaller;
  } while (b != 0);
  return a << shift;
}

// ---------------------------------------------------------------------------------------------
// Primality

/// Strong probable prime to base 2, for odd n > 2.
bool strong_base2(const Montgomery& M) {
  const u64 n = M.modulus();
  const int s = std::countr_zero(n - 1);
  const u64 d = (n - 1) >> s;
  // 2^d from the top bit down: square, and double for a set bit (doubling is an addition).
  int bit = 63 - std::countl_zero(d);
  u64 x = M.add(M.one(), M.one());
  for (--bit; bit >= 0; --bit) {
    x = M.mul(x, x);
    x = M.add(x, x & (0 - ((d >> bit) & 1)));
  }
  if (x == M.one() || x == M.minus_one()) return true;
  for (int r = 1; r < s; ++r) {
    x = M.mul(x, x);
    if (x == M.minus_one()) return true;
    if (x == M.one()) return false;
  }
  return false;
}

/// strong_base2 for kPrimalityLanes moduli at once, their squarings interleaved: one modulus is
/// a chain of dependent products, so alone it waits on each product's latency.
constexpr unsigned kPrimalityLanes = 4;
void strong_base2_lanes(const std::array<Montgomery, kPrimalityLanes>& M,
                        std::array<bool, kPrimalityLanes>& pass) {
  std::array<u64, kPrimalityLanes> d, x;
  std::array<int, kPrimalityLanes> s;
  int top = 0;
  for (unsigned l = 0; l < kPrimalityLanes; ++l) {
    const u64 n = M[l].modulus();
    s[l] = std::countr_zero(n - 1);
    d[l] = (n - 1) >> s[l];
    x[l] = M[l].one();  // above its top bit a lane squares 1 and adds nothing: it stays 1
    top = std::max(top, 63 - std::countl_zero(d[l]));
  }
  for (int bit = top; bit >= 0; --bit)
    for (unsigned l = 0; l < kPrimalityLanes; ++l) {
      x[l] = M[l].mul(x[l], x[l]);
      x[l] = M[l].add(x[l], x[l] & (0 - ((d[l] >> bit) & 1)));
    }
  for (unsigned l = 0; l < kPrimalityLanes; ++l) {
    pass[l] = x[l] == M[l].one() || x[l] == M[l].minus_one();
    for (int r = 1; r < s[l] && !pass[l]; ++r) {
      x[l] = M[l].mul(x[l], x[l]);
      if (x[l] == M[l].one()) break;
      pass[l] = x[l] == M[l].minus_one();
    }
  }
}

/// Jacobi(a / n) for odd n >= 1.
int jacobi(u64 a, u64 n) {
  int t = 1;
  a %= n;
  while (a != 0) {
    const int z = std::countr_zero(a);
    a >>= z;
    if ((z & 1) && ((n & 7) == 3 || (n & 7) == 5)) t = -t;
    if ((a & 3) == 3 && (n & 3) == 3) t = -t;
    std::swap(a, n);
    a %= n;
  }
  return n == 1 ? t : 0;
}

bool is_square(u64 n) {
  const u64 r = isqrt(n);
  return r * r == n;
}

/// Selfridge's parameters for n: Q (in Montgomery form) and n + 1 = d * 2^s with d odd.
struct LucasParams {
  u64 Q = 0;
  u64 d = 1;
  int s = 1;
};

/// Finds Selfridge's D for odd n > 2 that is not a square and has no prime factor below 50 (so
/// that the D found is smaller than n and coprime to it unless Jacobi says 0). False: a D with
/// Jacobi(D/n) = 0 showed n composite.
bool selfridge_params(const Montgomery& M, LucasParams& out) {
  const u64 n = M.modulus();
  long long D = 5;
  for (;;) {
    const u64 a = static_cast<u64>(D > 0 ? D : -D);
    int j = jacobi(a, n);
    if (D < 0 && (n & 3) == 3) j = -j;  // Jacobi(-1 / n) = (-1)^((n-1)/2)
    if (j == -1) break;
    if (j == 0) return false;  // gcd(|D|, n) > 1 with |D| < n
    D = D > 0 ? -(D + 2) : -D + 2;
  }
  out.Q = M.from_signed((1 - D) / 4);
  // (n >> 1) + 1 is (n + 1) / 2 for odd n, formed without overflow.
  const u64 half_np1 = (n >> 1) + 1;
  out.s = 1 + std::countr_zero(half_np1);
  out.d = half_np1 >> (out.s - 1);
  return true;
}

/// The strong Lucas test (P = 1, Q, d, s from selfridge_params) for L moduli at once, their
/// ladders interleaved step by step.
template <unsigned L>
void strong_lucas_lanes(const std::array<Montgomery, L>& M, const std::array<LucasParams, L>& lp,
                        std::array<bool, L>& pass) {
  // Two ladders from k = 0 by the bits of d: (V_k, V_k+1) from V_0 = 2, V_1 = P = 1 with
  //   V_2k = V_k^2 - 2 Q^k,  V_2k+1 = V_k V_k+1 - P Q^k,  V_2k+2 = V_k+1^2 - 2 Q^k+1,
  // and (Q^k, Q^k+1) likewise, so that every product of a step depends on the previous step only
  // (one product deep, where Q^k+1 = Q^k * Q would make two). Only V is carried; U_d follows from
  // D U_d = 2 V_d+1 - P V_d, and D is invertible mod n (Jacobi(D/n) = -1). The bits are random:
  // selects, not branches. A lane whose d is shorter than another's meets zero bits first, which
  // keep k = 0 (V_0 = 2, V_1 = 1, Q^0 = 1, Q^1 = Q).
  std::array<u64, L> V0, V1, Q0, Q1;
  int top = 0;
  for (unsigned l = 0; l < L; ++l) {
    V0[l] = M[l].add(M[l].one(), M[l].one());
    V1[l] = M[l].one();
    Q0[l] = M[l].one();
    Q1[l] = lp[l].Q;
    top = std::max(top, 63 - std::countl_zero(lp[l].d));
  }
  for (int bit = top; bit >= 0; --bit)
    for (unsigned l = 0; l < L; ++l) {
      const Montgomery& m = M[l];
      const u64 one_bit = 0 - ((lp[l].d >> bit) & 1);
      const u64 cross = m.sub(m.mul(V0[l], V1[l]), Q0[l]);
      const u64 q_cross = m.mul(Q0[l], Q1[l]);
      const u64 v = select(one_bit, V1[l], V0[l]);
      const u64 q = select(one_bit, Q1[l], Q0[l]);
      const u64 square = m.sub(m.mul(v, v), m.add(q, q));
      const u64 q_square = m.mul(q, q);
      V0[l] = select(one_bit, cross, square);
      V1[l] = select(one_bit, square, cross);
      Q0[l] = select(one_bit, q_cross, q_square);
      Q1[l] = select(one_bit, q_square, q_cross);
    }
  for (unsigned l = 0; l < L; ++l) {
    const Montgomery& m = M[l];
    u64 V = V0[l], Qk = Q0[l];
    pass[l] = m.add(V1[l], V1[l]) == V || V == 0;  // U_d = 0 or V_d = 0
    for (int r = 1; r < lp[l].s && !pass[l]; ++r) {
      V = m.sub(m.mul(V, V), m.add(Qk, Qk));
      pass[l] = V == 0;
      Qk = m.mul(Qk, Qk);
    }
  }
}

/// Strong Lucas probable prime with Selfridge's parameters, for odd n > 2 that is not a square
/// and has no prime factor below 50.
bool strong_lucas_selfridge(const Montgomery& M) {
  std::array<LucasParams, 1> lp;
  if (!selfridge_params(M, lp[0])) return false;
  std::array<bool, 1> pass;
  strong_lucas_lanes<1>({M}, lp, pass);
  return pass[0];
}

/// BPSW for an odd n with no prime factor below kTrialLimit and n >= kTrialLimit^2.
bool is_prime_rough(u64 n) {
  const Montgomery M(n);
  return strong_base2(M) && !is_square(n) && strong_lucas_selfridge(M);
}

// ---------------------------------------------------------------------------------------------
// Splitting composites

/// Differences multiplied together before one gcd: a gcd costs about as much as a few dozen
/// Montgomery products, and the factors sought here (above kTrialLimit) need ~40 steps or more.
constexpr unsigned kRhoBatch = 64;

/// Brent's cycle search on x -> x^2 + c as a stream of differences: stage r (r = 1, 2, 4, ...)
/// fixes x at the stage's first y, moves y r steps on, then yields x - y for the next r values of
/// y. The state is small, so a batch can be replayed from a copy.
struct RhoWalk {
  const Montgomery* M;
  u64 c, x, y, r, k;  // k: differences yielded in this stage

  u64 f(u64 v) const { return M->add(M->mul(v, v), c); }
  u64 next() {
    if (k == r) {
      r <<= 1;
      x = y;
      for (u64 i = 0; i < r; ++i) y = f(y);
      k = 0;
    }
    y = f(y);
    ++k;
    return x > y ? x - y : y - x;
  }
};

/// Pollard's rho for an odd composite n: the product of kRhoBatch differences per gcd, batches
/// running across stage boundaries. Returns a divisor of n other than 1 (n itself when this c
/// failed), or 1 when the stage length passed `max_stage` with nothing found.
u64 rho_brent(const Montgomery& M, u64 c, u64 start, u64 max_stage) {
  const u64 n = M.modulus();
  RhoWalk w{&M, c, start, 0, 1, 0};
  w.y = w.f(start);  // stage 1: x = x0, y moved one step on
  for (;;) {
    const RhoWalk saved = w;
    u64 q = M.one();
    for (unsigned i = 0; i < kRhoBatch; ++i) q = M.mul(q, w.next());
    u64 g = gcd(q, n);
    if (g == n) {  // several primes (or q = 0) in one batch: replay it a difference at a time
      w = saved;
      do g = gcd(w.next(), n);
      while (g == 1);
    }
    if (g != 1) return g;
    if (w.r > max_stage) return 1;
  }
}

// ---------------------------------------------------------------------------------------------
// ECM with Montgomery curves (x:z coordinates), Suyama's parametrization

/// lcm(1..B1) as a little-endian multiword integer: the stage-1 multiplier.
struct Stage1Multiplier {
  std::array<u64, 8> words{};
  unsigned bits = 0;
};

constexpr bool small_is_prime(u64 n) {
  if (n < 2) return false;
  for (u64 d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

constexpr Stage1Multiplier stage1_multiplier(u64 b1) {
  Stage1Multiplier k;
  k.words[0] = 1;
  for (u64 p = 2; p <= b1; ++p) {
    if (!small_is_prime(p)) continue;
    for (u64 q = p; q <= b1; q *= p) {  // p^e with p^e <= B1
      u64 carry = 0;
      for (u64& w : k.words) {
        const u128 t = static_cast<u128>(w) * p + carry;
        w = static_cast<u64>(t);
        carry = static_cast<u64>(t >> 64);
      }
    }
  }
  for (unsigned i = 8; i-- > 0;)
    if (k.words[i] != 0) {
      k.bits = 64 * i + 64 - static_cast<unsigned>(std::countl_zero(k.words[i]));
      break;
    }
  return k;
}

/// Numbers below kStage2Limit (B2 plus half a giant step) marked prime, one bit each.
constexpr unsigned kStage2Limit = 1 << 13;
constexpr std::array<u64, kStage2Limit / 64> stage2_primes() {
  std::array<u64, kStage2Limit / 64> bits{};
  std::array<bool, kStage2Limit> composite{};
  for (u64 i = 2; i < kStage2Limit; ++i) {
    if (composite[i]) continue;
    bits[i / 64] |= u64{1} << (i % 64);
    for (u64 j = i * i; j < kStage2Limit; j += i) composite[j] = true;
  }
  return bits;
}
constexpr auto kStage2Primes = stage2_primes();
constexpr bool stage2_prime(u64 n) { return (kStage2Primes[n / 64] >> (n % 64)) & 1; }

/// Giant step of stage 2, and the baby steps j < kGiant / 2 coprime to it.
constexpr unsigned kGiant = 120;
constexpr std::array<unsigned, 16> kBabies = {1,  7,  11, 13, 17, 19, 23, 29,
                                              31, 37, 41, 43, 47, 49, 53, 59};

struct EcmParams {
  unsigned b1;
  unsigned b2;
  unsigned curves;  // before falling back to rho
};

/// A point (x : z) of a Montgomery curve B y^2 = x^3 + A x^2 + x; y is never needed.
struct XZ {
  u64 x, z;
};

inline void swap_if(u64 mask, XZ& a, XZ& b) {
  const u64 sx = (a.x ^ b.x) & mask, sz = (a.z ^ b.z) & mask;
  a.x ^= sx, b.x ^= sx, a.z ^= sz, b.z ^= sz;
}

/// 2P: (x+z)^2 (x-z)^2 : 4xz ((x-z)^2 + a24 * 4xz), with a24 = (A + 2) / 4.
inline XZ dbl(const Montgomery& M, u64 a24, XZ p) {
  const u64 s = M.add(p.x, p.z);
  const u64 d = M.sub(p.x, p.z);
  const u64 ss = M.mul(s, s);
  const u64 dd = M.mul(d, d);
  const u64 t = M.sub(ss, dd);
  return {M.mul(ss, dd), M.mul(t, M.add(dd, M.mul(a24, t)))};
}

/// P + Q from P, Q and P - Q.
inline XZ add(const Montgomery& M, XZ p, XZ q, XZ diff) {
  const u64 u = M.mul(M.sub(p.x, p.z), M.add(q.x, q.z));
  const u64 v = M.mul(M.add(p.x, p.z), M.sub(q.x, q.z));
  const u64 s = M.add(u, v);
  const u64 d = M.sub(u, v);
  return {M.mul(diff.z, M.mul(s, s)), M.mul(diff.x, M.mul(d, d))};
}

/// P + Q when P - Q = (x : 1).
inline XZ add_z1(const Montgomery& M, XZ p, XZ q, u64 diff_x) {
  const u64 u = M.mul(M.sub(p.x, p.z), M.add(q.x, q.z));
  const u64 v = M.mul(M.add(p.x, p.z), M.sub(q.x, q.z));
  const u64 s = M.add(u, v);
  const u64 d = M.sub(u, v);
  return {M.mul(s, s), M.mul(diff_x, M.mul(d, d))};
}

/// (k P, (k + 1) P) by the Montgomery ladder, for k >= 1.
std::pair<XZ, XZ> ladder(const Montgomery& M, u64 a24, XZ p, u64 k) {
  XZ r0 = p, r1 = dbl(M, a24, p);
  for (int bit = 62 - std::countl_zero(k); bit >= 0; --bit) {
    const u64 mask = 0 - ((k >> bit) & 1);
    swap_if(mask, r0, r1);
    r1 = add(M, r1, r0, p);
    r0 = dbl(M, a24, r0);
    swap_if(mask, r0, r1);
  }
  return {r0, r1};
}

/// a^-1 mod n by the extended Euclidean algorithm with the coefficients' magnitudes (their signs
/// alternate, so the parity of the step count gives the sign). Returns 0 when gcd(a, n) > 1 and
/// then sets `g` to that gcd.
u64 inverse_mod(u64 a, u64 n, u64& g) {
  u64 r0 = n, r1 = a % n, s0 = 0, s1 = 1;
  bool odd = false;
  while (r1 != 0) {
    const u64 q = r0 / r1;
    const u64 r2 = r0 - q * r1;
    r0 = r1, r1 = r2;
    const u64 s2 = s0 + q * s1;  // |s| stays <= n: no overflow
    s0 = s1, s1 = s2;
    odd = !odd;
  }
  g = r0;
  if (r0 != 1) return 0;
  return odd ? s0 : n - s0;
}

/// Replaces v[0..count) (Montgomery forms) by their inverses with one inversion (Montgomery's
/// trick). False when one of them shares a factor with n; `g` is then that gcd.
bool invert_all(const Montgomery& M, u64 r2, u64* v, unsigned count, u64& g) {
  std::array<u64, 64> prefix;
  u64 acc = M.one();
  for (unsigned i = 0; i < count; ++i) {
    prefix[i] = acc;
    acc = M.mul(acc, v[i]);
  }
  // acc holds a R; its plain inverse is a^-1 R^-1, and two products by R^2 (each divides by R)
  // give a^-1 R, the Montgomery form of a^-1.
  u64 inv = inverse_mod(acc, M.modulus(), g);
  if (inv == 0) return false;
  inv = M.mul(M.mul(inv, r2), r2);
  for (unsigned i = count; i-- > 0;) {
    const u64 vi = v[i];
    v[i] = M.mul(inv, prefix[i]);
    inv = M.mul(inv, vi);
  }
  return true;
}

/// Curves run side by side, lane by lane within each step: a step of one ladder is a chain of
/// products each waiting on the last, and independent lanes fill those waits.
constexpr unsigned kLanes = 2;
template <class T>
using Lanes = std::array<T, kLanes>;

/// The first divisor of n other than 1 and n among gcd(v[i], n), or 1.
u64 proper_gcd(const Montgomery& M, const Lanes<u64>& v) {
  u64 all = M.one();
  for (u64 x : v) all = M.mul(all, x);
  if (gcd(all, M.modulus()) == 1) return 1;
  for (u64 x : v) {
    const u64 g = gcd(x, M.modulus());
    if (g != 1 && g != M.modulus()) return g;
  }
  return 1;
}

/// kLanes ECM curves, Suyama's parametrization with sigma = sigma0, sigma0 + 1, ... Returns a
/// divisor of n other than 1 and n, or 1 when these curves found nothing.
u64 ecm_curves(const Montgomery& M, u64 r2, u64 sigma0, const Stage1Multiplier& k1, unsigned b1,
               unsigned b2) {
  const u64 n = M.modulus();
  // u = sigma^2 - 5, v = 4 sigma; x0 = u^3 / v^3; a24 = (v - u)^3 (3u + v) / (16 u^3 v).
  Lanes<u64> x0, a24, num;
  std::array<u64, 2 * kLanes> inv;  // v^3 and 16 u^3 v of each lane, inverted together
  for (unsigned l = 0; l < kLanes; ++l) {
    const u64 sg = M.from_small(sigma0 + l);
    const u64 u = M.sub(M.mul(sg, sg), M.from_small(5));
    const u64 v = M.add(M.add(sg, sg), M.add(sg, sg));
    const u64 u3 = M.mul(M.mul(u, u), u);
    const u64 vmu = M.sub(v, u);
    num[l] = M.mul(M.mul(M.mul(vmu, vmu), vmu), M.add(M.add(M.add(u, u), u), v));
    u64 den = M.mul(u3, v);
    for (int i = 0; i < 4; ++i) den = M.add(den, den);  // 16 u^3 v
    x0[l] = u3;
    inv[2 * l] = M.mul(M.mul(v, v), v);
    inv[2 * l + 1] = den;
  }
  u64 g = 1;
  if (!invert_all(M, r2, inv.data(), 2 * kLanes, g)) return g == n ? 1 : g;
  for (unsigned l = 0; l < kLanes; ++l) {
    x0[l] = M.mul(x0[l], inv[2 * l]);
    a24[l] = M.mul(num[l], inv[2 * l + 1]);
  }

  // Stage 1: lcm(1..b1) times (x0 : 1) by the ladder. The bits of the multiplier are the same for
  // every curve, but the swaps are selects anyway: cheaper than a branch mispredicted now and then.
  Lanes<XZ> r0, r1;
  for (unsigned l = 0; l < kLanes; ++l) {
    r0[l] = {x0[l], M.one()};
    r1[l] = dbl(M, a24[l], r0[l]);
  }
  for (unsigned bit = k1.bits - 1; bit-- > 0;) {
    const u64 mask = 0 - ((k1.words[bit / 64] >> (bit % 64)) & 1);
    // Swapped so that r0 is the one doubled (r1 when the bit is 1), and swapped back.
    for (unsigned l = 0; l < kLanes; ++l) {
      swap_if(mask, r0[l], r1[l]);
      r1[l] = add_z1(M, r1[l], r0[l], x0[l]);
      r0[l] = dbl(M, a24[l], r0[l]);
      swap_if(mask, r0[l], r1[l]);
    }
  }
  const Lanes<XZ> q = r0;
  {
    Lanes<u64> z;
    for (unsigned l = 0; l < kLanes; ++l) z[l] = q[l].z;
    if (const u64 d = proper_gcd(M, z); d != 1) return d;
  }

  // Stage 2: primes b1 < p <= b2 as m * kGiant +- j with j a baby step; x(mG) = x(jQ) mod p
  // exactly when (mG +- jQ) = 0 mod p. Baby steps normalized to z = 1 (one inversion for all).
  std::array<Lanes<XZ>, kGiant / 4> odd;  // odd[i] = (2i + 1) Q
  Lanes<XZ> q2;
  for (unsigned l = 0; l < kLanes; ++l) {
    odd[0][l] = q[l];
    q2[l] = dbl(M, a24[l], q[l]);
    odd[1][l] = add(M, q2[l], q[l], q[l]);
  }
  for (unsigned i = 2; i < kGiant / 4; ++i)
    for (unsigned l = 0; l < kLanes; ++l) odd[i][l] = add(M, odd[i - 1][l], q2[l], odd[i - 2][l]);
  std::array<u64, kBabies.size() * kLanes> bx;  // x / z of each baby step, lane by lane
  for (unsigned i = 0; i < kBabies.size(); ++i)
    for (unsigned l = 0; l < kLanes; ++l) bx[i * kLanes + l] = odd[kBabies[i] / 2][l].z;
  if (!invert_all(M, r2, bx.data(), bx.size(), g)) return g == n ? 1 : g;
  for (unsigned i = 0; i < kBabies.size(); ++i)
    for (unsigned l = 0; l < kLanes; ++l)
      bx[i * kLanes + l] = M.mul(bx[i * kLanes + l], odd[kBabies[i] / 2][l].x);

  // Every prime of (b1, b2] is m * kGiant +- j for some m >= max(1, b1 / kGiant): b1 >= kGiant / 2.
  const unsigned m0 = std::max(1u, b1 / kGiant);
  Lanes<XZ> giant, cur, next;
  Lanes<u64> acc;
  for (unsigned l = 0; l < kLanes; ++l) {
    giant[l] = ladder(M, a24[l], q[l], kGiant).first;
    std::tie(cur[l], next[l]) = ladder(M, a24[l], giant[l], m0);  // m0 G, (m0 + 1) G
    acc[l] = M.one();
  }
  for (unsigned m = m0; m * kGiant - kGiant / 2 <= b2; ++m) {
    for (unsigned i = 0; i < kBabies.size(); ++i) {
      const unsigned lo = m * kGiant - kBabies[i], hi = m * kGiant + kBabies[i];
      if ((lo > b1 && stage2_prime(lo)) || (hi <= b2 && stage2_prime(hi)))
        for (unsigned l = 0; l < kLanes; ++l)
          acc[l] = M.mul(acc[l], M.sub(cur[l].x, M.mul(bx[i * kLanes + l], cur[l].z)));
    }
    for (unsigned l = 0; l < kLanes; ++l) {
      const XZ after = add(M, next[l], giant[l], cur[l]);
      cur[l] = next[l];
      next[l] = after;
    }
  }
  return proper_gcd(M, acc);
}

/// Tries up to p.curves curves; returns a divisor of n other than 1 and n, or 1.
u64 ecm_factor(const Montgomery& M, const EcmParams& p, const Stage1Multiplier& k1) {
  u64 r2 = M.one();
  for (int i = 0; i < 64; ++i) r2 = M.add(r2, r2);  // 2^128 mod n: 2^64 mod n doubled 64 times
  for (unsigned c = 0; c < p.curves; c += kLanes) {
    const u64 g = ecm_curves(M, r2, 6 + c, k1, p.b1, p.b2);
    if (g != 1) return g;
  }
  return 1;
}

/// Composites up to kRhoOnlyBits bits (smallest factor below 2^18) are left to rho alone; larger
/// ones get a short rho run (stages up to kRhoBurst steps, which find factors up to about 2^12)
/// and then ECM, whose cost depends far less on the size of the factor.
constexpr int kRhoOnlyBits = 36;
constexpr u64 kRhoBurst = 64;

struct EcmLevel {
  int max_bits;
  EcmParams params;
  const Stage1Multiplier* k1;
};
constexpr Stage1Multiplier kK60 = stage1_multiplier(60);
constexpr Stage1Multiplier kK85 = stage1_multiplier(85);
constexpr Stage1Multiplier kK125 = stage1_multiplier(125);
constexpr Stage1Multiplier kK165 = stage1_multiplier(165);
constexpr std::array<EcmLevel, 4> kEcmLevels = {{
    {48, {60, 1500, 100}, &kK60},
    {54, {85, 4000, 100}, &kK85},
    {60, {125, 6000, 100}, &kK125},
    {64, {165, 5000, 100}, &kK165},
}};
static_assert(kK165.bits < 64 * 8, "lcm(1..B1) must fit the multiplier's words");
static_assert(
    [] {
      for (const EcmLevel& level : kEcmLevels)
        if (level.params.b1 < kGiant / 2 || level.params.b2 + kGiant / 2 >= kStage2Limit)
          return false;
      return true;
    }(),
    "stage 2 covers (b1, b2] only for b1 >= kGiant / 2 and b2 + kGiant / 2 < kStage2Limit");

/// A divisor d of the odd composite n with 1 < d < n; n has no prime factor below kTrialRough
/// and is not a square.
u64 find_factor(u64 n) {
  const Montgomery M(n);
  const int bits = 64 - std::countl_zero(n);
  u64 c = 1;
  if (bits > kRhoOnlyBits) {
    const u64 d = rho_brent(M, M.from_small(c), M.from_small(c + 1), kRhoBurst);
    if (d != 1 && d != n) return d;
    ++c;
    for (const EcmLevel& level : kEcmLevels)
      if (bits <= level.max_bits) {
        const u64 e = ecm_factor(M, level.params, *level.k1);
        if (e != 1) return e;
        break;
      }
  }
  for (;; ++c) {
    const u64 d = rho_brent(M, M.from_small(c), M.from_small(c + 1), ~u64{0});
    if (d != n) return d;
  }
}

/// Prime factors with multiplicity, unordered: Omega(n) <= 63 below 2^64.
struct PrimeList {
  std::array<u64, 64> p;
  unsigned size = 0;
  void push(u64 q) { p[size++] = q; }
};

void split_composite(u64 m, u64 rough, PrimeList& out);

/// Appends the prime factors of m >= 2, which has none below `rough` (rough >= kTrialRough).
void split_rough(u64 m, u64 rough, PrimeList& out) {
  if (static_cast<u128>(rough) * rough > m || is_prime_rough(m))
    out.push(m);
  else
    split_composite(m, rough, out);
}

/// The same for a composite m. Squares are taken apart first: find_factor wants none.
void split_composite(u64 m, u64 rough, PrimeList& out) {
  const u64 r = isqrt(m);  // < 2^32, so r * r cannot wrap
  if (r * r == m) {
    split_rough(r, rough, out);
    split_rough(r, rough, out);
    return;
  }
  const u64 d = find_factor(m);
  split_rough(d, rough, out);
  split_rough(m / d, rough, out);
}

unsigned count_list(PrimeList& list, Count count) {
  if (count == Count::total || list.size < 2) return list.size;
  std::sort(list.p.begin(), list.p.begin() + list.size);
  return static_cast<unsigned>(std::unique(list.p.begin(), list.p.begin() + list.size) -
                               list.p.begin());
}

}  // namespace

bool is_strong_probable_prime_base2(u64 n) { return strong_base2(Montgomery(n)); }

bool is_strong_lucas_probable_prime(u64 n) { return strong_lucas_selfridge(Montgomery(n)); }

bool is_prime_u64(u64 n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (const TrialPrime& t : kTrialPrimes) {
    if (t.p * t.p > n) return true;
    if (t.div.divides(n)) return n == t.p;
  }
  return is_prime_rough(n);
}

unsigned rough_factor_count(u64 m, u64 rough, Count count) {
  if (rough < kTrialRough) return factor_count(m, count);
  if (m == 1) return 0;
  const u128 r2 = static_cast<u128>(rough) * rough;
  if (m < r2) return 1;
  if (is_prime_rough(m)) return 1;
  // Composite with every prime factor >= rough: below rough^3 it is p * q or p^2.
  if (m < r2 * rough) return count == Count::total ? 2 : (is_square(m) ? 1 : 2);
  PrimeList list;
  split_composite(m, rough, list);
  return count_list(list, count);
}

void rough_factor_counts(const u64* m, std::size_t size, u64 rough, Count count, unsigned* counts) {
  if (rough < kTrialRough) {
    for (std::size_t i = 0; i < size; ++i) counts[i] = factor_count(m[i], count);
    return;
  }
  const u128 r2 = static_cast<u128>(rough) * rough;
  // A composite whose prime factors are all >= rough, below rough^3: p * q or p^2.
  auto composite = [&](u64 c) {
    if (c < r2 * rough) return count == Count::total ? 2u : (is_square(c) ? 1u : 2u);
    return rough_factor_count(c, rough, count);
  };
  // Numbers >= rough^2 take their base-2 tests kPrimalityLanes at a time and their Lucas tests
  // kLucasLanes at a time; a group not filled at the end goes one by one.
  constexpr unsigned kLucasLanes = 2;
  std::array<std::size_t, kPrimalityLanes> group;
  std::array<Montgomery, kPrimalityLanes> M;
  std::array<bool, kPrimalityLanes> pass;
  unsigned filled = 0;
  std::array<std::size_t, kLucasLanes> lucas_group;
  std::array<Montgomery, kLucasLanes> lucas_M;
  std::array<LucasParams, kLucasLanes> lucas_params;
  std::array<bool, kLucasLanes> lucas_pass;
  unsigned lucas_filled = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (m[i] < r2) {
      counts[i] = m[i] > 1;
      continue;
    }
    group[filled] = i;
    M[filled] = Montgomery(m[i]);
    if (++filled < kPrimalityLanes) continue;
    filled = 0;
    strong_base2_lanes(M, pass);
    for (unsigned l = 0; l < kPrimalityLanes; ++l) {
      const u64 c = m[group[l]];
      if (!pass[l] || is_square(c) || !selfridge_params(M[l], lucas_params[lucas_filled])) {
        counts[group[l]] = composite(c);
        continue;
      }
      lucas_group[lucas_filled] = group[l];
      lucas_M[lucas_filled] = M[l];
      if (++lucas_filled < kLucasLanes) continue;
      lucas_filled = 0;
      strong_lucas_lanes<kLucasLanes>(lucas_M, lucas_params, lucas_pass);
      for (unsigned j = 0; j < kLucasLanes; ++j)
        counts[lucas_group[j]] = lucas_pass[j] ? 1 : composite(m[lucas_group[j]]);
    }
  }
  for (unsigned j = 0; j < lucas_filled; ++j)
    counts[lucas_group[j]] = rough_factor_count(m[lucas_group[j]], rough, count);
  for (unsigned l = 0; l < filled; ++l)
    counts[group[l]] = rough_factor_count(m[group[l]], rough, count);
}

unsigned factor_count(u64 n, Count count) {
  const bool total = count == Count::total;
  unsigned k = 0;
  if (n % 2 == 0) {
    const int z = std::countr_zero(n);  // n >= 1, so n even means n != 0
    n >>= z;
    k = total ? static_cast<unsigned>(z) : 1;
  }
  for (const TrialPrime& t : kTrialPrimes) {
    if (t.p * t.p > n) return k + (n > 1);
    if (t.div.divides(n)) {
      n = t.div.exact_quotient(n);
      unsigned e = 1;
      while (t.div.divides(n)) {
        n = t.div.exact_quotient(n);
        ++e;
      }
      k += total ? e : 1;
    }
  }
  return k + rough_factor_count(n, kTrialRough, count);
}

Factorization factorize(u64 n) {
  Factorization f;
  auto record = [&f](u64 p, unsigned e) {
    f.primes[f.size] = p;
    f.exponents[f.size] = e;
    ++f.size;
  };
  if (n % 2 == 0) {
    const int z = std::countr_zero(n);
    n >>= z;
    record(2, static_cast<unsigned>(z));
  }
  for (const TrialPrime& t : kTrialPrimes) {
    if (t.p * t.p > n) break;
    if (t.div.divides(n)) {
      unsigned e = 0;
      do {
        n = t.div.exact_quotient(n);
        ++e;
      } while (t.div.divides(n));
      record(t.p, e);
    }
  }
  if (n == 1) return f;
  PrimeList list;
  split_rough(n, kTrialRough, list);
  std::sort(list.p.begin(), list.p.begin() + list.size);
  for (unsigned i = 0; i < list.size;) {
    unsigned j = i;
    while (j < list.size && list.p[j] == list.p[i]) ++j;
    record(list.p[i], j - i);
    i = j;
  }
  return f;
}

}  // namespace numfactors
