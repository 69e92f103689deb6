/// @file launch.hpp
/// @brief What the launcher that started this process (mpiexec, srun) says in its environment,
/// read before MPI starts: how many tasks it started, which one this is, and whether MPI can
/// join them into one job; and the launches that would go wrong.
#pragma once

#include <optional>
#include <string>

#include "numfactors/choices.hpp"

namespace numfactors {

struct Launch {
  unsigned tasks = 1;      // OMPI_COMM_WORLD_SIZE, PMI_SIZE, or srun's SLURM_STEP_NUM_TASKS
  unsigned index = 0;      // this task's: OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK, SLURM_PROCID
  bool mpi_wired = false;  // Open MPI's mpiexec, a PMI or PMIx (srun --mpi=pmix) started it
};

/// This process's launch. A batch script's own process (sbatch) is one task: Slurm sets
/// SLURM_STEP_NUM_TASKS only in the tasks of an srun step.
Launch current_launch();

/// The ranks an MPI launcher started (Launch::tasks when MPI can join them, else 0), so that a
/// plain run never initialises MPI.
unsigned launcher_world_size();

/// The one-line error (without "numfactors: error: ") for a launch that would go wrong, if any:
/// several tasks that MPI cannot join (srun without --mpi=pmix: each would run the whole job),
/// or a mode other than MPI asked for under a launcher of several ranks (the same).
std::optional<std::string> launch_problem(const Launch& launch, std::optional<Mode> requested);

}  // namespace numfactors
