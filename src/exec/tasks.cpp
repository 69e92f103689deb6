/// @file tasks.cpp
#include "exec/tasks.hpp"

#include <stdexcept>

#include "core/analytic.hpp"

namespace numfactors {
namespace {

class ChunkKernel final : public TaskKernel {
 public:
  ChunkKernel(const Plan& plan, std::unique_ptr<Kernel> kernel)
      : plan_(plan), kernel_(std::move(kernel)) {}
  Histogram run(u64 task) override {
    Histogram h;
    kernel_->count(plan_.chunk(task), h);
    return h;
  }
  void watch(const std::atomic<int>* stop) override { kernel_->watch(stop); }

 private:
  Plan plan_;
  std::unique_ptr<Kernel> kernel_;
};

}  // namespace

ChunkTasks::ChunkTasks(const Plan& plan) : ChunkTasks(plan, make_kernel(plan)) {}

ChunkTasks::ChunkTasks(const Plan& plan, std::unique_ptr<Kernel> prototype)
    : plan_(plan), seconds_a_cell_(sieve_seconds_a_cell(plan.range)),
      prototype_(std::move(prototype)) {}

double ChunkTasks::work(u64 task) const {
  return static_cast<double>(plan_.chunk(task).size()) * seconds_a_cell_;
}

double ChunkTasks::total_work_of(const Plan& plan) {
  return static_cast<double>(plan.space().size()) * sieve_seconds_a_cell(plan.range);
}

std::vector<std::unique_ptr<TaskKernel>> ChunkTasks::kernels(unsigned n) {
  if (!prototype_) throw std::logic_error("ChunkTasks::kernels: called twice in one process");
  std::vector<std::unique_ptr<TaskKernel>> out;
  // Clones first: cloning reads only what counting never changes, and the prototype goes last.
  for (unsigned i = 1; i < n; ++i)
    out.push_back(std::make_unique<ChunkKernel>(plan_, prototype_->clone()));
  out.insert(out.begin(), std::make_unique<ChunkKernel>(plan_, std::move(prototype_)));
  return out;
}

}  // namespace numfactors
