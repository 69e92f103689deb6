/// @file seed.hpp
/// @brief The seed of the randomized tests: fixed by default so that a failure reproduces,
/// overridden by the environment variable NUMFACTORS_TEST_SEED, and always printed.
#pragma once

#include <cstdlib>
#include <iostream>

#include "core/range.hpp"

namespace nf::test {

/// The run's seed (NUMFACTORS_TEST_SEED, default 20261121, as in kernel_test.cpp) plus `salt`, so
/// that suites sharing one run seed still draw different numbers. Prints the run seed.
inline u64 test_seed(u64 salt) {
  const char* s = std::getenv("NUMFACTORS_TEST_SEED");
  const u64 seed = s ? std::strtoull(s, nullptr, 10) : 20261121;
  std::cout << "[ seed     ] NUMFACTORS_TEST_SEED=" << seed << " (salt " << salt << ")\n";
  return seed + salt;
}

}  // namespace nf::test
