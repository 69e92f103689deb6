/// @file mpi_main.cpp
/// @brief main() of the MPI suites: starts MPI once, runs every test on every rank (in the same
/// order, so the collectives inside them meet), and exits non-zero on a rank where one failed.
/// Rank 0 prints GoogleTest's usual report; the other ranks print only their failures.
#include <gtest/gtest.h>

#include <iostream>

#include "test_session.hpp"

namespace {

std::unique_ptr<numfactors::MpiSession> session;

/// Failures of a rank other than 0, marked with the rank.
class RankFailurePrinter : public testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (result.failed())
      std::cout << "[rank " << rank_ << "] " << (result.file_name() ? result.file_name() : "?")
                << ":" << result.line_number() << ": failure\n"
                << result.summary() << std::endl;
  }

 private:
  int rank_;
};

}  // namespace

numfactors::MpiSession& numfactors::test::test_session() { return *session; }

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  session = numfactors::start_mpi(argc, argv);
  if (session->rank() != 0) {
    testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(session->rank()));
  }
  const int status = RUN_ALL_TESTS();
  session.reset();  // MPI_Finalize before exit
  return status;
}
