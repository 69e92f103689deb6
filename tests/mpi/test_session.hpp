/// @file test_session.hpp
/// @brief The MPI session mpi_main.cpp starts for the MPI suites.
#pragma once

#include "exec/mpi.hpp"

namespace numfactors::test {

MpiSession& test_session();

}  // namespace numfactors::test
