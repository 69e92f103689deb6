# numfactors_factor_bench (tests/bench/factor_bench.cpp): factor64 against FLINT's n_factor, and
# the factor, hybrid and sieve kernels by position and width. Not run by ctest; included by
# tests/bench/CMakeLists.txt.
# FLINT is optional (Debian: libflint-dev); without it only factor64 is timed.
add_executable(numfactors_factor_bench ${CMAKE_CURRENT_LIST_DIR}/factor_bench.cpp)
target_link_libraries(numfactors_factor_bench PRIVATE numfactors_internal)
target_compile_features(numfactors_factor_bench PRIVATE cxx_std_20)
find_path(NUMFACTORS_FLINT_INCLUDE_DIR flint/ulong_extras.h)
find_library(NUMFACTORS_FLINT_LIBRARY flint)
find_library(NUMFACTORS_GMP_LIBRARY gmp)
if(NUMFACTORS_FLINT_INCLUDE_DIR AND NUMFACTORS_FLINT_LIBRARY AND NUMFACTORS_GMP_LIBRARY)
  target_compile_definitions(numfactors_factor_bench PRIVATE NUMFACTORS_BENCH_FLINT)
  target_include_directories(numfactors_factor_bench SYSTEM PRIVATE ${NUMFACTORS_FLINT_INCLUDE_DIR})
  target_link_libraries(numfactors_factor_bench PRIVATE ${NUMFACTORS_FLINT_LIBRARY}
                                                        ${NUMFACTORS_GMP_LIBRARY})
  message(STATUS "numfactors: numfactors_factor_bench times FLINT's n_factor too")
endif()
