/// @file seed.hpp
/// @brief The seed of the randomized tests: fixed by default so that a failure reproduces,
/// overridden by the environment variable NUMFACTORS_TEST_SEED, and always printed.
#pragma once

#include <cstdlib>
#include <iostream>

#include "numfactors/histogram.hpp"

namespace numfactors::test {

/// The run's seed (NUMFACTORS_TEST_SEED, default 20261121) plus `salt`, so that suites sharing
/// one run seed still draw different numbers. Prints the run seed unless `print` is false (MPI
/// suites print on rank 0 only; mpiexec passes the environment, so every rank gets the same seed).
inline u64 test_seed(u64 salt, bool print = true) {
  const char* s = std::getenv("NUMFACTORS_TEST_SEED");
  const u64 seed = s ? std::strtoull(s, nullptr, 10) : 20261121;
  if (print) std::cout << "[ seed     ] NUMFACTORS_TEST_SEED=" << seed << " (salt " << salt << ")\n";
  return seed + salt;
}

}  // namespace numfactors::test
