/// @file cpu_features.hpp
/// @brief Which vector paths this CPU runs, for the kernels that pick one at run time.
#pragma once

namespace numfactors {

/// AVX2 (false where the compiler is not GCC or Clang on x86-64).
inline bool cpu_has_avx2() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

/// AVX-512 F, DQ and VL: what the 8-lane double paths use.
inline bool cpu_has_avx512_dq_vl() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

/// The POPCNT instruction (x86-64-v2 and later).
inline bool cpu_has_popcnt() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("popcnt");
#else
  return false;
#endif
}

/// AVX-512's popcount of 64-bit lanes (VPOPCNTDQ), beside F, DQ and VL.
inline bool cpu_has_avx512_popcount() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return cpu_has_avx512_dq_vl() && __builtin_cpu_supports("avx512vpopcntdq");
#else
  return false;
#endif
}

}  // namespace numfactors
