/// @file launch.cpp
#include "cli/launch.hpp"

#include <cstdlib>

namespace numfactors {
namespace {

/// The variable as a count or index (0 to 2^24), or nothing.
std::optional<unsigned> read(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  char* end = nullptr;
  const unsigned long n = std::strtoul(v, &end, 10);
  if (end == v || *end != '\0' || n > (1u << 24)) return std::nullopt;
  return static_cast<unsigned>(n);
}

}  // namespace

Launch current_launch() {
  Launch l;
  const auto ompi = read("OMPI_COMM_WORLD_SIZE"), pmi = read("PMI_SIZE"),
             step = read("SLURM_STEP_NUM_TASKS");
  l.tasks = ompi ? *ompi : pmi ? *pmi : step ? *step : 1;
  const auto index = read("OMPI_COMM_WORLD_RANK") ? read("OMPI_COMM_WORLD_RANK")
                     : read("PMI_RANK")           ? read("PMI_RANK")
                     : read("PMIX_RANK")          ? read("PMIX_RANK")
                                                  : read("SLURM_PROCID");
  l.index = index.value_or(0);
  l.mpi_wired = ompi.has_value() || pmi.has_value() || std::getenv("PMIX_RANK") != nullptr;
  return l;
}

unsigned launcher_world_size() {
  const Launch l = current_launch();
  return l.mpi_wired ? l.tasks : 0;
}

std::optional<std::string> launch_problem(const Launch& launch, std::optional<Mode> requested) {
  if (launch.tasks <= 1) return std::nullopt;
  const std::string n = std::to_string(launch.tasks);
  if (!launch.mpi_wired)
    return "srun started " + n + " tasks that MPI cannot join into one job (each would run "
           "the whole range): use srun --mpi=pmix, or one task";
  if (requested && *requested != Mode::mpi)
    return "--mode " + to_string(*requested) + " under a launcher of " + n +
           " ranks would run the whole range " + n + " times: give no mode (MPI is then the "
           "default) or one rank";
  return std::nullopt;
}

}  // namespace numfactors
