/// @file failing_rank.cpp
/// @brief A test program for mpi_launch_test: the last rank's kernel throws in the middle of a run
/// (argv[1]: static or dynamic), and the rank fails as run_mpi_app makes it fail: one error line,
/// then MPI_Abort. The job must end with a non-zero status, never leave the other ranks waiting.
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "../run_checks.hpp"
#include "cli/error_words.hpp"
#include "exec/mpi.hpp"

namespace {

/// Counts its first chunks with `inner`, then throws.
class FailingKernel final : public numfactors::Kernel {
 public:
  explicit FailingKernel(std::unique_ptr<numfactors::Kernel> inner) : inner_(std::move(inner)) {}
  void count(const numfactors::Range& r, numfactors::Histogram& out) override {
    if (++chunks_ > 2) throw std::runtime_error("this kernel fails on purpose");
    inner_->count(r, out);
  }
  std::unique_ptr<numfactors::Kernel> clone() const override {
    return std::make_unique<FailingKernel>(inner_->clone());
  }

 private:
  std::unique_ptr<numfactors::Kernel> inner_;
  int chunks_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const auto mpi = numfactors::start_mpi(argc, argv);
  const numfactors::Plan plan = numfactors::make_plan({2, 200000000}, numfactors::Count::distinct,
                                                      numfactors::KernelKind::sieve, 1000000, 1);
  numfactors::RunOptions options;
  options.mode = numfactors::Mode::mpi;
  options.schedule = argc > 1 && std::string(argv[1]) == "dynamic"
                         ? numfactors::Schedule::dynamic
                         : numfactors::Schedule::static_cyclic;
  auto kernel = numfactors::make_kernel(plan.kernel, plan.count, plan.range.hi);
  if (mpi->rank() == mpi->size() - 1) kernel = std::make_unique<FailingKernel>(std::move(kernel));
  try {
    numfactors::test::run_plan(plan, options, *kernel);
  } catch (const std::exception& e) {
    numfactors::write_error_line(std::cerr,
                                 "rank " + std::to_string(mpi->rank()) + ": " + e.what());
    mpi->abort(1);
  }
  return 0;
}
